"""The site started as in production, for tests/test_servers.py, `make bench` and `make load`:
a fresh database (a SQLite file or a new PostgreSQL database), manage.py against it, and
gunicorn with portal/gunicorn.conf.py and DEBUG off."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
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


def prepare(database_url: str) -> str:
    """Migrate and load the shipped content, as a deployment does."""
    manage(database_url, "migrate", "--noinput", "-v0")
    manage(database_url, "load_content")
    return database_url


@contextmanager
def gunicorn(database_url: str, workers: int | None = None, app: str = "portal.wsgi", **env: str):
    """A gunicorn serving `app` on a free port; yields its base URL once /healthz answers.
    `workers` defaults to gunicorn.conf.py's (twice the CPUs, plus one)."""
    port = free_port()
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    # A file, not a pipe: gunicorn logs every 503's exception, and a full pipe would stop it.
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [GUNICORN, app, "--config", "portal/gunicorn.conf.py"]
            + ["--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=production_env(database_url, **env),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except (urllib.error.URLError, ConnectionError):
                    if process.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(f"gunicorn did not start:\n{log.read()}") from None
                    time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


def postgres_available(admin_url: str = POSTGRES_ADMIN_URL) -> bool:
    try:
        import psycopg

        psycopg.connect(admin_url, connect_timeout=3).close()
        return True
    except Exception:  # noqa: BLE001 (any failure means: not available)
        return False


@contextmanager
def temporary_postgres_database(prefix: str, admin_url: str = POSTGRES_ADMIN_URL):
    """An empty database named `prefix_<random>` on the server of `admin_url`, dropped after."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_sqlite_database(prefix: str):
    directory = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    try:
        yield f"sqlite:///{directory / 'db.sqlite3'}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)
