"""The borrower's tools in a real browser: the message composer (with and without JavaScript),
the contact log kept only in localStorage, the call page's "log this call", and the budget."""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e import contact_log
from tests.e2e.contact_log import FLAG_BOXES

pytestmark = pytest.mark.django_db(transaction=True)


# --- SMS counting, written out here independently of guidance/composer.py -----------------------

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€")


def expected_sms_count(text: str) -> tuple[int, int]:
    """(length, segments): any character outside the GSM alphabet makes the text UCS-2, counted
    in UTF-16 code units, 70 in one SMS and 67 per part when split; otherwise 160 and 153."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        length = len(text) + sum(1 for c in text if c in GSM_EXTENDED)
        single, multi = 160, 153
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if length == 0:
        return 0, 0
    return length, 1 if length <= single else math.ceil(length / multi)


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


# --- the composer -------------------------------------------------------------------------------

COMPOSER_CASES = {
    "zh-hans-hardship-plan": {
        "language": "zh-hans",
        "slug": "hardship-plan",
        # 𠮷 lies outside the Basic Multilingual Plane: two UTF-16 code units, one character.
        "values": lambda: {
            "name": "𠮷祥女士",
            "lender": "花呗",
            "account": "HB-2026-0717",
            "amount": "3250.5",
            "offer_amount": "400",
            "offer_start": in_days(20),
            "contact": "支付宝App内消息",
        },
        "sms_has": lambda v: [
            "花呗你好，我是𠮷祥女士，关于我的欠款。",
            "账户：HB-2026-0717",
            "我每月能还400.00元。",
            f"第一笔可以在{v['offer_start']}还。",
            "回复我：支付宝App内消息",
        ],
        "letter_has": lambda v: [
            "致花呗：",
            "我是𠮷祥女士，是花呗的用户。",
            "App里显示我目前的欠款是3,250.50元。",
            "第一笔还款可以在" + v["offer_start"] + "完成。",
        ],
        "name_label": "你的名字或署名",
        "ready": "你的消息已经写好",
        "write": "生成消息",
        "copy_sms": "复制短信",
        "copy_letter": "复制信件",
        "download": "下载短信（.txt）",
        "download_kind": "sms",
        "counter": lambda length, segments: f"共 {length} 个字，需要 {segments} 条短信",
        "encoding": "ucs2",
        "viewport": "phone",
    },
    "en-conduct-complaint": {
        "language": "en",
        "slug": "conduct-complaint",
        "values": lambda: {
            "name": "Alex Chen",
            "lender": "Huabei",
            "collector": "Acme Recovery 021-5555-0101",
            "account": "HB-7731",
            "incidents": "2026-11-02 22:40 called after 10pm\n2026-11-03 phoned my manager at work",
            "reply_days": "14",
        },
        "sms_has": lambda v: [
            "This is Alex Chen, complaining about how Huabei collectors have treated me.",
            "Account: HB-7731",
            "Collector: Acme Recovery 021-5555-0101",
            "What happened: - 2026-11-02 22:40 called after 10pm\n"
            "- 2026-11-03 phoned my manager at work",
            "Please reply within 14 days.",
        ],
        "letter_has": lambda v: [
            "Dear Huabei team,",
            "My name is Alex Chen, and I am a Huabei customer.",
            "The collector, company or number that contacted me: Acme Recovery 021-5555-0101",
            "Please reply in writing within 14 days.",
        ],
        "name_label": "Your name, or how you sign",
        "ready": "Your message is ready",
        "write": "Write my message",
        "copy_sms": "Copy the SMS",
        "copy_letter": "Copy the letter",
        "download": "Download the letter (.txt)",
        "download_kind": "letter",
        "counter": lambda length, segments: f"{length} characters, sent as {segments} SMS",
        "encoding": "gsm",
        "viewport": "desktop",
    },
}


def fill_composer(page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(f"#id_{name}").fill(value)


@pytest.mark.parametrize(
    ("case", "viewport"),
    [pytest.param(key, case["viewport"], id=key) for key, case in COMPOSER_CASES.items()],
)
def test_the_composer_writes_counts_copies_and_downloads(
    page, live_server, screenshot_both_widths, case, viewport
):
    case = COMPOSER_CASES[case]
    values = case["values"]()
    url = f"{live_server.url}/{case['language']}/messages/{case['slug']}/"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(url)
    expect(page.locator("#sms-text")).to_have_count(0)

    # A required field left empty: the error summary appears, has the focus, links to the field,
    # and nothing else typed is lost.
    fill_composer(page, {**values, "name": ""})
    page.get_by_role("button", name=case["write"], exact=True).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_contain_text(case["name_label"])
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_name")
    expect(page.locator("#id_name")).to_have_value("")
    expect(page.locator("#id_lender")).to_have_value(values["lender"])
    expect(page.locator("#sms-text")).to_have_count(0)

    # Filled in properly: the finished SMS and letter, with what was typed.
    page.locator("#id_name").fill(values["name"])
    page.get_by_role("button", name=case["write"], exact=True).click()
    expect(page).to_have_url(url)
    ready = page.get_by_role("heading", name=case["ready"])
    expect(ready).to_be_visible()
    expect(ready).to_be_focused()
    expect(page.locator(".error-summary")).to_have_count(0)
    sms_box, letter_box = page.locator("#sms-text"), page.locator("#letter-text")
    expect(sms_box).to_be_visible()
    expect(letter_box).to_be_visible()
    sms, letter = sms_box.input_value(), letter_box.input_value()
    for expected in case["sms_has"](values):
        assert expected in sms, f"{expected!r} is not in the SMS:\n{sms}"
    for expected in case["letter_has"](values):
        assert expected in letter, f"{expected!r} is not in the letter:\n{letter}"
    assert "{" not in sms + letter, "a placeholder was left unfilled"

    # The counter tells the truth about this very text.
    length, segments = expected_sms_count(sms)
    is_gsm = all(c in GSM_BASIC or c in GSM_EXTENDED for c in sms)
    assert is_gsm == (case["encoding"] == "gsm")
    if not is_gsm:  # 𠮷 in the name: two UTF-16 code units, so more than len() characters
        assert length == len(sms) + 1
    assert segments >= 2, "the test text should be long enough to need several SMS"
    expect(page.locator("#sms-count")).to_contain_text(case["counter"](length, segments))

    # Copy: each text lands on the clipboard exactly, and the status says so.
    status = page.locator("#output .copy-status")
    for name, text in ((case["copy_sms"], sms), (case["copy_letter"], letter)):
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_visible()
        button.click()
        expect(status).to_have_text(f"{name} ✓")
        assert page.evaluate("() => navigator.clipboard.readText()") == text, name
    source = sms if case["download_kind"] == "sms" else letter

    # Download: a .txt attachment with exactly the text shown (Windows line breaks).
    with page.expect_download() as info:
        page.get_by_role("button", name=case["download"], exact=True).click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"{case['slug']}-{case['download_kind']}.txt"
    content = Path(download.path()).read_bytes().decode("utf-8")
    assert values["name"] in content
    assert content == source.replace("\n", "\r\n")
    expect(sms_box).to_have_value(sms)  # the page stayed where it was

    screenshot_both_widths(page, f"composer-result-{case['language']}-{case['slug']}")


def test_the_composer_without_javascript_shows_the_text_ready_to_select(new_page, live_server):
    page = new_page("phone", javascript=False)
    values = COMPOSER_CASES["zh-hans-hardship-plan"]["values"]()
    page.goto("/zh-hans/messages/hardship-plan/")
    fill_composer(page, {**values, "lender": ""})
    page.get_by_role("button", name="生成消息", exact=True).click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary")).to_contain_text("平台或借款机构")

    page.locator("#id_lender").fill(values["lender"])
    page.get_by_role("button", name="生成消息", exact=True).click()
    sms_box = page.locator("#sms-text")
    expect(sms_box).to_be_visible()
    expect(sms_box).to_be_editable(editable=False)  # read-only, yet selectable (not disabled)
    expect(sms_box).to_be_enabled()
    sms = sms_box.input_value()
    assert "花呗你好，我是𠮷祥女士，关于我的欠款。" in sms
    length, segments = expected_sms_count(sms)
    expect(page.locator("#sms-count")).to_contain_text(f"共 {length} 个字，需要 {segments} 条短信")
    expect(page.locator("#letter-text")).to_contain_text("致花呗：")
    # Downloading needs no JavaScript.
    with page.expect_download() as info:
        page.get_by_role("button", name="下载信件（.txt）", exact=True).click()
    assert info.value.suggested_filename == "hardship-plan-letter.txt"
    assert "𠮷祥女士" in Path(info.value.path()).read_text("utf-8")
    # Copying and printing do, so their buttons stay hidden rather than doing nothing.
    for selector in ("[data-copy=sms-text]", "[data-copy=letter-text]", "[data-print]"):
        expect(page.locator(selector)).to_have_count(1)
        expect(page.locator(selector)).to_be_hidden()


# --- the contact log ----------------------------------------------------------------------------

MARKER = "QZX7431mark"
STORE = "contact-log-v1"
FIRST = {
    "when": "2026-11-02T22:40",
    "channel": "call",
    "who": f"+86 138 0013 8000 {MARKER}",
    "what": f"Shouted, said they would visit my parents ({MARKER} one)",
    "flags": ["night", "threat"],
    "shown": ("2026-11-02 22:40", "Phone call", "at night, threats or insults"),
}
SECOND = {
    "when": "2026-11-03T09:15",
    "channel": "third-party",
    "who": "Acme Recovery",
    "what": f"Phoned my manager about the debt ({MARKER} two)",
    "flags": ["third-party"],
    "shown": (
        "2026-11-03 09:15",
        "Contacted my family, colleagues or friends",
        "third parties contacted",
    ),
}


def add_entry(page, entry):
    contact_log.add_entry(page, entry, "Save this entry", "Saved.")


def entry_rows(page):
    return page.locator("#log-table tbody tr")


def assert_listed(page, *entries):
    """The table lists exactly these entries, newest first."""
    rows = entry_rows(page)
    expect(rows).to_have_count(len(entries))
    for row_index, entry in enumerate(sorted(entries, key=lambda e: e["when"], reverse=True)):
        when, channel, flags = entry["shown"]
        expect(rows.nth(row_index).locator("td")).to_have_text(
            [when, channel, entry["who"], entry["what"], flags, "Delete"]
        )


def stored(page) -> list[dict]:
    return page.evaluate(f"() => JSON.parse(localStorage.getItem('{STORE}') || '[]')")


def record_requests(page) -> list[str]:
    """Every request the page makes: method, URL and body."""
    sent: list[str] = []

    def record(request):
        body = request.post_data_buffer or b""
        sent.append(f"{request.method} {request.url} {body.decode('utf-8', 'replace')}")

    page.on("request", record)
    return sent


def assert_not_sent(sent: list[str]) -> None:
    assert sent, "no requests were recorded"
    leaked = [r for r in sent if MARKER.lower() in r.lower()]
    assert not leaked, f"the log's text was sent to the server: {leaked}"


def test_the_contact_log_stays_in_the_browser(page, live_server, screenshot_both_widths):
    sent = record_requests(page)
    page.goto("/en/log/")
    expect(page.locator("#log-form")).to_be_visible()
    expect(entry_rows(page)).to_have_text(["No entries yet."])

    add_entry(page, FIRST)
    assert_listed(page, FIRST)
    add_entry(page, SECOND)
    assert_listed(page, FIRST, SECOND)
    assert len(stored(page)) == 2

    # Kept across a reload (localStorage), and still only in this browser.
    page.reload()
    assert_listed(page, FIRST, SECOND)
    screenshot_both_widths(page, "contact-log-en")

    # Export: a UTF-8 CSV with a byte order mark (so spreadsheets read Chinese correctly), the
    # header row, both entries, and a leading "+" defused so it cannot start a formula.
    with page.expect_download() as info:
        page.get_by_role("button", name="Export as a spreadsheet (CSV)").click()
    download = info.value
    assert download.suggested_filename == "contact-log.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    assert rows[0] == ["Date and time", "How", "Who", "What happened", "Lines crossed"]
    exported = sorted(rows[1:])
    assert exported == sorted(
        [
            [FIRST["shown"][0], FIRST["shown"][1], "'" + FIRST["who"], FIRST["what"]]
            + [FIRST["shown"][2]],
            [SECOND["shown"][0], SECOND["shown"][1], SECOND["who"], SECOND["what"]]
            + [SECOND["shown"][2]],
        ]
    )

    # Delete one entry.
    entry_rows(page).filter(has_text=FIRST["what"]).get_by_role("button", name="Delete").click()
    assert_listed(page, SECOND)
    assert [e["what"] for e in stored(page)] == [SECOND["what"]]

    # "Delete all" asks first: cancelling keeps everything, accepting empties the log.
    dialogs: list[tuple[str, str]] = []

    def answer(accept):
        def handle(dialog):
            dialogs.append((dialog.type, dialog.message))
            dialog.accept() if accept else dialog.dismiss()

        return handle

    clear = page.get_by_role("button", name="Delete all", exact=True)
    page.once("dialog", answer(False))
    clear.click()
    assert_listed(page, SECOND)
    page.once("dialog", answer(True))
    clear.click()
    expect(entry_rows(page)).to_have_text(["No entries yet."])
    assert dialogs == [("confirm", "Delete all entries? This cannot be undone.")] * 2
    assert page.evaluate(f"() => localStorage.getItem('{STORE}')") is None
    page.reload()
    expect(entry_rows(page)).to_have_text(["No entries yet."])

    # Nothing typed into the log ever left the browser.
    assert_not_sent(sent)


def test_the_contact_log_without_javascript_is_a_blank_table_to_print(new_page):
    page = new_page("phone", javascript=False)
    page.goto("/en/log/")
    expect(page.locator("noscript")).to_have_count(1)
    note = page.locator("noscript .note")  # (Playwright's text search skips <noscript>)
    expect(note).to_be_visible()
    expect(note).to_contain_text("JavaScript is turned off in your browser")
    # The form is drawn (so the page does not move when the script arrives) but cannot be used:
    # without the script there is nowhere to keep an entry.
    expect(page.locator("#log-form")).to_be_visible()
    for field in ("#log-when", "#log-what", "#log-flag-night"):
        expect(page.locator(field)).to_be_disabled()
    expect(page.get_by_role("button", name="Save this entry")).to_be_disabled()
    expect(page.get_by_role("button", name="Write a complaint with these entries")).to_be_disabled()
    expect(page.get_by_role("link", name="Write the complaint letter yourself")).to_be_visible()
    expect(page.locator("#log-table tbody tr.blank-row")).to_have_count(6)
    expect(page.locator("#log-table")).to_be_visible()
    # Export, print and delete need JavaScript: hidden rather than buttons that do nothing.
    expect(page.locator("#log-actions")).to_be_hidden()


SIDEWAYS = """() => ({
  page: document.documentElement.scrollWidth,
  screen: window.innerWidth,
  sticking_out: Array.from(document.querySelectorAll("main *"))
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
    .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : ""))
    .slice(0, 6),
})"""


def test_the_contact_log_fits_a_phone_screen(page):
    """Most readers keep their log on a phone: nothing may push the page sideways, and the
    checkboxes stay checkbox-sized with their labels beside them."""
    problems = []

    def check_width(when):
        width = page.evaluate(SIDEWAYS)
        if width["page"] > width["screen"]:
            problems.append(
                f"{when}: the page is {width['page']}px wide on a {width['screen']}px"
                f" screen (sticking out: {width['sticking_out']})"
            )

    page.goto("/en/log/")
    for flag, selector in FLAG_BOXES.items():
        box = page.locator(selector).bounding_box()
        label = page.locator(f"label[for={selector[1:]}]").bounding_box()
        if box["width"] > 40:
            problems.append(f"the {flag} checkbox is {box['width']:.0f}px wide")
        if label["x"] < box["x"] + box["width"] or label["width"] < 200:
            problems.append(f"the {flag} label is squeezed to {label['width']:.0f}px")
    check_width("empty log")
    add_entry(page, FIRST)
    add_entry(page, SECOND)
    check_width("two entries")
    assert not problems, "\n".join(problems)


def test_the_complaint_letter_fills_in_from_the_contact_log(page, live_server):
    sent = record_requests(page)
    # With an empty log the complaint letter offers nothing to fill in.
    page.goto("/en/messages/conduct-complaint/")
    expect(page.locator("#id_incidents")).to_be_visible()
    expect(page.locator("[data-log-to]")).to_be_hidden()

    # With entries, "Fill in from my contact log" writes them, oldest first, into the incidents,
    # one timeline line each: "date time kind, who: what (lines crossed)".
    page.goto("/en/log/")
    add_entry(page, SECOND)
    add_entry(page, FIRST)
    page.goto("/en/messages/conduct-complaint/")
    fill_in = page.get_by_role("button", name="Fill in from my contact log")
    expect(fill_in).to_be_visible()
    fill_in.click()
    incidents = page.locator("#id_incidents")
    expect(incidents).to_be_focused()
    lines = incidents.input_value().split("\n")
    assert len(lines) == 2, lines
    for line, entry in zip(lines, (FIRST, SECOND), strict=True):
        when, channel, flags = entry["shown"]
        assert line == f"{when} {channel}, {entry['who']}: {entry['what']} ({flags})"

    # Nothing typed into the log left the browser (the letter is not sent until the reader
    # asks for it).
    assert_not_sent(sent)

    # The filled-in incidents make a valid letter.
    page.locator("#id_name").fill("Alex Chen")
    page.locator("#id_lender").fill("Huabei")
    page.get_by_role("button", name="Write my message", exact=True).click()
    expect(page.get_by_role("heading", name="Your message is ready")).to_be_visible()
    letter = page.locator("#letter-text").input_value()
    for line in lines:
        assert f"- {line}" in letter, (line, letter)


def test_log_this_call_opens_the_log_ready_for_a_new_entry(page, live_server):
    # Readers are in China: the pre-filled time must be the local time there, not UTC.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Shanghai"})
    page.goto("/zh-hans/call/")
    assert page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == (
        "Asia/Shanghai"
    )
    page.get_by_role("link", name="记下这通电话", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/zh-hans/log/#new")
    form = page.locator("#log-form")
    expect(form).to_be_visible()
    expect(page.get_by_role("heading", name="添加一条记录")).to_be_in_viewport()
    # The focus is in the new-entry form (its heading, the fragment's target, or its first
    # field), so typing or a screen reader starts right there.
    assert page.evaluate(
        "() => document.getElementById('log-form').contains(document.activeElement)"
    ), page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    expect(page.locator("#log-what")).to_be_in_viewport()
    expect(page.locator("#log-channel")).to_have_value("call")

    value = page.locator("#log-when").input_value()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", value), value
    shanghai = ZoneInfo("Asia/Shanghai")
    prefilled = datetime.datetime.fromisoformat(value).replace(tzinfo=shanghai)
    now = datetime.datetime.now(shanghai)
    assert abs(now - prefilled) < datetime.timedelta(minutes=2), (value, now.isoformat())


# --- the budget ---------------------------------------------------------------------------------

# Written as people write amounts: the script and the server must read them alike.
BUDGET = {"income": "5,000", "housing": "￥1,800", "food": "1 200元", "transport": "200"}


def fill_budget(page, values):
    for name, value in values.items():
        page.locator(f"#id_{name}").fill(value)


def budget_result(page):
    result = page.locator("#budget-result")
    return {
        "costs": result.locator("[data-out=costs]").inner_text(),
        "left": result.locator("[data-out=left]").inner_text(),
        "href": result.locator("[data-out-link]").get_attribute("href"),
    }


def test_the_budget_adds_up_as_you_type_and_on_the_server(
    page, new_page, live_server, screenshot_both_widths
):
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto("/en/budget/")
    result = page.locator("#budget-result")
    expect(result).to_be_hidden()

    fill_budget(page, BUDGET)
    expect(result).to_be_visible()
    expect(result.locator("[data-out=costs]")).to_have_text("3200.00")
    expect(result.locator("[data-out=left]")).to_have_text("1800.00")
    link = result.get_by_role("link", name="Write a repayment proposal with this amount")
    expect(link).to_be_visible()
    expect(link).to_have_attribute(
        "href", re.compile(r"/en/messages/hardship-plan/\?offer_amount=1800$")
    )
    expect(result.locator("[data-when=short]")).to_be_hidden()
    assert posts == [], "the live result should not need the server"
    screenshot_both_widths(page, "budget-en")

    # More going out than coming in: the result says so and offers no amount.
    page.locator("#id_other_debts").fill("2500")
    expect(result.locator("[data-out=costs]")).to_have_text("5700.00")
    expect(result.locator("[data-out=left]")).to_have_text("-700.00")
    expect(result.locator("[data-when=short]")).to_be_visible()
    expect(link).to_be_hidden()
    page.locator("#id_other_debts").fill("")
    expect(result.locator("[data-out=left]")).to_have_text("1800.00")
    live = budget_result(page)

    # The link carries the amount into the hardship letter.
    link.click()
    expect(page).to_have_url(re.compile(r"/en/messages/hardship-plan/\?offer_amount=1800$"))
    expect(page.locator("#id_offer_amount")).to_have_value("1800")

    # Without JavaScript the server makes the same sum.
    plain = new_page("phone", javascript=False)
    plain.goto("/en/budget/")
    expect(plain.locator("#budget-result")).to_be_hidden()
    fill_budget(plain, BUDGET)
    plain.get_by_role("button", name="Calculate", exact=True).click()
    expect(plain.locator("#budget-result")).to_be_visible()
    server = budget_result(plain)
    assert server["costs"] == live["costs"] == "3200.00"
    assert server["left"] == live["left"] == "1800.00"
    assert server["href"] == "/en/messages/hardship-plan/?offer_amount=1800"
    assert live["href"].endswith(server["href"])
    plain.get_by_role("link", name="Write a repayment proposal with this amount").click()
    expect(plain.locator("#id_offer_amount")).to_have_value("1800")


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({"income": "5000.50", "housing": "3200"}, id="left-1800.50"),
        pytest.param({"income": "3000", "housing": "1199.70"}, id="left-1800.30"),
    ],
)
def test_the_budget_offers_the_same_amount_with_and_without_javascript(page, new_page, values):
    """Amounts with fen: the live result and the server's must offer the same whole yuan."""
    page.goto("/en/budget/")
    fill_budget(page, values)
    expect(page.locator("#budget-result")).to_be_visible()
    live = budget_result(page)

    plain = new_page("phone", javascript=False)
    plain.goto("/en/budget/")
    fill_budget(plain, values)
    plain.get_by_role("button", name="Calculate", exact=True).click()
    expect(plain.locator("#budget-result")).to_be_visible()
    server = budget_result(plain)
    assert (live["costs"], live["left"]) == (server["costs"], server["left"])
    live_offer = live["href"].rsplit("=", 1)[1]
    server_offer = server["href"].rsplit("=", 1)[1]
    assert live_offer == server_offer, (
        f"left {server['left']}: the live result offers {live_offer}, the server {server_offer}"
    )
