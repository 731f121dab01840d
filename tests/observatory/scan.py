"""Serve the site as in production on https://localhost and http://localhost, and print what
Mozilla's HTTP Observatory scorer makes of it (its JSON), for tests/test_observatory.py.

Run inside a network namespace of its own (`unshare --net`): the scorer takes a host name and
always asks ports 80 and 443, so the site must own them, and in a private namespace it does
without meeting anything else on the machine. The database is a SQLite file, as the namespace
reaches no database server; the scorer grades headers, cookies and redirects, not storage.

Usage: python -m tests.observatory.scan SCAN_JS < environment.json
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.servers import gunicorn, prepare, temporary_sqlite_database, throwaway_tls

HOST = "localhost"


def main(scanner: str, environment: dict[str, str | None]) -> str:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory() as directory, temporary_sqlite_database("obs") as db:
        tls = throwaway_tls(Path(directory), HOST)
        prepare(db)
        # The proxy's two listeners in one: TLS on 443, and plain HTTP on 80, where the app's
        # own redirect (SECURE_SSL_REDIRECT) sends readers to https.
        with (
            gunicorn(db, workers=2, port=443, tls=tls, host=HOST, **environment),
            gunicorn(db, workers=1, port=80, host=HOST, **environment),
        ):
            scan = subprocess.run(
                ["node", scanner, HOST],
                # The honest way to trust a throwaway certificate: the CA that signed it, and
                # nothing switched off. (The package's wrapper script would replace this with
                # Mozilla's intermediate bundle, which is why the scanner is run directly.)
                env={
                    "PATH": "/usr/local/bin:/usr/bin:/bin",
                    "NODE_EXTRA_CA_CERTS": str(tls.cafile),
                },
                capture_output=True,
                text=True,
                timeout=120,
            )
    if scan.returncode or not scan.stdout.strip():
        raise SystemExit(f"the scorer failed ({scan.returncode}):\n{scan.stdout}\n{scan.stderr}")
    return scan.stdout


if __name__ == "__main__":
    environment = json.load(sys.stdin)
    environment.pop("DATABASE_URL", None)
    print(main(sys.argv[1], environment))
