"""The borrower's tools: composer, reminders, contact log page, call script, budget, search."""

from __future__ import annotations

import logging

import pytest
from django.utils import timezone

from guidance import composer
from guidance.models import MessageTemplate
from tests.admin_forms import sign_in, translated_data

pytestmark = pytest.mark.django_db

VALID = {
    "name": "王女士",
    "lender": "花呗",
    "collector": "某某公司 张先生",
    "account": "HB-2026-7",
    "amount": "3250.5",
    "offer_amount": "400",
    "offer_start": "",
    "reply_days": "15",
    "pause_until": "",
    "incidents": "2026-11-02 22:40 夜间来电\n2026-11-03 打电话给我的同事",
    "contact": "支付宝App内消息",
}


def valid_for(template):
    data = {k: v for k, v in VALID.items() if k in template.field_list}
    future = (timezone.localdate() + timezone.timedelta(days=20)).isoformat()
    for name in ("offer_start", "pause_until"):
        if name in data:
            data[name] = future
    return data


def test_the_composer_lists_at_least_six_templates_in_each_language(client):
    assert MessageTemplate.objects.count() >= 6
    for language in ("zh-hans", "zh-hant", "en"):
        html = client.get(f"/{language}/messages/").content.decode()
        for template in MessageTemplate.objects.all():
            assert f'href="/{language}/messages/{template.slug}/"' in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_template_fills_in_with_valid_input(client, language):
    for template in MessageTemplate.objects.all():
        data = valid_for(template)
        r = client.post(f"/{language}/messages/{template.slug}/", data)
        assert r.status_code == 200
        html = r.content.decode()
        assert 'id="sms-text"' in html, (template.slug, html[:2000])
        assert data["name"] in html and data["lender"] in html
        assert "no-store" in r["Cache-Control"]
        if "amount" in data:
            assert "3,250.50" in html


def test_required_fields_and_bad_values_get_messages_in_the_readers_language(client):
    r = client.post(
        "/zh-hans/messages/hardship-plan/", {"amount": "abc", "offer_start": "2020-01-01"}
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert 'class="error-summary"' in html
    assert "这个字段是必填项" in html or "必填" in html
    assert "请输入一个数字" in html or "数字" in html
    assert "请填写今天或以后的日期" in html
    r = client.post("/en/messages/hardship-plan/", {"name": "x" * 200, "lender": "花呗"})
    assert "at most 40 characters" in r.content.decode()


def test_the_blank_composer_is_kept_but_follows_edits_and_gives_each_reader_a_token(client):
    import re

    from django.test import Client

    def token(html):
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    template = MessageTemplate.objects.published().first()
    url = f"/en/messages/{template.slug}/"
    first, second = (Client().get(url).content.decode() for _ in range(2))
    assert token(first) != token(second)
    assert first.replace(token(first), "") == second.replace(token(second), "")
    template.title_en = "A title an editor just changed"
    template.save()
    assert "A title an editor just changed" in client.get(url).content.decode()
    assert client.get("/en/messages/no-such-template/").status_code == 404


def test_the_sms_shows_its_length_and_segments(client):
    template = MessageTemplate.objects.get(slug="contact-in-writing")
    r = client.post("/zh-hans/messages/contact-in-writing/", valid_for(template))
    sms = r.context["sms"]
    length, segments, _ = composer.sms_segments(sms)
    assert f"共 {length} 个字，需要 {segments} 条短信" in r.content.decode()


def test_the_download_is_a_text_attachment(client):
    template = MessageTemplate.objects.get(slug="conduct-complaint")
    r = client.post(
        "/en/messages/conduct-complaint/", {**valid_for(template), "download": "letter"}
    )
    assert r.status_code == 200
    assert r["Content-Type"] == "text/plain; charset=utf-8"
    assert r["Content-Disposition"] == 'attachment; filename="conduct-complaint-letter.txt"'
    body = r.content.decode()
    assert "王女士" in body and "夜间来电" in body


@pytest.mark.parametrize("slug", ["conduct-complaint", "regulator-complaint"])
def test_nothing_typed_reaches_the_database_or_the_logs(
    client, caplog, django_assert_max_num_queries, slug
):
    template = MessageTemplate.objects.get(slug=slug)
    data = {
        **valid_for(template),
        "name": "独一无二的名字ZQX",
        "incidents": "2026-11-02 22:40 电话，138：独一无二的经过ZQX（威胁辱骂）",
    }
    if "lender_reply" in template.field_list:
        data["lender_reply"] = "独一无二的答复ZQX"
    with caplog.at_level(logging.DEBUG), django_assert_max_num_queries(3) as queries:
        r = client.post(f"/zh-hans/messages/{slug}/", data)
        client.post(f"/zh-hans/messages/{slug}/", {**data, "download": "sms"})
    assert "独一无二的经过ZQX" in r.context["letter"]
    assert "ZQX" not in caplog.text
    assert all("ZQX" not in q["sql"] for q in queries.captured_queries)
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)


