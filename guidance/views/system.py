"""The language redirect, health endpoints and the localized error pages."""

from __future__ import annotations

import sys

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language_from_request
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
def language_redirect(request):
    language = get_language_from_request(request, check_path=False)
    response = HttpResponseRedirect(f"/{language}/")
    response["Vary"] = "Accept-Language, Cookie"
    return response


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


_migrated = False


def migrations_applied() -> bool:
    """Whether every migration this code knows of is applied.

    Worked out once, at start-up (portal/wsgi.py) and then remembered: the answer can only change
    from "no" to "yes" (when `migrate` runs), so only "no" is asked again.
    """
    global _migrated
    if not _migrated:
        try:
            executor = MigrationExecutor(connection)
            _migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            _migrated = False
    return _migrated


@never_cache
@require_safe
def healthz(request):
    """The process is up (200); whether the database answers is reported, not required."""
    return JsonResponse({"status": "ok", "database": _database_ok()})


@never_cache
@require_safe
def readyz(request):
    """Ready (200) when the database answers one cheap query and the migrations are applied;
    the public learns nothing more than ready or not (503)."""
    ready = _database_ok() and migrations_applied()
    return JsonResponse({"ready": ready}, status=200 if ready else 503)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A calm 503 page while the database is down (the page recovers by itself), else the 500.

    Django calls this while it handles the exception, so `sys.exception()` is that exception.
    """
    if isinstance(sys.exception(), DatabaseError):
        response = render(request, "errors/503.html", status=503)
        response["Retry-After"] = "30"
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "errors/500.html", status=500)
