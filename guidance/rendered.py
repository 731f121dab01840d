"""Pages with a form, rendered once per process and content version, with each reader's token.

A wizard step is the same HTML for every reader who stands at the same point of the same route,
and a message template's blank form is the same for everyone: what differs is the CSRF token,
which Django masks afresh for every response. So such a page is rendered with a marker where the
token goes, kept, and each response gets the reader's own token put in its place. The page cache
(page_cache.py) cannot do this: it keeps whole responses, and these carry the token.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import CSRF_TOKEN_LENGTH, get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language

from .context_processors import site

# Unguessable, so no text an editor writes can contain it.
CSRF_MARKER = f"csrf-marker-{secrets.token_hex(16)}"
_MARKER_BYTES = CSRF_MARKER.encode()
MAX_PAGES = 2048  # about 20 MB per process at most; older versions' pages age out first


class RenderedPages:
    """A small least-recently-used store of rendered HTML, safe to share between threads."""

    def __init__(self, max_pages: int):
        self.max_pages = max_pages
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, key: Hashable, html: bytes) -> None:
        with self._lock:
            self._pages[key] = html
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


pages = RenderedPages(MAX_PAGES)


def render_kept(
    request,
    template_name: str,
    version: str,
    key: Hashable,
    build_context: Callable[[], dict],
    status: int = 200,
) -> HttpResponse:
    """Render `template_name`, or reuse this process's rendering for (`version`, `key`).

    `build_context` is called only when the page is not kept yet, so everything the context
    holds must follow from `version` and `key` (it may raise Http404: nothing is kept then).
    The template sees the context and the site's language links, never the request itself.
    """
    if settings.DEBUG or request.META.get("QUERY_STRING"):
        # Any query string (a note, or anything a link added) is rendered as it comes.
        return render(request, template_name, build_context(), status=status)
    # The host too: the page's canonical and alternate links name it.
    page_key = (template_name, get_language(), request.get_host(), request.path, version, key)
    html = pages.get(page_key)
    if html is None:
        context = {**site(request), **build_context(), "csrf_token": CSRF_MARKER}
        # Kept encoded: encoding a page of Chinese text anew for every response costs more
        # than putting the token in.
        html = render_to_string(template_name, context).encode()
        pages.put(page_key, html)
    token = _token_for(request).encode()
    return HttpResponse(html.replace(_MARKER_BYTES, token), status=status)


def _token_for(request) -> str:
    """The CSRF token for this response's forms: the one the form just sent, if it passed.

    Django masks the token afresh for every response so that BREACH cannot learn it from many
    compressed responses. A page answering a POST (the next step of an htmx answer, or the
    same step with an error) only exists once the POST's own token passed the check, and a
    forged request, which BREACH would need by the thousand, is refused before it gets here:
    sending that token back exposes nothing new. Masking anew (a fresh random mask, and the
    cookie sent again) was about 60 of the 430 µs an htmx answer took in process.
    `csrf_processing_done` is how Django's CSRF middleware marks a request it has accepted.
    """
    if request.method == "POST" and getattr(request, "csrf_processing_done", False):
        sent = request.POST.get("csrfmiddlewaretoken") or request.META.get(
            settings.CSRF_HEADER_NAME, ""
        )
        # Only a masked token (never the bare secret, which Django also accepts), and only
        # letters and digits, as Django's own tokens are: it goes into HTML as it is.
        if len(sent) == CSRF_TOKEN_LENGTH and sent.isascii() and sent.isalnum():
            return sent
    return get_token(request)
