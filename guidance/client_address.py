"""The address of the client, as the trusted proxies in front of the app saw it.

Each proxy appends the address it received the request from to X-Forwarded-For, so with
PROXY_COUNT trusted proxies the client is the PROXY_COUNT-th entry from the right. Everything to
the left of it was written by the client and can be forged, so it is never read.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(entries) < count:
        # The request did not pass through every proxy (or one dropped the header): none of the
        # entries can be trusted, only the address the request came from.
        return remote
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
