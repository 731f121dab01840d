"""From the contact log to a complaint that works, in a real browser: entries of several kinds
become a dated, counted letter; the ladder dates the steps, gives a calendar reminder and the
step-two letter filled from the same records; progress stays in the browser; none of the typed
text reaches the server's log or database. Also: the same without JavaScript, the log page
holding still while it loads, and the CSV export defusing every formula prefix."""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
from pathlib import Path

import icalendar
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.db import models
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.contact_log import add_entry

pytestmark = pytest.mark.django_db(transaction=True)

MARKER = "QZX5520mark"
STORE = "contact-log-v1"
ENTRIES = [
    {
        "when": "2026-11-02T22:40",
        "channel": "call",
        "who": "+86 138 0013 8000",
        "what": f"骂我，说要去找我父母 {MARKER}",
        "flags": ["night", "threat"],
    },
    {
        "when": "2026-11-03T09:15",
        "channel": "third-party",
        "who": "某某催收公司",
        "what": f"给我领导打电话，说我欠钱不还 {MARKER}",
        "flags": ["third-party"],
    },
    {
        "when": "2026-11-04T23:10",
        "channel": "call",
        "who": "+86 138 0013 8000",
        "what": f"半夜又打来 {MARKER}",
        "flags": ["night"],
    },
    {
        "when": "2026-11-06T10:00",
        "channel": "sms",
        "who": "106900",
        "what": f"短信说已经报案，要来抓我 {MARKER}",
        "flags": ["impersonation"],
    },
    {
        "when": "2026-11-07T07:30",
        "channel": "app",
        "who": "",
        "what": f"让我转账到一个个人账户 {MARKER}",
        "flags": ["personal-account"],
    },
]
TIMELINE = [
    f"2026-11-02 22:40 电话，+86 138 0013 8000：骂我，说要去找我父母 {MARKER}"
    "（夜间联系、威胁辱骂）",
    "2026-11-03 09:15 联系了我的家人、同事或朋友，某某催收公司："
    f"给我领导打电话，说我欠钱不还 {MARKER}（联系无关的人）",
    f"2026-11-04 23:10 电话，+86 138 0013 8000：半夜又打来 {MARKER}（夜间联系）",
    f"2026-11-06 10:00 短信，106900：短信说已经报案，要来抓我 {MARKER}（冒充公检法）",
    f"2026-11-07 07:30 App 或社交软件消息：让我转账到一个个人账户 {MARKER}（个人账户）",
]
COUNTS = (
    "合计：6 天里 5 次联系（2026-11-02 至 2026-11-07）："
    "2 次电话、1 条短信、1 条 App 或社交软件消息。"
    "其中 3 次在晚上 22 点到早上 8 点之间，1 次联系了我的家人、同事或朋友，1 次有威胁、辱骂或恐吓，"
    "1 次冒充公安、法院或律师，1 次要求转账到个人账户。"
)


def record_requests(page) -> list[dict]:
    sent: list[dict] = []

    def record(request):
        body = (request.post_data_buffer or b"").decode("utf-8", "replace")
        sent.append({"method": request.method, "url": request.url, "body": body})

    page.on("request", record)
    return sent


def rows_holding(text: str) -> list[str]:
    """Every database row (any model, any text column) that holds `text`."""
    found = []
    for model in apps.get_models():
        columns = [
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
            and not f.is_relation
        ]
        for column in columns:
            lookup = {f"{column}__icontains": text}
            if model._default_manager.filter(**lookup).exists():
                found.append(f"{model._meta.label}.{column}")
    return found


