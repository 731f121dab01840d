"""`make bench`: throughput, latency, page weight and query counts, as in production.

Starts gunicorn (DEBUG off) on a copy of the database — SQLite, and PostgreSQL when a server
answers — and drives it with wrk at 16 connections. Every figure is reported next to a static
file served by the same gunicorn (the ceiling). Not a test: it asserts nothing, it measures.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: make `tests` importable

from tests.servers import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    gunicorn_command,
    manage,
    postgres_available,
    production_env,
)

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", POSTGRES_ADMIN_URL)
DURATION = os.environ.get("BENCH_SECONDS", "4")
# A 2-CPU machine's throughput drifts by ±10% from one minute to the next, which is more than
# the differences being measured. So each page is measured in rounds, each right after the
# static file, and the ratio reported is the median of the rounds' ratios.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = 16
OUT = ROOT / "var" / "bench-results.md"


def prepare(database_url: str, scale: int = 1, tree_scale: int = 1) -> None:
    manage(database_url, "migrate", "--noinput", "-v0")
    manage(database_url, "load_content")
    if scale > 1 or tree_scale > 1:
        manage(
            database_url,
            "shell",
            "-c",
            f"from tests.bench.grow import grow; grow({scale}, {tree_scale})",
        )


class Server:
    def __init__(self, database_url: str):
        self.database_url = database_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.process = subprocess.Popen(
            gunicorn_command(self.port),
            cwd=ROOT,
            env=production_env(self.database_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1)
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=20)


def wrk(url: str, script: str | None = None, seconds: str | None = None) -> dict:
    """Load `url` for a while and read wrk's figures; a short unmeasured run warms every
    worker's per-process caches (the wizard's tree, the search index) first."""
    if seconds is None:
        wrk(url, script, seconds="3")
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(CONNECTIONS),
        "-d",
        f"{seconds or DURATION}s",
        "--latency",
    ]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(\w+)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def against_static(static: str, url: str, script: str | None) -> dict:
    """`url` measured in ROUNDS rounds, each right after the static file: medians of each."""
    wrk(url, script, seconds="3")  # warm-up, unmeasured
    rounds = []
    for _ in range(ROUNDS):
        ceiling = wrk(static, seconds=DURATION)["rps"]
        page = wrk(url, script, seconds=DURATION)
        rounds.append({**page, "ratio": page["rps"] / ceiling})
    result = {key: statistics.median(r[key] for r in rounds) for key in ("rps", "p50", "p99")}
    result["ratio"] = statistics.median(r["ratio"] for r in rounds)
    result["ratios"] = [r["ratio"] for r in rounds]
    result["errors"] = sum(r["errors"] for r in rounds)
    return result


def post_script(base: str) -> str:
    """A wrk script posting the first wizard answer with a valid CSRF pair."""
    with urllib.request.urlopen(f"{base}/en/wizard/") as response:
        html = response.read().decode()
        cookie = response.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    start = urllib.request.Request(
        f"{base}/en/wizard/start/",
        data=f"csrfmiddlewaretoken={token}".encode(),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    question_url = urllib.request.urlopen(start).geturl()  # follows the redirect
    first = re.search(r"/en/wizard/q/([\w-]+)/", question_url).group(1)
    question = urllib.request.urlopen(
        urllib.request.Request(question_url, headers={"Cookie": cookie})
    )
    choice = re.search(r'name="choice" value="([\w-]+)"', question.read().decode()).group(1)
    path = Path(tempfile.mkstemp(suffix=".lua")[1])
    path.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "csrfmiddlewaretoken={token}&choice={choice}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Cookie"] = "{cookie}"\n'
    )
    return str(path), first


def htmx_script(post_script_path: str) -> str:
    """The same answer sent as htmx sends it: the next question comes back as a partial."""
    path = Path(tempfile.mkstemp(suffix=".lua")[1])
    path.write_text(Path(post_script_path).read_text() + 'wrk.headers["HX-Request"] = "true"\n')
    return str(path)


def cookie_script(base: str) -> str:
    """A wrk script sending a reader's cookies (CSRF), as a browser on its second page would."""
    with urllib.request.urlopen(f"{base}/en/wizard/") as response:
        cookie = response.headers["Set-Cookie"].split(";")[0]
    path = Path(tempfile.mkstemp(suffix=".lua")[1])
    path.write_text(f'wrk.headers["Cookie"] = "{cookie}"\n')
    return str(path)


def static_url(base: str) -> str:
    html = urllib.request.urlopen(f"{base}/en/").read().decode()
    return base + re.search(r'href="(/static/css/site[^"]+\.css)"', html).group(1)


def first_visit(base: str, path: str) -> tuple[int, int]:
    """Bytes transferred (compressed) and requests for a first visit to `path`."""

    def fetch(url):
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            return response.read(), response.headers.get("Content-Encoding")

    body, encoding = fetch(base + path)
    html = gzip.decompress(body).decode() if encoding == "gzip" else body.decode()
    total, count = len(body), 1
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        data, _ = fetch(base + asset)
        total += len(data)
        count += 1
    return total, count


