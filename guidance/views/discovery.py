"""What crawlers and security researchers look for: robots.txt and security.txt."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_safe

# RFC 9116 asks for an expiry less than a year ahead, so that a stale file is not trusted. The
# contact comes from the running configuration, so the file is current for as long as it runs.
SECURITY_TXT_VALID_FOR = datetime.timedelta(days=180)


def _text(lines: list[str]) -> HttpResponse:
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def robots_txt(request):
    """Keep crawlers out of the wizard, the tools' results and the admin."""
    lines = ["User-agent: *"]
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            lines += [
                f"Disallow: {reverse('guidance:wizard')}",
                f"Disallow: {reverse('guidance:search')}",
                f"Disallow: {reverse('guidance:reminder')}",
            ]
    lines += [f"Disallow: {reverse('admin:index')}", f"Disallow: {reverse('quick-exit')}"]
    lines += ["", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}"]
    return _text(lines)


@require_safe
def security_txt(request):
    if not settings.SECURITY_CONTACT:
        raise Http404
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    expires = today + SECURITY_TXT_VALID_FOR
    return _text(
        [
            f"Contact: {settings.SECURITY_CONTACT}",
            f"Expires: {expires.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}",
            "Preferred-Languages: zh, en",
            f"Canonical: {request.build_absolute_uri(reverse('security-txt'))}",
        ]
    )
