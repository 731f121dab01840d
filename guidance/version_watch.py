"""On PostgreSQL, app servers are told of a content change instead of asking on every request.

Every content change bumps `ContentVersion` and, in the same transaction, sends a NOTIFY
carrying nothing but the channel name; PostgreSQL delivers it to every listening connection when
(and only if) the transaction commits. Each app process LISTENs on its persistent connection and
keeps the token it last read. A request then reads the token again only when a notification has
arrived, or the connection is new or broken; otherwise it costs no query at all.

Reading the socket for notifications (libpq's `consume_input`) also notices a connection the
server has closed, so the check doubles as a health check. Notifications that arrive while
Django runs other queries on the connection reach psycopg's notify handler; those already
waiting on the socket are read here.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import psycopg

CHANNEL = "guidance_content_version"


@dataclass
class _Heard:
    token: str | None = None  # None: must be read again
    changes: int = 0  # notifications heard so far, to spot one that arrives during a read


_heard: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # psycopg connection -> _Heard
_lock = threading.Lock()


def watches(connection) -> bool:
    """Only a persistent PostgreSQL connection outside a transaction can be trusted to hear."""
    return (
        connection.vendor == "postgresql"
        and connection.settings_dict["CONN_MAX_AGE"] != 0
        and not connection.in_atomic_block
    )


def known_token(connection) -> str | None:
    """The token this connection last read, if no change has been announced since."""
    raw = connection.connection
    heard = _heard.get(raw) if raw is not None else None
    if heard is None:
        return None
    try:
        raw.pgconn.consume_input()
        while (notice := raw.pgconn.notifies()) is not None:
            if notice.relname.decode() == CHANNEL:
                _changed(heard)
    except psycopg.Error:  # the server closed the connection: start afresh
        _heard.pop(raw, None)
        connection.close()
        return None
    if heard.token is not None:
        connection.health_check_done = True  # the socket answered: no `SELECT 1` needed
    return heard.token


def read_and_listen(connection, read) -> str:
    """Read the token with `read()`, listening first so that no change can slip in between."""
    raw = connection.connection
    heard = _heard.get(raw) if raw is not None else None
    if heard is None:
        with connection.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
        raw = connection.connection  # the cursor may have had to connect
        heard = _Heard()
        raw.add_notify_handler(_handler(heard))
        _heard[raw] = heard
    changes = heard.changes
    token = read()
    if heard.changes == changes:  # else a change was announced while reading: read next time
        heard.token = token
    return token


def announce(connection) -> None:
    """Tell every listening app server that the content changed (on commit)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])


def _changed(heard: _Heard) -> None:
    with _lock:
        heard.token = None
        heard.changes += 1


def _handler(heard: _Heard):
    def on_notice(notice) -> None:
        if notice.channel == CHANNEL:
            _changed(heard)

    return on_notice
