"""Load the site as in production with mixed traffic, optionally stopping the database mid-run.

    .venv/bin/python tests/bench/load.py [--users 50] [--seconds 60] [--outage] [--url URL]

By default it starts gunicorn itself (portal/gunicorn.conf.py, DEBUG off) on a fresh PostgreSQL
database created for the run (`load_<random>`, dropped afterwards), or on a SQLite file when no
PostgreSQL server answers. `--url` targets a server that is already running instead.

Every simulated user keeps its own cookies and loops over: the home page, a section page, a whole
wizard walk with plain forms (random valid answers, until the result page), a message composer
(GET, then POST with a name and a lender, checking the finished SMS) and two searches (a Chinese
and an English word). Every response is counted; a 2xx/3xx that was expected is a success, any
other answer is an error, recorded with its status and whether the body was the site's friendly
page or a traceback. The figures: requests, requests/second, p50/p95/p99 latency overall and per
kind, errors by kind.

`--outage` stops the local PostgreSQL cluster (Debian's pg_ctlcluster, as root) 20 s into the
run and starts it again 10 s later, polling /readyz and /healthz every second. It then expects
every failure to be the friendly 503 page, /readyz to say 503 during and 200 after, the site to
recover by itself within 15 s, and the content to be intact. The cluster is started again
whatever happens: in a `finally`, and by a small watchdog process that outlives this one.

Exit status 0 only when every expectation held. Not a pytest test: it measures and judges a run.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import gzip
import html
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make `tests` importable

from tests.servers import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    PY,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    gunicorn_command,
    manage,
    postgres_available,
    production_env,
)

ADMIN_URL = os.environ.get("LOAD_POSTGRES_URL", POSTGRES_ADMIN_URL)
SERVER_LOG = ROOT / "var" / "load-server.log"

LANGUAGES = ("zh-hans", "zh-hant", "en")
ZH_WORDS = ("征信", "协商", "催收", "起诉", "隐私", "分期")
EN_WORDS = ("credit", "collector", "complaint", "repayment", "court", "privacy")
NAMES = ("王女士", "李先生", "张女士", "Wang", "Ms Li")
LENDERS = ("花呗", "借呗", "Huabei", "Jiebei", "支付宝")
KINDS = (
    "home",
    "section",
    "wizard-intro",
    "wizard-start",
    "wizard-question",
    "wizard-answer",
    "wizard-result",
    "composer-get",
    "composer-post",
    "search-zh",
    "search-en",
)
REQUEST_TIMEOUT = 30.0
CLIENT_ERRORS = (
    OSError,
    TimeoutError,
    EOFError,
    ValueError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
)
RECOVERY_LIMIT = 15.0

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHOICE = re.compile(r'<input type="(radio|checkbox)" name="choice" value="([^"]+)"[^>]*>')
SMS = re.compile(r'<textarea id="sms-text"[^>]*>(.*?)</textarea>', re.S)
COMPOSER_FORM = re.compile(r'<form method="post" action="" class="composer".*?</form>', re.S)
FIELD_NAME = re.compile(r'name="(\w+)"')


# --- A small HTTP/1.1 client: one connection per request, as gunicorn's sync workers want ---


@dataclass
class Target:
    host: str
    port: int

    @classmethod
    def from_url(cls, url: str) -> Target:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http":
            raise SystemExit("--url must be a plain http:// address (put TLS in front yourself)")
        return cls(parts.hostname or "127.0.0.1", parts.port or 80)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def host_header(self) -> str:
        return self.host if self.port == 80 else f"{self.host}:{self.port}"


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), "")

    def all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    @property
    def location(self) -> str:
        """The redirect's target as a path (with query), whether it came absolute or not."""
        parts = urllib.parse.urlsplit(self.header("location"))
        return parts.path + (f"?{parts.query}" if parts.query else "")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, list, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip().lower(), value.strip()))
    values = dict(headers)
    if "chunked" in values.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are expected
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        return status, headers, bytes(body)
    if "content-length" in values:
        return status, headers, await reader.readexactly(int(values["content-length"]))
    if status in (204, 304) or 100 <= status < 200:
        return status, headers, b""
    return status, headers, await reader.read()


