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


def test_nothing_typed_reaches_the_database_or_the_logs(
    client, caplog, django_assert_max_num_queries
):
    template = MessageTemplate.objects.get(slug="conduct-complaint")
    data = {**valid_for(template), "name": "独一无二的名字ZQX"}
    with caplog.at_level(logging.DEBUG), django_assert_max_num_queries(3) as queries:
        client.post("/zh-hans/messages/conduct-complaint/", data)
        client.post("/zh-hans/messages/conduct-complaint/", {**data, "download": "sms"})
    assert "独一无二的名字ZQX" not in caplog.text
    assert all("独一无二" not in q["sql"] for q in queries.captured_queries)
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
