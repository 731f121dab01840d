"""Real gunicorn servers sharing one database: any request can land on any server.

Runs against PostgreSQL when the suite does (DATABASE_URL=postgres://…), creating and dropping
its own database; otherwise against a SQLite file shared by both servers.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from html import unescape as html_unescape
from html.parser import HTMLParser

import pytest

from tests.admin_forms import key_shown_on, totp_code
from tests.servers import (
    ROOT,
    free_port,
    gunicorn_command,
    manage,
    production_env,
    temporary_postgres_database,
)


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        admin_url = base.replace("postgres://", "postgresql://", 1)
        with temporary_postgres_database("portal_servers", admin_url) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('servers') / 'db.sqlite3'}"


def server_env(database_url: str) -> dict:
    return production_env(database_url, WEB_CONCURRENCY="1")


@contextmanager
def gunicorn(database_url: str):
    port = free_port()
    process = subprocess.Popen(
        gunicorn_command(port, "--workers", "1"),
        cwd=ROOT,
        env=server_env(database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None:
                    raise RuntimeError(process.stderr.read().decode()) from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def prepared_database(database_url):
    manage(database_url, "migrate", "--noinput", "-v0")
    manage(database_url, "load_content")
    manage(
        database_url,
        "createsuperuser",
        "--noinput",
        "--username",
        "editor",
        "--email",
        "editor@example.org",
        DJANGO_SUPERUSER_PASSWORD="an-editor-pass-phrase",
    )
    return database_url


class FormParser(HTMLParser):
    """Collect the fields of the first form with a given id or class, as a browser would send."""

    def __init__(self, selector: str = ""):
        super().__init__()
        self.selector, self.inside, self.fields = selector, False, []
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if (
            tag == "form"
            and not self.fields
            and (
                not self.selector
                or self.selector in (a.get("id", ""), a.get("class", ""))
                or self.selector in a.get("action", "")
            )
        ):
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind not in {"submit", "button", "file"}:
                self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            value = self._textarea[1]
            self.fields.append((self._textarea[0], value[1:] if value.startswith("\n") else value))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self.inside:
            self.inside = False


def form_fields(html: str, selector: str = "") -> list[tuple[str, str]]:
    parser = FormParser(selector)
    parser.feed(html)
    return parser.fields


class Browser:
    """A cookie-keeping client that does not follow redirects, like a careful crawler."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(self, url, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()


def test_two_servers_share_the_wizard_and_see_an_edit_at_once(prepared_database):
    with gunicorn(prepared_database) as one, gunicorn(prepared_database) as two:
        servers = [one, two]
        browser = Browser()
        status, _, html = browser.request(f"{one}/en/wizard/")
        assert status == 200
        status, headers, _ = browser.request(
            f"{two}/en/wizard/start/", form_fields(html, "/wizard/start/")
        )
        assert status == 302
        location = headers["Location"]
        steps = 0
        while "/wizard/result/" not in location:
            server = servers[steps % 2]
            status, _, html = browser.request(server + location)
            assert status == 200, (server, location)
            if "/wizard/help-now/" in location:  # emergency help, then on with the questions
                location = html.split('class="button" href="', 1)[1].split('"', 1)[0]
                continue
            fields = form_fields(html, "/wizard/q/")
            token = dict(fields)["csrfmiddlewaretoken"]
            choice = html.split('name="choice" value="', 1)[1].split('"', 1)[0]
            status, headers, _ = browser.request(
                servers[(steps + 1) % 2] + location,
                {"csrfmiddlewaretoken": token, "choice": choice},
            )
            assert status == 302, (location, status)
            location = headers["Location"]
            steps += 1
            assert steps <= 12
        status, _, html = browser.request(servers[steps % 2] + location)
        assert status == 200 and 'data-path="' in html
        assert steps >= 6

        # An editor changes a topic's title through the first server's admin …
        editor = Browser()
        _, _, login = editor.request(f"{one}/admin/login/")
        status, _, _ = editor.request(
            f"{one}/admin/login/",
            {
                **dict(form_fields(login, "login-form")),
                "username": "editor",
                "password": "an-editor-pass-phrase",
                "next": "/admin/",
            },
        )
        assert status == 302
        # … and the second step: setting up the authenticator (the test plays the app).
        _, _, setup = editor.request(f"{one}/admin/login/second-step/")
        code = totp_code(key_shown_on(setup))
        fields = {**dict(form_fields(setup, "second-step-form")), "code": code}
        status, _, _ = editor.request(f"{one}/admin/login/second-step/", fields)
        assert status == 200  # the recovery codes; signed in
        assert two  # … and a reader on the second server sees it on the next request.
        before = Browser().request(f"{two}/en/guide/consequences/")[2]
        assert "Court, in new words" not in before
        _, _, listing = editor.request(f"{one}/admin/guidance/topic/?q=legal-action")
        change_url = html_unescape(
            re.search(r'href="/admin/guidance/topic/(\d+/change/[^"]*)"', listing).group(1)
        )
        _, _, form_html = editor.request(f"{one}/admin/guidance/topic/{change_url}")
        fields = [
            (k, v)
            for k, v in form_fields(form_html, "topic_form")
            if k not in {"_addanother", "_continue", "_save"}
        ]
        fields = [(k, "Court, in new words" if k == "title_en" else v) for k, v in fields]
        status, _, page = editor.request(f"{one}/admin/guidance/topic/{change_url}", fields)
        assert status == 302, page[:3000]
        # Each server trusts the content version it read for a second: within two, it shows.
        saved = time.monotonic()
        while "Court, in new words" not in Browser().request(f"{two}/en/guide/consequences/")[2]:
            assert time.monotonic() - saved < 2, "the second server still shows the old title"
            time.sleep(0.05)


def test_with_the_database_down_pages_say_so_calmly_and_readyz_is_not_ready():
    with gunicorn("postgres://nobody@127.0.0.1:9/nothing") as server:
        status, _, html = Browser().request(f"{server}/en/guide/consequences/")
        assert status == 503
        assert "Traceback" not in html and "<h1>" in html
        status, _, body = Browser().request(f"{server}/readyz")
        assert status == 503 and json.loads(body)["ready"] is False
        status, _, body = Browser().request(f"{server}/healthz")
        assert status == 200 and json.loads(body)["database"] is False
