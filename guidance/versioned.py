"""Values built from the content once per process, and rebuilt when the content changes.

The key is the content version read from the database on each call, so an editor's change
reaches every app server on its next request; there is nothing to invalidate by hand.
"""

from __future__ import annotations

import gc
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import translation

from .models import ContentVersion

_cache: dict[str, tuple[str, object]] = {}
_lock = threading.Lock()


def per_content_version(name: str, build, version: str | None = None):
    """Return `build()`, computed once per process for each content version."""
    version = ContentVersion.current() if version is None else version
    cached = _cache.get(name)
    if cached and cached[0] == version:
        return cached[1]
    with _lock:
        value = build()
        _cache[name] = (version, value)
    return value


_warm_failed_at: float | None = None
_warmed_version: str | None = None
WARM_RETRY_SECONDS = 30


def warm() -> None:
    """Build the per-process values for the current content, then close the connections.

    gunicorn's master calls this before it starts each worker (portal/gunicorn.conf.py), so a
    worker, including each one started to replace a recycled worker, begins with the search
    indexes and the wizard already built instead of building them during its first requests
    (with a hundred times the content, that takes seconds). When the content has not changed
    it costs one query. The connections are closed because a worker must never share the
    master's. If the database does not answer, the workers build them later, and the master
    does not try again for a while, so it never holds up starting workers.
    """
    global _warm_failed_at, _warmed_version
    if _warm_failed_at is not None and time.monotonic() - _warm_failed_at < WARM_RETRY_SECONDS:
        return
    # Imported here: both modules use per_content_version from this one.
    from .search import index
    from .wizard import load_result_texts, load_tree

    try:
        loaded = load_tree()  # one query when nothing changed
        if loaded.version != _warmed_version:
            gc.unfreeze()  # the last version's values may be collected once replaced
            load_result_texts(loaded.version)
            for language, _ in settings.LANGUAGES:
                with translation.override(language):
                    index(language, loaded.version)
            # Keep the collector of every worker off these inherited objects: walking them
            # would copy each page of memory the worker shares with the master.
            gc.collect()
            gc.freeze()
            _warmed_version = loaded.version
        _warm_failed_at = None
    except DatabaseError:
        _warm_failed_at = time.monotonic()
    finally:
        connections.close_all()
