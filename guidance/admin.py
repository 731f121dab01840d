from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import tree as engine
from .models import (
    Choice,
    MessageTemplate,
    Notice,
    PathPage,
    PathStep,
    Question,
    Section,
    Source,
    Topic,
)
from .problems import describe
from .wizard import tree_data

admin.site.site_header = _("催收自助指引 · 内容管理")
admin.site.site_title = _("催收自助指引")


def translated(*names: str) -> list[str]:
    """Form fields for translated texts: Simplified, English, hand-written Traditional."""
    return [f"{name}_{lang}" for name in names for lang in ("zh_hans", "en", "zh_hant")]


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ["order", *translated("title", "citation"), "url"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title_zh_hans", "title_en", "slug", "order", "published", "last_reviewed"]
    list_editable = ["order", "published"]
    list_display_links = ["title_zh_hans"]
    search_fields = ["title_zh_hans", "title_en", "slug"]
    fieldsets = [
        (None, {"fields": ["slug", "order", "published", "last_reviewed"]}),
        (_("文字"), {"fields": translated("title", "summary")}),
    ]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title_zh_hans", "section", "slug", "order", "published", "last_reviewed"]
    list_filter = ["section", "published"]
    search_fields = ["title_zh_hans", "title_en", "body_zh_hans", "body_en", "slug"]
    list_select_related = ["section"]
    inlines = [SourceInline]
    fieldsets = [
        (None, {"fields": ["section", "slug", "order", "published", "last_reviewed"]}),
        (_("标题和简介"), {"fields": translated("title", "summary")}),
        (_("要点（每行一条）"), {"fields": translated("key_points")}),
        (_("正文（Markdown）"), {"fields": translated("body")}),
    ]


class PathStepInline(admin.StackedInline):
    model = PathStep
    extra = 0
    fields = ["order", *translated("title", "body")]


@admin.register(PathPage)
class PathPageAdmin(admin.ModelAdmin):
    list_display = ["title_zh_hans", "key", "last_reviewed"]
    inlines = [PathStepInline]
    filter_horizontal = ["related_topics"]
    fieldsets = [
        (None, {"fields": ["key", "last_reviewed", "related_topics"]}),
        (_("文字"), {"fields": translated("title", "summary", "body")}),
    ]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["key", "title_zh_hans"]
    fields = ["key", *translated("title", "body")]


class ChoiceInlineFormSet(forms.BaseInlineFormSet):
    """Refuse a save that would leave the wizard's tree broken, listing the problems."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        question = self.instance
        choices = []
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            data = form.cleaned_data
            choices.append(
                {
                    "key": data["key"],
                    "next": data.get("next_key", ""),
                    "order": data.get("order", 0),
                    "weights": {
                        "communicate": data.get("weight_communicate", 0),
                        "rights": data.get("weight_rights", 0),
                        "professional": data.get("weight_professional", 0),
                    },
                    "flags": [f.strip() for f in data.get("flags", "").split(",") if f.strip()],
                    "exclusive": data.get("exclusive", False),
                }
            )
        problems = proposed_tree_problems(question, sorted(choices, key=lambda c: c["order"]))
        if problems:
            raise ValidationError([describe(p) for p in problems])


def proposed_tree_problems(question: Question, choices: list[dict]) -> list[engine.Problem]:
    """The validator's findings for the tree as it would be after saving `question`."""
    others = list(Question.objects.exclude(pk=question.pk).prefetch_related("choices"))
    data = tree_data(others)
    proposed = {
        "key": question.key,
        "kind": question.kind,
        "next": question.next_key,
        "choices": choices,
    }
    ordered = sorted(
        [(q.order, q.pk or 0, q.key, d) for q, d in zip(others, data["questions"], strict=True)]
        + [(question.order, question.pk or 0, question.key, proposed)],
        key=lambda item: (item[0], item[1]),
    )
    questions = [item[3] for item in ordered]
    return engine.validate(
        engine.build_tree({"start": questions[0]["key"], "questions": questions})
    )


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceInlineFormSet
    extra = 0
    fields = [
        "order",
        "key",
        "next_key",
        "weight_communicate",
        "weight_rights",
        "weight_professional",
        "flags",
        "exclusive",
        *translated("label", "reason"),
    ]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["key", "text_zh_hans", "kind", "order", "next_key"]
    list_editable = ["order"]
    inlines = [ChoiceInline]
    fieldsets = [
        (None, {"fields": ["key", "order", "kind", "next_key"]}),
        (_("文字"), {"fields": translated("text", "help")}),
    ]

    def get_deleted_objects(self, objs, request):
        """Refuse to delete questions whose loss would break the tree (shown as 'protected')."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        keys = [obj.pk for obj in objs]
        remaining = list(Question.objects.exclude(pk__in=keys).prefetch_related("choices"))
        problems = engine.validate(engine.build_tree(tree_data(remaining)))
        protected = [*protected, *(describe(p) for p in problems)]
        return deleted, counts, perms_needed, protected


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["title_zh_hans", "slug", "order", "published", "last_reviewed"]
    list_editable = ["order", "published"]
    list_display_links = ["title_zh_hans"]
    fieldsets = [
        (None, {"fields": ["slug", "order", "published", "last_reviewed", "fields"]}),
        (
            _("标题和用途"),
            {"fields": translated("title", "summary", "when_to_use", "when_not_to_use")},
        ),
        (
            _("消息正文"),
            {
                "fields": translated("sms", "letter"),
                "description": _(
                    "用花括号写占位符，例如 {name}、{lender}、{today}。"
                    "含有读者没填的占位符的那一行会被省略。"
                ),
            },
        ),
    ]
