"""The reading pages: home, the guide, a section, a path."""

from __future__ import annotations

import gzip
import hashlib
from functools import wraps

from django.core.cache import cache
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_vary_headers, quote_etag
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from ..models import PATH_KEYS, ContentVersion, Notice, PathPage, Section, Source, Topic

PAGE_CACHE_SECONDS = 60 * 60 * 24


def content_page(view):
    """Serve a public content page from the cache, keyed by the content version, with an ETag.

    Every edit bumps the version, so a cached page is never stale on any server, and a browser
    revalidating an unchanged page gets a 304 for one small query.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if "preview" in request.GET and request.user.is_staff:
            response = view(request, *args, preview=True, **kwargs)
            add_never_cache_headers(response)
            return response
        key = f"page:{ContentVersion.current()}:{get_language()}:{request.path}"
        etag = "W/" + quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        else:
            cached = cache.get(key)
            if cached is None:
                response = view(request, *args, **kwargs)
                if response.status_code != 200:
                    return response
                # Compressed once here rather than by GZipMiddleware on every request.
                cached = (response.content, gzip.compress(response.content, mtime=0))
                cache.set(key, cached, PAGE_CACHE_SECONDS)
            plain, compressed = cached
            if "gzip" in request.headers.get("Accept-Encoding", ""):
                response = HttpResponse(compressed)
                response["Content-Encoding"] = "gzip"
            else:
                response = HttpResponse(plain)
            patch_vary_headers(response, ["Accept-Encoding"])
        response["ETag"] = etag
        response["Cache-Control"] = "no-cache"
        return response

    return wrapper


def _topics(preview: bool = False):
    """Published topics; in a staff preview, unpublished ones (drafts) too."""
    topics = Topic.objects.all() if preview else Topic.objects.published()
    return topics.prefetch_related(
        Prefetch("sources", queryset=Source.objects.order_by("order", "id"))
    )


@require_safe
@content_page
def home(request, preview=False):
    sections = list(Section.objects.all() if preview else Section.objects.published())
    emergency = Notice.objects.filter(key="emergency").first()
    if preview:
        for item in [*sections, emergency]:
            if item is not None:
                item.apply_draft()
    return render(request, "pages/home.html", {"sections": sections, "emergency": emergency})


@require_safe
@content_page
def guide_index(request, preview=False):
    sections = Section.objects.published().prefetch_related(
        Prefetch(
            "topics",
            queryset=Topic.objects.published().only(
                "slug",
                "section_id",
                "order",
                "title_zh_hans",
                "title_en",
                "title_zh_hant",
                "title_zh_hant_auto",
            ),
        )
    )
    return render(request, "pages/guide_index.html", {"sections": sections})


@require_safe
@content_page
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
@content_page
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
