"""Message templates: placeholders, filling them in, and counting SMS segments. No Django here."""

from __future__ import annotations

import re

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
    "contact",
)
REQUIRED_FIELDS = ("name", "lender")
AUTOMATIC = ("today",)
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
    for match in MALFORMED.finditer(leftover):
        problems.append(("malformed", match.group().strip()))
    return problems


def fill(template: str, values: dict[str, str]) -> str:
    """Replace placeholders with `values`; leave out every line that names an empty one."""
    lines = []
    for line in template.strip("\n").splitlines():
        names = PLACEHOLDER.findall(line)
        if any(not values.get(name) for name in names):
            continue
        lines.append(PLACEHOLDER.sub(lambda m: values[m.group(1)], line))
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
    single, multi = SINGLE_SEGMENT[encoding], SPLIT_SEGMENT[encoding]
    if length == 0:
        return 0, 0, encoding
    segments = 1 if length <= single else -(-length // multi)
    return length, segments, encoding
