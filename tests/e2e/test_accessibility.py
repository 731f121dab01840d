"""axe-core (WCAG 2.0/2.1/2.2 A and AA) on every kind of page, in every language, on a phone and
a desktop, and in dark mode; plus labelled form controls and an error tied to its question."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from guidance import tree as engine
from guidance.models import PATH_KEYS, Section, Topic
from guidance.wizard import dump_state, load_tree
from tests.wizard_routes import routes

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
CONTINUE = {"zh-hans": "继续", "zh-hant": "繼續", "en": "Continue"}
START = {"zh-hans": "开始", "zh-hant": "開始", "en": "Start"}

CASES = [
    pytest.param(language, viewport, "light", id=f"{language}-{viewport}")
    for language in ("zh-hans", "zh-hant", "en")
    for viewport in ("phone", "desktop")
] + [
    pytest.param(language, "phone", "dark", id=f"{language}-phone-dark")
    for language in ("zh-hans", "zh-hant", "en")
]


def a_section_with_everything():
    """The section with the most topics that has sources: contents list, key points, sources."""
    best = None
    for section in Section.objects.published():
        topics = Topic.objects.published().filter(section=section)
        with_sources = topics.filter(sources__isnull=False).distinct().count()
        score = (with_sources > 0, topics.count())
        if best is None or score > best[0]:
            best = (score, section)
    return best[1]


def urgent_answers():
    """A complete route that raises as many urgent notices as one route can, ticking every box
    where a question allows several: the fullest result page the wizard can show."""
    tree = load_tree().tree
    answers: dict[str, tuple[str, ...]] = {}
    key = tree.start
    while key:
        question = tree.question(key)
        if question.multi:
            chosen = tuple(c.key for c in question.choices if not c.exclusive)
        else:
            chosen = (max(question.choices, key=lambda c: len(c.flags)).key,)
        answers[key] = chosen
        key = question.next_after(chosen)
    assert engine.walk(tree, answers).complete
    assert engine.recommend(tree, answers).notices, "no route shows an urgent notice"
    return tree, answers


def a_multi_question_state():
    """Answers that stop just before the first question where several boxes can be ticked."""
    tree = load_tree().tree
    answers = {}
    for key, chosen in next(iter(routes(tree))):
        if tree.question(key).multi:
            return tree, answers, key
        answers[key] = chosen
    pytest.fail("the shipped tree has no multiple-choice question")


def set_wizard_state(page, live_server, tree, answers):
    page.context.add_cookies(
        [{"name": "wizard", "value": dump_state(tree, answers), "url": live_server.url}]
    )


UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button")).filter(el => {
  if (el.tagName === "BUTTON") return !el.textContent.trim() && !el.getAttribute("aria-label");
  const labelled = (el.labels && Array.from(el.labels).some(l => l.textContent.trim()))
    || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
  return !labelled;
}).map(el => el.outerHTML.slice(0, 160))"""


def assert_every_control_labelled(page):
    assert page.evaluate(UNLABELLED_CONTROLS) == [], "form controls without a label"


def violations_report(name, url, results) -> str:
    lines = [f"{name} — {url}: {results.violations_count} violation(s)"]
    for violation in results.response["violations"]:
        lines.append(
            f"  * {violation['id']} ({violation['impact']}): {violation['help']}"
            f"  [{', '.join(t for t in violation['tags'] if t.startswith('wcag'))}]"
        )
        for node in violation["nodes"][:6]:
            lines.append(f"      at {' '.join(map(str, node['target']))}")
            lines.append(f"         {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"         {summary[:300]}")
        if len(violation["nodes"]) > 6:
            lines.append(f"      … and {len(violation['nodes']) - 6} more")
    return "\n".join(lines)


@pytest.mark.parametrize(("language", "viewport", "color_scheme"), CASES)
def test_every_page_type_passes_axe(
    page, live_server, watcher, screenshot, language, viewport, color_scheme
):
    # The 404 page is requested on purpose; Chromium logs its status as a console error.
    watcher.allow_console_error(r"status of 404", on_url=r"/no-such-page/$")
    section = a_section_with_everything()
    result_tree, result_answers = urgent_answers()
    multi_tree, multi_answers, multi_key = a_multi_question_state()
    suffix = f"{language}-dark" if color_scheme == "dark" else language
    failures, checked = [], []

    def check(name):
        expect(page.locator("h1").first).to_be_visible()
        results = AXE.run(page, options=AXE_OPTIONS)
        checked.append(name)
        if results.violations_count:
            failures.append(violations_report(name, page.url, results))
        screenshot(page, f"a11y-{name}-{suffix}")

    page.goto(f"/{language}/")
    check("home")
    page.goto(f"/{language}/guide/")
    check("guide")
    page.goto(f"/{language}/guide/{section.slug}/")
    check("section")
    for key in PATH_KEYS:
        page.goto(f"/{language}/paths/{key}/")
        check(f"path-{key}")
    page.goto(f"/{language}/browse-safely/")
    check("browse-safely")

    page.goto(f"/{language}/wizard/")
    check("wizard-intro")
    page.get_by_role("button", name=START[language], exact=True).click()
    expect(page.locator("#wizard-step fieldset")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/{language}/wizard/q/{result_tree.start}/")
    assert_every_control_labelled(page)
    check("wizard-question")

    page.get_by_role("button", name=CONTINUE[language]).click()
    expect(page.locator(".error-summary")).to_be_visible()
    fieldset = page.locator("#wizard-step fieldset")
    expect(fieldset).to_have_attribute("aria-invalid", "true")
    expect(fieldset).to_have_attribute("aria-describedby", "choice-error")
    expect(page.locator("#choice-error")).to_be_visible()
    assert_every_control_labelled(page)
    check("wizard-error")

    set_wizard_state(page, live_server, multi_tree, multi_answers)
    page.goto(f"/{language}/wizard/q/{multi_key}/")
    expect(page.locator("#wizard-step input[type=checkbox]").first).to_be_visible()
    assert_every_control_labelled(page)
    check("wizard-question-multi")

    set_wizard_state(page, live_server, result_tree, result_answers)
    page.goto(f"/{language}/wizard/result/")
    expect(page.locator("[data-notice]").first).to_be_visible()
    expect(page.locator("[data-path]").first).to_be_visible()
    check("wizard-result")

    response = page.goto(f"/{language}/no-such-page/")
    assert response.status == 404
    expect(page.locator("html")).to_have_attribute(
        "lang", {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}[language]
    )
    check("404")

    assert len(checked) == 13
    assert not failures, (
        f"axe found accessibility violations ({language}, {viewport}, {color_scheme}):\n\n"
        + "\n\n".join(failures)
    )
