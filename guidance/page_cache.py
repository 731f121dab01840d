"""Whole-page cache for the public guidance pages, which are the same for every reader.

A view opts in with `@cacheable_page`. The middleware, placed before sessions, CSRF and the rest,
keeps such a view's response under the content version, the host and the path, and answers
later requests from the cache, compressed, with a weak ETag so a revalidating browser gets a 304.
Every edit bumps the version, so no server serves a stale page for more than about a second.

It refuses to keep anything that could belong to one reader: a response that sets a cookie,
varies on anything but compression or htmx, is private or no-store, or carries a CSP nonce.
Only a request without a query string fills the cache; any query string but `preview` is served
from it.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from functools import lru_cache, wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from .models import ContentVersion

PAGE_CACHE_SECONDS = 60 * 60 * 24
SHAREABLE_VARY = {"accept-encoding", "hx-request"}
NOT_STORED_HEADERS = {"content-length", "x-request-id", "content-encoding"}


def cacheable_page(view: Callable) -> Callable:
    """Mark a view whose page is the same for every reader; `?preview` shows staff the drafts."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "preview" in request.GET and request.user.is_staff:
            response = view(request, *args, preview=True, **kwargs)
            add_never_cache_headers(response)
            return response
        return view(request, *args, **kwargs)

    wrapper.cacheable_page = True
    return wrapper


def shareable(response: HttpResponse) -> bool:
    """Whether `response` holds nothing of the reader it was made for."""
    cache_control = response.get("Cache-Control", "").lower()
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
        and vary <= SHAREABLE_VARY
        and "'nonce-" not in response.get("Content-Security-Policy", "")
    )


@lru_cache(maxsize=1024)
def _cacheable_view_at(path_info: str) -> bool:
    # The path carries the language, so the answer depends on nothing else.
    try:
        match = resolve(path_info)
    except Resolver404:
        return False
    return getattr(match.func, "cacheable_page", False)


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or "preview" in request.GET
            or not _cacheable_view_at(request.path_info)
        ):
            return self.get_response(request)
        # get_host() checks ALLOWED_HOSTS before anything is served.
        part = "fragment" if request.headers.get("HX-Request") else "page"
        key = f"{part}:{ContentVersion.current()}:{request.get_host()}:{request.path}"
        entry = cache.get(key)
        if entry is None:
            response = self.get_response(request)
            if request.META.get("QUERY_STRING") or not shareable(response):
                return response
            headers = {k: v for k, v in response.items() if k.lower() not in NOT_STORED_HEADERS}
            entry = {"headers": headers, "gzip": gzip.compress(response.content, mtime=0)}
            cache.set(key, entry, PAGE_CACHE_SECONDS)
        etag = 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
        return _from_cache(request, entry, etag)


def _from_cache(request: HttpRequest, entry: dict, etag: str) -> HttpResponse:
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(entry["gzip"])
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(entry["gzip"]))
    for name, value in entry["headers"].items():
        if not (response.status_code == 304 and name.lower() == "content-type"):
            response[name] = value
    patch_vary_headers(response, ["Accept-Encoding"])
    if response.status_code == 200:
        response["Content-Length"] = str(len(response.content))
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response
