"""`make bench`: throughput, latency, page weight and SQL statements, as in production, and
the floors they must stay above (issue 15).

Starts gunicorn (portal/gunicorn.conf.py, DEBUG off) on a fresh database — SQLite, and
PostgreSQL when a server answers — and drives it with wrk at 16 connections. Every page's
throughput is given as a ratio to a static file served by the same gunicorn (the ceiling), so
the figures mean the same on a faster machine. Exits 1 when a floor fails.
"""

from __future__ import annotations

import gzip
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: make `tests` importable

from tests.servers import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    gunicorn,
    manage,
    postgres_available,
    prepare,
    temporary_postgres_database,
    temporary_sqlite_database,
)

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", POSTGRES_ADMIN_URL)
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
# A shared 2-CPU machine's throughput drifts by ±10% from one minute to the next, more than
# the differences measured. So each page is measured in rounds, each right after the static
# file, and the ratio reported is the median of the rounds' ratios.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
GROWTH = os.environ.get("BENCH_GROWTH", "1") != "0"
CONNECTIONS = 16
OUT = ROOT / "var" / "bench-results.md"

# A page's throughput as a share of the static file's is at least its floor; SQL statements
# per page and a first visit's weight and requests are at most theirs.
RATIO_FLOORS = {
    "section page (cached)": 0.8,
    "wizard question (GET)": 0.3,
    "wizard answer (POST)": 0.25,
    "wizard answer (POST, htmx)": 0.25,
}
MOST_STATEMENTS_PER_PAGE = 1.0
MOST_FIRST_VISIT_KB = 60
MOST_FIRST_VISIT_REQUESTS = 6


@dataclass
class Floor:
    what: str
    measured: float
    bound: float
    at_least: bool  # the measured figure must be >= bound (else <=)
    unit: str = ""

    @property
    def holds(self) -> bool:
        return self.measured >= self.bound if self.at_least else self.measured <= self.bound

    def line(self) -> str:
        sign = "≥" if self.at_least else "≤"
        verdict = "PASS" if self.holds else "FAIL"
        digits = 1 if self.unit else 3  # kilobytes, or a ratio close to its floor
        figure = (
            f"{self.measured:.{digits}f}" if isinstance(self.measured, float) else self.measured
        )
        return f"{verdict}  {self.what}: {figure}{self.unit} (floor {sign} {self.bound}{self.unit})"


