"""Traditional Chinese made from Simplified: converted, then the project's glossary applied.

OpenCC's `s2tw` profile converts the characters to the Taiwan standard forms without rewriting
any words; then the glossary (guidance/zh_hant_glossary.toml) replaces mainland vocabulary and
punctuation outside the protected spans (law titles in 《》, institution and hotline names,
quoted official text), which keep their official wording. README, "Traditional Chinese", says
why. No Django here: scripts/fill_zh_hant.py uses it for the interface's catalogue.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from functools import lru_cache
from pathlib import Path

import opencc

# Characters only: the phrase profile (s2twp) would also rewrite words inside law and
# institution names (網絡 -> 網路) and gets many wrong (發佈 -> 釋出, 掛斷 -> 結束通話).
PROFILE = "s2tw"
GLOSSARY_PATH = Path(__file__).resolve().parent / "zh_hant_glossary.toml"
LAW_TITLE = r"《[^《》\n]*》"


class GlossaryError(ValueError):
    pass


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC(PROFILE)


@lru_cache(maxsize=1)
def _folder() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _alternatives(words) -> re.Pattern | None:
    """One pattern matching any of `words`, the longest first where several start at one place."""
    words = sorted(set(words), key=lambda w: (-len(w), w))
    return re.compile("|".join(map(re.escape, words))) if words else None


class Glossary:
    """Replacements applied to converted text, except inside protected spans: law titles in
    《》 and the texts listed as protected."""

    def __init__(self, terms: dict[str, str], protected: tuple[str, ...]):
        self.terms = terms  # as the converter writes it -> as a Traditional reader expects it
        self.protected = protected  # as the converter writes them
        self._terms = _alternatives(terms)
        names = sorted(set(protected), key=lambda name: (-len(name), name))
        self._protected = re.compile("|".join([LAW_TITLE, *map(re.escape, names)]))

    @classmethod
    def from_toml(cls, text: str) -> Glossary:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise GlossaryError(f"TOML syntax error: {error}") from error
        terms, protected = data.get("terms", {}), data.get("protected", [])
        if set(data) - {"terms", "protected"}:
            raise GlossaryError("only [terms] and protected = [...] are allowed")
        if not isinstance(terms, dict) or not all(
            key and isinstance(value, str) for key, value in terms.items()
        ):
            raise GlossaryError('[terms] holds lines like "短信" = "簡訊"')
        if not isinstance(protected, list) or not all(isinstance(p, str) and p for p in protected):
            raise GlossaryError("protected is a list of texts")
        convert = _converter().convert
        # Either script may be written: what counts is what the converter makes of it.
        return cls(
            {convert(key): value for key, value in terms.items()},
            tuple(convert(span) for span in protected),
        )

    def protected_spans(self, text: str) -> list[tuple[int, int]]:
        return [match.span() for match in self._protected.finditer(text)]

    def apply(self, text: str) -> str:
        if self._terms is None:
            return text
        pieces, start = [], 0
        for span_start, span_end in [*self.protected_spans(text), (len(text), len(text))]:
            pieces.append(self._terms.sub(lambda m: self.terms[m.group()], text[start:span_start]))
            pieces.append(text[span_start:span_end])
            start = span_end
        return "".join(pieces)


def read_glossary(path: Path = GLOSSARY_PATH) -> Glossary:
    try:
        return Glossary.from_toml(path.read_text(encoding="utf-8"))
    except GlossaryError as error:
        raise GlossaryError(f"{path.name}: {error}") from error


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    return read_glossary()


def to_traditional(text: str) -> str:
    """Traditional Chinese for a Simplified text: converted, then the glossary applied."""
    return glossary().apply(_converter().convert(text)) if text else text


@lru_cache(maxsize=1)
def _unglossed() -> tuple[dict[str, str], re.Pattern | None]:
    """Each glossary replacement mapped back to what the converter wrote, where that keeps the
    length (so that a position in folded text is a position in the original)."""
    back: dict[str, str] = {}
    for key, value in sorted(glossary().terms.items()):
        if len(key) == len(value):
            back.setdefault(value, key)
    return back, _alternatives(back)


def fold_chinese(text: str) -> str:
    """`text` with the glossary's vocabulary and the Traditional forms turned back into
    Simplified, so that 徵信 and 征信, 簡訊 and 短信 compare equal. The result is as long as
    `text`, so that where a match is in one it is in the other."""
    back, pattern = _unglossed()
    unglossed = pattern.sub(lambda m: back[m.group()], text) if pattern else text
    folded = _folder().convert(unglossed)
    if len(folded) != len(text):  # a phrase that changed length: fold one character at a time
        folded = "".join(_folder().convert(c) for c in unglossed)
    return folded


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
