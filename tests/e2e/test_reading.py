"""Reading the guide on a phone: home → guide → a section, its contents, previous/next, the
language switcher, and the quick exit (button and three presses of Shift), which forgets the
wizard's answers but keeps the contact log."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from guidance.models import Question, Section, Topic

pytestmark = pytest.mark.django_db(transaction=True)


def sections_in_order():
    return list(Section.objects.published())


def a_middle_section_with_several_topics():
    """A section with a previous and a next one and at least three topics (a real contents list)."""
    sections = sections_in_order()
    for position in range(1, len(sections) - 1):
        topics = list(Topic.objects.published().filter(section=sections[position]))
        if len(topics) >= 3:
            return sections[position - 1], sections[position], sections[position + 1], topics
    pytest.fail("the shipped guide has no middle section with three topics")


def test_reading_a_section_on_a_phone(page, live_server, screenshot_both_widths):
    previous, section, following, topics = a_middle_section_with_several_topics()
    section_url = f"{live_server.url}/zh-hans/guide/{section.slug}/"

    page.goto("/zh-hans/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    screenshot_both_widths(page, "home-zh-hans")

    # Home → the guide (main navigation) → the section.
    page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="指引", exact=True
    ).click()
    expect(page).to_have_url(f"{live_server.url}/zh-hans/guide/")
    expect(page.get_by_role("heading", level=1)).to_have_text("指引")
    page.locator("main .cards > li > a", has_text=section.title_zh_hans).click()
    expect(page).to_have_url(section_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(section.title_zh_hans)
    screenshot_both_widths(page, f"section-{section.slug}-zh-hans")

    # The table of contents lists every topic and lands on the anchored one.
    toc = page.get_by_role("navigation", name="本节内容")
    expect(toc.get_by_role("link")).to_have_text([t.title_zh_hans for t in topics])
    last = topics[-1]
    heading = page.locator(f"#{last.slug}-title")
    expect(heading).not_to_be_in_viewport()  # so landing on it proves the jump
    toc.get_by_role("link", name=last.title_zh_hans, exact=True).click()
    expect(page).to_have_url(f"{section_url}#{last.slug}")
    assert page.evaluate("location.hash") == f"#{last.slug}"
    expect(heading).to_be_in_viewport()
    expect(heading).to_have_text(last.title_zh_hans)

    # Next, then previous, returns to the section; each link names where it goes.
    pager = page.get_by_role("navigation", name="上一节和下一节")
    next_link = pager.locator("a[rel=next]")
    expect(next_link).to_contain_text(following.title_zh_hans)
    expect(pager.locator("a[rel=prev]")).to_contain_text(previous.title_zh_hans)
    next_link.click()
    expect(page).to_have_url(f"{live_server.url}/zh-hans/guide/{following.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(following.title_zh_hans)
    page.get_by_role("navigation", name="上一节和下一节").locator("a[rel=prev]").click()
    expect(page).to_have_url(section_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(section.title_zh_hans)

    # The language switcher keeps the reader on the same section.
    languages = page.locator("ul.languages")
    expect(languages.locator("a[aria-current=true]")).to_have_text("简体中文")
    languages.get_by_role("link", name="English").click()
    expect(page).to_have_url(f"{live_server.url}/en/guide/{section.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(section.title_en)
    expect(page.locator("ul.languages a[aria-current=true]")).to_have_text("English")
    screenshot_both_widths(page, f"section-{section.slug}-en")


def _history_length(page) -> int:
    return page.evaluate("history.length")


@pytest.fixture
def neutral_site(live_server, settings) -> str:
    """The quick exit's neutral site, as another origin of the test server.

    Quick exit reaches it through a redirect, and Playwright does not route the hop after a
    redirect (microsoft/playwright#3994), so the stub the other hosts get cannot answer it.
    """
    url = live_server.url.replace("localhost", "127.0.0.1") + "/robots.txt"
    assert url.startswith("http://127.0.0.1:")
    settings.QUICK_EXIT_URL = url
    return url


def _cookies(page) -> dict:
    return {cookie["name"]: cookie for cookie in page.context.cookies()}


def test_the_quick_exit_button_replaces_the_page_in_the_history(page, live_server, neutral_site):
    _, section, _, _ = a_middle_section_with_several_topics()
    page.goto("/zh-hans/")
    page.goto(f"/zh-hans/guide/{section.slug}/")
    before = _history_length(page)
    assert before >= 2

    button = page.locator("[data-quick-exit]")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("href", "/exit/")
    button.click()
    page.wait_for_url(neutral_site)
    expect(page.locator("body")).to_contain_text("User-agent")
    assert _history_length(page) == before, "quick exit added a history entry (no replace)"

    # Back skips the page the reader left: it was replaced, not stacked.
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/zh-hans/")


def test_quick_exit_forgets_the_wizard_answers_and_keeps_the_contact_log(
    page, live_server, neutral_site
):
    first = Question.objects.order_by("order").first()
    page.goto("/zh-hans/log/")
    page.locator("#log-when").fill("2026-03-01T21:30")
    page.locator("#log-channel").select_option("call")
    page.locator("#log-what").fill("quick-exit-keeps-this")
    page.get_by_role("button", name="保存这条记录", exact=True).click()
    expect(page.locator("#log-table")).to_contain_text("quick-exit-keeps-this")

    page.goto("/zh-hans/wizard/")
    page.get_by_role("button", name="开始", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/zh-hans/wizard/q/{first.key}/")
    page.locator(f"#choice-{first.choices.first().key}").check()
    page.get_by_role("button", name="继续", exact=True).click()
    expect(page).not_to_have_url(f"{live_server.url}/zh-hans/wizard/q/{first.key}/")

    before = _cookies(page)
    assert before["wizard"]["value"]
    # Session cookies, both: they die with the browser (Playwright's -1 is "no expiry").
    assert before["wizard"]["expires"] == -1
    assert before[settings.CSRF_COOKIE_NAME]["expires"] == -1

    exits = []
    page.on("response", lambda r: exits.append(r) if r.url.endswith("/exit/") else None)
    page.locator("[data-quick-exit]").click()
    page.wait_for_url(neutral_site)
    assert len(exits) == 1 and exits[0].status == 302
    assert exits[0].all_headers()["clear-site-data"] == '"cache"'
    assert "wizard" not in _cookies(page)

    page.goto(f"{live_server.url}/zh-hans/wizard/")
    expect(page.get_by_role("link", name="继续上次的回答")).to_have_count(0)
    page.goto(f"{live_server.url}/zh-hans/log/")
    expect(page.locator("#log-table")).to_contain_text("quick-exit-keeps-this")


def test_three_presses_of_shift_also_exit(page, live_server, neutral_site):
    page.goto("/zh-hans/")
    page.goto("/zh-hans/guide/")
    page.context.add_cookies([{"name": "wizard", "value": "answers", "url": live_server.url}])
    before = _history_length(page)
    page.get_by_role("heading", level=1).click()  # the page has focus, as it would for a reader
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(neutral_site)
    assert _history_length(page) == before
    assert "wizard" not in _cookies(page)


def test_the_initial_content_comes_back_after_a_flush(page):
    """Transactional tests flush the database after each test; flush emits post_migrate, whose
    hook loads the initial content again, so every browser test starts with the full site."""
    sections = Section.objects.count()
    questions = Question.objects.count()
    assert sections and questions
    call_command("flush", interactive=False, verbosity=0)
    assert Section.objects.count() == sections
    assert Question.objects.count() == questions
    page.goto("/zh-hans/guide/")
    expect(page.locator("main .cards > li")).to_have_count(len(sections_in_order()))
