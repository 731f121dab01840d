"""The language redirect, health endpoints and the localized error pages."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponseRedirect, JsonResponse
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


@never_cache
@require_safe
def healthz(request):
    """The process is up (200); whether the database answers is reported, not required."""
    return JsonResponse({"status": "ok", "database": _database_ok()})


@never_cache
@require_safe
def readyz(request):
    database = _database_ok()
    migrated = False
    if database:
        try:
            executor = MigrationExecutor(connection)
            migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError:
            database = False
    ready = database and migrated
    return JsonResponse(
        {"ready": ready, "database": database, "migrations_applied": migrated},
        status=200 if ready else 503,
    )


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)
