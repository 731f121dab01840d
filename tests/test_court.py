"""Court deadlines: the counting on real calendar dates, then the wizard's date question and the
deadline it shows, through plain forms and htmx."""

from __future__ import annotations

import datetime
import logging
import re

import chinese_calendar
import icalendar
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from guidance import court
from guidance.wizard import dump_state, load_tree
from tests.test_html_valid import vnu_messages
from tests.wizard_routes import calm_choice, calm_route

pytestmark = pytest.mark.django_db
D = datetime.date
HTMX = {"HTTP_HX_REQUEST": "true"}
DATE_URL = "/{lang}/wizard/q/court-date/"


# --- Counting -----------------------------------------------------------------------------------


def test_a_deadline_on_a_working_day_is_the_day_of_receipt_plus_the_period():
    deadline = court.count(D(2026, 3, 2), 15)
    assert deadline.last_day == D(2026, 3, 17)  # a Tuesday
    assert deadline.moved_from is None and deadline.unchecked_year is None


def test_a_deadline_in_the_national_day_holiday_moves_to_the_first_working_day_after():
    deadline = court.count(D(2026, 9, 20), 15)
    assert deadline.moved_from == D(2026, 10, 5)
    assert deadline.last_day == D(2026, 10, 8)
    # What the holiday calendar says about that week, day by day.
    assert not any(chinese_calendar.is_workday(D(2026, 10, day)) for day in range(1, 8))
    assert chinese_calendar.is_holiday(D(2026, 10, 5))
    assert chinese_calendar.is_workday(D(2026, 10, 8))


def test_a_deadline_on_a_weekend_moves_to_monday():
    deadline = court.count(D(2026, 11, 6), 15)
    assert deadline.moved_from == D(2026, 11, 21)  # a Saturday
    assert deadline.last_day == D(2026, 11, 23)


def test_a_saturday_made_a_working_day_is_not_moved():
    # 10 October 2026 is a Saturday worked in exchange for the National Day holiday.
    assert D(2026, 10, 10).weekday() == 5 and chinese_calendar.is_workday(D(2026, 10, 10))
    deadline = court.count(D(2026, 9, 25), 15)
    assert deadline.last_day == D(2026, 10, 10) and deadline.moved_from is None


def test_a_ruling_gives_ten_days():
    assert court.PERIODS["ruling"] == 10
    assert court.count(D(2026, 6, 1), 10).last_day == D(2026, 6, 11)


@pytest.mark.parametrize(
    ("received", "year"), [(D(2031, 3, 3), 2031), (D(2026, 12, 20), 2027), (D(2001, 5, 8), 2001)]
)
def test_a_year_the_holiday_calendar_does_not_cover_is_said_plainly(received, year):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(year, 6, 1))
    deadline = court.count(received, 15)
    assert deadline.unchecked_year == year
    assert deadline.last_day == received + datetime.timedelta(days=15)
    assert deadline.moved_from is None


def test_days_left_and_the_reminder_three_days_before():
    deadline = court.count(D(2026, 3, 2), 15)  # last day 17 March
    assert deadline.days_left(D(2026, 3, 10)) == 7
    assert deadline.days_left(D(2026, 3, 20)) == -3
    assert deadline.reminder_day(D(2026, 3, 10)) == D(2026, 3, 14)
    assert deadline.reminder_day(D(2026, 3, 14)) is None  # too late to remind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-20", D(2026, 9, 20)),
        (" 2026/9/20 ", D(2026, 9, 20)),
        ("2026.09.20", D(2026, 9, 20)),
        ("2026年9月20日", D(2026, 9, 20)),
    ],
)
def test_a_typed_date_is_read_in_the_usual_forms(text, expected):
    assert court.parse_received(text, D(2026, 12, 3)) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("yesterday", "format"),
        ("2026-02-30", "format"),
        ("20260920", "format"),
        ("9" * 5000, "format"),
        ("2026-12-04", "future"),
        ("9999-12-31", "future"),
        ("1999-12-31", "old"),
    ],
)
def test_a_date_that_cannot_be_when_papers_came_is_refused(text, code):
    with pytest.raises(court.BadDate) as refused:
        court.parse_received(text, D(2026, 12, 3))
    assert refused.value.args[0] == code


