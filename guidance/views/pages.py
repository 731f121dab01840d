"""The reading pages: home, the guide, a section, a path."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..models import PATH_KEYS, Notice, PathPage, Section, Topic
from ..page_cache import cacheable_page


def _topics(preview: bool = False):
    """Published topics; in a staff preview, unpublished ones (drafts) too."""
    topics = Topic.objects.all() if preview else Topic.objects.published()
    return topics.prefetch_related("sources")


@require_safe
@cacheable_page
def home(request, preview=False):
    sections = list(Section.objects.all() if preview else Section.objects.published())
    emergency = Notice.objects.filter(key="emergency").first()
    if preview:
        for item in [*sections, emergency]:
            if item is not None:
                item.apply_draft()
    return render(request, "pages/home.html", {"sections": sections, "emergency": emergency})


@require_safe
@cacheable_page
def guide_index(request, preview=False):
    sections = Section.objects.published().prefetch_related(
        Prefetch("topics", queryset=Topic.objects.published())
    )
    return render(request, "pages/guide_index.html", {"sections": sections})


@require_safe
@cacheable_page
def section_detail(request, slug, preview=False):
    # Pages are cached whole, so fetching the (few) sections in full costs nothing later.
    sections = list(Section.objects.all() if preview else Section.objects.published())
    position = next((i for i, s in enumerate(sections) if s.slug == slug), None)
    if position is None:
        raise Http404
    section = sections[position]
    topics = list(_topics(preview).filter(section=section))
    if preview:
        for item in [section, *topics]:
            item.apply_draft()
    context = {
        "section": section,
        "topics": topics,
        "previous": sections[position - 1] if position > 0 else None,
        "next": sections[position + 1] if position + 1 < len(sections) else None,
        "last_reviewed": max([section.last_reviewed, *(t.last_reviewed for t in topics)]),
    }
    return render(request, "pages/section.html", context)


@require_safe
@cacheable_page
def path_detail(request, key, preview=False):
    if key not in PATH_KEYS:
        raise Http404
    page = (
        PathPage.objects.filter(key=key)
        .prefetch_related(
            "steps",
            Prefetch(
                "related_topics", queryset=Topic.objects.published().select_related("section")
            ),
        )
        .first()
    )
    if page is None:
        raise Http404
    if preview:
        page.apply_draft()
    return render(request, "pages/path.html", {"page": page, "paths": PATH_KEYS})