def test_a_reminder_is_an_ics_file_for_the_right_day(client):
    r = client.post("/en/reminder.ics", {"days": "15", "title": "Check for a reply"})
    assert r.status_code == 200
    assert r["Content-Type"] == "text/calendar; charset=utf-8"
    day = timezone.localdate() + timezone.timedelta(days=15)
    body = r.content.decode()
    assert f"DTSTART;VALUE=DATE:{day:%Y%m%d}" in body
    assert "SUMMARY:Check for a reply" in body
    for days in ("0", "61", "abc", ""):
        assert client.post("/en/reminder.ics", {"days": days}).status_code == 400


@pytest.mark.parametrize(
    "text, problems",
    [
        ("你好{name}", []),
        ("{name}{today}", []),
        ("{nmae}", [("unknown", "nmae")]),
        ("{amount}", [("not-offered", "amount")]),
        ("{name", [("malformed", "{name")]),
        ("name}", [("malformed", "name}")]),
        ("{ name }", [("malformed", "{ name }")]),
    ],
)
def test_placeholder_problems(text, problems):
    assert composer.placeholder_problems(text, ["name", "lender"]) == problems


def test_fill_drops_lines_with_empty_optional_values():
    text = "致{lender}：\n我的账号是{account}。\n{name}"
    assert composer.fill(text, {"lender": "花呗", "account": "", "name": "王"}) == "致花呗：\n王"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", (0, 0)),
        ("a" * 160, (160, 1)),
        ("a" * 161, (161, 2)),
        ("中" * 70, (70, 1)),
        ("中" * 71, (71, 2)),
        ("中" * 134, (134, 2)),
        ("中" * 135, (135, 3)),
        ("{}", (4, 1)),
    ],
)
def test_sms_segments(text, expected):
    assert composer.sms_segments(text)[:2] == expected


def test_the_admin_refuses_an_unknown_placeholder(client):
    from django.contrib.auth.models import User

    sign_in(
        client,
        User.objects.create_superuser("ed", "ed@example.org", "pass-phrase-123"),
        "pass-phrase-123",
    )
    template = MessageTemplate.objects.get(slug="contact-in-writing")
    data = {
        "slug": template.slug,
        "order": template.order,
        "published": "on",
        "fields": template.fields,
        "last_reviewed": "2026-11-29",
    }
    data.update(translated_data(template))
    data["sms_en"] = "Hello {nmae}, and {name"
    r = client.post(f"/admin/guidance/messagetemplate/{template.pk}/change/", data)
    assert r.status_code == 200
    html = r.content.decode()
    assert "{nmae}" in html
    template.refresh_from_db()
    assert "{nmae}" not in template.sms_en


def test_contact_log_call_and_budget_pages(client):
    for language in ("zh-hans", "zh-hant", "en"):
        for page in ("log", "call", "budget", "messages"):
            assert client.get(f"/{language}/{page}/").status_code == 200
    html = client.get("/zh-hans/call/").content.decode()
    assert 'href="/zh-hans/log/#new"' in html
    assert "不要把钱转到任何个人账户" in html
    assert 'href="/zh-hans/call/"' in client.get("/zh-hans/guide/").content.decode()


def test_the_budget_is_computed_on_the_server_without_javascript(client):
    r = client.post(
        "/en/budget/", {"income": "5000", "housing": "1800", "food": "1200", "transport": "200"}
    )
    html = r.content.decode()
    assert "3200.00" in html and "1800.00" in html
    assert 'href="/en/messages/hardship-plan/?offer_amount=1800"' in html
    # Amounts as people write them: thousands separators, a currency sign, 元.
    r = client.post(
        "/en/budget/",
        {"income": "5,000", "housing": "￥1,800", "food": "1 200元", "transport": "200"},
    )
    assert 'href="/en/messages/hardship-plan/?offer_amount=1800"' in r.content.decode()
    r = client.post("/en/budget/", {"income": "-5", "food": "lots"})
    assert 'class="error-summary"' in r.content.decode()
    r = client.get("/en/messages/hardship-plan/?offer_amount=1800")
    assert 'value="1800"' in r.content.decode()


