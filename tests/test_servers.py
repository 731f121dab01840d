"""Real gunicorn servers on a real database: two sharing it (any request can land on any
server), and one whose database goes away and comes back.

Runs against PostgreSQL when the suite does (DATABASE_URL=postgres://…), creating and dropping
its own database; otherwise against a SQLite file.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.admin_forms import key_shown_on, totp_code
from tests.servers import gunicorn, manage, prepare, temporary_postgres_database


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        admin_url = base.replace("postgres://", "postgresql://", 1)
        with temporary_postgres_database("portal_servers", admin_url) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('servers') / 'db.sqlite3'}"


@pytest.fixture(scope="module")
def prepared_database(database_url):
    prepare(database_url)
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
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()


def test_two_servers_share_the_wizard_and_see_an_edit_at_once(prepared_database):
    with gunicorn(prepared_database, 1) as one, gunicorn(prepared_database, 1) as two:
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


class Cable:
    """A TCP relay to the PostgreSQL server that can be cut and mended, as a network can be:
    cut, it drops every open connection and hangs up on new ones."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # the listener was closed
                return
            server = socket.create_connection(self.target)
            with self.lock:
                if self.down:
                    client.close(), server.close()
                    continue
                self.open |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        # Closing under the lock that cut() holds: cut() never meets a socket already closed.
        with self.lock:
            for end in (source, sink):
                self.open.discard(end)
                end.close()

    def cut(self):
        self.down = True
        with self.lock:
            for end in self.open:
                with contextlib.suppress(OSError):  # the far end may have hung up already
                    end.shutdown(socket.SHUT_RDWR)
            self.open = set()

    def mend(self):
        self.down = False

    def close(self):
        self.cut()
        self.listener.close()


@dataclass
class Outage:
    database_url: str  # what the server is given
    server_env: dict
    take_away: Callable[[], None]
    bring_back: Callable[[], None]


@pytest.fixture
def outage(prepared_database):
    """PostgreSQL is reached through a Cable. A SQLite database goes away with its folder; the
    server then opens the file for every request (CONN_MAX_AGE=0), as a connection kept open
    would go on reading the file it already has."""
    if prepared_database.startswith("postgres"):
        url = urllib.parse.urlsplit(prepared_database)
        cable = Cable(url.hostname, url.port or 5432)
        through = url._replace(netloc=f"{url.username}@127.0.0.1:{cable.port}").geturl()
        yield Outage(through, {}, cable.cut, cable.mend)
        cable.close()
    else:
        folder = Path(prepared_database.removeprefix("sqlite:///")).parent
        away = folder.with_name(folder.name + "-away")
        yield Outage(
            prepared_database,
            {"CONN_MAX_AGE": "0"},
            lambda: folder.rename(away),
            lambda: away.rename(folder),
        )
        if away.exists():
            away.rename(folder)


def answer_within(seconds: float, url: str, status: int):
    """Ask until `url` answers `status`; fail after `seconds`."""
    since = time.monotonic()
    while True:
        answer = Browser().request(url)
        if answer[0] == status:
            return answer
        assert time.monotonic() - since < seconds, f"{url} still answers {answer[0]}"
        time.sleep(0.1)


def test_while_the_database_is_away_pages_say_so_calmly_and_come_back_by_themselves(outage):
    with gunicorn(outage.database_url, 1, **outage.server_env) as server:
        section, wizard = f"{server}/en/guide/consequences/", f"{server}/en/wizard/"
        assert Browser().request(section)[0] == 200
        assert Browser().request(wizard)[0] == 200
        outage.take_away()
        # A cached page may be served for the second the content version is trusted.
        _, headers, html = answer_within(3, section, 503)
        assert "Traceback" not in html and "<h1>" in html
        assert headers["Retry-After"] == "30" and "no-store" in headers["Cache-Control"]
        status, _, html = Browser().request(wizard)
        assert status == 503 and "<h1>" in html
        status, _, body = Browser().request(f"{server}/readyz")
        assert status == 503 and json.loads(body)["ready"] is False
        status, _, body = Browser().request(f"{server}/healthz")
        assert status == 200 and json.loads(body)["database"] is False

        outage.bring_back()
        answer_within(5, section, 200)
        _, _, body = answer_within(5, f"{server}/readyz", 200)
        assert json.loads(body)["ready"] is True
        status, _, html = Browser().request(wizard)
        assert status == 200 and "csrfmiddlewaretoken" in html
