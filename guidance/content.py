"""Reading the content files (guidance/content/, format in FORMAT.md) into the database.

There are two ways in:

- `load_content` (first run, upgrades) never overwrites an editor's change. Each row remembers a
  hash of the file data it was last loaded from (`seed_hash`); loading again updates a row only
  while its values still match that hash. New rows are created, nothing is deleted.
- `import_content` makes the database match a directory of files exactly: it checks every file
  first (`checked_content`) and refuses the whole directory if anything is wrong, then creates,
  updates and deletes rows. Imported rows get the same `seed_hash` as loaded ones, so a later
  `load_content` treats them as unedited.

Both also carry the review fields (`reviewed_by`, `review_due`) and editors' unpublished drafts
(a `[draft]` table). The seed hash counts those only when they hold something of their own: a
reviewer, a due date other than the one `save()` fills in, a draft (see `_seeded`).

`guidance/export.py` writes the database back out in the same format.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import reversion
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction

from . import tree as engine
from .models import (
    PATH_KEYS,
    REVIEW_INTERVAL,
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
from .problems import describe

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LANGUAGES = ("zh_hans", "en", "zh_hant")

# The translated texts of each kind of item, named as in the files (and, with a language
# suffix, as the model columns).
TEXTS = {
    "section": ("title", "summary"),
    "topic": ("title", "summary", "key_points", "body"),
    "source": ("title", "citation"),
    "path": ("title", "summary", "body"),
    "step": ("title", "body"),
    "notice": ("title", "body"),
    "question": ("text", "help"),
    "choice": ("label", "reason"),
    "message": ("title", "summary", "when_to_use", "when_not_to_use", "sms", "letter"),
}


class ContentError(ValueError):
    pass


class ContentProblems(ContentError):
    """A directory of content files was refused; `problems` has one line per reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.deleted)} deleted, {len(self.unchanged)} unchanged"
        )


# --- Reading the files --------------------------------------------------------------------------


def content_files(directory: Path = CONTENT_DIR) -> dict[str, list[Path]]:
    """The files `read_content` reads, by kind, in reading order (the guide's and the messages'
    file names start with their number, so sorting them gives their order)."""
    return {
        "guide": sorted((directory / "guide").glob("*.toml")),
        "paths": sorted((directory / "paths").glob("*.toml")),
        "notices": [directory / "notices.toml"],
        "wizard": [directory / "wizard.toml"],
        "messages": sorted((directory / "messages").glob("*.toml")),
    }


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ContentError(f"{path.name}: {error}") from error


def read_content(directory: Path = CONTENT_DIR) -> dict:
    files = content_files(directory)
    return assemble_content({kind: [_read_toml(p) for p in paths] for kind, paths in files.items()})


def assemble_content(tables: dict[str, list[dict]]) -> dict:
    """The content as `load_content` takes it, from the parsed files of each kind."""
    return {
        "sections": tables["guide"],
        "paths": tables["paths"],
        "notices": tables["notices"][0].get("notices", []),
        "wizard": tables["wizard"][0],
        "messages": tables["messages"],
    }


# --- From file data to model values -------------------------------------------------------------


def translated_values(data: dict, names: tuple[str, ...]) -> dict:
    """Model field values for translated texts: {"title_zh_hans": ..., "title_en": ..., ...}."""
    values = {}
    for name in names:
        for language in LANGUAGES:
            text = data.get(language, {}).get(name, "")
            if isinstance(text, list):
                text = "\n".join(text)
            values[f"{name}_{language}"] = text.strip()
    return values


def _date(value) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)) if value else datetime.date.today()


def default_review_due(last_reviewed: datetime.date) -> datetime.date:
    """The due date `ReviewedModel.save()` fills in when there is none."""
    return last_reviewed + REVIEW_INTERVAL


