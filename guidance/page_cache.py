"""Whole-page cache for the public guidance pages, served before most of the middleware.

A view marks a response as cacheable with `@cacheable_page`; this middleware keeps it (with its
headers, plain and compressed) under the current content version, and answers later requests
for the same path straight from the cache, with a weak ETag for conditional requests. Every edit
bumps the version, so no app server can serve a stale page, and a page costs at most one small
query (none on PostgreSQL until a change is announced: see version_watch.py).
"""

from __future__ import annotations

import gzip
import hashlib
import re
from functools import wraps

from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from .models import ContentVersion

PAGE_CACHE_SECONDS = 60 * 60 * 24
CACHEABLE_PATH = re.compile(r"^/(zh-hans|zh-hant|en)/(guide/([\w-]+/)?|paths/[\w-]+/)?$")
NOT_STORED_HEADERS = {"set-cookie", "content-length", "x-request-id", "content-encoding"}


def cacheable_page(view):
    """Let the page cache keep this view's 200 responses; `?preview=1` shows staff the drafts."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if "preview" in request.GET and request.user.is_staff:
            response = view(request, *args, preview=True, **kwargs)
            add_never_cache_headers(response)
            return response
        response = view(request, *args, **kwargs)
        response.cacheable_page = True
        return response

    return wrapper


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or request.META.get("QUERY_STRING")
            or not CACHEABLE_PATH.match(request.path_info)
        ):
            return self.get_response(request)
        try:
            key = f"page:{ContentVersion.current()}:{request.path_info}"
        except DatabaseError:
            return self.get_response(request)  # the inner middleware answers with the 503 page
        etag = 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
        entry = cache.get(key)
        if entry is None:
            response = self.get_response(request)
            if response.status_code != 200 or not getattr(response, "cacheable_page", False):
                return response
            headers = {k: v for k, v in response.items() if k.lower() not in NOT_STORED_HEADERS}
            plain = response.content
            entry = (headers, plain, gzip.compress(plain, mtime=0))
            cache.set(key, entry, PAGE_CACHE_SECONDS)
        headers, plain, compressed = entry
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        elif "gzip" in request.headers.get("Accept-Encoding", ""):
            response = HttpResponse(compressed)
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(plain)
        for name, value in headers.items():
            if not (response.status_code == 304 and name.lower() == "content-type"):
                response[name] = value
        patch_vary_headers(response, ["Accept-Encoding"])
        response["ETag"] = etag
        response["Cache-Control"] = "no-cache"
        return response
