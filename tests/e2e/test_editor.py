"""An editor's day in the admin, in a real browser: set up two-step sign-in and sign in with a
code and with a recovery code, change a topic, see it published,
restore the old version from its history, compare two versions, and keep a draft that only the
staff preview shows. Every admin page is watched for console errors and CSP violations."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from guidance.models import Topic
from tests.admin_forms import key_shown_on, next_code, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

USERNAME = "editor-e2e"
PASSWORD = "a-long-pass-phrase-for-e2e"
NEW_TITLE = "Court action and your rights"
DRAFT_TITLE_EN = "Court papers, step by step (draft)"
DRAFT_TITLE_ZH = "法律程序：一步一步来（草稿）"
SECTION_EN = "/en/guide/consequences/"
SECTION_ZH = "/zh-hans/guide/consequences/"


def public_title(page, path: str = SECTION_EN, slug: str = "legal-action"):
    page.goto(path)
    return page.locator(f"#{slug}-title")


def sign_in(page, live_server, screenshot_both_widths=None) -> list[str]:
    """The first sign-in: the password, then setting up the authenticator app (the test is the
    app: it makes the code from the key the page shows). Returns the recovery codes shown."""
    User.objects.create_superuser(USERNAME, "editor@example.org", PASSWORD)
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    enter_password(page)
    expect(page.locator("h2")).to_have_text(re.compile("设置两步验证|two-step", re.I))
    if screenshot_both_widths:
        screenshot_both_widths(page, "admin-second-step-setup")
    key = key_shown_on(page.content())
    page.locator("#id_code").fill(totp_code(key))
    page.locator("#second-step-form [type=submit]").click()
    expect(page.locator(".recovery-codes code")).to_have_count(10)
    if screenshot_both_widths:
        screenshot_both_widths(page, "admin-recovery-codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    page.locator("#recovery-codes-saved").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.locator("#user-tools")).to_contain_text(USERNAME)
    return codes


def enter_password(page):
    page.locator("#id_username").fill(USERNAME)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/login/second-step/$"))


def sign_out(page):
    page.locator("#logout-form [type=submit]").click()
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))


def open_topic(page, topic):
    page.goto("/admin/guidance/topic/")
    page.locator("#result_list").get_by_role("link", name=topic.title_zh_hans, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/guidance/topic/{topic.pk}/change/$"))
    expect(page.locator("#id_slug")).to_have_value(topic.slug)


def open_history(page, topic):
    page.locator(".object-tools").get_by_role("link", name=re.compile("历史|History")).click()
    expect(page).to_have_url(re.compile(rf"/admin/guidance/topic/{topic.pk}/history/$"))
    return page.locator("#change-history tbody tr")


def save(page):
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator(".errornote")).to_have_count(0)


def change_title_en(page, topic, title):
    open_topic(page, topic)
    page.locator("#id_title_en").fill(title)
    save(page)


def restore_initial_version(page, topic):
    """History → the oldest version's date → save the revision form."""
    open_topic(page, topic)
    rows = open_history(page, topic)
    expect(rows.first).to_be_visible()
    rows.last.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/admin/guidance/topic/{topic.pk}/history/\d+/$"))
    expect(page.locator("#id_title_en")).to_have_value(topic.title_en)
    save(page)


@pytest.mark.parametrize("viewport", ["desktop"])
def test_an_editor_changes_restores_and_drafts_a_topic(
    page, new_page, live_server, watcher, screenshot_both_widths
):
    topic = Topic.objects.get(slug="legal-action")
    original_en, original_zh = topic.title_en, topic.title_zh_hans
    assert original_en != NEW_TITLE
    sign_in(page, live_server)

    # Change the English title and save: the public page shows it at once.
    open_topic(page, topic)
    title_field = page.locator("#id_title_en")
    expect(title_field).to_have_value(original_en)
    screenshot_both_widths(page, "admin-topic-change-form")
    title_field.fill(NEW_TITLE)
    save(page)
    expect(public_title(page)).to_have_text(NEW_TITLE)

    # History lists the initial version and the edit; restoring the initial one (its date, then
    # "save" on its revision form) brings the old title back, as a third version.
    open_topic(page, topic)
    rows = open_history(page, topic)
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(USERNAME)
    screenshot_both_widths(page, "admin-topic-history")
    rows.last.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/admin/guidance/topic/{topic.pk}/history/\d+/$"))
    expect(page.locator("#id_title_en")).to_have_value(original_en)
    save(page)
    expect(public_title(page)).to_have_text(original_en)
    open_topic(page, topic)
    expect(open_history(page, topic)).to_have_count(3)

    # A draft: saved beside the published text, shown only in the staff preview.
    open_topic(page, topic)
    page.locator("#id_title_en").fill(DRAFT_TITLE_EN)
    page.locator("#id_title_zh_hans").fill(DRAFT_TITLE_ZH)
    page.get_by_role("button", name="保存为草稿（不发布）").click()
    expect(page).to_have_url(re.compile(rf"/admin/guidance/topic/{topic.pk}/change/$"))
    expect(page.locator(".messagelist")).to_contain_text("草稿已保存")
    expect(page.locator(".draft-notice")).to_contain_text(USERNAME)
    expect(page.locator("#id_title_en")).to_have_value(DRAFT_TITLE_EN)

    reader = new_page("desktop")  # a separate context: not signed in
    expect(public_title(reader)).to_have_text(original_en)
    expect(public_title(reader, SECTION_ZH)).to_have_text(original_zh)
    expect(public_title(reader, SECTION_EN + "?preview=1")).to_have_text(original_en)

    preview_link = page.locator(".object-tools").get_by_role("link", name="预览草稿")
    with page.context.expect_page() as opened:
        preview_link.click()
    preview = opened.value
    watcher.watch(preview, "draft preview")
    preview.wait_for_load_state()
    expect(preview).to_have_url(re.compile(rf"{re.escape(SECTION_ZH)}\?preview=1#legal-action$"))
    expect(preview.locator("#legal-action-title")).to_have_text(DRAFT_TITLE_ZH)
    expect(public_title(page, SECTION_EN + "?preview=1")).to_have_text(DRAFT_TITLE_EN)
    expect(public_title(page)).to_have_text(original_en)  # signed in, but not a preview
    expect(public_title(reader)).to_have_text(original_en)