def query_counts(database_url: str) -> dict:
    code = """
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.db import connection
import json
client = Client()
pages = {"home": "/en/", "section": "/en/guide/consequences/", "wizard intro": "/en/wizard/",
         "composer": "/en/messages/hardship-plan/", "search": "/en/search/?q=credit"}
ran = []
if connection.vendor == "sqlite":
    # Count what SQLite itself runs, the PRAGMA that guidance/sqlite_watch.py sends on the raw
    # connection included; Django's own count would not see it.
    connection.ensure_connection()
    connection.connection.set_trace_callback(ran.append)
result = {}
for name, url in pages.items():
    client.get(url)
    ran.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    result[name] = len(ran) if connection.vendor == "sqlite" else len(queries)
print(json.dumps(result))
"""
    out = manage(database_url, "shell", "-c", code, ALLOWED_HOSTS="testserver")
    return json.loads(out.strip().splitlines()[-1])


def measure(database_url: str, label: str) -> list[str]:
    lines = [f"\n## {label}\n"]
    with Server(database_url) as server:
        base = server.base
        wrk(base + "/en/")  # warm every worker
        script, first = post_script(base)
        with_cookie = cookie_script(base)
        htmx = htmx_script(script)
        rows = [
            ("static file (ceiling)", static_url(base), None),
            ("home", base + "/en/", None),
            ("section page", base + "/en/guide/consequences/", None),
            ("wizard start (GET)", base + "/en/wizard/", None),
            ("wizard question (GET)", f"{base}/en/wizard/q/{first}/", with_cookie),
            ("wizard answer (POST)", f"{base}/en/wizard/q/{first}/", script),
            ("wizard answer (POST, htmx)", f"{base}/en/wizard/q/{first}/", htmx),
            ("composer", base + "/en/messages/hardship-plan/", None),
            ("search", base + "/en/search/?q=credit", None),
        ]
        static = rows[0][1]
        lines.append(
            f"| page | req/s | ratio to static (median of {ROUNDS}) | lowest–highest "
            "| p50 ms | p99 ms | errors |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for name, url, s in rows:
            r = against_static(static, url, s)
            lines.append(
                f"| {name} | {r['rps']:.0f} | {r['ratio']:.2f} | "
                f"{min(r['ratios']):.2f}–{max(r['ratios']):.2f} | "
                f"{r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |"
            )
        lines.append("\n| first visit | bytes transferred (gzip) | requests |")
        lines.append("|---|---:|---:|")
        for name, path in [
            ("home", "/zh-hans/"),
            ("section page", "/zh-hans/guide/consequences/"),
            ("wizard step", "/zh-hans/wizard/"),
        ]:
            size, count = first_visit(base, path)
            lines.append(f"| {name} | {size} | {count} |")
        for path in (script, with_cookie, htmx):
            os.unlink(path)
    counts = query_counts(database_url)
    lines.append("\n| page | SQL statements (warm) |\n|---|---:|")
    lines += [f"| {name} | {count} |" for name, count in counts.items()]
    return lines


def growth(make_url, label: str) -> list[str]:
    lines = [
        f"\n## How the cost grows ({label})\n",
        "| content | section req/s | search req/s | question GET req/s | answer POST req/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for scale, tree_scale in ((1, 1), (10, 1), (100, 1), (1, 10)):
        database_url, cleanup = make_url()
        try:
            prepare(database_url, scale, tree_scale)
            with Server(database_url) as server:
                base = server.base
                wrk(base + "/en/")
                script, first = post_script(base)
                section = wrk(base + "/en/guide/consequences/")["rps"]
                search = wrk(base + "/en/search/?q=credit")["rps"]
                with_cookie = cookie_script(base)
                step = wrk(f"{base}/en/wizard/q/{first}/", with_cookie)["rps"]
                post = wrk(f"{base}/en/wizard/q/{first}/", script)["rps"]
                os.unlink(script)
                os.unlink(with_cookie)
            name = f"{scale}× content" if tree_scale == 1 else f"{tree_scale}× wizard tree"
            lines.append(f"| {name} | {section:.0f} | {search:.0f} | {step:.0f} | {post:.0f} |")
        finally:
            cleanup()
    return lines


def sqlite_url():
    directory = Path(tempfile.mkdtemp(prefix="bench-"))
    return f"sqlite:///{directory / 'db.sqlite3'}", lambda: shutil.rmtree(directory, True)


def postgres_url():
    url, name = create_postgres_database("bench", ADMIN_URL)
    return url, lambda: drop_postgres_database(name, ADMIN_URL)


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    lines = [
        f"# Benchmark ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
        f"{CONNECTIONS} connections, {ROUNDS} rounds of {DURATION} s per row, "
        "gunicorn as in production)"
    ]
    makers = [("SQLite", sqlite_url)]
    if postgres_available(ADMIN_URL):
        makers.append(("PostgreSQL", postgres_url))
    for label, make_url in makers:
        database_url, cleanup = make_url()
        try:
            prepare(database_url)
            lines += measure(database_url, label)
        finally:
            cleanup()
        lines += growth(make_url, label)
        print("\n".join(lines), flush=True)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"\nWritten to {OUT}")


if __name__ == "__main__":
    main()
