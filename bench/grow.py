"""Multiply the shipped content or the wizard's tree, to see how the cost grows (bench only)."""

from __future__ import annotations

from django.db import transaction

from guidance.models import Choice, ContentVersion, Question, Section, Source, Topic


@transaction.atomic
def grow_content(scale: int) -> None:
    """Add scale - 1 copies of every section with its topics and sources."""
    sections = list(Section.objects.all())
    topics = list(Topic.objects.all())
    sources = list(Source.objects.all())
    for copy in range(1, scale):
        new_sections = {}
        for section in sections:
            clone = Section.objects.get(pk=section.pk)
            clone.pk, clone.slug = None, f"{section.slug}-{copy}"
            clone.order = section.order + 100 * copy
            clone.save()
            new_sections[section.pk] = clone
        new_topics = {}
        for topic in topics:
            clone = Topic.objects.get(pk=topic.pk)
            clone.pk, clone.slug = None, f"{topic.slug}-{copy}"
            clone.section = new_sections[topic.section_id]
            clone.save()
            new_topics[topic.pk] = clone
        for source in sources:
            clone = Source.objects.get(pk=source.pk)
            clone.pk, clone.topic = None, new_topics[source.topic_id]
            clone.save()


@transaction.atomic
def grow_tree(scale: int) -> None:
    """Put `scale` copies of the tree behind a first question that picks one copy."""
    originals = list(Question.objects.prefetch_related("choices"))
    start = originals[0].key
    gate = Question.objects.create(
        key="gate", order=0, text_zh_hans="哪一组？", text_en="Which group?"
    )
    for copy in range(scale):
        suffix = f"-g{copy}"
        Choice.objects.create(
            question=gate,
            order=copy,
            key=f"group{copy}",
            next_key=start + suffix,
            label_zh_hans=f"第{copy}组",
            label_en=f"Group {copy}",
        )
        for original in originals:
            question = Question.objects.get(pk=original.pk)
            question.pk, question.key = None, original.key + suffix
            question.order = 1000 * (copy + 1) + original.order
            question.next_key = original.next_key + suffix if original.next_key else ""
            question.save()
            for choice in original.choices.all():
                clone = Choice.objects.get(pk=choice.pk)
                clone.pk, clone.question = None, question
                clone.next_key = choice.next_key + suffix if choice.next_key else ""
                clone.save()
    Question.objects.filter(pk__in=[q.pk for q in originals]).delete()


def grow(scale: int = 1, tree_scale: int = 1) -> None:
    if scale > 1:
        grow_content(scale)
    if tree_scale > 1:
        grow_tree(tree_scale)
    ContentVersion.bump()
