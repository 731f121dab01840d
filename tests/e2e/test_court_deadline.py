"""A reader with court papers, in a real browser at phone width: says what the papers are and
when they came, and gets the last day, a calendar reminder and who to confirm with. With
JavaScript (htmx swaps) and without (plain forms)."""

from __future__ import annotations

import datetime
from pathlib import Path

import icalendar
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from guidance import court
from guidance.wizard import load_tree
from tests.e2e.conftest import SCREENSHOTS, VIEWPORTS
from tests.e2e.test_accessibility import AXE_OPTIONS, violations_report
from tests.wizard_routes import calm_route

pytestmark = pytest.mark.django_db(transaction=True)

LANG = "zh-hans"
CONTINUE = "继续"
DONT_REMEMBER = "我记不清日期"


def the_route(papers):
    return calm_route(
        load_tree().tree, overdue="sued", **{"court-how": "ems", "court-type": papers}
    )


def answer_until_the_result(page, base, route, received):
    """Click through `route` from the first question; at the date question, first continue
    without a date (and see it asked again), then give `received`."""
    for key, chosen in route:
        expect(page).to_have_url(f"{base}/{LANG}/wizard/q/{key}/")
        if key == court.DATE_QUESTION:
            expect(page.locator("#wizard-step h1")).to_have_text("你是哪一天收到这份文书的？")
            page.get_by_role("button", name=CONTINUE).click()
            summary = page.locator(".error-summary")
            expect(summary).to_contain_text("请填写收到文书的日期")
            expect(page.locator("#received")).to_have_attribute("aria-invalid", "true")
            expect(page).to_have_url(f"{base}/{LANG}/wizard/q/{key}/")
            page.locator("#received").fill(received.isoformat())
        else:
            for choice in chosen:
                page.locator(f"#choice-{choice}").check()
        page.get_by_role("button", name=CONTINUE).click()
    expect(page).to_have_url(f"{base}/{LANG}/wizard/result/")


def screenshot_box(page, box, name):
    """The deadline box alone, at the phone and the desktop width (the whole page is long)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for kind in ("phone", "desktop"):
        page.set_viewport_size(VIEWPORTS[kind])
        box.screenshot(path=str(SCREENSHOTS / f"{name}-{kind}.png"), caret="initial")
    page.set_viewport_size(VIEWPORTS["phone"])


def axe_clean(page, name):
    results = Axe().run(page, options=AXE_OPTIONS)
    assert not results.violations_count, violations_report(name, page.url, results)


def test_with_javascript_the_reader_gets_days_left_and_a_reminder_file(
    page, live_server, screenshot_both_widths
):
    base = live_server.url
    today = timezone.localdate()
    deadline = court.count(today, 15)
    page.goto(f"/{LANG}/wizard/")
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="开始").click()
    route = the_route("payment-order")
    for key, chosen in route[: [k for k, _ in route].index(court.DATE_QUESTION)]:
        expect(page).to_have_url(f"{base}/{LANG}/wizard/q/{key}/")
        page.locator(f"#choice-{chosen[0]}").check()
        page.get_by_role("button", name=CONTINUE).click()
    expect(page.locator("#received")).to_be_visible()
    axe_clean(page, "court-date question")
    screenshot_both_widths(page, "court-date-question-zh-hans")
    page.get_by_role("button", name=CONTINUE).click()
    expect(page.locator(".error-summary")).to_be_focused()
    axe_clean(page, "court-date error")
    page.locator("#received").fill(today.isoformat())
    page.get_by_role("button", name=CONTINUE).click()
    done = [k for k, _ in route].index(court.DATE_QUESTION) + 1
    answer_until_the_result(page, base, route[done:], today)
    assert page.evaluate("window.__marker === 1"), "a full reload instead of an htmx swap"

    box = page.locator("[data-court=payment-order]")
    expect(box.get_by_role("heading", level=2)).to_have_text("还款或提出书面异议的最后一天")
    expect(box).to_contain_text(f"{deadline.last_day.year}年{deadline.last_day.month}月")
    expect(box).to_contain_text(f"还剩 {deadline.days_left(today)} 天")
    expect(box).to_contain_text("12368")
    expect(page.locator("#answer-court-date dd")).to_contain_text(f"{today.year}年")
    axe_clean(page, "court deadline result")
    screenshot_both_widths(page, "court-deadline-result-zh-hans")
    screenshot_box(page, box, "court-deadline-box-zh-hans")

    with page.expect_download() as download:
        box.get_by_role("link", name="加到日历").click()
    event = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    assert event.walk("VEVENT")[0].decoded("dtstart") == deadline.reminder_day(today)


def test_without_javascript_a_deadline_in_the_holiday_week_has_moved_and_has_passed(
    new_page, live_server
):
    base = live_server.url
    page = new_page("phone", javascript=False)
    page.goto(f"/{LANG}/wizard/")
    page.get_by_role("button", name="开始").click()
    answer_until_the_result(page, base, the_route("lawsuit"), datetime.date(2026, 9, 20))
    box = page.locator("[data-court=lawsuit]")
    expect(box.get_by_role("heading", level=2)).to_have_text("提交答辩状的最后一天")
    expect(box).to_contain_text("2026年10月8日（星期四）")
    expect(box).to_contain_text("第 15 天是 2026年10月5日，是法定休假日")
    passed = (timezone.localdate() - datetime.date(2026, 10, 8)).days
    expect(box).to_contain_text(f"这个期限已经过去 {passed} 天了")
    expect(box).to_contain_text("今天就拨打12348")
    expect(box.get_by_role("link", name="加到日历")).to_have_count(0)
    screenshot_box(page, box, "court-deadline-passed-box-zh-hans")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_i_dont_remember_and_a_small_claims_judgment(new_page, live_server, javascript):
    base = live_server.url
    page = new_page("phone", javascript=javascript)
    page.goto(f"/{LANG}/wizard/")
    page.get_by_role("button", name="开始").click()
    route = the_route("judgment")
    for key, chosen in route:
        expect(page).to_have_url(f"{base}/{LANG}/wizard/q/{key}/")
        if key == court.DATE_QUESTION:
            page.get_by_role("button", name=DONT_REMEMBER).click()
            continue
        page.locator(f"#choice-{chosen[0]}").check()
        page.get_by_role("button", name=CONTINUE).click()
    expect(page).to_have_url(f"{base}/{LANG}/wizard/result/")
    box = page.locator("[data-court=judgment]")
    expect(box.get_by_role("heading", level=2)).to_have_text("没有收到的日期，我们算不出你的期限")
    expect(box).to_contain_text("15 天")
    expect(page.locator("#answer-court-date dd")).to_contain_text(DONT_REMEMBER)
    expect(page.locator("body")).not_to_contain_text("答辩")

    # Change the papers to a small-claims judgment: no date asked, no appeal.
    page.locator("#answer-court-type a").click()
    page.locator("#choice-small-claims").check()
    page.get_by_role("button", name=CONTINUE).click()
    # The date question leaves the route: the page names it and asks to confirm.
    expect(page.locator(".warning")).to_contain_text("你是哪一天收到这份文书的？")
    page.locator("#choice-small-claims").check()
    page.get_by_role("button", name="确定修改").click()
    expect(page).to_have_url(f"{base}/{LANG}/wizard/result/")
    box = page.locator("[data-court=small-claims]")
    expect(box.get_by_role("heading", level=2)).to_have_text("小额诉讼的判决不能上诉")
    expect(page.locator("#answer-court-date")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("答辩")
