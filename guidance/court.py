"""Court deadlines: which period applies to the papers a reader received, and its last day.

Counted as Civil Procedure Law art. 85 says (shared/facts.md 7.2): the day of receipt does not
count, so a period of N days received on day D ends on D+N; a last day that is a public holiday or
rest day moves to the next working day. Holidays come from `chinese_calendar`, which only knows
the years it was published for: outside them we say so rather than guess.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import chinese_calendar

TYPE_QUESTION = "court-type"
DATE_QUESTION = "court-date"
DATE_CHOICE = "received"  # the answer "I know the date"; any other answer means "I don't"
# Where the date sits among the reader's answers: never a question key (keys have no dot).
DATE_KEY = "court-date.received"

# Days to act, by the papers' kind: defend a lawsuit (art. 128), pay or object to a payment order
# (art. 227), appeal a judgment or a ruling (art. 171). Other papers get no computed date.
PERIODS = {"lawsuit": 15, "payment-order": 15, "judgment": 15, "ruling": 10}
EARLIEST = datetime.date(2000, 1, 1)
REMIND_DAYS_BEFORE = 3
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    last_day: datetime.date
    moved_from: datetime.date | None = None  # day D+N, when it was a holiday
    unchecked_year: int | None = None  # a year the holiday calendar does not cover

    def days_left(self, today: datetime.date) -> int:
        return (self.last_day - today).days

    def reminder_day(self, today: datetime.date) -> datetime.date | None:
        day = self.last_day - REMIND_DAYS_BEFORE * DAY
        return day if day > today else None


def count(received: datetime.date, days: int) -> Deadline:
    """The last day of a period of `days` days for papers received on `received`."""
    due = last = received + days * DAY
    unchecked_year = None
    try:
        while not chinese_calendar.is_workday(last):
            last += DAY
    except NotImplementedError:
        unchecked_year = last.year
    return Deadline(last, due if last != due else None, unchecked_year)


class BadDate(ValueError):
    """A date papers cannot have come on; args[0] says why: "empty", "format", "future", "old"."""


DATE_PATTERN = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def parse_received(text: str, today: datetime.date) -> datetime.date:
    """The date typed (2026-09-20, 2026/9/20, 2026年9月20日), if papers could have come then."""
    text = text.strip()
    if not text:
        raise BadDate("empty")
    match = DATE_PATTERN.fullmatch(text[:40])
    try:
        received = datetime.date(*(int(part) for part in match.groups()))
    except (AttributeError, ValueError):
        raise BadDate("format") from None
    if received > today:
        raise BadDate("future")
    if received < EARLIEST:
        raise BadDate("old")
    return received


def date_value(text: str) -> str:
    """`text` as a date field's value: an ISO date, or empty (a browser refuses anything else)."""
    try:
        return datetime.date.fromisoformat(text[:40]).isoformat()
    except ValueError:
        return ""


@dataclass(frozen=True)
class CourtPapers:
    kind: str  # the court-type answer
    days: int | None  # the period these papers give, if we count it
    received: datetime.date | None
    deadline: Deadline | None


def keep_date(answers: Mapping[str, Sequence[str]], on_route: dict) -> dict:
    """`on_route` (the answers still on the reader's route) with the date, if it was given there."""
    if on_route.get(DATE_QUESTION) == (DATE_CHOICE,) and DATE_KEY in answers:
        return {**on_route, DATE_KEY: tuple(answers[DATE_KEY])}
    return on_route


def papers(answers: Mapping[str, Sequence[str]]) -> CourtPapers | None:
    """What the answers on the reader's route (and the date kept with them) say of the papers."""
    kind = answers.get(TYPE_QUESTION)
    if not kind:
        return None
    try:
        received = datetime.date.fromisoformat(answers[DATE_KEY][0])
    except (KeyError, IndexError, TypeError, ValueError):
        received = None
    days = PERIODS.get(kind[0])
    deadline = count(received, days) if received and days else None
    return CourtPapers(kind[0], days, received, deadline)
