"""The site started as in production, for tests/test_servers.py, `make bench` and `make load`:
a fresh database (a SQLite file or a new PostgreSQL database), manage.py against it, and
gunicorn with portal/gunicorn.conf.py and DEBUG off, over plain HTTP or, with a throwaway
certificate, TLS (tests/test_observatory.py)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
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


def production_env(database_url: str, **overrides: str | None) -> dict:
    """The environment of a production server on loopback (DEBUG off, a real-length secret).
    An override of None leaves that variable unset, to the settings' own default."""
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
    return {name: value for name, value in env.items() if value is not None}


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


@dataclass(frozen=True)
class TLS:
    """A server certificate and its key, and the CA that signed it (for the clients to trust)."""

    certfile: Path
    keyfile: Path
    cafile: Path


def throwaway_tls(directory: Path, host: str = "localhost") -> TLS:
    """A CA made for this run and a certificate it signs for `host` and 127.0.0.1, valid for a
    day: clients that trust the CA (and only they) verify the server as they would a real one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject, issuer, public_key, signing_key, extensions):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = "Throwaway test CA"
    ca = certificate(
        ca_name,
        ca_name,
        ca_key.public_key(),
        ca_key,
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            ),
        ],
    )
    server = certificate(
        host,
        ca_name,
        server_key.public_key(),
        ca_key,
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (
                x509.SubjectAlternativeName(
                    [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                False,
            ),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    tls = TLS(directory / "server.pem", directory / "server-key.pem", directory / "ca.pem")
    tls.cafile.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.certfile.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    tls.keyfile.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tls


@contextmanager
def gunicorn(
    database_url: str,
    workers: int | None = None,
    app: str = "portal.wsgi",
    port: int | None = None,
    tls: TLS | None = None,
    host: str = "127.0.0.1",
    **env: str | None,
):
    """A gunicorn serving `app` on 127.0.0.1:`port` (a free port by default), over TLS with
    `tls`; yields its base URL, named `host`, once /healthz answers. `workers` defaults to
    gunicorn.conf.py's (twice the CPUs, plus one)."""
    port = port or free_port()
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    tls_args = ["--certfile", str(tls.certfile), "--keyfile", str(tls.keyfile)] if tls else []
    context = ssl.create_default_context(cafile=tls.cafile) if tls else None
    # A file, not a pipe: gunicorn logs every 503's exception, and a full pipe would stop it.
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [GUNICORN, app, "--config", "portal/gunicorn.conf.py"]
            + ["--bind", f"127.0.0.1:{port}", *tls_args],
            cwd=ROOT,
            env=production_env(database_url, **env),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"{'https' if tls else 'http'}://{host}:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1, context=context)
                    break
                # Refused, reset, timed out or a TLS handshake cut short: all OSErrors, all "not
                # yet" while the workers boot (a busy machine makes a 1 s read time out).
                except OSError:
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
