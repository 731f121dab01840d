"""The wizard in a real browser: htmx steps with JavaScript, plain forms without, keyboard only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from guidance import tree as engine
from guidance.models import Choice, Question
from guidance.wizard import load_tree
from tests.wizard_routes import routes

pytestmark = pytest.mark.django_db(transaction=True)

LANG = "zh-hans"
RESULT_HEADING = "根据你的回答，建议这样做"
CONTINUE = "继续"


def a_route():
    """The first route of the shipped tree, ticking two boxes where a question allows several.

    Returns the tree and [(question key, (choice keys...)), ...] in the order they are asked.
    """
    tree = load_tree().tree
    answers = {}
    calm = (
        route
        for route in routes(tree)
        if not any(tree.question(key).emergency_flags(chosen) for key, chosen in route)
    )
    for key, chosen in next(calm):
        question = tree.question(key)
        if question.multi:
            plain = [
                c.key
                for c in question.choices
                if not c.exclusive and not question.emergency_flags([c.key])
            ]
            if len(plain) >= 2 and question.next_after(plain[:2]) == question.next_after(chosen):
                chosen = tuple(plain[:2])
        answers[key] = chosen
    walk = engine.walk(tree, answers)
    assert walk.complete, "the route chosen for the browser tests does not finish"
    return tree, list(walk.answered)


def text_of(key: str) -> str:
    return Question.objects.get(key=key).text_zh_hans


def label_of(question_key: str, choice_key: str) -> str:
    return Choice.objects.get(question__key=question_key, key=choice_key).label_zh_hans


def expected_paths(tree, answers) -> list[str]:
    return [score.path for score in engine.recommend(tree, dict(answers)).recommended]


def change_link_name(key: str) -> re.Pattern:
    """The "Change" link names its question for screen readers (修改：<question>)."""
    return re.compile(rf"^修改\s*：\s*{re.escape(text_of(key))}$")


def choose(page, chosen):
    for key in chosen:
        page.locator(f"#choice-{key}").check()


def marker_survived(page) -> bool:
    return page.evaluate("window.__marker === 1")


def assert_no_full_reload(page):
    assert marker_survived(page), "the page was fully reloaded instead of swapped by htmx"


def assert_question(page, base, key):
    expect(page).to_have_url(f"{base}/{LANG}/wizard/q/{key}/")
    heading = page.locator("#wizard-step h1")
    expect(heading).to_have_text(text_of(key))
    return heading


def assert_result(page, base, tree, answers):
    expect(page).to_have_url(f"{base}/{LANG}/wizard/result/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(RESULT_HEADING)
    paths = page.locator("[data-path]")
    expect(paths.first).to_be_visible()
    assert [
        paths.nth(i).get_attribute("data-path") for i in range(paths.count())
    ] == expected_paths(tree, answers)
    for key, chosen in answers:
        answer = page.locator(f"#answer-{key}")
        expect(answer.locator("dt")).to_have_text(text_of(key))
        for choice_key in chosen:
            expect(answer.locator("dd")).to_contain_text(label_of(key, choice_key))
    return heading


def expect_result_focus(page):
    """On the result, focus goes to the first urgent notice when there is one, else the heading."""
    notices = page.locator("#wizard-step .notice-urgent")
    if notices.count():
        expect(notices.first).to_be_focused()
    else:
        expect(page.locator("#wizard-step h1")).to_be_focused()


def assert_error_shown_and_tied_to_the_field(page, key):
    message = (
        "请至少选择一项。" if Question.objects.get(key=key).kind == "multi" else "请选择一个答案。"
    )
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(message)
    fieldset = page.locator("#wizard-step fieldset")
    expect(fieldset).to_have_attribute("aria-invalid", "true")
    described_by = fieldset.get_attribute("aria-describedby") or ""
    assert described_by, "the error is not tied to the question (no aria-describedby)"
    for id_ in described_by.split():
        expect(page.locator(f"#{id_}")).to_have_count(1)
    expect(page.locator(f"#{described_by.split()[0]}")).to_have_text(message)
    # The summary's link points at the first choice of this question.
    href = summary.get_by_role("link").get_attribute("href")
    expect(page.locator(href)).to_have_attribute("name", "choice")
    expect(page.locator("#wizard-step h1")).to_have_text(text_of(key))


def test_the_wizard_with_javascript_swaps_steps_pushes_urls_and_moves_focus(
    page, live_server, screenshot_both_widths
):
    base = live_server.url
    tree, route = a_route()
    page.goto(f"/{LANG}/wizard/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="开始").click()

    back_checked = False
    for position, (key, chosen) in enumerate(route):
        heading = assert_question(page, base, key)
        expect(heading).to_be_focused()
        assert_no_full_reload(page)

        if position == 0:
            # Continuing without an answer: the error summary appears and takes the focus.
            page.get_by_role("button", name=CONTINUE).click()
            expect(page.locator(".error-summary")).to_be_focused()
            assert_error_shown_and_tied_to_the_field(page, key)
            expect(page).to_have_url(f"{base}/{LANG}/wizard/q/{key}/")
            assert_no_full_reload(page)
            screenshot_both_widths(page, "wizard-error-zh-hans")

        if position == 2 and not back_checked:
            # The browser's Back button returns to the previous question, answer kept.
            previous_key, previous_chosen = route[position - 1]
            page.evaluate("window.__before_back = 1")
            page.go_back()
            # htmx keeps no history snapshots (they would hold the answers), so Back reloads the
            # page; wait for that reload before going on, or the next click races it.
            page.wait_for_function("() => window.__before_back === undefined")
            page.wait_for_load_state("load")
            assert_question(page, base, previous_key)
            for choice_key in previous_chosen:
                expect(page.locator(f"#choice-{choice_key}")).to_be_checked()
            page.evaluate("window.__marker = 1")  # Back may reload the page; mark it afresh
            page.get_by_role("button", name=CONTINUE).click()
            heading = assert_question(page, base, key)
            expect(heading).to_be_focused()
            assert_no_full_reload(page)
            back_checked = True

        choose(page, chosen)
        page.get_by_role("button", name=CONTINUE).click()

    assert back_checked
    assert_result(page, base, tree, route)
    expect_result_focus(page)
    assert_no_full_reload(page)
    screenshot_both_widths(page, "wizard-result-zh-hans")

    # "Change" an answer on the result page: back to that question, then straight to the result.
    answers = dict(route)
    key = next(
        k for k, _ in route if not tree.question(k).multi and len(tree.question(k).choices) > 1
    )
    question = tree.question(key)
    old = answers[key][0]
    new = next(
        c.key for c in question.choices if c.key != old and c.next == question.choice(old).next
    )
    page.locator(f"#answer-{key}").get_by_role("link", name=change_link_name(key)).click()
    heading = assert_question(page, base, key)
    expect(heading).to_be_focused()
    expect(page.locator(f"#choice-{old}")).to_be_checked()
    assert_no_full_reload(page)
    page.locator(f"#choice-{new}").check()
    page.get_by_role("button", name=CONTINUE).click()
    answers[key] = (new,)
    changed = [(k, answers[k]) for k, _ in route]
    assert_result(page, base, tree, changed)
    expect_result_focus(page)
    expect(page.locator(f"#answer-{key} dd")).not_to_contain_text(label_of(key, old))
    assert_no_full_reload(page)


def test_the_wizard_without_javascript_works_with_plain_forms(
    new_page, live_server, screenshot_both_widths
):
    base = live_server.url
    tree, route = a_route()
    page = new_page("phone", javascript=False)
    page.goto(f"/{LANG}/wizard/")
    page.get_by_role("button", name="开始").click()
    for position, (key, chosen) in enumerate(route):
        assert_question(page, base, key)
        if position == 0:
            page.get_by_role("button", name=CONTINUE).click()
            assert_error_shown_and_tied_to_the_field(page, key)
            screenshot_both_widths(page, "wizard-no-javascript-error-zh-hans")
        choose(page, chosen)
        page.get_by_role("button", name=CONTINUE).click()
    assert_result(page, base, tree, route)
    screenshot_both_widths(page, "wizard-no-javascript-result-zh-hans")

    # Changing an answer works through the plain link and form too.
    position, key, chosen, new = next(
        (i, k, chosen, c.key)
        for i, (k, chosen) in enumerate(route)
        if not tree.question(k).multi
        for c in tree.question(k).choices
        if c.key != chosen[0] and c.next == tree.question(k).choice(chosen[0]).next
    )
    page.locator(f"#answer-{key}").get_by_role("link", name=change_link_name(key)).click()
    assert_question(page, base, key)
    expect(page.locator(f"#choice-{chosen[0]}")).to_be_checked()
    page.locator(f"#choice-{new}").check()
    page.get_by_role("button", name=CONTINUE).click()
    assert_result(page, base, tree, [*route[:position], (key, (new,)), *route[position + 1 :]])


# --- triage: emergency help first ----------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_triage_takes_a_reader_in_danger_to_emergency_help_and_back_to_the_questions(
    new_page, live_server, screenshot_both_widths, javascript
):
    base = live_server.url
    tree = load_tree().tree
    first = tree.question(tree.start)
    page = new_page("phone", javascript=javascript)
    page.goto(f"/{LANG}/wizard/")
    # The emergency numbers are there before the reader answers anything.
    expect(page.locator(".emergency-box a[href='tel:110']").first).to_be_visible()
    expect(page.locator(".emergency-box a[href='tel:12356']").first).to_be_visible()
    page.get_by_role("button", name="开始").click()
    assert_question(page, base, first.key)
    danger = next(c.key for c in first.choices if "danger" in c.flags)
    crisis = next(c.key for c in first.choices if "crisis" in c.flags)
    choose(page, [danger, crisis])
    page.get_by_role("button", name=CONTINUE).click()
    expect(page).to_have_url(f"{base}/{LANG}/wizard/help-now/")
    notices = page.locator("#wizard-step [data-notice]")
    expect(notices.first).to_have_attribute("data-notice", "danger")
    expect(notices.nth(1)).to_have_attribute("data-notice", "crisis")
    expect(notices.first.locator("a[href='tel:110']").first).to_be_visible()
    if javascript:
        expect(notices.first).to_be_focused()
    screenshot_both_widths(page, f"wizard-help-now-{'js' if javascript else 'no-js'}-zh-hans")
    page.get_by_role("link", name="我现在安全，继续回答").click()
    assert_question(page, base, first.next)


# --- keyboard only ------------------------------------------------------------------------------

FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    element: el.outerHTML.slice(0, 120),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    boxShadow: style.boxShadow,
    isBody: el === document.body,
  };
}"""