def download(page, action) -> tuple[str, bytes]:
    with page.expect_download() as info:
        action()
    assert info.value.failure() is None
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def test_from_log_entries_to_a_counted_complaint_and_the_ladder(
    page, live_server, caplog, screenshot
):
    caplog.set_level(logging.INFO)
    sent = record_requests(page)
    today = timezone.localdate()
    due = today + datetime.timedelta(days=15)

    # Several entries of different kinds.
    page.goto("/zh-hans/log/")
    for entry in ENTRIES:
        add_entry(page, entry, "保存这条记录", "已保存。")
    rows = page.locator("#log-table tbody tr")
    expect(rows).to_have_count(5)

    # Choosing entries: all, a date range, by flag. The table shows which are in.
    count = page.locator("#pick-count")
    expect(count).to_have_text("选中了 5 条，共 5 条。")
    page.locator("#pick-from").fill("2026-11-03")
    page.locator("#pick-to").fill("2026-11-06")
    expect(page.locator("#pick-range")).to_be_checked()
    expect(count).to_have_text("选中了 3 条，共 5 条。")
    expect(page.locator("#log-table tbody tr.not-chosen")).to_have_count(2)
    page.locator("#pick-flag-night").check()
    expect(page.locator("#pick-flags")).to_be_checked()
    expect(count).to_have_text("选中了 2 条，共 5 条。")
    page.locator("#pick-flag-night").uncheck()
    expect(count).to_have_text("没有符合条件的记录。")
    page.locator("#pick-all").check()
    expect(count).to_have_text("选中了 5 条，共 5 条。")
    expect(page.locator("#log-table tbody tr.not-chosen")).to_have_count(0)
    screenshot(page, "complaint-log-zh-hans")

    # Write the complaint: the letter's incidents are the timeline, oldest first.
    page.get_by_role("button", name="用选中的记录写投诉信").click()
    expect(page).to_have_url(f"{live_server.url}/zh-hans/messages/conduct-complaint/#from-log")
    incidents = page.locator("#id_incidents")
    expect(incidents).to_be_focused()
    expect(incidents).to_have_value("\n".join(TIMELINE))
    expect(page.locator(".log-import .copy-status")).to_have_text("已从联系记录本导入 5 条记录。")
    page.locator("#id_name").fill("王女士")
    page.locator("#id_lender").fill("花呗")
    page.locator("#id_reply_days").fill("15")
    page.get_by_role("button", name="生成消息", exact=True).click()
    expect(page.get_by_role("heading", name="你的消息已经写好")).to_be_visible()
    letter = page.locator("#letter-text").input_value()
    for line in TIMELINE:
        assert f"- {line}" in letter, line
    assert COUNTS in letter, letter
    screenshot(page, "complaint-letter-zh-hans")

    # Download the letter: the same text, timeline and counts included.
    name, body = download(page, page.get_by_role("button", name="下载信件（.txt）").click)
    assert name == "conduct-complaint-letter.txt"
    assert body.decode("utf-8") == letter.replace("\n", "\r\n")

    # The ladder, dated today, for Huabei's lender.
    page.get_by_role("link", name="发出以后：看看投诉的步骤和时间表，到期没有答复该找谁").click()
    expect(page).to_have_url(f"{live_server.url}/zh-hans/complaint/?route=ant&sent={today}")
    expect(page.locator(".timeline-summary")).to_have_text(
        f"{today} 发出 → {due} 前应有答复 → 没有答复或不满意，就走下一步。"
    )
    expect(page.locator("#step-danger")).to_contain_text("现在就拨打 110")

    # The calendar reminder: an all-day event on the due day that rings that morning.
    name, body = download(page, page.get_by_role("link", name=f"把 {due} 加入日历（.ics）").click)
    assert name == f"reminder-{due:%Y%m%d}.ics"
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert event.decoded("dtstart") == due
    assert event.walk("VALARM"), "the reminder has no alarm"

    # The plan as a file.
    name, body = download(page, page.get_by_role("link", name="把时间表存成文件（.txt）").click)
    assert name == "complaint-plan.txt" and f"期限是 {due}" in body.decode("utf-8")

    # Progress is kept in this browser: ticked, reloaded, still ticked; and coming back without
    # the date in the address shows the same plan.
    page.get_by_label("我已经发出了投诉").check()
    page.reload()
    expect(page.get_by_label("我已经发出了投诉")).to_be_checked()
    expect(page.get_by_label("已经收到答复")).not_to_be_checked()
    page.goto("/zh-hans/complaint/")
    expect(page).to_have_url(f"{live_server.url}/zh-hans/complaint/?route=ant&sent={today}")
    expect(page.get_by_label("我已经发出了投诉")).to_be_checked()
    screenshot(page, "complaint-ladder-zh-hans")

    # Step two, already filled from the same records.
    page.get_by_role("link", name="写给监管部门的投诉").click()
    expect(page.locator("#id_lender")).to_have_value("重庆蚂蚁消费金融有限公司（花呗、借呗）")
    expect(page.locator("#id_complained_on")).to_have_value(today.isoformat())
    expect(page.locator("#id_incidents")).to_have_value("\n".join(TIMELINE))  # filled by tools.js
    page.locator("#id_name").fill("王女士")
    page.get_by_role("button", name="生成消息", exact=True).click()
    expect(page.get_by_role("heading", name="短版：打电话时照着说")).to_be_visible()
    letter = page.locator("#letter-text").input_value()
    assert "致国家金融监督管理总局：" in letter
    assert f"我在{today}已经向重庆蚂蚁消费金融有限公司（花呗、借呗）投诉" in letter
    assert COUNTS in letter and f"- {TIMELINE[3]}" in letter
    screenshot(page, "complaint-regulator-zh-hans")

    # The typed text went to the server only in the bodies of the letters the reader asked
    # for, never in an address; the server kept none of it.
    assert any(MARKER in r["body"] for r in sent if r["method"] == "POST")
    assert not [r["url"] for r in sent if MARKER.lower() in r["url"].lower()]
    assert not [r["url"] for r in sent if "王女士" in r["url"] or "%E7%8E%8B" in r["url"]]
    requests_logged = [r for r in caplog.records if r.name == "portal.requests"]
    assert len(requests_logged) >= 8, "the server's request log was not captured"
    logged = "\n".join(
        f"{r.getMessage()} {json.dumps(getattr(r, 'fields', {}), ensure_ascii=False)}"
        for r in caplog.records
    )
    assert MARKER not in logged and "王女士" not in logged
    assert rows_holding(MARKER) == [] and rows_holding("王女士") == []


