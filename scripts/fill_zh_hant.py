"""Fill the Traditional Chinese message catalogue from its Simplified msgids.

Usage: python -m scripts.fill_zh_hant locale/zh_Hant/LC_MESSAGES/django.po (`make messages`).

Every msgstr is generated as the content's Traditional texts are (guidance/traditional.py: OpenCC
s2tw, then the glossary), except the strings written by hand in locale/zh_Hant/overrides.toml,
which are used as written. An override whose msgid is no longer in the catalogue is named on
stderr: its Simplified string changed, so it needs writing again.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import polib

from guidance.traditional import to_traditional

OVERRIDES = Path(__file__).resolve().parent.parent / "locale" / "zh_Hant" / "overrides.toml"


def read_overrides(path: Path = OVERRIDES) -> dict[str, str]:
    """{Simplified msgid: Traditional text written by hand}."""
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def fill(catalogue: polib.POFile, overrides: dict[str, str]) -> list[str]:
    """Write every msgstr of `catalogue`; return the overrides it has no msgid for."""
    for entry in catalogue:
        singular = overrides.get(entry.msgid) or to_traditional(entry.msgid)
        if entry.msgid_plural:
            plural = overrides.get(entry.msgid_plural) or overrides.get(entry.msgid)
            entry.msgstr_plural = {0: singular, 1: plural or to_traditional(entry.msgid_plural)}
        else:
            entry.msgstr = singular
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    msgids = {entry.msgid for entry in catalogue} | {entry.msgid_plural for entry in catalogue}
    return [msgid for msgid in overrides if msgid not in msgids]


def main(path: str) -> int:
    catalogue = polib.pofile(path)
    unused = fill(catalogue, read_overrides())
    catalogue.save()
    for msgid in unused:
        print(f"{OVERRIDES.name}: no such msgid any more, write it again: {msgid}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
