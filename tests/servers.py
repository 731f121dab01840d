"""Starting the site as in production, for the multi-server test, `make bench` and the load
script: a fresh database (SQLite file or a new PostgreSQL database), manage.py against it, and
gunicorn with the production settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
GUNICORN = str(Path(PY).with_name("gunicorn"))
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
# One key for every server started by this process: they must read each other's cookies.
SECRET_KEY = "local-servers-" + uuid.uuid4().hex + uuid.uuid4().hex
# Settings that belong to the test run, not to a production-like server.
NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "PORTAL_TESTING",
    "DEBUG",
    "REDIS_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(database_url: str, **overrides: str) -> dict:
    """The environment of a production server on loopback (DEBUG off, a real-length secret)."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        {
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "HTTPS": "0",  # plain HTTP on loopback, as `make run`
            "DATABASE_URL": database_url,
            "LOG_REQUESTS": "0",
            **overrides,
        }
    )
    return env


def manage(database_url: str, *args: str, **env: str) -> str:
    """Run manage.py against `database_url`; raise with its error output if it fails."""
    done = subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=production_env(database_url, **env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def gunicorn_command(port: int, *extra: str) -> list[str]:
    return [
        GUNICORN,
        "portal.wsgi",
        "--config",
        "portal/gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        *extra,
    ]


def postgres_available(admin_url: str = POSTGRES_ADMIN_URL) -> bool:
    try:
        import psycopg

        psycopg.connect(admin_url, connect_timeout=3).close()
        return True
    except Exception:  # noqa: BLE001 (any failure means: not available)
        return False


def create_postgres_database(prefix: str, admin_url: str = POSTGRES_ADMIN_URL) -> tuple[str, str]:
    """Create an empty database; return its URL and its name (for drop_postgres_database)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def drop_postgres_database(name: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_postgres_database(prefix: str, admin_url: str = POSTGRES_ADMIN_URL):
    url, name = create_postgres_database(prefix, admin_url)
    try:
        yield url
    finally:
        drop_postgres_database(name, admin_url)