@pytest.mark.parametrize(
    "language, query, expected_slug",
    [
        ("zh-hans", "征信", "overdue-and-credit-record"),
        ("zh-hans", "协商", "rational-communication"),
        ("zh-hans", "催收", "stop-contact-sms"),
        ("en", "credit", "overdue-and-credit-record"),
        ("zh-hant", "徵信", "overdue-and-credit-record"),
    ],
)
def test_search_finds_known_topics(client, language, query, expected_slug):
    r = client.get(f"/{language}/search/", {"q": query})
    html = r.content.decode()
    assert r.status_code == 200
    assert f"#{expected_slug}" in html
    assert "<mark>" in html


@pytest.mark.parametrize(
    "query",
    ["", "   ", "x" * 10000, "\x00\x01\x02", "<script>alert(1)</script>", "%%%", "(((", "🙂" * 100],
)
def test_search_handles_hostile_queries(client, query):
    r = client.get("/en/search/", {"q": query})
    assert r.status_code == 200
    assert "<script>alert" not in r.content.decode()


# --- the contact log's timeline, counted ----------------------------------------------------------


def fourteen_calls(language="zh-hans"):
    """14 calls over six days: 5 between 22:00 and 08:00, 2 to the reader's family."""
    call = {"zh-hans": "电话", "en": "Phone call"}[language]
    third = {"zh-hans": "（联系无关的人）", "en": " (third parties contacted)"}[language]
    # Five of them between 22:00 and 08:00 (07:59 is still night; 08:00 and 21:59 are not).
    times = ["07:59", "08:00", "12:10", "22:00", "23:40", "10:00", "21:59"]
    times += ["09:30", "13:00", "15:00", "00:05", "02:30", "11:00", "16:45"]
    lines = []
    for n in range(14):
        day = 2 + n % 6
        line = f"2026-11-{day:02d} {times[n]} {call}，138 0000 {n:04d}：催还款"
        if n in (1, 2):
            line += third
        lines.append(line)
    return lines


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "zh-hans",
            "6 天里 14 次电话（2026-11-02 至 2026-11-07）。"
            "其中 5 次在晚上 22 点到早上 8 点之间，2 次联系了我的家人、同事或朋友。",
        ),
        (
            "en",
            "14 calls in 6 days (2026-11-02 to 2026-11-07). "
            "Of these, 5 between 22:00 and 08:00, 2 to my family, colleagues or friends.",
        ),
    ],
)
def test_a_timeline_is_counted_in_plain_words(language, expected):
    from django.utils import translation

    from guidance.forms import describe_counts, timeline_labels

    with translation.override(language):
        counts = composer.count_timeline(fourteen_calls(language), *timeline_labels())
        assert (counts.contacts, counts.days, counts.night, counts.third_party) == (14, 6, 5, 2)
        assert describe_counts(counts) == expected


def test_counting_reads_kinds_flags_and_times_and_refuses_what_is_not_a_timeline():
    from guidance.forms import timeline_labels

    labels = timeline_labels()
    lines = [
        "2026-11-02 22:40 电话，+86 138：喊叫，说要去找我父母（夜间联系、威胁辱骂）",
        "2026-11-03 09:15 联系了我的家人、同事或朋友，Acme：打电话给我领导",
        "2026年11月4日 短信：冒充法院（冒充公检法）",  # no time: night only if flagged
        "2026/11/05 08:00 SMS, x: asked for money (personal account, at night)",
    ]
    counts = composer.count_timeline(lines, *labels)
    assert counts.contacts == 4 and counts.days == 4
    assert counts.channels == {"call": 1, "third-party": 1, "sms": 2}
    # 22:40 is at night; 08:00 is not, whatever its flag says (the time is what happened).
    assert counts.night == 1
    assert counts.third_party == 1
    assert counts.flags == {"night": 2, "threat": 1, "impersonation": 1, "personal-account": 1}
    # Any line without a real date, and the counts are not made at all: they must agree with
    # every line of the letter.
    assert composer.count_timeline([*lines, "他们还给我同事打过电话"], *labels) is None
    assert composer.count_timeline(["2026-02-30 10:00 电话：x"], *labels) is None
    assert composer.count_timeline([], *labels) is None