async def fetch(
    target: Target,
    method: str,
    path: str,
    *,
    form: list[tuple[str, str]] | None = None,
    cookies: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> Response:
    body = urllib.parse.urlencode(form).encode() if form is not None else b""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {target.host_header}",
        "User-Agent: portal-load/1",
        "Accept: text/html,application/xhtml+xml,*/*;q=0.8",
        "Accept-Encoding: gzip",
        "Accept-Language: zh-CN,zh;q=0.9,en;q=0.5",
        "Connection: close",
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if form is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def exchange():
        reader, writer = await asyncio.open_connection(target.host, target.port)
        try:
            writer.write(raw)
            await writer.drain()
            return await _read_response(reader)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    status, headers, data = await asyncio.wait_for(exchange(), timeout)
    if any(k == "content-encoding" and "gzip" in v for k, v in headers):
        data = gzip.decompress(data)
    return Response(status, headers, data.decode("utf-8", "replace"))


def classify(response: Response) -> str:
    """What an unexpected answer looked like."""
    if 200 <= response.status < 400:
        return f"unexpected {response.status}"
    if "Traceback" in response.body:
        return "traceback"
    if response.status == 503 and "<h1>" in response.body:
        return "friendly 503"
    if "<h1>" in response.body:
        return f"site's {response.status} page"
    return f"other {response.status}"


# --- What happened ---


@dataclass
class Sample:
    kind: str
    start: float
    end: float
    status: int
    ok: bool
    category: str = ""  # for errors: "friendly 503", "traceback", "connection", "check", …
    note: str = ""

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


@dataclass
class Poll:
    endpoint: str
    start: float
    end: float
    status: int
    database: bool | None


@dataclass
class Outage:
    stop_issued: float = math.nan
    stopped: float = math.nan
    start_issued: float = math.nan
    up: float = math.nan  # the cluster accepts connections again
    stop_output: str = ""
    start_output: str = ""


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


class Abort(Exception):
    """The current walk through the site cannot go on (the failure is already recorded)."""


class Finished(Exception):
    """The run's time is up."""


# --- A reader ---


@dataclass
class Site:
    sections: list[str]
    messages: list[str]


class User:
    def __init__(self, number: int, target: Target, site: Site, clock, deadline: float, samples):
        self.rng = random.Random(number * 7919 + os.getpid())
        self.target, self.site, self.clock, self.deadline = target, site, clock, deadline
        self.samples: list[Sample] = samples
        self.cookies: dict[str, str] = {}

    def keep_cookies(self, response: Response) -> None:
        for value in response.all("set-cookie"):
            pair, _, attributes = value.partition(";")
            name, _, content = pair.strip().partition("=")
            gone = "max-age=0" in attributes.lower().replace(" ", "") or content in ("", '""')
            if gone:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = content

    async def request(self, kind, method, path, *, form=None, expect=200, check=None) -> Response:
        if self.clock() >= self.deadline:
            raise Finished
        start = self.clock()
        try:
            response = await fetch(self.target, method, path, form=form, cookies=self.cookies)
        except CLIENT_ERRORS as error:
            self.samples.append(
                Sample(kind, start, self.clock(), 0, False, "connection", type(error).__name__)
            )
            raise Abort from None
        end = self.clock()
        self.keep_cookies(response)
        if response.status != expect:
            category = classify(response)
            note = response.location if 300 <= response.status < 400 else ""
            if category == "friendly 503" and not response.header("retry-after"):
                note = "no Retry-After"
            self.samples.append(Sample(kind, start, end, response.status, False, category, note))
            raise Abort
        problem = check(response) if check else None
        if problem:
            self.samples.append(Sample(kind, start, end, response.status, False, "check", problem))
            raise Abort
        self.samples.append(Sample(kind, start, end, response.status, True))
        return response

    async def run(self) -> None:
        await asyncio.sleep(self.rng.random())  # users arrive over the first second
        while self.clock() < self.deadline:
            try:
                await self.visit()
            except Abort:
                # A reader who met an error page comes back a moment later.
                await asyncio.sleep(0.5 + self.rng.random())
            except Finished:
                return

    async def visit(self) -> None:
        language = self.rng.choice(LANGUAGES)
        await self.request("home", "GET", f"/{language}/", check=page)
        section = self.rng.choice(self.site.sections)
        await self.request("section", "GET", f"/{language}/guide/{section}/", check=page)
        await self.wizard(language)
        await self.composer(language)
        for kind, words in (("search-zh", ZH_WORDS), ("search-en", EN_WORDS)):
            word = self.rng.choice(words)
            query = urllib.parse.urlencode({"q": word})
            await self.request(
                kind, "GET", f"/{language}/search/?{query}", check=search_result(word)
            )

    async def wizard(self, language: str) -> None:
        intro = await self.request("wizard-intro", "GET", f"/{language}/wizard/", check=has_token)
        token = CSRF.search(intro.body).group(1)
        step = await self.request(
            "wizard-start",
            "POST",
            f"/{language}/wizard/start/",
            form=[("csrfmiddlewaretoken", token)],
            expect=302,
            check=goes_to_step,
        )
        location, steps = step.location, 0
        while "/wizard/result/" not in location:
            steps += 1
            if steps > 40:
                now = self.clock()
                self.samples.append(Sample("wizard-result", now, now, 0, False, "check", "no end"))
                raise Abort
            question = await self.request("wizard-question", "GET", location, check=has_choices)
            form = [("csrfmiddlewaretoken", CSRF.search(question.body).group(1))]
            form += [("choice", c) for c in self.pick(question.body)]
            step = await self.request(
                "wizard-answer", "POST", location, form=form, expect=302, check=goes_to_step
            )
            location = step.location
        await self.request("wizard-result", "GET", location, check=has_paths)

    def pick(self, body: str) -> list[str]:
        inputs = [
            (m.group(1), m.group(2), "data-exclusive" in m.group(0)) for m in CHOICE.finditer(body)
        ]
        if inputs[0][0] == "radio":
            return [self.rng.choice(inputs)[1]]
        exclusive = [key for _, key, alone in inputs if alone]
        others = [key for _, key, alone in inputs if not alone]
        if exclusive and (not others or self.rng.random() < 0.2):
            return [self.rng.choice(exclusive)]
        return self.rng.sample(others, self.rng.randint(1, min(3, len(others))))

    async def composer(self, language: str) -> None:
        path = f"/{language}/messages/{self.rng.choice(self.site.messages)}/"
        blank = await self.request("composer-get", "GET", path, check=has_composer)
        offered = set(FIELD_NAME.findall(COMPOSER_FORM.search(blank.body).group(0)))
        name, lender = self.rng.choice(NAMES), self.rng.choice(LENDERS)
        form = [
            ("csrfmiddlewaretoken", CSRF.search(blank.body).group(1)),
            ("name", name),
            ("lender", lender),
        ]
        if "amount" in offered and self.rng.random() < 0.5:
            form.append(("amount", str(self.rng.randint(500, 50000))))
        if "reply_days" in offered and self.rng.random() < 0.5:
            form.append(("reply_days", str(self.rng.choice((7, 14, 30)))))
        await self.request("composer-post", "POST", path, form=form, check=sms_with(name, lender))


# Checks on a successful answer: None when it is right, else what is wrong.


def page(response: Response) -> str | None:
    return None if "<h1>" in response.body else "no <h1>"


def has_token(response: Response) -> str | None:
    return None if CSRF.search(response.body) else "no CSRF token"


def has_choices(response: Response) -> str | None:
    if not CSRF.search(response.body):
        return "no CSRF token"
    return None if CHOICE.search(response.body) else "no choices"


def goes_to_step(response: Response) -> str | None:
    location = response.location
    if "/wizard/q/" in location or "/wizard/result/" in location:
        return None
    return f"redirected to {location}"


def has_paths(response: Response) -> str | None:
    return None if 'data-path="' in response.body else "result without data-path"


def has_composer(response: Response) -> str | None:
    if not CSRF.search(response.body):
        return "no CSRF token"
    return None if COMPOSER_FORM.search(response.body) else "no composer form"


def sms_with(name: str, lender: str):
    def check(response: Response) -> str | None:
        match = SMS.search(response.body)
        if not match:
            return "no finished SMS"
        sms = html.unescape(match.group(1))
        return None if name in sms and lender in sms else "SMS without the name or lender"

    return check


def search_result(word: str):
    def check(response: Response) -> str | None:
        if 'role="status"' not in response.body or html.escape(word) not in response.body:
            return "no search result"
        return None

    return check


# --- The site's content, to check that nothing was lost ---


async def discover(target: Target) -> tuple[Site, dict]:
    guide = await fetch(target, "GET", "/en/guide/")
    messages = await fetch(target, "GET", "/en/messages/")
    wizard = await fetch(target, "GET", "/en/wizard/")
    for name, response in (("guide", guide), ("messages", messages), ("wizard", wizard)):
        if response.status != 200:
            raise RuntimeError(f"/en/{name}/ answered {response.status}")
    sections = sorted(set(re.findall(r'href="/en/guide/([\w-]+)/"', guide.body)))
    slugs = sorted(set(re.findall(r'href="/en/messages/([\w-]+)/"', messages.body)))
    most = re.search(r"(\d+)", re.sub(r"<[^>]+>", " ", wizard.body.split('class="lead"', 1)[1]))
    snapshot = {
        "sections on /en/guide/": len(sections),
        "topics on /en/guide/": len(re.findall(r'href="/en/guide/[\w-]+/#', guide.body)),
        "templates on /en/messages/": len(slugs),
        "most wizard questions": int(most.group(1)) if most else -1,
    }
    if not sections or not slugs:
        raise RuntimeError("no sections or message templates found: is the content loaded?")
    return Site(sections, slugs), snapshot


def table_counts(database_url: str | None) -> dict[str, int]:
    if not database_url or not database_url.startswith("postgres"):
        return {}
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


async def final_walk(target: Target, site: Site) -> list[str]:
    """A fresh reader walks the wizard and composes a message; returns the problems met."""
    samples: list[Sample] = []
    user = User(10_000, target, site, time.monotonic, math.inf, samples)
    try:
        await user.wizard("en")
        await user.composer("zh-hans")
    except Abort:
        pass
    return [f"{s.kind}: {s.status} {s.category} {s.note}".strip() for s in samples if not s.ok]


# --- The local PostgreSQL cluster ---

WATCHDOG = """
import subprocess, sys, time
version, host, port = sys.argv[1:4]
sys.stdin.read()  # returns when the load script has exited, however it exited
for _ in range(10):
    ready = ["pg_isready", "-q", "-h", host, "-p", port, "-t", "3"]
    if subprocess.run(ready).returncode == 0:
        break
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"])
    time.sleep(2)
"""


class Cluster:
    """Debian's PostgreSQL cluster "main", stopped and started with pg_ctlcluster."""

    def __init__(self, admin_url: str):
        versions = sorted(
            (p.name for p in Path("/etc/postgresql").iterdir() if (p / "main").is_dir()),
            key=lambda v: [int(x) for x in re.findall(r"\d+", v)],
        )
        if not versions:
            raise SystemExit("no Debian PostgreSQL cluster under /etc/postgresql")
        self.version = versions[-1]
        parts = urllib.parse.urlsplit(admin_url)
        self.host, self.port = parts.hostname or "127.0.0.1", str(parts.port or 5432)
        self.admin_url = admin_url
        self.lock = threading.RLock()
        self.touched = False
        self.watchdog: subprocess.Popen | None = None

    def ctl(self, action: str, *extra: str) -> str:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", action]
        try:
            done = subprocess.run(
                [*command, *extra], capture_output=True, text=True, timeout=120, check=False
            )
        except subprocess.TimeoutExpired:
            return f"{action}: timed out"
        return f"{action}: exit {done.returncode} {(done.stdout + done.stderr).strip()}".strip()

    def ready(self) -> bool:
        isready = ["pg_isready", "-q", "-h", self.host, "-p", self.port, "-t", "2"]
        if subprocess.run(isready, check=False).returncode != 0:
            return False
        try:
            import psycopg

            psycopg.connect(self.admin_url, connect_timeout=3).close()
            return True
        except Exception:  # noqa: BLE001
            return False

    def start_watchdog(self) -> None:
        """A process that starts the cluster again if this one dies without doing so."""
        self.watchdog = subprocess.Popen(
            [PY, "-c", WATCHDOG, self.version, self.host, self.port],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal must not reach it
        )

    def release_watchdog(self) -> None:
        if self.watchdog and self.watchdog.stdin:
            self.watchdog.stdin.close()  # it checks the cluster once more and exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.watchdog.wait(timeout=30)

    def stop(self) -> str:
        with self.lock:
            self.touched = True
            return self.ctl("stop", "-m", "fast")

    def start(self) -> str:
        with self.lock:
            output = self.ctl("start")
            for _ in range(300):
                if self.ready():
                    break
                time.sleep(0.1)
            return output

    def ensure_running(self) -> bool:
        """Start the cluster if it is not running; waits for a stop or start in progress."""
        with self.lock:
            for _ in range(5):
                if self.ready():
                    return True
                print(f"PostgreSQL is down; starting it: {self.ctl('start')}", flush=True)
                for _ in range(100):
                    if self.ready():
                        return True
                    time.sleep(0.2)
            print(
                "\n!!! PostgreSQL did not come back. Start it by hand:\n"
                f"    pg_ctlcluster --skip-systemctl-redirect {self.version} main start\n",
                file=sys.stderr,
                flush=True,
            )
            return False


async def take_down(cluster: Cluster, outage: Outage, clock, at: float, duration: float) -> None:
    await asyncio.sleep(max(0.0, at - clock()))
    outage.stop_issued = clock()
    outage.stop_output = await asyncio.to_thread(cluster.stop)
    outage.stopped = clock()
    await asyncio.sleep(max(0.0, outage.stop_issued + duration - clock()))
    outage.start_issued = clock()
    starting = asyncio.create_task(asyncio.to_thread(cluster.start))
    # When the database answers again, seen from outside (pg_ctlcluster returns a bit later).
    while not await asyncio.to_thread(cluster.ready):
        if starting.done() and not await asyncio.to_thread(cluster.ready):
            break  # started but not answering: the run is judged a failure (no `up` time)
        await asyncio.sleep(0.05)
    else:
        outage.up = clock()
    outage.start_output = await starting


# --- The server ---


class Server:
    def __init__(self, database_url: str, workers: int | None):
        self.database_url, self.workers = database_url, workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> Target:
        SERVER_LOG.parent.mkdir(exist_ok=True)
        self.log = open(SERVER_LOG, "w")  # noqa: SIM115 (closed in stop())
        env = production_env(self.database_url)
        if self.workers:
            env["WEB_CONCURRENCY"] = str(self.workers)
        self.process = subprocess.Popen(
            gunicorn_command(self.port),
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        target = Target("127.0.0.1", self.port)
        for _ in range(300):
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {SERVER_LOG}")
            try:
                if asyncio.run(fetch(target, "GET", "/healthz", timeout=2)).status == 200:
                    return target
            except CLIENT_ERRORS:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()


def log_summary() -> dict[str, int]:
    counts: Counter = Counter()
    if not SERVER_LOG.exists():
        return counts
    for line in SERVER_LOG.read_text(errors="replace").splitlines():
        if "Traceback" in line:
            counts["lines with a traceback"] += 1
        if '"database unavailable' in line:
            counts["'database unavailable'"] += 1
        elif '"message": "Service Unavailable: ' in line:
            counts["django.request 'Service Unavailable'"] += 1
        elif '"message": "Internal Server Error: ' in line:
            counts["django.request 'Internal Server Error'"] += 1
        elif '"level": "ERROR"' in line or "[ERROR]" in line:
            counts["other ERROR lines"] += 1
        if "WORKER TIMEOUT" in line:
            counts["worker timeouts"] += 1
    return counts


# --- The run ---


async def poll_health(target: Target, clock, polls: list[Poll], until: asyncio.Event) -> None:
    async def one(endpoint: str) -> None:
        start = clock()
        try:
            response = await fetch(target, "GET", f"/{endpoint}", timeout=5)
            status = response.status
            database = '"database": true' in response.body or (
                None if '"database"' not in response.body else False
            )
        except CLIENT_ERRORS:
            status, database = 0, None
        polls.append(Poll(endpoint, start, clock(), status, database))

    while not until.is_set():
        tick = clock()
        await asyncio.gather(one("readyz"), one("healthz"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until.wait(), max(0.0, tick + 1.0 - clock()))


async def run_load(target, site, args, cluster: Cluster | None):
    started = time.monotonic()

    def clock() -> float:
        return time.monotonic() - started

    samples: list[Sample] = []
    polls: list[Poll] = []
    outage = Outage()
    done = asyncio.Event()
    poller = asyncio.create_task(poll_health(target, clock, polls, done))
    breaker = (
        asyncio.create_task(take_down(cluster, outage, clock, args.outage_at, args.outage_for))
        if cluster
        else None
    )
    cpu = time.process_time()
    users = [User(n, target, site, clock, args.seconds, samples) for n in range(args.users)]
    await asyncio.gather(*(user.run() for user in users))
    elapsed = clock()
    cpu = time.process_time() - cpu
    if breaker:
        await breaker  # the cluster must be back before the run is judged
    # A few more seconds of polling after the run, so "ready after" is seen even in short runs.
    await asyncio.sleep(2)
    done.set()
    await poller
    return samples, polls, outage, elapsed, cpu


def latency_line(label: str, samples: list[Sample], elapsed: float) -> str:
    values = sorted(s.ms for s in samples)
    errors = sum(not s.ok for s in samples)
    return (
        f"  {label:<16} {len(samples):>7} {len(samples) / elapsed:>8.1f} "
        f"{percentile(values, 50):>8.1f} {percentile(values, 95):>8.1f} "
        f"{percentile(values, 99):>8.1f} {errors:>7}"
    )


def report_traffic(samples: list[Sample], elapsed: float, title: str) -> None:
    print(f"\n{title}")
    print(
        f"  {'kind':<16} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7}"
    )
    print(latency_line("all", samples, elapsed))
    by_kind = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    for kind in KINDS:
        if by_kind[kind]:
            print(latency_line(kind, by_kind[kind], elapsed))
    ok = [s for s in samples if s.ok]
    print(
        f"  successful only: {len(ok)} requests, {len(ok) / elapsed:.1f}/s, p50/p95/p99 "
        + "/".join(f"{percentile(sorted(s.ms for s in ok), p):.1f}" for p in (50, 95, 99))
        + " ms"
    )


def report_errors(samples: list[Sample], title: str = "Errors") -> None:
    errors = Counter((s.kind, s.status, s.category, s.note) for s in samples if not s.ok)
    if not errors:
        print(f"\n{title}: none")
        return
    print(f"\n{title}: {sum(errors.values())}")
    for (kind, status, category, note), count in sorted(errors.items(), key=lambda i: -i[1]):
        print(
            f"  {count:>6}  {kind:<16} {status or '-':>4}  {category}{f' ({note})' if note else ''}"
        )


def summarise_polls(polls: list[Poll]) -> str:
    if not polls:
        return "none"
    runs = []
    for p in sorted(polls, key=lambda p: p.start):
        label = f"{p.status}" + ("" if p.database is None else f" db={str(p.database).lower()}")
        if runs and runs[-1][0] == label:
            runs[-1][1] += 1
        else:
            runs.append([label, 1, p.start])
    return ", ".join(f"{label}×{n} (from {t:.0f} s)" for label, n, t in runs)


def judge_outage(samples, polls, outage: Outage) -> list[str]:
    """Report the outage and return what went wrong."""
    problems = []
    if math.isnan(outage.up):
        return ["the outage did not complete (run too short?)"]
    window_end = outage.up + RECOVERY_LIMIT
    print(
        f"\nOutage: stop issued at {outage.stop_issued:.1f} s, cluster down at "
        f"{outage.stopped:.1f} s; start issued at {outage.start_issued:.1f} s, accepting "
        f"connections at {outage.up:.1f} s"
    )
    print(f"  {outage.stop_output}\n  {outage.start_output}")
    during = [s for s in samples if s.end >= outage.stop_issued and s.start <= outage.up]
    failed = [s for s in during if not s.ok]
    friendly = [s for s in failed if s.category == "friendly 503"]
    share = len(friendly) / len(failed) if failed else 1.0
    print(
        f"  responses while the database was down: {len(during)}; "
        f"successes {len(during) - len(failed)}, "
        f"failures {len(failed)}, of which friendly 503 {len(friendly)} ({share:.1%}), "
        f"tracebacks {sum(s.category == 'traceback' for s in failed)}, "
        f"other {len(failed) - len(friendly) - sum(s.category == 'traceback' for s in failed)}"
    )
    if friendly:
        without = sum(s.note == "no Retry-After" for s in friendly)
        print(f"  friendly 503 pages without Retry-After: {without}")
    every_failure = [s for s in samples if not s.ok]
    if every_failure:
        print(
            f"  failures seen from {min(s.end for s in every_failure):.2f} s "
            f"to {max(s.end for s in every_failure):.2f} s"
        )
    outside = [
        s
        for s in samples
        if not s.ok and not (outage.stop_issued <= s.end and s.start <= window_end)
    ]
    inside_bad = [
        s
        for s in samples
        if not s.ok
        and outage.stop_issued <= s.end
        and s.start <= window_end
        and s.category != "friendly 503"
    ]
    if inside_bad:
        kinds = Counter(f"{s.kind} {s.status} {s.category} {s.note}".strip() for s in inside_bad)
        problems.append(
            f"{len(inside_bad)} failures around the outage were not the friendly 503: {dict(kinds)}"
        )
    if outside:
        kinds = Counter(f"{s.kind} {s.status} {s.category} {s.note}".strip() for s in outside)
        problems.append(f"{len(outside)} failures outside the outage window: {dict(kinds)}")

    after = sorted((s for s in samples if s.ok and s.start >= outage.up), key=lambda s: s.end)
    late_failures = [s for s in samples if not s.ok and s.start >= outage.up]
    if after:
        recovery = after[0].end - outage.up
        print(
            f"  first successful page {recovery:.2f} s after the database returned "
            f"({after[0].kind})"
        )
        if recovery > RECOVERY_LIMIT:
            problems.append(f"first success only {recovery:.1f} s after the database returned")
    else:
        problems.append("no successful page after the database returned")
    if late_failures:
        last = max(s.end for s in late_failures) - outage.up
        print(
            f"  {len(late_failures)} failures started after the database returned; the last "
            f"ended {last:.2f} s after it"
        )
        if last > RECOVERY_LIMIT:
            problems.append(f"still failing {last:.1f} s after the database returned")
    else:
        print("  no failure started after the database returned")

    readyz = [p for p in polls if p.endpoint == "readyz"]
    healthz = [p for p in polls if p.endpoint == "healthz"]
    print(f"  /readyz: {summarise_polls(readyz)}")
    print(f"  /healthz: {summarise_polls(healthz)}")
    before = [p for p in readyz if p.end < outage.stop_issued]
    down = [p for p in readyz if p.start >= outage.stopped and p.end <= outage.start_issued]
    back = [p for p in readyz if p.start >= outage.up]
    if any(p.status != 200 for p in before):
        problems.append("/readyz was not 200 before the outage")
    if not down or any(p.status != 503 for p in down):
        problems.append(f"/readyz during the outage: {Counter(p.status for p in down)} (want 503)")
    first_ready = next((p for p in back if p.status == 200), None)
    if first_ready is None:
        problems.append("/readyz never said 200 after the database returned")
    else:
        print(
            f"  /readyz 200 again {first_ready.end - outage.up:.2f} s after the database returned"
        )
        if first_ready.end - outage.up > RECOVERY_LIMIT:
            problems.append("/readyz took longer than 15 s to say 200 again")
    if any(p.status != 200 for p in back if p.start >= outage.up + RECOVERY_LIMIT):
        problems.append("/readyz went back to not ready after recovering")
    if any(p.status != 200 for p in healthz):
        print(f"  note: /healthz answered {Counter(p.status for p in healthz)}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--outage", action="store_true", help="stop PostgreSQL mid-run")
    parser.add_argument("--outage-at", type=float, default=20, help="seconds into the run")
    parser.add_argument("--outage-for", type=float, default=10, help="seconds without database")
    parser.add_argument("--url", help="an already running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: its config)")
    args = parser.parse_args()
    if args.outage and args.seconds < args.outage_at + args.outage_for + 5:
        parser.error("--seconds must leave time after the outage (outage-at + outage-for + 5)")

    def interrupted(signum, frame):
        # Handled like Ctrl-C: asyncio cancels the run cleanly, then the `finally` below runs.
        signal.raise_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)

    database_url, drop_name, tmp_dir, server, cluster = None, None, None, None, None
    label = ""
    if args.url:
        target = Target.from_url(args.url)
        label = f"the server at {target.base}"
    elif postgres_available(ADMIN_URL):
        database_url, drop_name = create_postgres_database("load", ADMIN_URL)
        label = f"gunicorn on PostgreSQL (database {drop_name})"
    else:
        if args.outage:
            print(
                "PostgreSQL is not reachable at",
                ADMIN_URL,
                "- falling back to SQLite, where a "
                "database outage cannot be staged: --outage is not possible.",
            )
            return 2
        tmp_dir = tempfile.mkdtemp(prefix="load-")
        database_url = f"sqlite:///{tmp_dir}/db.sqlite3"
        label = "gunicorn on SQLite (PostgreSQL not reachable)"
    if args.outage:
        if os.geteuid() != 0 or not shutil.which("pg_ctlcluster"):
            print("--outage needs root and Debian's pg_ctlcluster")
            return 2
        cluster = Cluster(ADMIN_URL)
        if args.url:
            print(f"note: --outage stops the local cluster; {args.url} must be using it")

    problems: list[str] = []
    try:
        if cluster:
            cluster.start_watchdog()
            atexit.register(cluster.ensure_running)
        if database_url:
            print(f"Preparing the database ({label}) …", flush=True)
            if not (ROOT / "var" / "static" / "staticfiles.json").exists():
                manage(database_url, "collectstatic", "--noinput", "-v0")
            manage(database_url, "migrate", "--noinput", "-v0")
            manage(database_url, "load_content")
            server = Server(database_url, args.workers)
            target = server.start()
        site, before = asyncio.run(discover(target))
        tables_before = table_counts(database_url)
        workers = args.workers or os.environ.get("WEB_CONCURRENCY") or os.cpu_count() * 2 + 1
        print(
            f"Load: {args.users} users for {args.seconds:.0f} s against {label}"
            + (f", {workers} sync workers" if server else "")
            + f", {os.cpu_count()} CPUs"
            + (
                f"; database stopped {args.outage_at:.0f} s in for {args.outage_for:.0f} s"
                if args.outage
                else ""
            )
            + f"; {len(site.sections)} sections, {len(site.messages)} message templates",
            flush=True,
        )
        samples, polls, outage, elapsed, cpu = asyncio.run(run_load(target, site, args, cluster))

        print(f"\nRan {elapsed:.1f} s; the load client used {cpu / elapsed:.0%} of one CPU")
        report_traffic(samples, elapsed, "Traffic (every response)")
        if args.outage:
            clean = [s for s in samples if s.end < outage.stop_issued]
            if clean:
                report_traffic(clean, outage.stop_issued, "Before the outage")
            if not math.isnan(outage.up) and elapsed > outage.up:
                later = [s for s in samples if s.start >= outage.up]
                report_traffic(later, elapsed - outage.up, "After the database returned")
            report_errors(samples, "Failures (all of the run)")
            problems += judge_outage(samples, polls, outage)
        else:
            report_errors(samples)
            failures = sum(not s.ok for s in samples)
            if failures:
                problems.append(f"{failures} errors in a normal run")
            readyz = Counter(p.status for p in polls if p.endpoint == "readyz")
            print(f"  /readyz during the run: {dict(readyz)}")
            if set(readyz) - {200}:
                problems.append(f"/readyz was not always 200: {dict(readyz)}")
        if not samples:
            problems.append("no requests were made")

        # Nothing lost: the same content, the same rows, and a reader can still use the site.
        _, after = asyncio.run(discover(target))
        tables_after = table_counts(database_url)
        walk = asyncio.run(final_walk(target, site))
        print("\nContent after the run:")
        for key, value in before.items():
            print(f"  {key}: {value} before, {after[key]} after")
            if after[key] != value:
                problems.append(f"{key}: {value} before, {after[key]} after")
        if tables_before:
            changed = {
                t: (n, tables_after.get(t))
                for t, n in tables_before.items()
                if tables_after.get(t) != n
            }
            rows = sum(tables_before.values())
            print(
                f"  database: {len(tables_before)} tables, {rows} rows before; "
                + (f"changed: {changed}" if changed else "identical after")
            )
            if changed:
                problems.append(f"tables changed: {changed}")
        print("  a fresh wizard walk and composer: " + ("; ".join(walk) if walk else "OK"))
        if walk:
            problems.append(f"final walk failed: {walk}")
        if server:
            summary = ", ".join(f"{k}: {v}" for k, v in log_summary().items())
            print(f"\nServer log ({SERVER_LOG.relative_to(ROOT)}): {summary or 'quiet'}")
    except KeyboardInterrupt:
        problems.append("interrupted")
        print("\nInterrupted.", flush=True)
    finally:
        # The database first: the rest of the machine depends on it.
        if cluster:
            running = cluster.ensure_running()
            print(
                f"\nPostgreSQL {cluster.version}/main running again: {'yes' if running else 'NO'}"
            )
            if not running:
                problems.append("PostgreSQL is not running")
            cluster.release_watchdog()
        if server:
            server.stop()
        if drop_name:
            try:
                drop_postgres_database(drop_name, ADMIN_URL)
            except Exception as error:  # noqa: BLE001
                print(f"could not drop database {drop_name}: {error}")
        if tmp_dir:
            shutil.rmtree(tmp_dir, ignore_errors=True)

    if problems:
        print("\nFAIL")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nPASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
