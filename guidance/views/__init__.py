from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """What the views receive: django-htmx's middleware adds `htmx` to every request."""

    htmx: HtmxDetails
