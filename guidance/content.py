"""Reading the content files (guidance/content/, format in FORMAT.md) into the database.

Each row remembers a hash of the file data it was last loaded from (`seed_hash`). Loading again
updates a row only while its values still match that hash, so an editor's change is never
overwritten by a later load; new rows are created, nothing is deleted.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from .models import (
    Choice,
    ContentVersion,
    MessageTemplate,
    Notice,
    PathPage,
    PathStep,
    Question,
    Section,
    Source,
    Topic,
)

CONTENT_DIR = Path(__file__).resolve().parent / "content"


class ContentError(ValueError):
    pass


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited in the admin since: left alone

    def __str__(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.kept)} kept because an editor changed them"
        )


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ContentError(f"{path.name}: {error}") from error


def read_content(directory: Path = CONTENT_DIR) -> dict:
    guide = sorted((directory / "guide").glob("*.toml"))
    return {
        "sections": [_read_toml(p) for p in guide],
        "paths": [_read_toml(p) for p in sorted((directory / "paths").glob("*.toml"))],
        "notices": _read_toml(directory / "notices.toml").get("notices", []),
        "wizard": _read_toml(directory / "wizard.toml"),
        "messages": [_read_toml(p) for p in sorted((directory / "messages").glob("*.toml"))],
    }


def translated_values(data: dict, names: tuple[str, ...]) -> dict:
    """Model field values for translated texts: {"title_zh_hans": ..., "title_en": ..., ...}."""
    values = {}
    for name in names:
        for language in ("zh_hans", "en", "zh_hant"):
            text = data.get(language, {}).get(name, "")
            if isinstance(text, list):
                text = "\n".join(text)
            values[f"{name}_{language}"] = text.strip()
    return values


def values_hash(values: dict) -> str:
    return hashlib.sha256(
        json.dumps(values, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def _current_values(row, names) -> dict:
    return {name: getattr(row, name) for name in names}


def _apply(model, lookup: dict, values: dict, children, report: LoadReport, label: str):
    """Create or update one row (plus its children); leave it alone if an editor changed it."""
    new_hash = values_hash({**values, "children": children.data})
    row = model.objects.filter(**lookup).first()
    if row is None:
        row = model(**lookup, **values, seed_hash=new_hash)
        row.save()
        children.write(row)
        report.created.append(label)
        return row
    current = values_hash({**_current_values(row, values), "children": children.read(row)})
    if current != row.seed_hash:
        report.kept.append(label)
    elif new_hash != row.seed_hash:
        for name, value in values.items():
            setattr(row, name, value)
        row.seed_hash = new_hash
        row.save()
        children.write(row)
        report.updated.append(label)
    return row


class _Children:
    """The inline rows that belong to a parent, compared and written together with it."""

    def __init__(self, data=None):
        self.data = data or []

    def read(self, row):
        return []

    def write(self, row):
        pass


class _Sources(_Children):
    names = (
        "order",
        "url",
        *(f"{n}_{lang}" for n in ("title", "citation") for lang in ("zh_hans", "en", "zh_hant")),
    )

    def __init__(self, sources):
        super().__init__(
            [
                {"order": i, "url": s.get("url", ""), **translated_values(s, ("title", "citation"))}
                for i, s in enumerate(sources)
            ]
        )

    def read(self, topic):
        return [_current_values(s, self.names) for s in topic.sources.all()]

    def write(self, topic):
        topic.sources.all().delete()
        for values in self.data:
            Source.objects.create(topic=topic, **values)


class _Steps(_Children):
    names = (
        "order",
        *(f"{n}_{lang}" for n in ("title", "body") for lang in ("zh_hans", "en", "zh_hant")),
    )

    def __init__(self, steps, related):
        super().__init__(
            [{"order": i, **translated_values(s, ("title", "body"))} for i, s in enumerate(steps)]
            + [{"related": sorted(related)}]
        )

    def read(self, path):
        steps = [_current_values(s, self.names) for s in path.steps.all()]
        return [*steps, {"related": [t.slug for t in path.related_topics.order_by("slug")]}]

    def write(self, path):
        path.steps.all().delete()
        for values in self.data[:-1]:
            PathStep.objects.create(path=path, **values)
        related = sorted(self.data[-1]["related"])
        path.related_topics.set(Topic.objects.filter(slug__in=related))


class _Choices(_Children):
    names = (
        "order",
        "key",
        "next_key",
        "weight_communicate",
        "weight_rights",
        "weight_professional",
        "flags",
        "exclusive",
        *(f"{n}_{lang}" for n in ("label", "reason") for lang in ("zh_hans", "en", "zh_hant")),
    )

    def __init__(self, choices):
        super().__init__(
            [
                {
                    "order": i,
                    "key": c["key"],
                    "next_key": c.get("next", ""),
                    **{
                        f"weight_{p}": int(c.get("weights", {}).get(p, 0))
                        for p in ("communicate", "rights", "professional")
                    },
                    "flags": ", ".join(c.get("flags", [])),
                    "exclusive": bool(c.get("exclusive", False)),
                    **translated_values(c, ("label", "reason")),
                }
                for i, c in enumerate(choices)
            ]
        )

    def read(self, question):
        return [_current_values(c, self.names) for c in question.choices.all()]

    def write(self, question):
        question.choices.all().delete()
        for values in self.data:
            Choice.objects.create(question=question, **values)


def _date(value) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)) if value else datetime.date.today()


@transaction.atomic
def load_content(content: dict | None = None) -> LoadReport:
    content = read_content() if content is None else content
    report = LoadReport()
    for section_order, section_data in enumerate(content["sections"], start=1):
        section = _apply(
            Section,
            {"slug": section_data["slug"]},
            {
                "order": section_order,
                "published": section_data.get("published", True),
                "last_reviewed": _date(section_data.get("last_reviewed")),
                **translated_values(section_data, ("title", "summary")),
            },
            _Children(),
            report,
            f"section {section_data['slug']}",
        )
        for topic_order, topic_data in enumerate(section_data.get("topics", []), start=1):
            _apply(
                Topic,
                {"slug": topic_data["slug"]},
                {
                    "section_id": section.pk,
                    "order": topic_order,
                    "published": topic_data.get("published", True),
                    "last_reviewed": _date(topic_data.get("last_reviewed")),
                    **translated_values(topic_data, ("title", "summary", "key_points", "body")),
                },
                _Sources(topic_data.get("sources", [])),
                report,
                f"topic {topic_data['slug']}",
            )
    for path_data in content["paths"]:
        _apply(
            PathPage,
            {"key": path_data["key"]},
            {
                "last_reviewed": _date(path_data.get("last_reviewed")),
                **translated_values(path_data, ("title", "summary", "body")),
            },
            _Steps(path_data.get("steps", []), path_data.get("related_topics", [])),
            report,
            f"path {path_data['key']}",
        )
    for notice_data in content["notices"]:
        _apply(
            Notice,
            {"key": notice_data["key"]},
            translated_values(notice_data, ("title", "body")),
            _Children(),
            report,
            f"notice {notice_data['key']}",
        )
    wizard = content["wizard"]
    questions = wizard.get("questions", [])
    start = wizard.get("start") or (questions[0]["key"] if questions else "")
    # The first question by order is where the wizard starts.
    questions = sorted(questions, key=lambda q: q["key"] != start)
    for order, question_data in enumerate(questions, start=1):
        _apply(
            Question,
            {"key": question_data["key"]},
            {
                "order": order,
                "kind": question_data.get("kind", "single"),
                "next_key": question_data.get("next", ""),
                **translated_values(question_data, ("text", "help")),
            },
            _Choices(question_data.get("choices", [])),
            report,
            f"question {question_data['key']}",
        )
    for order, message_data in enumerate(content.get("messages", []), start=1):
        _apply(
            MessageTemplate,
            {"slug": message_data["slug"]},
            {
                "order": order,
                "published": message_data.get("published", True),
                "fields": ", ".join(message_data.get("fields", [])),
                "last_reviewed": _date(message_data.get("last_reviewed")),
                **translated_values(
                    message_data,
                    ("title", "summary", "when_to_use", "when_not_to_use", "sms", "letter"),
                ),
            },
            _Children(),
            report,
            f"message {message_data['slug']}",
        )
    ContentVersion.bump()
    return report


def load_if_empty(**kwargs) -> None:
    """post_migrate hook: a new database (a first run, a test database) gets the initial content."""
    if not Section.objects.exists() and not Question.objects.exists():
        load_content()