def test_without_javascript_the_complaint_is_written_by_hand_and_the_ladder_works(
    new_page, live_server, screenshot
):
    page = new_page("phone", javascript=False)
    page.goto("/en/log/")
    page.get_by_role("link", name="Write the complaint letter yourself").click()
    expect(page.locator("[data-log-to]")).to_be_hidden()
    page.locator("#id_name").fill("Alex")
    page.locator("#id_lender").fill("Example Bank credit line")
    page.locator("#id_incidents").fill(
        "2026-11-02 22:40 Phone call: shouted at me\n2026-11-03 10:00 Phone call: called again"
    )
    page.get_by_role("button", name="Write my message", exact=True).click()
    letter = page.locator("#letter-text").input_value()
    assert "- 2026-11-02 22:40 Phone call: shouted at me" in letter
    assert (
        "In total: 2 calls in 2 days (2026-11-02 to 2026-11-03). "
        "Of these, 1 between 22:00 and 08:00." in letter
    )

    # The ladder as plain HTML: a bank's line of credit, dated by hand.
    page.get_by_role("link", name="Once it is sent: see your complaint step by step").click()
    today = timezone.localdate()
    expect(page).to_have_url(f"{live_server.url}/en/complaint/?route=bank&sent={today}")
    sent = today - datetime.timedelta(days=20)
    page.get_by_label("Collection for a credit line from a bank").check()
    page.locator("#id_sent").fill(sent.isoformat())
    page.get_by_role("button", name="Show my plan").click()
    expect(page).to_have_url(f"{live_server.url}/en/complaint/?route=bank&sent={sent}")
    due = sent + datetime.timedelta(days=15)
    expect(page.locator("#step-reply h3")).to_have_text(f"Step 2: wait for a reply, due by {due}")
    expect(page.locator("#step-first h3")).to_have_text(
        "Step 1: complain to the bank that provided the credit"
    )
    name, body = download(page, page.get_by_role("link", name=f"Add {due} to my calendar").click)
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert event.decoded("dtstart") == due
    screenshot(page, "complaint-ladder-en-nojs")

    # A date that cannot be: a clear message in the reader's language, no error page.
    page.locator("#id_sent").fill("2020-01-01")
    page.get_by_role("button", name="Show my plan").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("more than a year ago")
    expect(page.locator("#step-reply h3")).to_have_text(
        "Step 2: wait for a reply, normally within 15 days"
    )