def review_values(data: dict) -> dict:
    """last_reviewed, reviewed_by and review_due; a missing review_due is six months after
    last_reviewed, as save() would make it."""
    last_reviewed = _date(data.get("last_reviewed"))
    due = data.get("review_due")
    return {
        "last_reviewed": last_reviewed,
        "reviewed_by": data.get("reviewed_by", ""),
        "review_due": _date(due) if due else default_review_due(last_reviewed),
    }


def section_values(data: dict, order: int) -> dict:
    return {
        "order": order,
        "published": data.get("published", True),
        "last_reviewed": _date(data.get("last_reviewed")),
        **translated_values(data, TEXTS["section"]),
    }


def topic_values(data: dict, order: int, section_id: int | None) -> dict:
    return {
        "section_id": section_id,
        "order": order,
        "published": data.get("published", True),
        **review_values(data),
        **translated_values(data, TEXTS["topic"]),
    }


def path_values(data: dict) -> dict:
    return {
        **review_values(data),
        **translated_values(data, TEXTS["path"]),
    }


def notice_values(data: dict) -> dict:
    return translated_values(data, TEXTS["notice"])


def question_values(data: dict, order: int) -> dict:
    return {
        "order": order,
        "kind": data.get("kind", "single"),
        "next_key": data.get("next", ""),
        **translated_values(data, TEXTS["question"]),
    }


def message_values(data: dict, order: int) -> dict:
    return {
        "order": order,
        "published": data.get("published", True),
        "fields": ", ".join(data.get("fields", [])),
        **review_values(data),
        **translated_values(data, TEXTS["message"]),
    }


# Drafts: an editor's unpublished values, kept beside the live ones (DraftModel.draft holds
# {attname: Field.value_to_string(...)}). In the files, [draft.fields] has one line per drafted
# field; a foreign key goes by its name and holds the slug of the row it points to, because ids
# differ from one database to another.
DRAFT_FIELDS = "saved_by", "saved_at", "fields"


def draft_names(model) -> dict[str, models.Field]:
    """The names a [draft.fields] table of `model` may use, with their fields, in the order an
    export writes them: the model's, with the review fields after last_reviewed."""
    fields = model().draftable_fields()
    review = [f for f in fields if f.name in ("reviewed_by", "review_due")]
    ordered = []
    for item in fields:
        if item not in review:
            ordered += [item, *review] if item.name == "last_reviewed" else [item]
    return {(f.name if f.is_relation else f.attname): f for f in ordered}


def draft_text(value: str) -> str:
    """A drafted value read back from the files: one newline at the end (the one before the
    closing quotes of a multi-line string) is not part of it."""
    return value.removesuffix("\n")


def _utc(value) -> datetime.datetime:
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.fromisoformat(str(value))
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


def draft_values(data: dict, model, where: str, ids: dict | None = None) -> dict:
    """draft, draft_saved_by and draft_saved_at from an item's [draft] table (empty without
    one). `ids` gives, for each model a drafted foreign key can point to, its rows' ids by slug."""
    table = data.get("draft") or {}
    names = draft_names(model)
    draft = {}
    for name, value in (table.get("fields") or {}).items():
        field = names.get(name)
        if field is None:
            raise ContentError(f"{where}: [draft.fields] '{name}' is not a draftable field")
        if field.is_relation:
            pk = (ids or {}).get(field.related_model, {}).get(value)
            if pk is None:
                raise ContentError(f"{where}: [draft.fields] {name}: no {name} '{value}'")
            draft[field.attname] = str(pk)
        else:
            draft[field.attname] = draft_text(value)
    saved_at = table.get("saved_at")
    return {
        "draft": draft,
        "draft_saved_by": table.get("saved_by", ""),
        "draft_saved_at": _utc(saved_at) if saved_at else None,
    }


def wizard_questions(wizard: dict) -> list[dict]:
    """The questions in the order they are stored: the start first (the first question by order
    is where the wizard starts), the others as listed."""
    questions = wizard.get("questions", [])
    start = wizard.get("start") or (questions[0]["key"] if questions else "")
    return sorted(questions, key=lambda q: q["key"] != start)


