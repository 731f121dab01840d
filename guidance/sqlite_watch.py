"""On SQLite, the database itself tells whether anything was committed since the token was read.

`PRAGMA data_version` changes whenever another connection, in this process or any other,
commits to the file; the connection's `total_changes` counts the rows it changed itself. When
neither has moved since this connection last read the content token, the token is the same.
Asking costs about 1.5 µs; reading the token through Django's cursor costs about 20, on
almost every request. Only outside a transaction, where each statement sees the latest commit.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from django.db import DatabaseError

# Django connection -> (its sqlite3 connection, the stamp, the token read after that stamp)
_seen: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def watches(connection) -> bool:
    return connection.vendor == "sqlite" and not connection.in_atomic_block


def token(connection, read: Callable[[], str]) -> str:
    """The token `read()` returns, read again only if something was committed since.

    As the request's first use of the connection this is its health check too, as the token
    read is on PostgreSQL: a connection that cannot answer is replaced, once.
    """
    try:
        raw, stamp = _stamp(connection)
    except DatabaseError:
        if connection.health_check_done:
            raise
        connection.close()
        raw, stamp = _stamp(connection)
    connection.health_check_done = True
    seen = _seen.get(connection)
    if seen is not None and seen[0] is raw and seen[1] == stamp:
        return seen[2]
    # The stamp is taken before the read: a commit landing in between changes the next stamp,
    # so it is read again then, never missed.
    value = read()
    _seen[connection] = (raw, stamp, value)
    return value


def _stamp(connection):
    connection.ensure_connection()
    raw = connection.connection
    with connection.wrap_database_errors:
        return raw, (raw.execute("PRAGMA data_version").fetchone()[0], raw.total_changes)