def test_papers_know_their_period_and_the_date_only_when_given():
    given = {"court-type": ("judgment",), "court-date": ("received",)}
    papers = court.papers({**given, court.DATE_KEY: ("2026-09-20",)})
    assert papers.days == 15 and papers.deadline.last_day == D(2026, 10, 8)
    assert court.papers({**given, court.DATE_KEY: ("not a date",)}).deadline is None
    assert court.papers({"court-type": ("small-claims",)}).days is None
    assert court.papers({"court-type": ("enforcement",)}).deadline is None
    assert court.papers({"overdue": ("days",)}) is None


def test_the_date_is_kept_only_while_its_answer_is_on_the_route():
    answers = {"court-date": ("received",), court.DATE_KEY: ("2026-09-20",)}
    assert court.keep_date(answers, {"court-date": ("received",)})[court.DATE_KEY] == (
        "2026-09-20",
    )
    assert court.DATE_KEY not in court.keep_date(answers, {"court-date": ("dont-remember",)})
    assert court.DATE_KEY not in court.keep_date(answers, {"overdue": ("days",)})


# --- Through the wizard -------------------------------------------------------------------------


def court_route(papers="lawsuit"):
    return calm_route(
        load_tree().tree, overdue="sued", **{"court-how": "ems", "court-type": papers}
    )


def set_answers(client, answers):
    client.cookies["wizard"] = dump_state(load_tree().tree, dict(answers))


def up_to_the_date(client, papers="lawsuit"):
    """The reader's cookie holds the answers asked before the date question."""
    route = court_route(papers)
    keys = [key for key, _ in route]
    set_answers(client, route[: keys.index("court-date")])
    return route


def finish(client, lang="en"):
    """Answer the remaining questions calmly through plain forms; returns the result page."""
    tree = load_tree().tree
    r = client.get(f"/{lang}/wizard/result/")
    while r.status_code == 302:
        key = r["Location"].split("/q/")[1].strip("/")
        r = client.post(r["Location"], {"choice": [calm_choice(tree.question(key))]})
        r = client.get(r["Location"]) if r["Location"].endswith("/result/") else r
    assert r.status_code == 200
    return r.content.decode()


def deadline_box(html, papers):
    start = html.index(f'data-court="{papers}"')
    return html[start : html.index("</section>", start)]


def give_date(client, received, lang="en", **extra):
    return client.post(
        DATE_URL.format(lang=lang), {"choice": ["received"], "received": received}, **extra
    )


def test_the_court_route_asks_for_the_date_after_the_kind_of_papers(client):
    route = court_route()
    keys = [key for key, _ in route]
    assert keys.index("court-date") == keys.index("court-type") + 1
    assert len(route) <= 12
    up_to_the_date(client)
    html = client.get("/en/wizard/q/court-date/").content.decode()
    assert 'type="date" name="received" id="received"' in html
    assert f'max="{timezone.localdate():%Y-%m-%d}"' in html
    assert 'value="dont-remember"' in html and "I don&#x27;t remember the date" in html


def test_a_deadline_in_a_holiday_week_is_shown_moved_and_long_passed(client):
    up_to_the_date(client)
    r = give_date(client, "2026-09-20")
    assert r.status_code == 302 and r["Location"] == "/en/wizard/q/pay/"
    assert "2026" not in r["Location"]
    html = finish(client)
    box = deadline_box(html, "lawsuit")
    assert "Last day to file your defence" in box
    assert "Oct. 8, 2026" in box and "Thursday" in box
    assert "Day 15 is Oct. 5, 2026, a public holiday" in box
    passed = (timezone.localdate() - D(2026, 10, 8)).days
    assert f"This deadline passed {passed} days ago." in box
    assert "Get advice through 12348 or a lawyer today" in box
    assert "12368" in box and "reached the system you agreed" in box
    assert "court-reminder.ics" not in box  # nothing left to be reminded of
    assert html.index('data-notice="court"') < html.index('data-court="lawsuit"')
    assert html.index('data-court="lawsuit"') < html.index('data-path="')
    # The answers list shows the date itself.
    assert "Sept. 20, 2026" in html[html.index('id="answer-court-date"') :]


