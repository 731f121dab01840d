import logging
from functools import cache

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import DatabaseError
from django.shortcuts import render
from django.urls import get_script_prefix, reverse

logger = logging.getLogger("portal")

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "interest-cohort",
        "browsing-topics",
    )
)


class PrivacyHeadersMiddleware:
    """Turn off browser features the portal never uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class DatabaseUnavailableMiddleware:
    """When the database is down, answer with a calm 503 page instead of a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DatabaseError):
            logger.error("database unavailable: %s", type(exception).__name__)
            response = render(request, "errors/503.html", status=503)
            response["Retry-After"] = "30"
            response["Cache-Control"] = "no-store"
            return response
        return None


class EditorsOnlyMixin:
    """Run a middleware only where editors work: the admin and `?preview` pages.

    Readers never sign in and have no session, so the session, user and message machinery
    would only cost every public request time. Subclassing (rather than a wrapper) keeps the
    admin's system checks, which look for these middleware classes, satisfied.
    """

    def __call__(self, request):
        if request.path_info.startswith(_admin_prefix()) or "preview" in request.GET:
            return super().__call__(request)
        return self.get_response(request)


@cache
def _admin_prefix() -> str:
    # As path_info has it: without the prefix of a site served below the domain's root.
    return "/" + reverse("admin:index").removeprefix(get_script_prefix())


class EditorSessionMiddleware(EditorsOnlyMixin, SessionMiddleware):
    pass


class EditorAuthenticationMiddleware(EditorsOnlyMixin, AuthenticationMiddleware):
    pass


class EditorMessageMiddleware(EditorsOnlyMixin, MessageMiddleware):
    pass
