"""Search across topics, path pages and message templates in the reader's language.

The index is plain text per document, built once per content version and language; a query is
a case-insensitive substring match, which works for two-character Chinese words (征信, 协商) as
well as English words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .models import MessageTemplate, PathPage, Topic
from .wizard import per_content_version

MAX_QUERY_LENGTH = 50
MAX_RESULTS = 30
SNIPPET_RADIUS = 40
MARKDOWN_MARKS = re.compile(r"[*_#>`\[\]]|\]\([^)]*\)|^\s*[-+]\s+", re.M)


@dataclass(frozen=True)
class Document:
    title: str
    text: str  # plain text, for matching and snippets
    url: str
    kind: str  # "topic", "path" or "message"


def normalise_query(raw: str) -> str:
    """Keep a query a person could have meant: no control characters, collapsed spaces, short."""
    text = "".join(c for c in raw if unicodedata.category(c)[0] != "C")
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def _plain(markdown_text: str) -> str:
    text = re.sub(r"\]\([^)]*\)", "]", markdown_text)
    return " ".join(MARKDOWN_MARKS.sub("", text).split())


def _build(language: str) -> list[Document]:
    from django.utils import translation

    with translation.override(language):
        documents = [
            Document(
                t.title,
                _plain(
                    " ".join(
                        [
                            t.summary,
                            t.key_points,
                            t.body,
                            *(f"{source.title} {source.citation}" for source in t.sources.all()),
                        ]
                    )
                ),
                t.get_absolute_url(),
                "topic",
            )
            for t in Topic.objects.published()
            .filter(section__published=True)
            .select_related("section")
            .prefetch_related("sources")
        ]
        documents += [
            Document(
                p.title,
                _plain(
                    " ".join([p.summary, p.body, *(f"{s.title} {s.body}" for s in p.steps.all())])
                ),
                p.get_absolute_url(),
                "path",
            )
            for p in PathPage.objects.prefetch_related("steps")
        ]
        documents += [
            Document(
                m.title,
                _plain(" ".join([m.summary, m.when_to_use, m.when_not_to_use])),
                m.get_absolute_url(),
                "message",
            )
            for m in MessageTemplate.objects.published()
        ]
    return documents


@dataclass(frozen=True)
class Index:
    """Documents with their lowered texts, and which documents hold each pair of characters."""

    documents: list[Document]
    titles: list[str]
    texts: list[str]
    pairs: dict[str, frozenset[int]]

    @classmethod
    def build(cls, documents: list[Document]) -> Index:
        titles = [d.title.lower() for d in documents]
        texts = [d.text.lower() for d in documents]
        pairs: dict[str, set[int]] = {}
        for number, (title, text) in enumerate(zip(titles, texts, strict=True)):
            for source in (title, text):
                for start in range(len(source) - 1):
                    pairs.setdefault(source[start : start + 2], set()).add(number)
        return cls(documents, titles, texts, {k: frozenset(v) for k, v in pairs.items()})

    def candidates(self, terms: list[str]) -> list[int]:
        """Documents that may contain every term: those holding all of each term's pairs."""
        found: set[int] | None = None
        for term in terms:
            for start in range(len(term) - 1):
                holders = self.pairs.get(term[start : start + 2], frozenset())
                found = set(holders) if found is None else found & holders
                if not found:
                    return []
        return sorted(found) if found is not None else list(range(len(self.documents)))


def index(language: str | None = None) -> Index:
    language = language or get_language()
    return per_content_version(f"search-{language}", lambda: Index.build(_build(language)))


def documents(language: str | None = None) -> list[Document]:
    return index(language).documents


@dataclass(frozen=True)
class Hit:
    document: Document
    snippet: SafeString
    score: int


def _snippet(text: str, terms: list[str]) -> SafeString:
    lowered = text.lower()
    first = min((lowered.find(t) for t in terms if t in lowered), default=0)
    start = max(0, first - SNIPPET_RADIUS)
    end = min(len(text), first + SNIPPET_RADIUS * 2)
    piece = text[start:end]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    parts, last = [], 0
    for match in pattern.finditer(piece):
        parts.append(escape(piece[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(piece[last:]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + "".join(parts) + suffix)  # noqa: S308 (every piece escaped)


def search(query: str, language: str | None = None) -> list[Hit]:
    """Documents containing every term: title matches first, then the rest in guide order.

    Stops after MAX_RESULTS body matches, so a query costs about the same however much
    content there is.
    """
    terms = [t.lower() for t in normalise_query(query).split()]
    if not terms:
        return []
    idx = index(language)
    in_title, in_body = [], []
    for number in idx.candidates(terms):
        title, text = idx.titles[number], idx.texts[number]
        if all(t in title for t in terms):
            in_title.append(number)
        elif len(in_body) < MAX_RESULTS and all(t in title or t in text for t in terms):
            in_body.append(number)
    chosen = (in_title + in_body)[:MAX_RESULTS]
    return [
        Hit(idx.documents[n], _snippet(idx.documents[n].text, terms), 2 if n in in_title else 1)
        for n in chosen
    ]
