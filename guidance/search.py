"""Search across topics, path pages and message templates in the reader's language.

The index is plain text per document, built once per content version and language; a query is
a case-insensitive substring match, which works for two-character Chinese words (征信, 协商) as
well as English words. Texts and queries are compared folded to Simplified (`fold_chinese`), so
a reader may type 徵信 or 征信, 簡訊 or 短信, on any page.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .models import MessageTemplate, PathPage, Topic
from .traditional import fold_chinese
from .versioned import per_content_version

MAX_QUERY_LENGTH = 50
MAX_RESULTS = 10
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


def _document(kind: str, page, *texts: str) -> Document:
    return Document(page.title, _plain(" ".join(texts)), page.get_absolute_url(), kind)


def _build(language: str) -> list[Document]:
    topics = (
        Topic.objects.published()
        .filter(section__published=True)
        .select_related("section")
        .prefetch_related("sources")
    )
    with translation.override(language):
        documents = []
        for t in topics:
            sources = [f"{source.title} {source.citation}" for source in t.sources.all()]
            documents.append(_document("topic", t, t.summary, t.key_points, t.body, *sources))
        for p in PathPage.objects.prefetch_related("steps"):
            steps = [f"{step.title} {step.body}" for step in p.steps.all()]
            documents.append(_document("path", p, p.summary, p.body, *steps))
        for m in MessageTemplate.objects.published():
            documents.append(_document("message", m, m.summary, m.when_to_use, m.when_not_to_use))
    return documents


@dataclass(frozen=True)
class Index:
    """Documents with their titles and texts lowered and folded, as queries are."""

    documents: list[Document]
    titles: list[str]
    texts: list[str]

    @classmethod
    def build(cls, documents: list[Document]) -> Index:
        titles = [fold_chinese(d.title.lower()) for d in documents]
        return cls(documents, titles, [fold_chinese(d.text.lower()) for d in documents])


def index(language: str | None = None, version: str | None = None) -> Index:
    language = language or get_language()
    return per_content_version(f"search-{language}", lambda: Index.build(_build(language)), version)


@dataclass(frozen=True)
class Hit:
    document: Document
    snippet: SafeString
    score: int


def _snippet(text: str, folded: str, terms: list[str]) -> SafeString:
    """Part of `text` around the first term, with every term marked. The terms are found in
    `folded` (the text as the index holds it), which is as long as `text` when nothing in it
    changes length on lowering; otherwise they are looked for in `text` as typed."""
    if len(folded) != len(text):
        folded = text.lower()
    first = min((folded.find(t) for t in terms if t in folded), default=0)
    start = max(0, first - SNIPPET_RADIUS)
    end = min(len(text), first + SNIPPET_RADIUS * 2)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    parts, last = [], start
    for match in pattern.finditer(folded, start, end):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(text[match.start() : match.end()])}</mark>")
        last = match.end()
    parts.append(escape(text[last:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + "".join(parts) + suffix)  # noqa: S308 (every piece escaped)


def search(query: str, language: str | None = None) -> list[Hit]:
    """Documents containing every term: title matches first, then the rest in guide order."""
    terms = [fold_chinese(t.lower()) for t in normalise_query(query).split()]
    if not terms:
        return []
    idx = index(language)
    in_title = [n for n, title in enumerate(idx.titles) if all(t in title for t in terms)]
    in_text = [
        n
        for n, (title, text) in enumerate(zip(idx.titles, idx.texts, strict=True))
        if n not in in_title and all(t in title or t in text for t in terms)
    ]
    chosen = (in_title + in_text)[:MAX_RESULTS]
    return [
        Hit(
            idx.documents[n],
            _snippet(idx.documents[n].text, idx.texts[n], terms),
            2 if n in in_title else 1,
        )
        for n in chosen
    ]