def test_the_complaint_letter_holds_the_timeline_and_its_counts(client):
    template = MessageTemplate.objects.get(slug="conduct-complaint")
    lines = fourteen_calls()
    data = {**valid_for(template), "incidents": "\n".join(lines)}
    r = client.post("/zh-hans/messages/conduct-complaint/", data)
    letter = r.context["letter"]
    assert "- " + lines[0] in letter and "- " + lines[-1] in letter
    assert "合计：6 天里 14 次电话（2026-11-02 至 2026-11-07）。" in letter
    assert "合计：6 天里 14 次电话" in r.context["sms"]
    # Typed by hand, dated: counted too (the kind of contact is unknown, the hour is not).
    r = client.post("/zh-hans/messages/conduct-complaint/", valid_for(template))
    assert (
        "合计：2 天里 2 次联系（2026-11-02 至 2026-11-03）。其中 1 次在晚上" in r.context["letter"]
    )
    # Without dates: the letter keeps the words and leaves the counts out.
    undated = {**valid_for(template), "incidents": "他们半夜打电话\n还打给了我的同事"}
    r = client.post("/zh-hans/messages/conduct-complaint/", undated)
    assert "- 他们半夜打电话" in r.context["letter"] and "合计" not in r.context["letter"]
    # After writing it, the reader is pointed to the ladder, dated today, for the right lender.
    html = r.content.decode()
    assert f'href="/zh-hans/complaint/?route=ant&amp;sent={timezone.localdate()}"' in html


def test_the_regulator_complaint_is_filled_from_the_ladder_and_checks_its_date(client):
    url = "/en/messages/regulator-complaint/"
    html = client.get(f"{url}?complained_on=2026-11-20&lender=ant").content.decode()
    assert 'value="2026-11-20"' in html
    assert 'value="Chongqing Ant Consumer Finance (Huabei, Jiebei)"' in html
    sent = timezone.localdate() - timezone.timedelta(days=16)
    data = {
        "name": "Alex",
        "lender": "Chongqing Ant Consumer Finance",
        "complained_on": sent.isoformat(),
        "incidents": "\n".join(fourteen_calls("en")),
    }
    r = client.post(url, data)
    letter = r.context["letter"]
    assert letter.startswith("Subject: Complaint about collection by Chongqing Ant Consumer")
    assert "To the National Financial Regulatory Administration," in letter
    assert f"I complained to Chongqing Ant Consumer Finance on {sent}" in letter
    assert "In total: 14 calls in 6 days" in letter
    html = r.content.decode()
    assert "Short version: read this out on the call" in html
    # Said on the phone, not sent: no SMS counter, and no link that would re-date the ladder.
    assert 'id="sms-count"' not in html and "Copy the short version" in html
    assert "/en/complaint/?" not in html
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    r = client.post(url, {**data, "complained_on": tomorrow.isoformat()})
    assert "Enter today’s date or an earlier one." in r.content.decode()


# --- the complaint ladder -----------------------------------------------------------------------


def test_the_ladder_dates_each_step_from_the_day_the_complaint_was_sent(client):
    sent = timezone.localdate() - timezone.timedelta(days=3)
    day = lambda n: (sent + timezone.timedelta(days=n)).isoformat()  # noqa: E731
    r = client.get("/zh-hans/complaint/", {"route": "ant", "sent": sent.isoformat()})
    html = r.content.decode()
    assert r.status_code == 200
    assert f"{sent} 发出 → {day(15)} 前应有答复" in html
    assert f"15 日是 {day(15)}；延长到 30 日是 {day(30)}；再延长 30 日是 {day(60)}" in html
    assert "向重庆蚂蚁消费金融有限公司投诉" in html and 'href="tel:12378"' in html
    assert html.index('href="tel:110"') < html.index("第 1 步")  # danger comes first
    assert f'href="/zh-hans/complaint/reminder.ics?route=ant&amp;sent={sent}"' in html
    assert (
        f'href="/zh-hans/messages/regulator-complaint/?complained_on={sent}&amp;lender=ant'
        '#from-log"' in html
    )
    # A bank's credit line: the bank first, then 12378 too.
    html = client.get("/en/complaint/", {"route": "bank", "sent": sent}).content.decode()
    assert "Step 1: complain to the bank that provided the credit" in html
    assert "Step 3: no reply, or an unsatisfactory one? Call 12378" in html
    assert "lender=ant" not in html
    # A credit-report error: the dispute route, 20 days, then the PBOC branch or a court.
    html = client.get("/en/complaint/", {"route": "credit", "sent": sent}).content.decode()
    assert f"due by {day(20)}" in html
    assert "Complain to the local PBOC branch, or go to court" in html
    assert "12378" not in html