def test_papers_received_today_get_days_left_and_a_reminder_three_days_before(client):
    today = timezone.localdate()
    up_to_the_date(client, "payment-order")
    give_date(client, today.isoformat())
    html = finish(client)
    deadline = court.count(today, 15)
    box = deadline_box(html, "payment-order")
    assert "Last day to pay or object in writing" in box
    assert f"{deadline.days_left(today)} days left." in box
    if deadline.unchecked_year:
        assert f"does not have {deadline.unchecked_year}'s holidays yet" in box
    assert 'href="/en/wizard/court-reminder.ics"' in box

    r = client.get("/en/wizard/court-reminder.ics")
    assert r["Content-Type"].startswith("text/calendar") and "no-store" in r["Cache-Control"]
    event = icalendar.Calendar.from_ical(r.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == deadline.last_day - datetime.timedelta(days=3)
    assert "12368" in str(event["description"]) and "12348" in str(event["description"])


@pytest.mark.parametrize(
    ("papers", "title", "days"),
    [("judgment", "Last day to appeal", 15), ("ruling", "Last day to appeal", 10)],
)
def test_a_judgment_or_ruling_gets_its_appeal_deadline_and_never_the_defence_one(
    client, papers, title, days
):
    received = timezone.localdate() - datetime.timedelta(days=2)
    up_to_the_date(client, papers)
    give_date(client, received.isoformat())
    html = finish(client)
    box = deadline_box(html, papers)
    assert title in box and f"{days} days" in box
    assert "defence" not in html.lower()


def test_a_small_claims_judgment_has_no_appeal_and_no_date_question(client):
    route = court_route("small-claims")
    assert "court-date" not in dict(route)
    set_answers(client, route)
    html = client.get("/en/wizard/result/").content.decode()
    box = deadline_box(html, "small-claims")
    assert "cannot be appealed" in box
    assert "Last day" not in box and "court-reminder" not in box
    assert "defence" not in html.lower()


@pytest.mark.parametrize("papers", ["enforcement", "not-sure"])
def test_an_enforcement_notice_or_unknown_papers_get_no_computed_date(client, papers):
    set_answers(client, court_route(papers))
    html = client.get("/en/wizard/result/").content.decode()
    box = deadline_box(html, papers)
    assert "Last day" not in box
    assert "states its own deadline" in box
    assert "12368" in box and "12348" in box


def test_i_dont_remember_gives_the_period_and_who_to_ask(client):
    up_to_the_date(client)
    r = client.post("/en/wizard/q/court-date/", {"choice": ["dont-remember"], "received": ""})
    assert r["Location"] == "/en/wizard/q/pay/"
    html = finish(client)
    box = deadline_box(html, "lawsuit")
    assert "Without the date" in box and "15 days" in box and "12368" in box
    assert "Last day" not in box


@pytest.mark.parametrize(
    ("lang", "typed", "message"),
    [
        ("en", "", "Enter the date you received the papers"),
        ("en", "next tuesday", "We could not read that date"),
        ("en", "2026-02-30", "We could not read that date"),
        ("en", "2999-01-01", "That date is after today"),
        ("en", "1999-12-31", "That date is too early"),
        ("zh-hans", "2999-01-01", "这个日期在今天之后"),
        ("zh-hant", "1999-12-31", "這個日期太早了"),
    ],
)
def test_an_unusable_date_is_asked_again_in_the_readers_language(client, lang, typed, message):
    up_to_the_date(client)
    r = give_date(client, typed, lang)
    html = r.content.decode()
    assert r.status_code == 200
    assert 'class="error-summary"' in html and message in html
    assert 'href="#received"' in html and 'aria-invalid="true"' in html
    assert "wizard" not in r.cookies  # nothing saved
    r = give_date(client, typed, lang, **HTMX)
    assert r.status_code == 200 and "<html" not in r.content.decode()
    assert message in r.content.decode()


def test_with_htmx_the_date_swaps_in_the_next_question_and_pushes_its_url(client):
    up_to_the_date(client)
    r = give_date(client, "2026-09-20", **HTMX)
    assert r.status_code == 200 and r["HX-Push-Url"] == "/en/wizard/q/pay/"
    assert "<html" not in r.content.decode()
    assert "2026-09-20" not in r["HX-Push-Url"]
    page = client.get("/en/wizard/q/court-date/", **HTMX).content.decode()
    assert 'value="2026-09-20"' in page  # Back shows the date given


def test_the_date_is_forgotten_when_the_route_no_longer_asks_for_it(client):
    up_to_the_date(client)
    give_date(client, "2026-09-20")
    finish(client)
    r = client.post("/en/wizard/q/court-type/", {"choice": ["small-claims"]})
    assert r.status_code == 200  # first a warning that the date question's answer will go
    assert "On what day did you receive these papers?" in r.content.decode()
    change = {"choice": ["small-claims"], "confirm": "discard"}
    r = client.post("/en/wizard/q/court-type/", change)
    assert r["Location"] == "/en/wizard/result/"
    html = client.get(r["Location"]).content.decode()
    assert "Sept. 20, 2026" not in html and "court-date" not in html
    # Back on a dated route, the question is asked afresh.
    r = client.post("/en/wizard/q/court-type/", {"choice": ["judgment"], "confirm": "discard"})
    assert r["Location"] == "/en/wizard/q/court-date/"
    assert 'value=""' in client.get(r["Location"]).content.decode()


def test_the_date_never_reaches_a_url_or_a_log_line(client, caplog):
    caplog.set_level(logging.DEBUG)
    up_to_the_date(client)
    locations = [give_date(client, "2026-09-20")["Location"]]
    finish(client)
    client.get("/en/wizard/court-reminder.ics")
    assert not any("09-20" in url or "0920" in url for url in locations)
    for written in ("2026-09-20", "20260920", "2026-10-08", "20261008"):
        assert written not in caplog.text
    assert "2026-09-20" not in client.cookies["wizard"].value  # signed and compressed


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    typed=st.text(max_size=60) | st.dates().map(str) | st.just("2026-09-20" * 500),
    choices=st.lists(st.sampled_from(["received", "dont-remember", "x", ""]), max_size=3),
    lang=st.sampled_from(["en", "zh-hans", "zh-hant"]),
)
def test_whatever_is_typed_as_the_date_the_reader_never_meets_a_server_error(
    client, typed, choices, lang
):
    up_to_the_date(client)
    r = client.post(DATE_URL.format(lang=lang), {"choice": choices, "received": typed})
    assert r.status_code in (200, 302)
    if r.status_code == 200:
        assert 'class="error-summary"' in r.content.decode()


