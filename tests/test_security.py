"""Security headers, CSP, production start-up refusal, and logs free of personal data."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from guidance.models import Question

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "/zh-hans/",
    "/en/guide/",
    "/en/guide/consequences/",
    "/en/paths/rights/",
    "/en/wizard/",
    "/en/messages/",
    "/en/messages/hardship-plan/",
    "/en/log/",
    "/en/call/",
    "/en/budget/",
    "/en/search/?q=credit",
    "/en/no-such-page/",
    "/admin/login/",
]


@pytest.mark.parametrize("url", PAGES)
def test_security_headers_and_csp_on_every_page_type(client, url):
    r = client.get(url)
    assert r.status_code in (200, 404)
    csp = r["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"
    assert r["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in r["Permissions-Policy"] and "geolocation=()" in r["Permissions-Policy"]
    assert r["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", PAGES)
def test_no_inline_script_runs_without_a_nonce(client, url):
    html = client.get(url).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or "nonce=" in tag, tag
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def run_manage(*args, env_changes):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DEBUG",
            "PORTAL_TESTING",
            "DJANGO_SETTINGS_MODULE",
            "HTTPS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_or_hosts():
    result = run_manage("check", env_changes={"ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_manage("check", env_changes={"SECRET_KEY": "short"})
    assert result.returncode != 0 and "too short" in result.stderr
    result = run_manage("check", env_changes={"SECRET_KEY": secrets.token_urlsafe(64)})
    assert result.returncode != 0 and "ALLOWED_HOSTS is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_changes={
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "help.example.org",
            "HTTPS": "1",
            "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_request_logs_are_json_with_an_id_and_no_personal_data(client, caplog):
    first = Question.objects.order_by("order").first()
    choice = first.choices.first()
    with caplog.at_level(logging.INFO, logger="portal.requests"):
        client.post("/en/wizard/start/")
        r = client.post(f"/en/wizard/q/{first.key}/", {"choice": [choice.key]})
        client.get(r["Location"])
        client.get("/en/search/", {"q": "my secret words"})
        client.post(
            "/en/messages/hardship-plan/",
            {"name": "Zhang Private", "lender": "Huabei"},
            HTTP_X_REQUEST_ID="abcdef12-proxy-id",
        )
    from guidance.logging import JsonFormatter

    records = [r for r in caplog.records if r.name == "portal.requests"]
    text = "\n".join(JsonFormatter().format(record) for record in records)
    for private in (choice.key, "my secret words", "secret", "Zhang Private", first.key):
        assert private not in text, private
    assert "/en/wizard/q/*/" in text
    assert {r.fields["status"] for r in records} >= {200, 302}
    line = json.loads(JsonFormatter().format(records[-1]))
    assert set(line) >= {"time", "level", "request_id", "method", "path", "status", "ms"}
    assert r["X-Request-ID"]


def test_a_sane_request_id_from_the_proxy_is_kept_and_a_bad_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abcdef12-proxy-id")["X-Request-ID"] == (
        "abcdef12-proxy-id"
    )
    assert client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


def test_server_error_lines_mask_the_wizard_question_too():
    import logging as std_logging

    from guidance.logging import JsonFormatter, MaskPathsFilter

    record = std_logging.LogRecord(
        "django.request",
        std_logging.ERROR,
        __file__,
        1,
        "%s: %s",
        ("Service Unavailable", "/en/wizard/q/court-type/"),
        None,
    )
    MaskPathsFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "court-type" not in line and "/en/wizard/q/*/" in line
    configured = std_logging.getLogger("django.request").filters
    assert any(isinstance(f, MaskPathsFilter) for f in configured)


def test_readers_requests_never_touch_the_editors_session(client, admin_user):
    """Django's session and sign-in are lazy: a reader's page neither reads nor writes them,
    even in a browser that is signed in to the admin."""
    client.force_login(admin_user)
    public = client.get("/en/wizard/")
    assert public.status_code == 200
    assert not public.wsgi_request.session.accessed and "sessionid" not in public.cookies
    for path in ("/admin/", "/en/guide/consequences/?preview=1"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.wsgi_request.user == admin_user
        assert response.wsgi_request.session.session_key
