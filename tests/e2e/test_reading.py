"""Reading the guide on a phone: home → guide → a section, its contents, previous/next, the
language switcher, and the quick exit (button and three presses of Shift)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from django.conf import settings
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


def test_the_quick_exit_button_replaces_the_page_in_the_history(page, live_server, watcher):
    watcher.allow_host(re.sub(r"^https?://([^/:]+).*$", r"\1", QUICK_EXIT_URL))
    _, section, _, _ = a_middle_section_with_several_topics()
    page.goto("/zh-hans/")
    page.goto(f"/zh-hans/guide/{section.slug}/")
    before = _history_length(page)
    assert before >= 2

    button = page.locator("[data-quick-exit]")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("href", QUICK_EXIT_URL)
    button.click()
    page.wait_for_url(QUICK_EXIT_URL)
    expect(page.locator("body")).to_contain_text("Neutral stub page")
    assert _history_length(page) == before, "quick exit added a history entry (no replace)"

    # Back skips the page the reader left: it was replaced, not stacked.
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/zh-hans/")


def test_three_presses_of_shift_also_exit(page, live_server, watcher):
    watcher.allow_host(re.sub(r"^https?://([^/:]+).*$", r"\1", QUICK_EXIT_URL))
    page.goto("/zh-hans/")
    page.goto("/zh-hans/guide/")
    before = _history_length(page)
    page.get_by_role("heading", level=1).click()  # the page has focus, as it would for a reader
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(QUICK_EXIT_URL)
    assert _history_length(page) == before


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
