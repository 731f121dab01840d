"""The documented production settings score A+ with Mozilla's HTTP Observatory scorer.

The scorer (the npm package @mdn/mdn-http-observatory, pinned in tests/observatory/, installed by
tests/observatory/ensure_observatory.sh) is given a host name and asks http:// and https:// on
the standard ports, following redirects as a browser would. tests/observatory/scan.py serves the
site there, in a network namespace of its own, with gunicorn over TLS on a certificate signed by
a CA made for the run, and the scorer trusts that CA (NODE_EXTRA_CA_CERTS) and nothing else: a
certificate it could not verify would cost the redirection and HSTS tests, so A+ also says the
TLS was checked. Its full answer is kept in test-artifacts/observatory.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ARTIFACTS
from tests.test_security import PRODUCTION_ENV_NAMES, documented_production_env

ROOT = Path(__file__).resolve().parent.parent


def scorer() -> str:
    result = subprocess.run(
        ["bash", "tests/observatory/ensure_observatory.sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def scan_documented_production_site() -> dict:
    # The README's environment for a site at https://localhost, and no HTTPS switch: on by default.
    environment = documented_production_env(
        ALLOWED_HOSTS="localhost", CSRF_TRUSTED_ORIGINS="https://localhost", HTTPS=None
    )
    # A private network (and, without root, a user namespace to make one).
    unshare = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    result = subprocess.run(
        [*unshare, sys.executable, "-m", "tests.observatory.scan", scorer()],
        cwd=ROOT,
        input=json.dumps(environment),
        env={k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV_NAMES},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "observatory.json").write_text(result.stdout)
    return json.loads(result.stdout)


def test_the_documented_production_site_scores_a_plus_with_mozillas_observatory():
    report = scan_documented_production_site()
    results = {name: test["result"] for name, test in report["tests"].items()}
    failed = {name: results[name] for name, test in report["tests"].items() if not test["pass"]}
    score = report["scan"]["score"]
    print(
        f"\nHTTP Observatory: {report['scan']['grade']} ({score}/100), failed: {failed or 'none'}"
    )
    assert report["scan"]["grade"] == "A+", (score, failed)
    assert failed == {}
    # What earns it, so a regression names its cause: every http:// address goes to the same
    # host on https:// first, HSTS for at least six months, and the CSP starts from nothing.
    assert results["redirection"] == "redirection-to-https"
    assert report["tests"]["redirection"]["route"][:2] == [
        "http://localhost/",
        "https://localhost/",
    ]
    assert results["strict-transport-security"] == "hsts-implemented-max-age-at-least-six-months"
    assert results["content-security-policy"] == "csp-implemented-with-no-unsafe-default-src-none"
    assert results["x-frame-options"] == "x-frame-options-implemented-via-csp"
    assert results["referrer-policy"] == "referrer-policy-private"