LAYOUT_SHIFTS = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 1000);
})"""


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("address", ["/zh-hans/log/", "/en/log/#new"])
def test_the_log_page_holds_still_while_it_loads(new_page, viewport, address):
    """Cumulative layout shift 0 (Lighthouse counts the same shifts), with entries to show."""
    page = new_page(viewport)
    stored = [{**e, "id": str(n)} for n, e in enumerate(ENTRIES)]
    page.context.add_init_script(
        f"localStorage.setItem('{STORE}', {json.dumps(json.dumps(stored))});"
    )
    page.goto(address, wait_until="load")
    expect(page.locator("#log-table tbody tr")).to_have_count(5)
    assert page.evaluate(LAYOUT_SHIFTS) == 0


FORMULAS = [
    ("=1+1", True),
    ("+86 138", True),
    ("-2", True),
    ("@SUM(A1)", True),
    ("\tcmd", True),
    ("\rcmd", True),
    ("＝1+1", True),
    ("＋86", True),
    ("－2", True),
    ("＠SUM", True),
    ("   =1+1", True),
    ("\u3000＝1", True),
    ("1-2", False),
    ("a=b", False),
    ("电话 +86", False),
]


def test_the_csv_export_defuses_every_formula_prefix(page):
    stored = [
        {"id": str(n), "when": "2026-11-02T10:00", "channel": "call", "who": text, "what": text}
        for n, (text, _) in enumerate(FORMULAS)
    ]
    page.context.add_init_script(
        f"localStorage.setItem('{STORE}', {json.dumps(json.dumps(stored))});"
    )
    page.goto("/en/log/")
    name, raw = download(page, page.get_by_role("button", name="Export as a spreadsheet").click)
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))[1:]
    cells = {row[2]: row[3] for row in rows}
    for text, dangerous in FORMULAS:
        expected = "'" + text if dangerous else text
        assert expected in cells, f"{text!r} should export as {expected!r}: {sorted(cells)}"
        assert cells[expected] == expected


AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_the_ladder_and_the_log_are_accessible(page, language):
    stored = [{**e, "id": str(n)} for n, e in enumerate(ENTRIES)]
    page.context.add_init_script(
        f"localStorage.setItem('{STORE}', {json.dumps(json.dumps(stored))});"
    )
    failures = []
    for address in (
        f"/{language}/complaint/?route=ant&sent={timezone.localdate()}",
        f"/{language}/complaint/?route=credit&sent=nonsense",
        f"/{language}/log/",
        f"/{language}/messages/regulator-complaint/",
    ):
        page.goto(address)
        results = AXE.run(page, options=AXE_OPTIONS)
        if results.violations_count:
            failures.append(
                f"{address}: "
                + "; ".join(
                    f"{v['id']} ({len(v['nodes'])}): {v['nodes'][0]['target']}"
                    for v in results.response["violations"]
                )
            )
    assert not failures, "\n".join(failures)