def test_the_reminder_without_a_deadline_goes_back_to_the_result(client):
    set_answers(client, court_route("enforcement"))
    r = client.get("/en/wizard/court-reminder.ics")
    assert r.status_code == 302 and r["Location"] == "/en/wizard/result/"
    client.cookies["wizard"] = "garbage"
    assert client.get("/en/wizard/court-reminder.ics", follow=True).status_code == 200


@pytest.mark.parametrize("stored", [["2026-13-45"], [], ["x" * 5000], ["1999-01-01"], [""]])
def test_a_stored_date_that_makes_no_sense_shows_no_date_instead_of_failing(client, stored):
    route = court_route()
    set_answers(client, [*route, (court.DATE_KEY, tuple(stored))])
    r = client.get("/en/wizard/result/")
    assert r.status_code == 200
    if stored != ["1999-01-01"]:
        assert "Last day" not in r.content.decode()
    assert client.get("/en/wizard/court-reminder.ics").status_code in (200, 302)
    assert client.get("/en/wizard/q/court-date/").status_code == 200


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("zh-hans", ["提交答辩状的最后一天", "2026年10月8日", "星期四", "法定休假日", "12368"]),
        ("zh-hant", ["提交答辯狀的最後一天", "2026年10月8日", "星期四", "法定休假日", "12368"]),
        ("en", ["Last day to file your defence", "Oct. 8, 2026", "public holiday", "12368"]),
    ],
)
def test_the_deadline_reads_in_each_language(client, lang, texts):
    up_to_the_date(client)
    give_date(client, "2026-09-20", lang)
    html = finish(client, lang)
    box = deadline_box(html, "lawsuit")
    for text in texts:
        assert text in box, text


def test_the_date_question_and_the_deadline_are_valid_html(client, tmp_path):
    files = []
    for lang in ("zh-hans", "en"):
        up_to_the_date(client)
        pages = {
            "question": client.get(DATE_URL.format(lang=lang)).content,
            "error": give_date(client, "garbage", lang).content,
        }
        give_date(client, timezone.localdate().isoformat(), lang)
        pages["result"] = finish(client, lang).encode()
        for name, html in pages.items():
            files.append(tmp_path / f"{lang}-{name}.html")
            files[-1].write_bytes(html)
    messages = vnu_messages(files)
    assert [m["message"] for m in messages if m["type"] == "error"] == []
    assert re.search(r"court-reminder\.ics", pages["result"].decode())