def assert_visible_focus(page):
    style = page.evaluate(FOCUS_STYLE)
    assert not style["isBody"], "nothing has the keyboard focus"
    outlined = style["outlineStyle"] != "none" and style["outlineWidth"] > 0
    shadowed = style["boxShadow"] != "none"
    assert outlined or shadowed, f"no visible focus indicator on {style['element']}: {style}"


def is_focused(locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, locator, limit=40):
    """Press Tab until `locator` has the focus, checking the focus indicator at every stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_visible_focus(page)
        if is_focused(locator):
            return
    pytest.fail(f"Tab never reached {locator}")


@pytest.mark.parametrize("viewport", ["desktop"])
def test_the_wizard_by_keyboard_alone_with_a_visible_focus_at_every_stop(
    page, live_server, screenshot_both_widths
):
    base = live_server.url
    tree, route = a_route()
    page.goto(f"/{LANG}/wizard/")
    tab_to(page, page.get_by_role("button", name="开始"))
    page.keyboard.press("Enter")

    for key, chosen in route:
        heading = assert_question(page, base, key)
        expect(heading).to_be_focused()
        question = tree.question(key)
        keys = [c.key for c in question.choices]
        page.keyboard.press("Tab")
        assert_visible_focus(page)
        assert is_focused(page.locator(f"#choice-{keys[0]}")), "Tab did not go to the choices"
        if question.multi:
            for index, choice_key in enumerate(keys):
                if index:
                    page.keyboard.press("Tab")
                    assert_visible_focus(page)
                assert is_focused(page.locator(f"#choice-{choice_key}"))
                if choice_key in chosen:
                    page.keyboard.press("Space")
        else:
            (choice_key,) = chosen
            index = keys.index(choice_key)
            if index == 0:
                page.keyboard.press("Space")
            for _ in range(index):
                page.keyboard.press("ArrowDown")
                assert_visible_focus(page)
            assert is_focused(page.locator(f"#choice-{choice_key}"))
        for choice_key in keys:
            box = page.locator(f"#choice-{choice_key}")
            (expect(box).to_be_checked if choice_key in chosen else expect(box).not_to_be_checked)()
        if key == route[0][0]:  # the focus ring on a choice, as a keyboard user sees it
            screenshot_both_widths(page, "wizard-keyboard-focus-zh-hans")
        tab_to(page, page.get_by_role("button", name=CONTINUE), limit=len(keys) + 3)
        page.keyboard.press("Enter")

    assert_result(page, base, tree, route)
    expect_result_focus(page)
    # The result's own controls are reachable and visibly focused too.
    first_change = page.locator(f"#answer-{route[0][0]}").get_by_role("link")
    tab_to(page, first_change, limit=80)
