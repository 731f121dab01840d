"""Browser tests: one headless Debian chromium per test session, a fresh context per test.

Every page a test opens is watched: a console error, an uncaught exception or a Content Security
Policy violation fails the test, and so does any request to another host (the portal makes no
third-party requests at all) unless the test said it expects one — the quick exit's neutral site
is the only one, and it is answered by a stub because the network here reaches nothing else.
On failure the test's Playwright trace is kept in test-artifacts/traces/ (open it with
`.venv/bin/playwright show-trace <file>`); screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would otherwise refuse
# to run here (the tests read the wizard's tree from the database).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import expect, sync_playwright  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TRACES = ARTIFACTS / "traces"
SCREENSHOTS = ARTIFACTS / "screenshots"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
# Actions and assertions wait as long as each other. Playwright's assertions default to 5 s, and on
# a CI machine with two test workers a page whose head waits for the admin's jsi18n script from the
# threaded live server once took longer than that to show its message.
WAIT_MS = 10_000
NAVIGATION_WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)
STUB_HTML = "<!doctype html><html lang='en'><title>Weather</title><p>Neutral stub page.</p></html>"


# --- reporting ----------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test body: fail it (not error it) on anything the pages reported."""
    watcher = item.stash.get(WATCHER_KEY, None)
    try:
        result = yield
    except BaseException:
        if watcher is not None and watcher.problems:
            print("The browser also reported:\n  " + "\n  ".join(watcher.problems))
        raise
    if watcher is not None:
        watcher.check()
    return result


def pytest_configure(config):
    if getattr(config, "workerinput", None) is None:  # not in an xdist worker
        shutil.rmtree(TRACES, ignore_errors=True)  # keep only this run's failures


# --- what the pages did -------------------------------------------------------------------------


class PageWatcher:
    """Collects console errors, page errors, CSP violations and requests to other hosts."""

    def __init__(self):
        self.problems: list[str] = []
        self.allowed_console: list[tuple[re.Pattern, re.Pattern]] = []
        self.allowed_hosts: set[str] = set()
        self.checked = False

    def allow_console_error(self, pattern: str, *, on_url: str = "") -> None:
        """A console error the test provokes on purpose (e.g. the status of a 404 page),
        optionally only on pages whose URL matches `on_url`."""
        self.allowed_console.append((re.compile(pattern), re.compile(on_url)))

    def allow_host(self, host: str) -> None:
        self.allowed_hosts.add(host)

    def watch(self, page, label: str) -> None:
        def on_console(message):
            if message.type != "error":
                return
            text = message.text
            location = message.location or {}
            where = location.get("url") or page.url
            if any(p.search(text) and u.search(where) for p, u in self.allowed_console):
                return
            self.problems.append(
                f"[{label}] console error on {page.url}: {text}"
                f" ({location.get('url', '')}:{location.get('lineNumber', '')})"
            )

        def on_page_error(error):
            self.problems.append(f"[{label}] uncaught error on {page.url}: {error}")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)

    def on_external(self, url: str, resource_type: str) -> None:
        host = urlsplit(url).hostname or ""
        if host not in self.allowed_hosts:
            self.problems.append(f"request to another host ({resource_type}): {url}")

    def check(self) -> None:
        if self.checked:
            return
        self.checked = True
        if self.problems:
            pytest.fail(
                "The browser reported problems:\n  " + "\n  ".join(self.problems), pytrace=False
            )


WATCHER_KEY = pytest.StashKey[PageWatcher]()

# Content Security Policy violations reach the console as errors in Chromium already; this also
# reports them from the page's own event, with the directive, in case the wording changes.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def viewport():
    """The default viewport; parametrize a test over "phone"/"desktop" to change it."""
    return "phone"


@pytest.fixture
def color_scheme():
    return "light"


@pytest.fixture
def watcher(request):
    watcher = PageWatcher()
    request.node.stash[WATCHER_KEY] = watcher
    return watcher


def _trace_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid.split("::", 1)[-1]).strip("-")[:150]


@pytest.fixture
def new_page(browser, live_server, watcher, request):
    """Open a page in a new browser context: `new_page(viewport="desktop", javascript=False)`."""
    contexts = []

    def open_page(viewport="phone", *, javascript=True, color_scheme="light"):
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            base_url=live_server.url,
            java_script_enabled=javascript,
            color_scheme=color_scheme,
            locale="zh-CN",
            service_workers="block",
        )
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(NAVIGATION_WAIT_MS)
        context.tracing.start(screenshots=True, snapshots=True, sources=False)
        contexts.append(context)

        def route_external(route):
            request_ = route.request
            watcher.on_external(request_.url, request_.resource_type)
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=STUB_HTML)

        def is_external(url: str) -> bool:
            return (urlsplit(url).hostname or "") not in LOCAL_HOSTS and url.startswith("http")

        context.route(is_external, route_external)
        if javascript:
            context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.viewport_name = viewport
        watcher.watch(page, f"{viewport}, JS {'on' if javascript else 'off'}, {color_scheme}")
        return page

    yield open_page

    failed = any(
        getattr(request.node, f"rep_{when}", None) is not None
        and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )
    for number, context in enumerate(contexts, start=1):
        if failed:
            TRACES.mkdir(parents=True, exist_ok=True)
            suffix = f"-{number}" if len(contexts) > 1 else ""
            path = TRACES / f"{_trace_name(request.node.nodeid)}{suffix}.zip"
            context.tracing.stop(path=str(path))
            print(f"\ntrace saved: {path}")
        else:
            context.tracing.stop()
        context.close()


@pytest.fixture
def page(new_page, viewport, color_scheme):
    return new_page(viewport, color_scheme=color_scheme)


def save_screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save test-artifacts/screenshots/<name>-<phone|desktop>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    kind = getattr(page, "viewport_name", None) or ("phone" if width < 700 else "desktop")
    path = SCREENSHOTS / f"{name}-{kind}.png"
    # caret="initial": hiding the caret makes Playwright leave style="" on every input, which
    # htmx would then copy onto the swapped-in inputs (and the CSP rightly blocks).
    page.screenshot(path=str(path), full_page=full_page, caret="initial", animations="disabled")
    return path


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")` saves test-artifacts/screenshots/name-<phone|desktop>.png."""
    return save_screenshot


@pytest.fixture
def screenshot_both_widths():
    """`screenshot_both_widths(page, "name")` saves the page as it is now at the phone and the
    desktop width (name-phone.png, name-desktop.png), then gives the page its own width back."""

    def save_both(page, name: str) -> list[Path]:
        own = getattr(page, "viewport_name", None) or "phone"
        paths = []
        try:
            for kind in ("phone", "desktop"):
                page.set_viewport_size(VIEWPORTS[kind])
                page.viewport_name = kind
                paths.append(save_screenshot(page, name))
        finally:
            page.set_viewport_size(VIEWPORTS[own])
            page.viewport_name = own
        return paths

    return save_both