def values_hash(values: dict) -> str:
    return hashlib.sha256(
        json.dumps(values, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def _current_values(row, names) -> dict:
    return {name: getattr(row, name) for name in names}


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
        *(f"{n}_{lang}" for n in TEXTS["source"] for lang in LANGUAGES),
    )

    def __init__(self, sources):
        super().__init__(
            [
                {"order": i, "url": s.get("url", ""), **translated_values(s, TEXTS["source"])}
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
        "show_when",
        "hide_when",
        *(f"{n}_{lang}" for n in TEXTS["step"] for lang in LANGUAGES),
    )

    def __init__(self, steps, related):
        super().__init__(
            [
                {
                    "order": i,
                    "show_when": " ".join(s.get("show_when", [])),
                    "hide_when": " ".join(s.get("hide_when", [])),
                    **translated_values(s, TEXTS["step"]),
                }
                for i, s in enumerate(steps)
            ]
            + [{"related": sorted(related)}]
        )

    @property
    def steps(self) -> list[dict]:
        return self.data[:-1]

    def read(self, path):
        steps = [_current_values(s, self.names) for s in path.steps.all()]
        return [*steps, {"related": [t.slug for t in path.related_topics.order_by("slug")]}]

    def write(self, path):
        path.steps.all().delete()
        for values in self.steps:
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
        *(f"{n}_{lang}" for n in TEXTS["choice"] for lang in LANGUAGES),
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
                    **translated_values(c, TEXTS["choice"]),
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


# --- Writing rows -------------------------------------------------------------------------------

# write_row(model, lookup, values, children, label) -> the saved row
WriteRow = Callable[..., object]


def _one_version_each(write_row: WriteRow) -> WriteRow:
    """Keep each item (with its inline rows) as a version of its own, so that restoring one
    item's first version in the admin restores that item and nothing else."""

    def write(*args, **kwargs):
        with reversion.create_revision():
            reversion.set_comment("Loaded from content files")
            return write_row(*args, **kwargs)

    return write


def _write_content(content: dict, write_row: WriteRow) -> None:
    """Hand every row of `content` to `write_row`, parents before their children (all the
    sections before the topics: a topic's draft may name any section)."""
    write_row = _one_version_each(write_row)
    section_ids = {}
    for section_order, section_data in enumerate(content["sections"], start=1):
        label = f"section {section_data['slug']}"
        section = write_row(
            Section,
            {"slug": section_data["slug"]},
            {
                **section_values(section_data, section_order),
                **draft_values(section_data, Section, label),
            },
            _Children(),
            label,
        )
        section_ids[section_data["slug"]] = section.pk
    for section_data in content["sections"]:
        for topic_order, topic_data in enumerate(section_data.get("topics", []), start=1):
            label = f"topic {topic_data['slug']}"
            write_row(
                Topic,
                {"slug": topic_data["slug"]},
                {
                    **topic_values(topic_data, topic_order, section_ids[section_data["slug"]]),
                    **draft_values(topic_data, Topic, label, {Section: section_ids}),
                },
                _Sources(topic_data.get("sources", [])),
                label,
            )
    for path_data in content["paths"]:
        label = f"path {path_data['key']}"
        write_row(
            PathPage,
            {"key": path_data["key"]},
            {**path_values(path_data), **draft_values(path_data, PathPage, label)},
            _Steps(path_data.get("steps", []), path_data.get("related_topics", [])),
            label,
        )
    for notice_data in content["notices"]:
        label = f"notice {notice_data['key']}"
        write_row(
            Notice,
            {"key": notice_data["key"]},
            {**notice_values(notice_data), **draft_values(notice_data, Notice, label)},
            _Children(),
            label,
        )
    for order, question_data in enumerate(wizard_questions(content["wizard"]), start=1):
        write_row(
            Question,
            {"key": question_data["key"]},
            question_values(question_data, order),
            _Choices(question_data.get("choices", [])),
            f"question {question_data['key']}",
        )
    for order, message_data in enumerate(content.get("messages", []), start=1):
        label = f"message {message_data['slug']}"
        write_row(
            MessageTemplate,
            {"slug": message_data["slug"]},
            {
                **message_values(message_data, order),
                **draft_values(message_data, MessageTemplate, label),
            },
            _Children(),
            label,
        )


def _seeded(values: dict) -> dict:
    """The values a seed hash covers: all of them, except the review and draft fields while
    they hold nothing of their own (no reviewer, the due date save() fills in, no draft). So
    save() filling in review_due is not an edit, an editor's reviewer, due date or draft is,
    and rows loaded before these fields were in the files keep their hashes."""
    seeded = dict(values)
    if seeded.get("reviewed_by") == "":
        del seeded["reviewed_by"]
    if "review_due" in seeded and seeded["review_due"] in (
        None,
        default_review_due(seeded["last_reviewed"]),
    ):
        del seeded["review_due"]
    if not seeded.get("draft"):
        for name in ("draft", "draft_saved_by", "draft_saved_at"):
            seeded.pop(name, None)
    return seeded


def _file_hash(values: dict, children: _Children) -> str:
    return values_hash({**_seeded(values), "children": children.data})


def _row_hash(row, values: dict, children: _Children) -> str:
    current = _current_values(row, values)
    return values_hash({**_seeded(current), "children": children.read(row)})


def _holds_exactly(row, values: dict, children: _Children) -> bool:
    """Whether the row already holds every one of `values` (the seed hash leaves some out)."""
    current = {**_current_values(row, values), "children": children.read(row)}
    return values_hash(current) == values_hash({**values, "children": children.data})


def _create(model, lookup: dict, values: dict, children: _Children):
    row = model(**lookup, **values, seed_hash=_file_hash(values, children))
    row.save()
    children.write(row)
    return row


def _update(row, values: dict, children: _Children) -> None:
    for name, value in values.items():
        setattr(row, name, value)
    row.seed_hash = _file_hash(values, children)
    row.save()
    children.write(row)


def _apply(model, lookup, values, children, label, *, report: LoadReport):
    """Create or update one row (plus its children); leave it alone if an editor changed it."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        report.created.append(label)
        return _create(model, lookup, values, children)
    if _row_hash(row, values, children) != row.seed_hash:
        report.kept.append(label)
    elif _file_hash(values, children) != row.seed_hash:
        _update(row, values, children)
        report.updated.append(label)
    return row


def _replace(model, lookup, values, children, label, *, report: ImportReport):
    """Make one row (plus its children) hold exactly the file's values."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        report.created.append(label)
        return _create(model, lookup, values, children)
    new_hash = _file_hash(values, children)
    if row.seed_hash == new_hash and _holds_exactly(row, values, children):
        report.unchanged.append(label)
    else:
        _update(row, values, children)
        report.updated.append(label)
    return row


@transaction.atomic
def load_content(content: dict | None = None) -> LoadReport:
    content = read_content() if content is None else content
    report = LoadReport()
    _write_content(content, partial(_apply, report=report))
    ContentVersion.bump()
    return report


def load_if_empty(**kwargs) -> None:
    """post_migrate hook: a new database (a first run, a test database) gets the initial content."""
    if not Section.objects.exists() and not Question.objects.exists():
        load_content()


# --- Importing a directory: the database made to match the files --------------------------------


def import_content(directory: Path) -> ImportReport:
    """Check every file in `directory` (raising ContentProblems if anything is wrong), then make
    the database hold exactly that content, in one transaction."""
    content = checked_content(directory)
    report = ImportReport()
    with transaction.atomic():
        _write_content(content, partial(_replace, report=report))
        _delete_rows_not_in(content, report)
        ContentVersion.bump()
    return report


def _identities(content: dict) -> list[tuple[type, str, str, set[str]]]:
    """(model, identifying field, label, identities in the files); topics before their sections,
    so a topic that moved to another section is never deleted along with its old one."""
    sections = content["sections"]
    return [
        (Topic, "slug", "topic", {t["slug"] for s in sections for t in s.get("topics", [])}),
        (Section, "slug", "section", {s["slug"] for s in sections}),
        (PathPage, "key", "path", {p["key"] for p in content["paths"]}),
        (Notice, "key", "notice", {n["key"] for n in content["notices"]}),
        (Question, "key", "question", {q["key"] for q in content["wizard"].get("questions", [])}),
        (MessageTemplate, "slug", "message", {m["slug"] for m in content.get("messages", [])}),
    ]


def _delete_rows_not_in(content: dict, report: ImportReport) -> None:
    for model, name, label, identities in _identities(content):
        stale = model.objects.exclude(**{f"{name}__in": identities})
        report.deleted.extend(f"{label} {key}" for key in stale.values_list(name, flat=True))
        stale.delete()


# --- Checking a directory before importing it ---------------------------------------------------


@dataclass(frozen=True)
class ContentFile:
    name: str  # relative to the content directory, e.g. "guide/06-consequences.toml"
    data: dict


DATE = datetime.date
DATETIME = datetime.datetime
REVIEW = {"last_reviewed": DATE, "reviewed_by": str, "review_due": DATE}
# The keys each kind of item may have besides its language tables, with the type of their values
# ([t] is an array of t); IDENTITY names the required key that identifies an item.
KEYS: dict[str, dict[str, object]] = {
    "section": {
        "slug": str,
        "published": bool,
        "last_reviewed": DATE,
        "draft": dict,
        "topics": [dict],
    },
    "topic": {"slug": str, "published": bool, **REVIEW, "draft": dict, "sources": [dict]},
    "source": {"url": str},
    "path": {"key": str, **REVIEW, "related_topics": [str], "draft": dict, "steps": [dict]},
    "step": {"show_when": [str], "hide_when": [str]},
    "notices": {"notices": [dict]},
    "notice": {"key": str, "draft": dict},
    "wizard": {"start": str, "questions": [dict]},
    "question": {"key": str, "kind": str, "next": str, "choices": [dict]},
    "choice": {"key": str, "next": str, "weights": dict, "flags": [str], "exclusive": bool},
    "message": {"slug": str, "published": bool, **REVIEW, "fields": [str], "draft": dict},
}
# The models of the kinds of item that can hold a draft, and the keys of a [draft] table.
DRAFT_MODELS = {
    "section": Section,
    "topic": Topic,
    "path": PathPage,
    "notice": Notice,
    "message": MessageTemplate,
}
DRAFT_KEYS: dict[str, object] = {"saved_by": str, "saved_at": DATETIME, "fields": dict}
IDENTITY = {
    "section": "slug",
    "topic": "slug",
    "path": "key",
    "notice": "key",
    "question": "key",
    "choice": "key",
    "message": "slug",
}
CHILDREN = {
    "section": ("topics", "topic"),
    "topic": ("sources", "source"),
    "path": ("steps", "step"),
    "notices": ("notices", "notice"),
    "wizard": ("questions", "question"),
    "question": ("choices", "choice"),
}
# The kind of item at the top of each kind of file.
FILE_KINDS = {
    "guide": "section",
    "paths": "path",
    "notices": "notices",
    "wizard": "wizard",
    "messages": "message",
}
TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    DATE: "a date like 2026-11-29",
    DATETIME: "a date and time with its offset, like 2026-11-29T08:30:00Z",
    dict: "a table",
}


def checked_content(directory: Path) -> dict:
    """The content in `directory` as `load_content` takes it, or ContentProblems listing
    everything wrong with it (file, item and what is wrong). Touches no database."""
    files, problems = _parse_files(Path(directory))
    if not problems:
        problems = [
            problem
            for kind, parsed in files.items()
            for file in parsed
            for problem in _item_shape(FILE_KINDS[kind], file.data, file.name)
        ]
    if not problems:
        problems = _field_problems(files) + _reference_problems(files) + _tree_problems(files)
    if problems:
        raise ContentProblems(problems)
    return assemble_content({kind: [f.data for f in parsed] for kind, parsed in files.items()})


def _parse_files(directory: Path) -> tuple[dict[str, list[ContentFile]], list[str]]:
    if not directory.is_dir():
        return {}, [f"{directory}: no such directory"]
    problems = [
        f"{name}: missing (every content directory has it)"
        for name in ("guide/", "paths/", "notices.toml", "wizard.toml")
        if not (directory / name).exists()
    ]
    files: dict[str, list[ContentFile]] = {}
    for kind, paths in content_files(directory).items():
        files[kind] = []
        for path in paths:
            name = path.relative_to(directory).as_posix()
            if not path.exists():
                continue  # reported above
            try:
                files[kind].append(ContentFile(name, tomllib.loads(path.read_text("utf-8"))))
            except tomllib.TOMLDecodeError as error:
                problems.append(f"{name}: TOML syntax error: {error}")
            except (OSError, UnicodeDecodeError) as error:
                problems.append(f"{name}: cannot be read: {error}")
    return files, problems


def _item_label(kind: str, data: dict, number: int) -> str:
    identity = data.get(IDENTITY.get(kind, ""))
    return f"{kind} '{identity}'" if isinstance(identity, str) else f"{kind} {number}"


def _item_shape(kind: str, data: dict, where: str) -> list[str]:
    """Missing, unknown and mistyped keys of one item and of the items inside it."""
    allowed = KEYS[kind]
    problems = []
    if kind in IDENTITY and IDENTITY[kind] not in data:
        problems.append(f"{where}: missing required key '{IDENTITY[kind]}'")
    for key, value in data.items():
        if kind in TEXTS and key in LANGUAGES:
            problems += _language_shape(kind, value, f"{where}: [{key}]")
        elif key not in allowed:
            known = ", ".join([*allowed, *(LANGUAGES if kind in TEXTS else ())])
            problems.append(f"{where}: unknown key '{key}' (known keys: {known})")
        elif wrong := _type_problem(value, allowed[key]):
            problems.append(f"{where}: '{key}' {wrong}")
        elif key == "draft":
            problems += _draft_shape(kind, value, where)
    if kind == "choice" and isinstance(data.get("weights"), dict):
        problems += _weights_shape(data["weights"], where)
    list_key, child_kind = CHILDREN.get(kind, ("", ""))
    children = data.get(list_key, [])
    if list_key and _type_problem(children, [dict]) is None:
        for number, child in enumerate(children, start=1):
            label = _item_label(child_kind, child, number)
            problems += _item_shape(child_kind, child, f"{where}, {label}")
    return problems


def _language_shape(kind: str, table: object, where: str) -> list[str]:
    if not isinstance(table, dict):
        return [f"{where} should be a table"]
    problems = []
    for name, text in table.items():
        if name not in TEXTS[kind]:
            known = ", ".join(TEXTS[kind])
            problems.append(f"{where}: unknown key '{name}' (known keys: {known})")
        elif name == "key_points" and not isinstance(text, str):
            if wrong := _type_problem(text, [str]):
                problems.append(f"{where}: '{name}' {wrong}")
        elif wrong := _type_problem(text, str):
            problems.append(f"{where}: '{name}' {wrong}")
    return problems


def _draft_shape(kind: str, table: dict, where: str) -> list[str]:
    """Unknown and mistyped keys of a [draft] table, and drafted fields the item's model has not
    got or values its fields cannot take."""
    model = DRAFT_MODELS[kind]
    problems = []
    for key, value in table.items():
        if key not in DRAFT_KEYS:
            known = ", ".join(DRAFT_KEYS)
            problems.append(f"{where}: [draft] unknown key '{key}' (known keys: {known})")
        elif wrong := _type_problem(value, DRAFT_KEYS[key]):
            problems.append(f"{where}: [draft] '{key}' {wrong}")
    saved_by = table.get("saved_by")
    limit = model._meta.get_field("draft_saved_by").max_length
    if isinstance(saved_by, str) and len(saved_by) > limit:
        problems.append(f"{where}: [draft] 'saved_by' is longer than {limit} characters")
    fields = table.get("fields")
    if not fields:
        problems.append(f"{where}: [draft] has no [draft.fields] (a draft holds at least one)")
    if not isinstance(fields, dict):
        return problems
    names = draft_names(model)
    for name, value in fields.items():
        field = names.get(name)
        if field is None:
            known = ", ".join(names)
            problems.append(
                f"{where}: [draft.fields] '{name}' is not a draftable field of a {kind} "
                f"(draftable fields: {known})"
            )
        elif not isinstance(value, str):
            problems.append(f"{where}: [draft.fields] '{name}' should be a string")
        elif not field.is_relation:  # a foreign key's slug is checked with the references
            try:
                field.to_python(draft_text(value))
            except ValidationError as error:
                problems += [f"{where}: [draft.fields] {name}: {m}" for m in error.messages]
    return problems


def _weights_shape(weights: dict, where: str) -> list[str]:
    problems = [
        f"{where}: unknown path '{path}' in weights (paths: {', '.join(engine.PATHS)})"
        for path in weights
        if path not in engine.PATHS
    ]
    problems += [
        f"{where}: weights.{path} {wrong}"
        for path, weight in weights.items()
        if (wrong := _type_problem(weight, int))
    ]
    return problems


def _is_type(value: object, expected: type) -> bool:
    if expected is DATE:
        return type(value) is DATE  # a TOML date, not a date-time
    if expected is DATETIME:
        return isinstance(value, DATETIME) and value.tzinfo is not None  # not a local one
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _type_problem(value: object, expected) -> str | None:
    if isinstance(expected, list):
        if isinstance(value, list) and all(_is_type(v, expected[0]) for v in value):
            return None
        return (
            "should be an array of tables" if expected[0] is dict else "should be a list of strings"
        )
    return None if _is_type(value, expected) else f"should be {TYPE_NAMES[expected]}"


def _file_key(field_name: str) -> str:
    """Where a model field's value comes from in the files: title_en -> [en] title."""
    for language in LANGUAGES:
        if field_name.endswith(f"_{language}"):
            return f"[{language}] {field_name.removesuffix(f'_{language}')}"
    if field_name.startswith("weight_"):
        return f"weights.{field_name.removeprefix('weight_')}"
    return {"next_key": "next"}.get(field_name, field_name)


def _model_problems(model, values: dict, where: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """The model's own validation (lengths, formats, required texts, clean()) of file values."""
    try:
        model(**values).full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        return [
            f"{where}: {message}"
            if name == NON_FIELD_ERRORS
            else f"{where}: {_file_key(name)}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def _children_problems(model, rows: list[dict], labels: list[str], where: str, parent: str):
    return [
        problem
        for values, label in zip(rows, labels, strict=True)
        for problem in _model_problems(model, values, f"{where}, {label}", exclude=(parent,))
    ]


def _field_problems(files: dict[str, list[ContentFile]]) -> list[str]:
    problems = []
    for order, file in enumerate(files["guide"], start=1):
        values = {"slug": file.data["slug"], **section_values(file.data, order)}
        problems += _model_problems(Section, values, file.name)
        for number, topic in enumerate(file.data.get("topics", []), start=1):
            where = f"{file.name}, {_item_label('topic', topic, number)}"
            values = {"slug": topic["slug"], **topic_values(topic, number, section_id=None)}
            problems += _model_problems(Topic, values, where, exclude=("section",))
            sources = _Sources(topic.get("sources", [])).data
            labels = [f"source {n}" for n in range(1, len(sources) + 1)]
            problems += _children_problems(Source, sources, labels, where, "topic")
    for file in files["paths"]:
        problems += _model_problems(PathPage, path_values(file.data), file.name, exclude=("key",))
        steps = _Steps(file.data.get("steps", []), []).steps
        labels = [f"step {n}" for n in range(1, len(steps) + 1)]
        problems += _children_problems(PathStep, steps, labels, file.name, "path")
        tree = engine.build_tree(files["wizard"][0].data) if files["wizard"] else None
        for values, label in zip(steps, labels, strict=True) if tree else ():
            step = PathStep(show_when=values["show_when"], hide_when=values["hide_when"])
            for name, message in step.rule_errors(tree).items():
                problems.append(f"{file.name}, {label}: {name}: {message}")
    for file in files["notices"]:
        for notice in file.data.get("notices", []):
            where = f"{file.name}, notice '{notice['key']}'"
            problems += _model_problems(
                Notice, {"key": notice["key"], **notice_values(notice)}, where
            )
    for file in files["wizard"]:
        for order, question in enumerate(wizard_questions(file.data), start=1):
            where = f"{file.name}, question '{question['key']}'"
            values = {"key": question["key"], **question_values(question, order)}
            problems += _model_problems(Question, values, where)
            choices = _Choices(question.get("choices", [])).data
            labels = [f"choice '{c['key']}'" for c in choices]
            problems += _children_problems(Choice, choices, labels, where, "question")
    for order, file in enumerate(files["messages"], start=1):
        values = {"slug": file.data["slug"], **message_values(file.data, order)}
        problems += _model_problems(MessageTemplate, values, file.name)
    return problems


def _repeated(items: list[tuple[str, str]], what: str) -> list[str]:
    """A problem for each (identity, where) whose identity came earlier in the list."""
    first: dict[str, str] = {}
    problems = []
    for identity, where in items:
        if identity in first:
            problems.append(
                f"{where}: {what} '{identity}' is used twice (also in {first[identity]})"
            )
        first.setdefault(identity, where)
    return problems


def _reference_problems(files: dict[str, list[ContentFile]]) -> list[str]:
    guide, paths = files["guide"], files["paths"]
    topics = [
        (topic["slug"], f"{file.name}, topic '{topic['slug']}'")
        for file in guide
        for topic in file.data.get("topics", [])
    ]
    notices = [
        (notice["key"], f"{file.name}, notice '{notice['key']}'")
        for file in files["notices"]
        for notice in file.data.get("notices", [])
    ]
    problems = _repeated([(f.data["slug"], f.name) for f in guide], "section slug")
    problems += _repeated(topics, "topic slug")
    problems += _repeated([(f.data["key"], f.name) for f in paths], "path key")
    problems += _repeated(notices, "notice key")
    problems += _repeated([(f.data["slug"], f.name) for f in files["messages"]], "message slug")
    expected = ", ".join(PATH_KEYS)
    problems += [
        f"{f.name}: unknown path key '{f.data['key']}' (the paths are {expected})"
        for f in paths
        if f.data["key"] not in PATH_KEYS
    ]
    present = {f.data["key"] for f in paths}
    problems += [
        f"paths/: no file for the path '{key}' (the wizard recommends all of {expected})"
        for key in PATH_KEYS
        if key not in present
    ]
    slugs = {slug for slug, _ in topics}
    problems += [
        f"{f.name}: related topic '{slug}' does not exist in the guide"
        for f in paths
        for slug in f.data.get("related_topics", [])
        if slug not in slugs
    ]
    sections = {f.data["slug"] for f in guide}
    problems += [
        f"{f.name}, topic '{topic['slug']}': [draft.fields] section '{slug}' is not a section "
        f"in the guide"
        for f in guide
        for topic in f.data.get("topics", [])
        if (slug := topic.get("draft", {}).get("fields", {}).get("section")) is not None
        and slug not in sections
    ]
    return problems


def _tree_problems(files: dict[str, list[ContentFile]]) -> list[str]:
    """The wizard engine's objections to the tree in wizard.toml, in plain words."""
    return [
        f"{file.name}: {describe(problem)}"
        for file in files["wizard"]
        for problem in engine.validate(engine.build_tree(file.data))
    ]
