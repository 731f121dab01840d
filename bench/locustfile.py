"""`make load`: readers' mixed traffic, run headless by Locust.

Without `--host`, it starts the site as tests/servers.py does (gunicorn with
portal/gunicorn.conf.py, DEBUG off) on a fresh PostgreSQL database when one answers at
LOAD_POSTGRES_URL (else a SQLite file), and drops it afterwards. Each reader keeps its own
cookies and visits the home page and a section, walks the whole wizard with plain forms and
random valid answers, composes a message, and searches in Chinese and English. A response that
is not the page expected counts as a failure, and any failure makes Locust exit with 1.
"""

from __future__ import annotations

import html
import os
import random
import re
import sys
from contextlib import ExitStack
from pathlib import Path

import requests
from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # Locust puts only this folder on the path

from tests.servers import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    gunicorn,
    postgres_available,
    prepare,
    temporary_postgres_database,
    temporary_sqlite_database,
)

POSTGRES_URL = os.environ.get("LOAD_POSTGRES_URL", POSTGRES_ADMIN_URL)
LANGUAGES = ("zh-hans", "zh-hant", "en")
SECTIONS: list[str] = []  # the site's own, read when the run starts
MESSAGES: list[str] = []
WORDS = ("征信", "协商", "催收", "起诉", "credit", "collector", "complaint", "court")
NAMES = ("王女士", "李先生", "Ms Li")
LENDERS = ("花呗", "借呗", "Huabei")

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHOICE = re.compile(r'<input type="(radio|checkbox)" name="choice" value="([^"]+)"[^>]*>')
SMS = re.compile(r'<textarea id="sms-text"[^>]*>(.*?)</textarea>', re.S)

servers = ExitStack()


@events.init.add_listener
def start_the_site(environment, **_):
    if environment.host:
        return
    if postgres_available(POSTGRES_URL):
        database = temporary_postgres_database("load", POSTGRES_URL)
    else:
        database = temporary_sqlite_database("load")
    database_url = prepare(servers.enter_context(database))
    environment.host = servers.enter_context(gunicorn(database_url))
    print(f"Serving {database_url.split('://')[0]} at {environment.host}", flush=True)


@events.test_start.add_listener
def find_the_pages(environment, **_):
    for found, listing, link in (
        (SECTIONS, "/en/guide/", r'href="/en/guide/([\w-]+)/"'),
        (MESSAGES, "/en/messages/", r'href="/en/messages/([\w-]+)/"'),
    ):
        found[:] = sorted(set(re.findall(link, requests.get(environment.host + listing).text)))
        if not found:
            raise RuntimeError(f"no links on {listing}: is the content loaded?")


@events.quitting.add_listener
def stop_the_site(environment, **_):
    servers.close()


class Reader(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        self.language = random.choice(LANGUAGES)

    def expect(self, name, method, path, *texts, **kwargs):
        """The page, or None after recording a failure when it holds none of `texts`."""
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} at {r.url}")
            elif not any(text in r.text for text in texts):
                r.failure(f"none of {texts} at {r.url}")
            else:
                return r
        return None

    @task(3)
    def read(self):
        self.expect("home", "GET", f"/{self.language}/", "<h1>")
        section = random.choice(SECTIONS)
        self.expect("section", "GET", f"/{self.language}/guide/{section}/", "<h1>")

    @task(2)
    def walk_the_wizard(self):
        """Plain forms: each answer redirects to the next question, the last to the result."""
        step = self.expect(
            "wizard intro", "GET", f"/{self.language}/wizard/", "csrfmiddlewaretoken"
        )
        path, name, answer = f"/{self.language}/wizard/start/", "wizard start", {}
        for _ in range(40):
            if not step:
                return
            if "/wizard/result/" in step.url:
                if 'data-path="' not in step.text:
                    self.expect("wizard result", "GET", step.url, 'data-path="')
                return
            form = {"csrfmiddlewaretoken": CSRF.search(step.text).group(1), **answer}
            step = self.expect(name, "POST", path, 'name="choice"', 'data-path="', data=form)
            if step:
                path, name, answer = step.url, "wizard answer", {"choice": pick(step.text)}
        if step:  # 40 answers and no result: the walk is lost
            self.expect("wizard result", "GET", step.url, 'data-path="')

    @task(1)
    def compose(self):
        path = f"/{self.language}/messages/{random.choice(MESSAGES)}/"
        blank = self.expect("composer", "GET", path, 'class="composer"')
        if not blank:
            return
        name, lender = random.choice(NAMES), random.choice(LENDERS)
        form = {"csrfmiddlewaretoken": CSRF.search(blank.text).group(1)}
        with self.client.post(
            path,
            data={**form, "name": name, "lender": lender},
            name="composer post",
            catch_response=True,
        ) as r:
            sms = SMS.search(r.text)
            if not sms or name not in html.unescape(sms.group(1)):
                r.failure(f"{r.status_code}: no finished SMS with the name")

    @task(1)
    def search(self):
        word = random.choice(WORDS)
        self.expect(
            "search", "GET", f"/{self.language}/search/", 'role="status"', params={"q": word}
        )


def pick(page: str) -> list[str]:
    """Random valid answers: one radio, or a few checkboxes (or one that excludes the rest)."""
    inputs = [(m[1], m[2], "data-exclusive" in m[0]) for m in CHOICE.finditer(page)]
    if not inputs:  # the result page
        return []
    if inputs[0][0] == "radio":
        return [random.choice(inputs)[1]]
    alone = [key for _, key, exclusive in inputs if exclusive]
    others = [key for _, key, exclusive in inputs if not exclusive]
    if alone and (not others or random.random() < 0.2):
        return [random.choice(alone)]
    return random.sample(others, random.randint(1, min(3, len(others))))
