"""Message templates: placeholders, filling them in, counting SMS segments, and counting what a
dated timeline of contacts shows. No Django here."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field

# The placeholders a template may use, in the order the composer's form offers them.
FIELDS = (
    "name",
    "lender",
    "collector",
    "account",
    "amount",
    "offer_amount",
    "offer_start",
    "reply_days",
    "pause_until",
    "incidents",
    "complained_on",
    "lender_reply",
    "contact",
)
REQUIRED_FIELDS = ("name", "lender")
# Filled in by the composer itself: today's date, and the counts the incidents' timeline shows.
AUTOMATIC = ("today", "counts")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# A braced fragment that is not a placeholder ("{ name }", "{姓名}"), or a brace left on its own
# with the word next to it ("{name", "name}").
MALFORMED = re.compile(r"[{｛][^{}｛｝\n]{0,30}[}｝]|[{｛]\w{0,30}|\w{0,30}[}｝]")


def placeholder_problems(text: str, offered: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """Problems with the placeholders in `text`: ("unknown", name), ("not-offered", name),
    or ("malformed", fragment) for a brace that does not form a placeholder."""
    problems: list[tuple[str, str]] = []
    for match in PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in FIELDS and name not in AUTOMATIC:
            problems.append(("unknown", name))
        elif name in FIELDS and name not in offered:
            problems.append(("not-offered", name))
    leftover = PLACEHOLDER.sub("", text)
    return problems + [("malformed", m.group().strip()) for m in MALFORMED.finditer(leftover)]


def fill(template: str, values: dict[str, str]) -> str:
    """Replace placeholders with `values`; leave out every line that names an empty one."""
    lines = [
        PLACEHOLDER.sub(lambda m: values[m.group(1)], line)
        for line in template.strip("\n").splitlines()
        if all(values.get(name) for name in PLACEHOLDER.findall(line))
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# The GSM 03.38 basic alphabet (plus its extension table): text made only of these travels as
# 7-bit characters; anything else (Chinese, for one) makes the whole message UCS-2.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€")
# An SMS carries 140 bytes: 7-bit characters, or 2 bytes each in UCS-2 (Chinese). A split
# message spends 6 bytes of each part on the header that joins the parts again.
SMS_BYTES, JOIN_HEADER_BYTES = 140, 6
SINGLE_SEGMENT = {"gsm": SMS_BYTES * 8 // 7, "ucs2": SMS_BYTES // 2}
SPLIT_SEGMENT = {
    "gsm": (SMS_BYTES - JOIN_HEADER_BYTES) * 8 // 7,
    "ucs2": (SMS_BYTES - JOIN_HEADER_BYTES) // 2,
}


def sms_segments(text: str) -> tuple[int, int, str]:
    """Return (length in characters as the network counts them, segments, encoding)."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        length = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        encoding = "gsm"
    else:
        length = len(text.encode("utf-16-le")) // 2
        encoding = "ucs2"
    if length <= SINGLE_SEGMENT[encoding]:
        return length, min(length, 1), encoding  # an empty text takes no segment
    return length, -(-length // SPLIT_SEGMENT[encoding]), encoding


# --- a dated timeline of contacts ---------------------------------------------------------------
#
# The contact log writes one line per contact: "2026-11-02 22:40 Phone call, who: what (flags)",
# with the channel and the flags in the reader's language. A reader without the log can type the
# same shape by hand. The counts are made from the lines themselves, so they always agree with the
# timeline the letter shows, however the reader edited it.

LINE_DATE = re.compile(
    r"^\s*(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:[\sT]*(?P<hour>\d{1,2})\s*[:：时]\s*(?P<minute>\d{2})\s*分?)?"
)
TRAILING_FLAGS = re.compile(r"[(（]([^()（）]*)[)）]\s*[。.]?\s*$")
FLAG_SEPARATORS = re.compile(r"\s*[、,，;；]\s*")
# The CBA's 2026 guideline: no collection between 22:00 and 08:00 without the debtor's consent.
NIGHT_STARTS, NIGHT_ENDS = 22, 8


@dataclass(frozen=True)
class Contact:
    day: datetime.date
    time: datetime.time | None
    channel: str | None
    flags: frozenset[str]

    @property
    def at_night(self) -> bool:
        if self.time is not None:
            return self.time.hour >= NIGHT_STARTS or self.time.hour < NIGHT_ENDS
        return "night" in self.flags

    @property
    def third_party(self) -> bool:
        return self.channel == "third-party" or "third-party" in self.flags


@dataclass(frozen=True)
class TimelineCounts:
    contacts: int
    first: datetime.date
    last: datetime.date
    channels: dict[str, int] = field(default_factory=dict)
    night: int = 0
    third_party: int = 0
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def parse_contact(line: str, channels: dict[str, str], flags: dict[str, str]) -> Contact | None:
    """One timeline line as a Contact, or None when it does not start with a real date.

    `channels` and `flags` map the labels the reader sees (any language) to their keys."""
    match = LINE_DATE.match(line)
    if not match:
        return None
    try:
        day = datetime.date(int(match["year"]), int(match["month"]), int(match["day"]))
        time = datetime.time(int(match["hour"]), int(match["minute"])) if match["hour"] else None
    except ValueError:
        return None
    rest = line[match.end() :].strip()
    channel = next(
        (
            channels[label]
            for label in sorted(channels, key=len, reverse=True)
            if rest.casefold().startswith(label.casefold())
        ),
        None,
    )
    trailing = TRAILING_FLAGS.search(rest)
    parts = FLAG_SEPARATORS.split(trailing.group(1)) if trailing else []
    known = {label.casefold(): key for label, key in flags.items()}
    found = frozenset(known[part.casefold()] for part in parts if part.casefold() in known)
    return Contact(day=day, time=time, channel=channel, flags=found)


def count_timeline(
    lines: list[str], channels: dict[str, str], flags: dict[str, str]
) -> TimelineCounts | None:
    """What a timeline shows, counted; None unless every line is a dated contact."""
    contacts = [parse_contact(line, channels, flags) for line in lines if line.strip()]
    if not contacts or any(c is None for c in contacts):
        return None
    days = [c.day for c in contacts]
    return TimelineCounts(
        contacts=len(contacts),
        first=min(days),
        last=max(days),
        channels=dict(Counter(c.channel for c in contacts if c.channel)),
        night=sum(c.at_night for c in contacts),
        third_party=sum(c.third_party for c in contacts),
        flags=dict(Counter(flag for c in contacts for flag in c.flags)),
    )