@pytest.mark.parametrize("viewport", ["desktop"])
def test_comparing_two_versions_shows_what_changed_and_nothing_else(
    page, live_server, screenshot_both_widths
):
    topic = Topic.objects.get(slug="legal-action")
    assert topic.title_en == "Legal action"  # the diff below is worked out from this
    sign_in(page, live_server)
    change_title_en(page, topic, NEW_TITLE)

    # The history preselects the two latest versions: the initial one and the edit.
    open_topic(page, topic)
    rows = open_history(page, topic)
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("input[name=a]")).to_be_checked()
    expect(rows.nth(0).locator("input[name=b]")).to_be_checked()
    page.get_by_role("button", name=re.compile("比较|Compare")).click()
    expect(page).to_have_url(re.compile(rf"/admin/guidance/topic/{topic.pk}/history/compare/\?"))

    changes = page.locator(".version-compare tbody tr")
    title = changes.filter(
        has=page.locator("th", has_text=re.compile(r"^(标题|Title) \(English\)$"))
    )
    expect(title).to_have_count(1)
    expect(title.locator("del")).to_have_text(["Legal"])
    expect(title.locator("ins")).to_have_text(["Court", " and your rights"])
    expect(title.locator("td")).to_have_text("LegalCourt action and your rights")

    # Only this topic (and its own sources) is compared: other content saved in the same
    # revision as the initial version (the initial load saves everything at once) is not
    # "deleted" here.
    headers = changes.locator("th").all_inner_texts()
    others = [h for h in headers if re.match(r"^\S+ #\d+: ", h)]
    assert not others, (
        f"the comparison lists {len(others)} changes to other content, e.g. {others[:5]}"
    )
    screenshot_both_widths(page, "admin-topic-compare")


@pytest.mark.parametrize("viewport", ["desktop"])
def test_saving_in_the_browser_changes_only_what_the_editor_changed(page, live_server):
    """A browser submits text areas with CRLF line breaks; saving only a new title must not
    turn into a change of the body and key points (it would show in every comparison)."""
    topic = Topic.objects.get(slug="legal-action")
    untouched = ["body_zh_hans", "body_en", "key_points_zh_hans", "key_points_en", "summary_en"]
    before = {name: getattr(topic, name) for name in untouched}
    assert any("\n" in value for value in before.values())
    sign_in(page, live_server)
    change_title_en(page, topic, NEW_TITLE)
    topic.refresh_from_db()
    assert topic.title_en == NEW_TITLE
    after = {name: getattr(topic, name) for name in untouched}
    changed = [name for name in untouched if after[name] != before[name]]
    assert not changed, "saving a new title also changed " + ", ".join(
        f"{name} ({before[name].count(chr(13))} → {after[name].count(chr(13))} CRs)"
        for name in changed
    )


@pytest.mark.parametrize("viewport", ["desktop"])
def test_restoring_one_topic_leaves_other_content_alone(page, live_server):
    legal = Topic.objects.get(slug="legal-action")
    credit = Topic.objects.get(slug="credit-record")
    assert legal.section_id == credit.section_id  # both on SECTION_EN
    other_edit = "Your credit record (checked by the legal clinic)"
    sign_in(page, live_server)
    change_title_en(page, legal, NEW_TITLE)
    change_title_en(page, credit, other_edit)
    expect(public_title(page, slug="credit-record")).to_have_text(other_edit)

    restore_initial_version(page, legal)
    expect(public_title(page)).to_have_text(legal.title_en)
    expect(public_title(page, slug="credit-record")).to_have_text(other_edit)
    credit.refresh_from_db()
    assert credit.title_en == other_edit, "restoring one topic undid the edit of another"


@pytest.mark.parametrize("viewport", ["desktop"])
def test_an_editor_sets_up_two_step_sign_in_and_signs_in_with_a_code_or_a_recovery_code(
    page, live_server, screenshot_both_widths
):
    codes = sign_in(page, live_server, screenshot_both_widths)
    device = TOTPDevice.objects.get(user__username=USERNAME)

    # The password alone opens nothing.
    sign_out(page)
    enter_password(page)
    page.goto("/admin/guidance/topic/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/guidance/topic/$"))

    # The password, then the app's current code.
    enter_password(page)
    screenshot_both_widths(page, "admin-second-step")
    page.locator("#id_code").fill("000000" if next_code(device) != "000000" else "111111")
    page.locator("#second-step-form [type=submit]").click()
    expect(page.locator(".errornote")).to_be_visible()
    page.wait_for_timeout(1100)  # after a wrong code, django-otp refuses any code for a second
    page.locator("#id_code").fill(next_code(device))
    page.locator("#second-step-form [type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/admin/guidance/topic/")  # where it was going
    expect(page.locator("#user-tools")).to_contain_text(USERNAME)

    # The phone is lost: a recovery code signs in once.
    sign_out(page)
    enter_password(page)
    page.locator("#id_code").fill(codes[0])
    page.locator("#second-step-form [type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.locator(".messagelist")).to_contain_text("还剩 9 个")