def test_the_ladder_without_a_date_explains_the_limits_in_days(client):
    html = client.get("/en/complaint/").content.decode()
    assert "Step 2: wait for a reply, normally within 15 days" in html
    assert '<input type="radio" name="route" value="ant" id="id_route_0" required checked>' in html
    assert 'value="bank" id="id_route_1" required>' in html
    assert "reminder.ics" not in html


@pytest.mark.parametrize(
    "query, message",
    [
        ({"route": "bank", "sent": "2026-02-30"}, "Enter the date as year-month-day"),
        ({"route": "bank", "sent": "yesterday"}, "Enter the date as year-month-day"),
        ({"route": "loan-shark", "sent": ""}, "Choose one of the options below."),
        ({"sent": "2026-11-01"}, "This field is required."),
        ({"route": "ant", "sent": "2020-01-01"}, "more than a year ago"),
        ({"route": "ant", "sent": "2099-01-01"}, "too far ahead"),
        ({"route": "ant" * 5000, "sent": "\x00" * 50}, "Choose one of the options below."),
    ],
)
def test_bad_ladder_links_get_a_clear_message_never_a_500(client, query, message):
    r = client.get("/en/complaint/", query)  # the form again, with what to change
    assert r.status_code == 200
    assert 'class="error-summary"' in r.content.decode()
    assert message in r.content.decode()
    r = client.get("/en/complaint/reminder.ics", query)
    assert r.status_code == 400
    assert r["Content-Type"].startswith("text/html")
    assert message in r.content.decode()
    assert client.get("/en/complaint/plan.txt", query).status_code == 400


def test_a_bad_reminder_link_is_explained_in_the_readers_language(client):
    r = client.get("/zh-hant/complaint/reminder.ics", {"route": "ant"})
    html = r.content.decode()
    assert r.status_code == 400
    assert "無法生成提醒" in html and "請填寫日期。" in html
    assert 'href="/zh-hant/complaint/"' in html


def parse_calendar(response):
    import icalendar

    body = response.content
    assert all(len(line) <= 75 for line in body.split(b"\r\n")), "a line is not folded"
    assert b"\r\n " in body or len(body) < 300, "long lines should have been folded"
    calendar = icalendar.Calendar.from_ical(body)
    (event,) = calendar.walk("VEVENT")
    (alarm,) = event.walk("VALARM")
    return event, alarm


def test_the_ladders_reminder_is_a_calendar_file_that_rings_on_the_due_day(client):
    sent = timezone.localdate() - timezone.timedelta(days=2)
    r = client.get("/zh-hans/complaint/reminder.ics", {"route": "ant", "sent": sent.isoformat()})
    assert r.status_code == 200
    assert r["Content-Type"] == "text/calendar; charset=utf-8"
    due = sent + timezone.timedelta(days=15)
    assert r["Content-Disposition"] == f'attachment; filename="reminder-{due:%Y%m%d}.ics"'
    assert r["Cache-Control"] == "no-store"
    event, alarm = parse_calendar(r)
    assert event.decoded("dtstart") == due
    assert str(event["summary"]) == "投诉的答复期限到了"
    description = str(event["description"])
    assert "拨打 12378" in description and "110" in description
    assert f"/zh-hans/complaint/?route=ant&sent={sent}" in description
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm.decoded("trigger") == timezone.timedelta(hours=9)  # 09:00 that morning
    r = client.get("/en/complaint/reminder.ics", {"route": "credit", "sent": sent.isoformat()})
    event, _ = parse_calendar(r)
    assert event.decoded("dtstart") == sent + timezone.timedelta(days=20)
    assert "People’s Bank of China" in str(event["description"])


