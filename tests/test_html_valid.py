"""Every page type, in every language, is valid HTML by the Nu HTML Checker (vnu).

tests/ensure_vnu.sh installs what the checker needs (the vnu-jar npm package, Java from Debian)
when it is missing. The pages are fetched with the test client, as a reader's browser gets them,
including the states a reader reaches by submitting forms (errors, results), and checked in one
run of the checker.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from guidance import tree as engine
from guidance.models import MessageTemplate, Section
from guidance.wizard import load_tree
from tests.wizard_routes import calm_choice

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh-hans", "zh-hant", "en")
COMPOSER_INPUT = {
    "name": "王女士",
    "lender": "花呗",
    "collector": "某某公司",
    "account": "HB-1",
    "amount": "3250.5",
    "offer_amount": "400",
    "reply_days": "15",
    "incidents": "2026-11-02 22:40 夜间来电",
    "contact": "支付宝App内消息",
}


def vnu_jar() -> str:
    result = subprocess.run(
        ["bash", "tests/ensure_vnu.sh"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return str(ROOT / result.stdout.strip().splitlines()[-1])


def vnu_messages(files) -> list[dict]:
    """The checker's messages on `files`; if the checker itself fails, say how."""
    result = subprocess.run(
        ["java", "-jar", vnu_jar(), "--format", "json", "--errors-only", "--stdout", *files],
        capture_output=True,
        text=True,
    )
    assert result.stdout, f"vnu printed nothing (exit {result.returncode}): {result.stderr[-2000:]}"
    return json.loads(result.stdout)["messages"]


def pages_of_every_type(language: str) -> dict[str, bytes]:
    """The pages a reader can see in `language`, by name."""
    client = Client()
    section = Section.objects.published().first()
    template = MessageTemplate.objects.published().first()
    pages = {}

    def get(name, url, **kwargs):
        response = client.get(url, **kwargs)
        pages[name] = response.content
        return response

    def post(name, url, data):
        response = client.post(url, data)
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = response.content

    get("home", f"/{language}/")
    get("guide", f"/{language}/guide/")
    get("section", f"/{language}/guide/{section.slug}/")
    for key in ("communicate", "rights", "professional"):
        get(f"path-{key}", f"/{language}/paths/{key}/")
    get("browse-safely", f"/{language}/browse-safely/")
    get("messages", f"/{language}/messages/")
    get("message", f"/{language}/messages/{template.slug}/")
    post("message-errors", f"/{language}/messages/{template.slug}/", {"amount": "abc"})
    future = (timezone.localdate() + timezone.timedelta(days=20)).isoformat()
    composed = {k: v for k, v in COMPOSER_INPUT.items() if k in template.field_list}
    composed.update({k: future for k in ("offer_start", "pause_until") if k in template.field_list})
    post("message-composed", f"/{language}/messages/{template.slug}/", composed)
    get("log", f"/{language}/log/")
    get("call", f"/{language}/call/")
    get("budget", f"/{language}/budget/")
    post("budget-errors", f"/{language}/budget/", {"income": "lots"})
    post("budget-result", f"/{language}/budget/", {"income": "5000", "housing": "1800"})
    get("search", f"/{language}/search/?q=征信")
    get("search-empty", f"/{language}/search/")
    get("404", f"/{language}/no-such-page/")

    tree = load_tree().tree
    get("wizard-intro", f"/{language}/wizard/")
    url = client.post(f"/{language}/wizard/start/")["Location"]
    get("wizard-question", url)
    post("wizard-question-error", url, {})
    first = tree.question(tree.start)
    danger = next(c.key for c in first.choices if "danger" in c.flags)
    get("wizard-help-now", client.post(url, {"choice": [danger]})["Location"])
    answers = {tree.start: (danger,)}
    while (pending := engine.walk(tree, answers).pending) is not None:
        calm = calm_choice(tree.question(pending))
        url = client.post(f"/{language}/wizard/q/{pending}/", {"choice": [calm]})["Location"]
        answers[pending] = (calm,)
    get("wizard-result", url)
    get("wizard-intro-in-progress", f"/{language}/wizard/")
    return pages


def test_every_page_type_is_valid_html(tmp_path):
    files = []
    for language in LANGUAGES:
        for name, html in pages_of_every_type(language).items():
            path = tmp_path / f"{language}-{name}.html"
            path.write_bytes(html)
            files.append(str(path))
    messages = vnu_messages(files)
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '')}: {m['message']}"
        f"  [{m.get('extract', '').strip()}]"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]
    assert len(files) == 3 * 25
    assert errors == [], f"{len(errors)} error(s):\n" + "\n".join(errors)
