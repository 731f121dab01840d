"""How values are kept in Redis: JSON, never pickles.

Django's Redis cache pickles values by default, and reading a pickle runs whatever code it names:
anyone able to write to the Redis server could run code on every app server. JSON holds only
data. Bytes (the page cache's compressed bodies) travel as base64 inside the JSON; integers are
stored as they are, so that Redis itself can add to them (`cache.incr`). A value that is not
JSON, such as a pickle someone planted, reads as a miss.
"""

from __future__ import annotations

import base64
import json

BYTES = "__bytes__"


def _encode(value):
    if isinstance(value, bytes):
        return {BYTES: base64.b64encode(value).decode("ascii")}
    raise TypeError(f"a {type(value).__name__} cannot be kept in the cache (JSON only)")


def _decode(obj: dict):
    if len(obj) == 1 and BYTES in obj:
        return base64.b64decode(obj[BYTES])
    return obj


class JsonSerializer:
    """The `serializer` of Django's Redis cache client (OPTIONS in settings.CACHES)."""

    def dumps(self, value) -> bytes | int:
        if type(value) is int:
            return value
        return json.dumps(
            value, default=_encode, ensure_ascii=False, separators=(",", ":")
        ).encode()

    def loads(self, data: bytes):
        try:
            return int(data)
        except ValueError:
            pass
        try:
            return json.loads(data, object_hook=_decode)
        except ValueError:
            return None