def test_the_composers_reminder_folds_long_lines_and_rings(client):
    r = client.post("/zh-hans/reminder.ics", {"days": "15", "title": "查看对方是否回复" * 5})
    event, alarm = parse_calendar(r)
    assert event.decoded("dtstart") == timezone.localdate() + timezone.timedelta(days=15)
    assert str(event["summary"]) == "查看对方是否回复" * 5
    assert alarm.decoded("trigger") == timezone.timedelta(hours=9)


def test_the_plan_can_be_saved_as_a_text_file(client):
    sent = timezone.localdate()
    r = client.get("/en/complaint/plan.txt", {"route": "ant", "sent": sent.isoformat()})
    assert r.status_code == 200
    assert r["Content-Type"] == "text/plain; charset=utf-8"
    assert r["Content-Disposition"] == 'attachment; filename="complaint-plan.txt"'
    text = r.content.decode()
    assert text.startswith("Your complaint, step by step\r\n")
    assert "call 110 now" in text and "12356" in text
    due = sent + timezone.timedelta(days=15)
    assert f"- Step 2: wait for a reply, due by {due}\r\n" in text
    assert "- Screenshots of collection texts" in text
    assert "<" not in text and "&amp;" not in text
    assert "I have sent the complaint" not in text  # the ticks belong to the page


def test_the_ladder_reads_only_a_route_and_a_date(client, caplog):
    with caplog.at_level(logging.DEBUG):
        client.get("/en/complaint/", {"route": "ant", "sent": "2026-11-20", "name": "ZQX名字"})
        client.get("/en/complaint/reminder.ics", {"route": "ant", "sent": "2026-11-20"})
    assert "ZQX" not in caplog.text and "2026-11-20" not in caplog.text


def test_guess_route_from_the_lenders_name():
    from guidance.escalation import guess_route

    assert guess_route("花呗") == "ant"
    assert guess_route("Chongqing Ant Consumer Finance (Huabei)") == "ant"
    assert guess_route("某某银行信用贷") == "bank"
    assert guess_route("XX Bank") == "bank"
    assert guess_route("某网贷") is None


# --- the contact log page -----------------------------------------------------------------------


def test_the_log_page_draws_its_forms_on_the_server(client):
    html = client.get("/en/log/").content.decode()
    form = html[html.index('<form id="log-form"') : html.index('<section aria-labelledby="entries')]
    assert "hidden" not in form.split(">")[0]
    # Nothing moves when the script arrives: the fields are there, disabled until it does.
    assert '<fieldset class="log-fields" disabled data-needs-script>' in form
    for key in ("call", "sms", "app", "visit", "third-party"):
        assert f'<option value="{key}">' in form
    for key in ("night", "threat", "third-party", "impersonation", "personal-account"):
        assert f'id="log-flag-{key}"' in form and f'id="pick-flag-{key}"' in html
    assert 'href="/en/messages/conduct-complaint/"' in html
    assert 'href="/en/complaint/"' in html
    # The punctuation the script writes timeline lines with, which the counts read back.
    assert 'data-before-what=": "' in html and 'data-flags-open=" ("' in html


def test_the_guide_on_rights_links_to_the_log_and_the_ladder(client):
    for section, topic in (
        ("responding-well", "know-your-rights"),
        ("why-people-avoid-contact", "protecting-rights"),
    ):
        html = client.get(f"/en/guide/{section}/").content.decode()
        part = html[html.index(f'id="{topic}"') :]
        part = part[
            : part.index('<section class="topic"') if '<section class="topic"' in part else None
        ]
        assert 'href="/en/log/"' in part and 'href="/en/complaint/"' in part, topic
    # "They are calling me now" leads to the log, ready for a new entry.
    assert 'href="/zh-hant/log/#new"' in client.get("/zh-hant/call/").content.decode()


def test_every_hint_is_the_one_its_field_points_to(client):
    import re

    for url in (
        "/en/messages/conduct-complaint/",
        "/en/messages/regulator-complaint/",
        "/en/budget/",
    ):
        html = client.get(url).content.decode()
        described = re.findall(r'aria-describedby="([^"]+)"', html)
        assert described, url
        for ids in described:
            for id_ in ids.split():
                assert f'id="{id_}"' in html, f"{url}: {id_} points at nothing"