def wrk(url: str, script: str | None = None, seconds: int = SECONDS) -> dict:
    command = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency"]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

    def latency(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(\w+)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    return {
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def warm(url: str, script: str | None = None) -> None:
    """Unmeasured load until every worker has built what it keeps (the wizard's tree, the
    search index): until a run answers and no request waits past wrk's 2 s timeout, and then
    one run more. A worker still building answers nothing, so wrk may count no timeout."""
    for _ in range(10):
        run = wrk(url, script, seconds=3)
        if run["rps"] and not run["timeouts"]:
            wrk(url, script, seconds=3)
            return


def sql_counters(base: str) -> tuple[int, int]:
    """Requests served and SQL statements run so far, over every worker (bench/counting.py)."""
    counts = json.load(urllib.request.urlopen(f"{base}/bench/sql"))
    return counts["requests"], counts["statements"]


def against_static(base: str, static: str, url: str, script: str | None) -> dict:
    """`url` in ROUNDS rounds, each right after the static file: the medians, and the SQL
    statements per request over the page's rounds."""
    warm(url, script)
    rounds, requests, statements = [], 0, 0
    for _ in range(ROUNDS):
        ceiling = wrk(static)["rps"]
        before = sql_counters(base)
        page = wrk(url, script)
        after = sql_counters(base)
        requests += after[0] - before[0]
        statements += after[1] - before[1]
        rounds.append({**page, "ratio": page["rps"] / ceiling})
    result = {key: statistics.median(r[key] for r in rounds) for key in ("rps", "p50", "p99")}
    result["ratio"] = statistics.median(r["ratio"] for r in rounds)
    result["ratios"] = [r["ratio"] for r in rounds]
    result["errors"] = sum(r["errors"] + r["timeouts"] for r in rounds)
    result["statements"] = statements / max(requests, 1)
    return result


class Scripts:
    """wrk scripts for a reader who already has the site's cookies: a question fetched, and
    the first answer posted with its CSRF token, as a plain form and as htmx sends it."""

    def __init__(self, base: str):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        intro = opener.open(f"{base}/en/wizard/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', intro).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
        started = opener.open(f"{base}/en/wizard/start/", data=form)  # follows the redirect
        self.question_url = started.geturl()
        page = started.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        choice = re.search(r'name="choice" value="([\w-]+)"', page).group(1)
        cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
        headers = f'wrk.headers["Cookie"] = "{cookies}"\n'
        post = (
            headers + 'wrk.method = "POST"\n'
            f'wrk.body = "csrfmiddlewaretoken={token}&choice={choice}"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        )
        self.directory = Path(tempfile.mkdtemp(prefix="bench-wrk-"))
        self.with_cookies = self._write("cookies.lua", headers)
        self.answer = self._write("answer.lua", post)
        self.answer_htmx = self._write("htmx.lua", post + 'wrk.headers["HX-Request"] = "true"\n')

    def _write(self, name: str, text: str) -> str:
        path = self.directory / name
        path.write_text(text)
        return str(path)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def static_url(base: str) -> str:
    html = urllib.request.urlopen(f"{base}/en/").read().decode()
    return base + re.search(r'href="(/static/css/site[^"]+\.css)"', html).group(1)


def first_visit(base: str, path: str) -> tuple[int, int]:
    """Bytes transferred (gzip) and requests for a first visit to `path`, its assets included."""

    def fetch(url):
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            return response.read(), response.headers.get("Content-Encoding")

    body, encoding = fetch(base + path)
    html = gzip.decompress(body).decode() if encoding == "gzip" else body.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    return len(body) + sum(len(fetch(base + asset)[0]) for asset in assets), 1 + len(assets)


def measure(database_url: str, label: str) -> tuple[list[str], list[Floor]]:
    lines, floors, statements = [f"\n## {label}\n"], [], {}
    with gunicorn(database_url, app="bench.counting") as base:
        warm(base + "/en/")
        scripts = Scripts(base)
        question = scripts.question_url
        rows = [
            ("home", base + "/en/", None),
            ("section page (cached)", base + "/en/guide/consequences/", None),
            ("wizard start (GET, first visit)", base + "/en/wizard/", None),
            ("wizard question (GET)", question, scripts.with_cookies),
            ("wizard answer (POST)", question, scripts.answer),
            ("wizard answer (POST, htmx)", question, scripts.answer_htmx),
            ("composer", base + "/en/messages/hardship-plan/", None),
            ("search", base + "/en/search/?q=credit", None),
        ]
        static = static_url(base)
        lines.append(
            f"| page | req/s | ratio to static (median of {ROUNDS}) | lowest–highest "
            "| p50 ms | p99 ms | SQL per request | errors |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        ceiling = statistics.median(wrk(static)["rps"] for _ in range(ROUNDS))
        lines.append(f"| static file (ceiling) | {ceiling:.0f} | 1.00 | | | | 0 | 0 |")
        for name, url, script in rows:
            r = against_static(base, static, url, script)
            lines.append(
                f"| {name} | {r['rps']:.0f} | {r['ratio']:.2f} | "
                f"{min(r['ratios']):.2f}–{max(r['ratios']):.2f} | "
                f"{r['p50']:.1f} | {r['p99']:.1f} | {r['statements']:.3f} | {r['errors']} |"
            )
            print(lines[-1], flush=True)
            if name in RATIO_FLOORS:
                what = f"{label}, {name}: throughput / static file's"
                floors.append(Floor(what, r["ratio"], RATIO_FLOORS[name], True))
            if r["errors"]:
                floors.append(Floor(f"{label}, {name}: error responses", r["errors"], 0, False))
            statements[name] = r["statements"]
        scripts.remove()
        most = max(statements, key=statements.get)
        what = f"{label}, SQL statements per page under load (the most: {most})"
        floors.append(Floor(what, statements[most], MOST_STATEMENTS_PER_PAGE, False))

        lines.append("\n| first visit | bytes transferred (gzip) | requests |\n|---|---:|---:|")
        visits = {}
        for name, path in [
            ("home", "/zh-hans/"),
            ("section page", "/zh-hans/guide/consequences/"),
            ("wizard intro", "/zh-hans/wizard/"),
        ]:
            visits[name] = first_visit(base, path)
            lines.append(f"| {name} | {visits[name][0]} | {visits[name][1]} |")
        heaviest = max(visits, key=lambda name: visits[name][0])
        what = f"{label}, first visit weight (the heaviest: {heaviest})"
        floors.append(Floor(what, visits[heaviest][0] / 1024, MOST_FIRST_VISIT_KB, False, " KB"))
        busiest = max(visits, key=lambda name: visits[name][1])
        what = f"{label}, first visit requests (the most: {busiest})"
        floors.append(Floor(what, visits[busiest][1], MOST_FIRST_VISIT_REQUESTS, False))
    return lines, floors


def growth(temporary_database, label: str) -> list[str]:
    """How the cost grows with 10× and 100× the content and a 10× wizard tree (bench/grow.py)."""
    lines = [
        f"\n## How the cost grows ({label})\n",
        "| content | section req/s | search req/s | question GET req/s | answer POST req/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for scale, tree_scale in ((1, 1), (10, 1), (100, 1), (1, 10)):
        with ExitStack() as stack:
            database_url = prepare(stack.enter_context(temporary_database()))
            grown = f"from bench.grow import grow; grow({scale}, {tree_scale})"
            manage(database_url, "shell", "-c", grown)
            base = stack.enter_context(gunicorn(database_url))
            warm(base + "/en/")
            scripts = Scripts(base)
            rates = []
            for url, script in (
                (base + "/en/guide/consequences/", None),
                (base + "/en/search/?q=credit", None),
                (scripts.question_url, scripts.with_cookies),
                (scripts.question_url, scripts.answer),
            ):
                warm(url, script)
                rates.append(wrk(url, script)["rps"])
            section, search, step, post = rates
            scripts.remove()
        name = f"{scale}× content" if tree_scale == 1 else f"{tree_scale}× wizard tree"
        lines.append(f"| {name} | {section:.0f} | {search:.0f} | {step:.0f} | {post:.0f} |")
        print(lines[-1], flush=True)
    return lines


def main() -> int:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    lines = [
        f"# Benchmark ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
        f"{CONNECTIONS} connections, {ROUNDS} rounds of {SECONDS} s per row, "
        "gunicorn as in production)"
    ]
    databases = [("SQLite", lambda: temporary_sqlite_database("bench"))]
    if postgres_available(POSTGRES_URL):
        databases.append(("PostgreSQL", lambda: temporary_postgres_database("bench", POSTGRES_URL)))
    floors: list[Floor] = []
    for label, temporary_database in databases:
        print(f"\n== {label} ==", flush=True)
        with temporary_database() as database_url:
            measured, held = measure(prepare(database_url), label)
        lines += measured
        floors += held
        if GROWTH:
            lines += growth(temporary_database, label)
    lines.append("\n## Floors (issue 15)\n")
    lines += [f"- {floor.line()}" for floor in floors]
    failed = [floor for floor in floors if not floor.holds]
    verdict = f"{len(floors) - len(failed)} of {len(floors)} floors hold"
    lines.append(f"\n{'PASS' if not failed else 'FAIL'}: {verdict}")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nWritten to {OUT}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
