"""Values built from the content once per process, and rebuilt when the content changes.

The key is the content version (`ContentVersion.current()`), so an editor's change reaches every
app server within about a second; there is nothing to invalidate by hand.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .models import ContentVersion

_cache: dict[str, tuple[str, object]] = {}
_lock = threading.Lock()


def per_content_version[T](name: str, build: Callable[[], T], version: str | None = None) -> T:
    """Return `build()`, computed once per process for each content version."""
    version = ContentVersion.current() if version is None else version
    cached = _cache.get(name)
    if cached and cached[0] == version:
        return cached[1]  # type: ignore[return-value]
    with _lock:
        value = build()
        _cache[name] = (version, value)
    return value
