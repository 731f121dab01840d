"""The content files (guidance/content/, format in FORMAT.md) and the database, both ways.

FILES and its kinds describe each kind of content once (its model, its keys in the files, the
items inside it, where its files are); loading, checking and exporting all walk that table.

- `load_content` never overwrites an editor's change: a row is updated only while it still holds
  the values it was last loaded with (their hash is its `seed_hash`). Nothing is deleted.
- `import_content` checks every file (`read_content`) and, only if nothing is wrong, makes the
  database hold exactly what they hold.
- `export_content` writes every row back out: the same database always gives the same bytes,
  and importing them gives the same rows.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import re
import shutil
import tomllib
import uuid
from pathlib import Path

import reversion
import tomlkit
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction

from . import tree as engine
from .checks import describe
from .models import (
    PATH_KEYS,
    REVIEW_INTERVAL,
    Choice,
    ContentVersion,
    DraftModel,
    MessageTemplate,
    Notice,
    PathPage,
    PathStep,
    Question,
    Section,
    Source,
    Topic,
)
from .translation import WRITTEN_LANGUAGES

CONTENT_DIR = Path(__file__).resolve().parent / "content"
DATE, DATETIME = datetime.date, datetime.datetime
REQUIRED = object()


class ContentError(ValueError):
    pass


class ContentProblems(ContentError):
    """A directory of content files was refused; `problems` has one line per reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class ExportRefused(Exception):
    pass


class Lines(list):
    """A list written one item per line (key points)."""


class Inline(dict):
    """A table written on its key's line (weights)."""


# --- The table ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Key:
    """A key of an item in the files, and the model field it fills."""

    name: str
    type: type = str  # what the files hold: str, bool, DATE, DATETIME, list (of strings), dict
    field: str = ""  # the model field, when it is named differently
    default: object = REQUIRED  # or a function of the values read before this key
    omit_empty: bool = False  # an export leaves the key out while the row holds nothing

    def load(self, value) -> dict:
        return {self.field or self.name: value}

    def dump(self, row):
        return getattr(row, self.field or self.name)

    def problems(self, value) -> list[str]:
        return _type_problems(value, self.type)


@dataclasses.dataclass(frozen=True)
class Listed(Key):
    """Names listed in the files, one text in the model: "danger, scam" (flags, a template's
    fields) or "court court-type=judgment" (a step's rules; tree.parse_rule reads both)."""

    separator: str = ", "

    def load(self, value) -> dict:
        return super().load(self.separator.join(value))

    def dump(self, row):
        return list(engine.parse_rule(super().dump(row)))


class Weights(Key):
    """`weights = { communicate = 2, rights = 0, professional = 1 }`: a model field per path."""

    def load(self, value) -> dict:
        return {f"weight_{path}": value.get(path, 0) for path in engine.PATHS}

    def dump(self, row):
        return Inline({path: getattr(row, f"weight_{path}") for path in engine.PATHS})

    def problems(self, value) -> list[str]:
        if not isinstance(value, dict):
            return ["should be a table"]
        paths = ", ".join(engine.PATHS)
        return [
            f"names an unknown path '{p}' (paths: {paths})" for p in value if p not in engine.PATHS
        ] + [f"{p} should be a whole number" for p, w in value.items() if type(w) is not int]


class Links(Key):
    """Topics named by slug (a many-to-many field), exported in the order of the guide."""

    def load(self, value) -> dict:
        return {self.name: sorted(value)}

    def dump(self, row):
        return [topic.slug for topic in getattr(row, self.name).all()]


@dataclasses.dataclass(frozen=True, eq=False)  # eq=False: hashable, a kind is a dict key
class Kind:
    name: str  # as problems and reports name an item: "topic 'credit-record'"
    model: type[models.Model] | None  # None: not a row, a file holding a list
    keys: tuple[Key, ...] = ()  # in the order an export writes them, before the texts
    identity: str = ""  # the key naming an item
    children: dict[str, Kind] = dataclasses.field(default_factory=dict)  # by their list's key
    inline: bool = False  # stored and replaced with its parent, never found on its own
    first: str = ""  # a key naming the item inside stored first (the wizard's "start")

    @property
    def texts(self) -> tuple[str, ...]:
        return self.model.translated_fields if self.model else ()

    @property
    def ordered(self) -> bool:  # the model keeps the order of the files
        return self.model is not None and any(f.name == "order" for f in self.model._meta.fields)

    @property
    def drafts(self) -> bool:
        return self.model is not None and issubclass(self.model, DraftModel)


SLUG, KEY, NEXT = Key("slug"), Key("key"), Key("next", field="next_key", default="")
PUBLISHED = Key("published", bool, default=True)
LAST_REVIEWED = Key("last_reviewed", DATE, default=lambda values: datetime.date.today())
REVIEW = (
    LAST_REVIEWED,
    Key("reviewed_by", default="", omit_empty=True),
    # What ReviewedModel.save() fills in, so that the default is not taken for an editor's date.
    Key(
        "review_due", DATE, default=lambda v: v["last_reviewed"] + REVIEW_INTERVAL, omit_empty=True
    ),
)
DRAFT_KEYS = (
    Key("saved_by", default=""),
    Key("saved_at", DATETIME, default=None),
    Key("fields", dict),
)
DRAFT = Kind("draft", None, DRAFT_KEYS)
SOURCE = Kind("source", Source, (Key("url", default="", omit_empty=True),), inline=True)
TOPIC = Kind("topic", Topic, (SLUG, PUBLISHED, *REVIEW), "slug", {"sources": SOURCE})
SECTION = Kind("section", Section, (SLUG, PUBLISHED, LAST_REVIEWED), "slug", {"topics": TOPIC})
RELATED = Links("related_topics", list, default=[])
STEP_RULES = tuple(
    Listed(name, list, default=[], omit_empty=True, separator=" ")
    for name in ("show_when", "hide_when")
)
STEP = Kind("step", PathStep, STEP_RULES, inline=True)
PATH = Kind("path", PathPage, (KEY, *REVIEW, RELATED), "key", {"steps": STEP})
NOTICE = Kind("notice", Notice, (KEY,), "key")
CHOICE_KEYS = (
    KEY,
    NEXT,
    Weights("weights", dict, default={}),
    Listed("flags", list, default=[]),
    Key("exclusive", bool, default=False),
)
CHOICE = Kind("choice", Choice, CHOICE_KEYS, "key", inline=True)
QUESTION_KEYS = (KEY, Key("kind", default=Question.SINGLE), NEXT)
QUESTION = Kind("question", Question, QUESTION_KEYS, "key", {"choices": CHOICE})
MESSAGE_KEYS = (SLUG, PUBLISHED, *REVIEW, Listed("fields", list, default=[]))
MESSAGE = Kind("message", MessageTemplate, MESSAGE_KEYS, "slug")
NOTICES = Kind("notices.toml", None, children={"notices": NOTICE})
START = Key("start", default="")
WIZARD = Kind("wizard.toml", None, (START,), children={"questions": QUESTION}, first="start")
# The files, by their key in the content `read_content` gives: where they are and the kind of
# item at their top, in the order they are written (the topics before the paths naming them).
FILES = {
    "sections": ("guide/{number}-{identity}.toml", SECTION),  # the number gives the order
    "paths": ("paths/{identity}.toml", PATH),
    "notices": ("notices.toml", NOTICES),
    "wizard": ("wizard.toml", WIZARD),
    "messages": ("messages/{number}-{identity}.toml", MESSAGE),
}
# What an export writes, and replaces with --force; anything else in the directory is left alone.
OWNED = tuple(path.partition("/")[0] for path, _ in FILES.values())
ROWS = (SECTION, TOPIC, PATH, NOTICE, QUESTION, MESSAGE)  # the kinds with rows of their own
IDENTITY = {kind.model: kind.identity for kind in ROWS}


# --- Reading and walking the files --------------------------------------------------------------


def _parse(directory: Path) -> tuple[dict[str, list[dict]], dict[str, list[str]], list[str]]:
    """The data and the names of the files in `directory`, by layout, and what kept any out."""
    content, names = {layout: [] for layout in FILES}, {layout: [] for layout in FILES}
    if not directory.is_dir():
        return content, names, [f"{directory}: no such directory"]
    problems = []
    for layout, (pattern, _) in FILES.items():
        folder, slash, _ = pattern.partition("/")
        if not (directory / folder).exists():
            problems.append(f"{folder}{slash}: missing")
            continue
        # Sorted: the guide's and the messages' file names start with their number.
        for path in sorted((directory / folder).glob("*.toml")) if slash else [directory / folder]:
            name = path.relative_to(directory).as_posix()
            try:
                content[layout].append(tomllib.loads(path.read_text("utf-8")))
                names[layout].append(name)
            except tomllib.TOMLDecodeError as error:
                problems.append(f"{name}: TOML syntax error: {error}")
            except (OSError, UnicodeDecodeError) as error:
                problems.append(f"{name}: cannot be read: {error}")
    return content, names, problems


def _children(kind: Kind, data: dict, list_key: str) -> list[dict]:
    child, items = kind.children[list_key], data.get(list_key)
    items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    if kind.first and (first := data.get(kind.first)):
        items.sort(key=lambda item: item.get(child.identity) != first)
    return items


def _label(kind: Kind, data: dict, number: int) -> str:
    identity = data.get(kind.identity)
    return f"{kind.name} '{identity}'" if isinstance(identity, str) else f"{kind.name} {number}"


def _walk(content: dict[str, list[dict]], names: dict[str, list[str]] | None = None):
    """(kind, data, where, position, parent's data) of every item in `content`, layout by layout
    and level by level: all the sections before any topic."""
    for layout, (_, kind) in FILES.items():
        files = content[layout]
        where = (names or {}).get(layout) or [""] * len(files)
        level = [(kind, data, where[n], n + 1, None) for n, data in enumerate(files)]
        while level:
            yield from level
            level = [
                (child, item, f"{where}, {_label(child, item, n)}", n, data)
                for kind, data, where, _, _ in level
                for list_key, child in kind.children.items()
                for n, item in enumerate(_children(kind, data, list_key), start=1)
            ]


# --- From file data to model values -------------------------------------------------------------


def _values(kind: Kind, data: dict, position: int, parent=None, resolve: bool = True) -> dict:
    """What one item's row holds: its model fields by attname, and its inline rows and links by
    their keys. Without `resolve`, a drafted foreign key keeps the identity the files give."""
    values = {"order": position} if kind.ordered else {}
    if parent is not None:
        values[_parent_field(kind).attname] = parent.pk
    for key in kind.keys:
        value = data.get(key.name, key.default)
        values |= key.load(value(values) if callable(value) else value)
    for name in kind.texts:
        for language in WRITTEN_LANGUAGES:
            text = data.get(language, {}).get(name, "")
            text = "\n".join(text) if isinstance(text, list) else text
            values[f"{name}_{language}"] = text.strip()
    if kind.drafts:
        values |= _draft_values(kind, data.get("draft", {}), resolve)
    for list_key, child in kind.children.items():
        if child.inline:  # numbered from 0, as the loader always has
            items = enumerate(data.get(list_key, []))
            values[list_key] = [_values(child, item, n, resolve=resolve) for n, item in items]
    return values


def _parent_field(kind: Kind) -> models.ForeignKey | None:
    return next((f for f in kind.model._meta.concrete_fields if f.is_relation), None)


def _draftable(model) -> dict[str, models.Field]:
    """The names a [draft.fields] table uses: a foreign key's name (it holds the identity of the
    row it points to, as ids differ between databases), else the field's attname."""
    return {(f.name if f.is_relation else f.attname): f for f in model().draftable_fields()}


def _draft_values(kind: Kind, table: dict, resolve: bool) -> dict:
    names, draft = _draftable(kind.model), {}
    for name, value in table.get("fields", {}).items():
        field = names[name]
        if field.is_relation and resolve:
            rows = field.related_model.objects.filter(**{IDENTITY[field.related_model]: value})
            if (pk := rows.values_list("pk", flat=True).first()) is None:
                raise ContentError(f"[draft.fields] {name}: there is no {name} '{value}'")
            value = str(pk)
        # A multi-line value ends with a newline that is not part of it (see FORMAT.md).
        draft[field.attname] = value if field.is_relation else value.removesuffix("\n")
    saved_at = table.get("saved_at")
    return {
        "draft": draft,
        "draft_saved_by": table.get("saved_by", ""),
        "draft_saved_at": saved_at.astimezone(datetime.UTC) if saved_at else None,
    }


def _hash(values: dict) -> str:
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# --- Writing rows -------------------------------------------------------------------------------


@dataclasses.dataclass
class Report:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    kept: list[str] = dataclasses.field(default_factory=list)  # an editor changed them
    deleted: list[str] = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        text = f"{len(self.created)} created, {len(self.updated)} updated"
        if self.kept:
            text += f", {len(self.kept)} kept because an editor changed them"
        return text + (f", {len(self.deleted)} deleted" if self.deleted else "")


def _write_content(content: dict[str, list[dict]], report: Report, *, replace: bool) -> list:
    """Write and return every row the files hold, each kind before the kinds inside it (a topic's
    draft may name any section), each a version of its own: the admin restores only it."""
    rows = {}
    for kind, data, _, position, parent in _walk(content):
        if kind in ROWS:
            with reversion.create_revision():
                reversion.set_comment("Loaded from content files")
                rows[id(data)] = _write_row(
                    kind, data, position, rows.get(id(parent)), report, replace
                )
    return list(rows.values())


def _write_row(kind: Kind, data: dict, position: int, parent, report: Report, replace: bool):
    """Create or update one row with its inline rows and links. Loading (`replace` false) leaves
    a row alone that no longer holds what it was loaded with: an editor changed it."""
    label = f"{kind.name} {data[kind.identity]}"
    values = _values(kind, data, position, parent)
    seed_hash = _hash(values)
    row = kind.model.objects.filter(**{kind.identity: data[kind.identity]}).first()
    if row is None:
        row = kind.model()
        report.created.append(label)
    else:
        parent_field = _parent_field(kind)  # where the row is now, not where the files put it
        parent_now = getattr(row, parent_field.name) if parent_field else None
        held = _hash(_values(kind, _file_data(kind, row), getattr(row, "order", 0), parent_now))
        if held == seed_hash == row.seed_hash:
            return row
        # A row holding what the files hold is in step with them, whatever hash it kept.
        if not replace and held not in (row.seed_hash, seed_hash):
            report.kept.append(label)
            return row
        report.updated.append(label)
    concrete = {f.attname for f in kind.model._meta.concrete_fields}
    for name in concrete & values.keys():
        setattr(row, name, values[name])
    row.seed_hash = seed_hash
    row.save()
    for name, value in values.items():
        if name in kind.children:  # inline rows, replaced
            getattr(row, name).all().delete()
            for child_values in value:
                getattr(row, name).create(**child_values)
        elif name not in concrete:  # links to topics
            getattr(row, name).set(Topic.objects.filter(slug__in=value))
    return row


@transaction.atomic
def load_content(content: dict | None = None) -> Report:
    """Load the shipped files (or `content`, as `read_content` gives it), keeping editors' rows."""
    content = read_content() if content is None else content
    report = Report()
    _write_content(content, report, replace=False)
    ContentVersion.bump()
    return report


def load_if_empty(**kwargs) -> None:
    """post_migrate hook: a new database (a first run, a test database) gets the initial content."""
    if not Section.objects.exists() and not Question.objects.exists():
        load_content()


def import_content(directory: Path) -> Report:
    """Check every file in `directory` (raising ContentProblems if anything is wrong), then make
    the database hold exactly that content, in one transaction."""
    content = read_content(directory)
    report = Report()
    with transaction.atomic():
        written = _write_content(content, report, replace=True)
        # The topics before their sections: a topic that moved is not deleted with its old one.
        for kind in reversed(ROWS):
            in_files = [row.pk for row in written if isinstance(row, kind.model)]
            stale = kind.model.objects.exclude(pk__in=in_files)
            identities = stale.values_list(kind.identity, flat=True)
            report.deleted += [f"{kind.name} {identity}" for identity in identities]
            stale.delete()
        ContentVersion.bump()
    return report


# --- Checking a directory -----------------------------------------------------------------------

TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    DATE: "a date like 2026-11-29",
    DATETIME: "a date and time with its offset, like 2026-11-29T08:30:00Z",
    list: "a list of strings",
    dict: "a table",
}


def _type_problems(value, expected: type) -> list[str]:
    right = {
        list: isinstance(value, list) and all(isinstance(v, str) for v in value),
        DATE: type(value) is DATE,  # a TOML date, not a date-time
        DATETIME: isinstance(value, DATETIME) and value.tzinfo is not None,  # not a local one
    }.get(expected, isinstance(value, expected))
    return [] if right else [f"should be {TYPE_NAMES[expected]}"]


def _unknown(name: str, known, where: str) -> str:
    return f"{where}: unknown key '{name}' (known keys: {', '.join(known)})"


def _shape_problems(kind: Kind, data: dict, where: str) -> list[str]:
    """Missing, unknown and mistyped keys of one item (the items inside it are checked apart)."""
    keys = {key.name: key for key in kind.keys}
    problems = [
        f"{where}: missing required key '{n}'"
        for n, k in keys.items()
        if k.default is REQUIRED and n not in data
    ]
    for name, value in data.items():
        if name in keys:
            problems += [f"{where}: '{name}' {wrong}" for wrong in keys[name].problems(value)]
        elif name in WRITTEN_LANGUAGES and kind.texts:
            problems += _language_problems(kind, value, f"{where}: [{name}]")
        elif name == "draft" and kind.drafts:
            problems += _draft_problems(kind, value, where)
        elif name not in kind.children:
            known = [
                *keys,
                *(WRITTEN_LANGUAGES if kind.texts else ()),
                *(["draft"] if kind.drafts else []),
            ]
            problems.append(_unknown(name, [*known, *kind.children], where))
        elif not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            problems.append(f"{where}: '{name}' should be an array of tables")
    return problems


def _language_problems(kind: Kind, table, where: str) -> list[str]:
    if not isinstance(table, dict):
        return [f"{where} should be a table"]
    problems = []
    for name, text in table.items():
        if name not in kind.texts:
            problems.append(_unknown(name, kind.texts, where))
        elif not isinstance(text, str) and (name != "key_points" or _type_problems(text, list)):
            problems.append(f"{where}: '{name}' should be a string")
    return problems


def _draft_problems(kind: Kind, table, where: str) -> list[str]:
    if not isinstance(table, dict):
        return [f"{where}: 'draft' should be a table"]
    problems = _shape_problems(DRAFT, table, f"{where}: [draft]")
    names = _draftable(kind.model)
    fields = table.get("fields")
    for name, value in fields.items() if isinstance(fields, dict) else ():
        field = names.get(name)
        if field is None:
            problems.append(
                f"{where}: [draft.fields] '{name}' is not a draftable field of a {kind.name} "
                f"(draftable fields: {', '.join(names)})"
            )
        elif not isinstance(value, str):
            problems.append(f"{where}: [draft.fields] '{name}' should be a string")
        elif not field.is_relation:  # a foreign key's identity is checked with the references
            try:
                field.to_python(value.removesuffix("\n"))
            except ValidationError as error:
                problems += [f"{where}: [draft.fields] {name}: {m}" for m in error.messages]
    return problems


def _model_problems(kind: Kind, data: dict, where: str, position: int, tree) -> list[str]:
    """The model's own validation (lengths, formats, choices, required texts, clean()) of one
    item, and a step's rules against the wizard in the files, each named by its key there."""
    values = _values(kind, data, position, resolve=False)
    fields = {f.attname: f for f in kind.model._meta.concrete_fields}
    row = kind.model(**{name: value for name, value in values.items() if name in fields})
    parents = [f.name for f in fields.values() if f.is_relation]
    errors: dict[str, list[str]] = {}
    try:
        row.full_clean(exclude=parents, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict
    if kind is STEP and tree is not None:
        for name, text in row.rule_errors(tree).items():
            errors.setdefault(name, []).append(text)
    file_keys = {f"{n}_{lang}": f"[{lang}] {n}" for n in kind.texts for lang in WRITTEN_LANGUAGES}
    file_keys |= {key.field: key.name for key in kind.keys if key.field}
    file_keys |= {f"weight_{path}": f"weights.{path}" for path in engine.PATHS}
    file_keys["draft_saved_by"] = "[draft] saved_by"
    return [
        f"{where}: {message}"
        if name == NON_FIELD_ERRORS
        else f"{where}: {file_keys.get(name, name)}: {message}"
        for name, messages in errors.items()
        for message in messages
    ]


def _reference_problems(items: list[tuple]) -> list[str]:
    """Identities used twice, and names of items that are not in the files."""
    first: dict[tuple[Kind, str], str] = {}
    problems = []
    for kind, data, where, _, _ in items:
        if kind in ROWS and (kind, data[kind.identity]) in first:
            problems.append(
                f"{where}: {kind.name} {kind.identity} '{data[kind.identity]}' is used twice "
                f"(also in {first[kind, data[kind.identity]]})"
            )
        elif kind in ROWS:
            first[kind, data[kind.identity]] = where
    named = {kind.model: {i for (k, i) in first if k is kind} for kind in ROWS}
    for kind, data, where, _, _ in items:
        if RELATED in kind.keys:
            problems += [
                f"{where}: related topic '{slug}' does not exist in the guide"
                for slug in data.get(RELATED.name, [])
                if slug not in named[Topic]
            ]
        for name, value in data.get("draft", {}).get("fields", {}).items() if kind.drafts else ():
            model = _draftable(kind.model)[name].related_model
            if model is not None and value not in named[model]:
                problems.append(
                    f"{where}: [draft.fields] {name} '{value}' is not a {name} in the files"
                )
    return problems + [
        f"paths/: no file for the path '{key}' (the wizard needs all of {', '.join(PATH_KEYS)})"
        for key in PATH_KEYS
        if key not in named[PathPage]
    ]


def read_content(directory: Path = CONTENT_DIR) -> dict[str, list[dict]]:
    """The data of the files in `directory`, by layout ("sections", "paths", ...), or
    ContentProblems listing everything wrong with them (file, item, key and what is wrong)."""
    content, names, problems = _parse(Path(directory))
    items = list(_walk(content, names))
    if not problems:
        problems = [
            p for kind, data, where, *_ in items for p in _shape_problems(kind, data, where)
        ]
    if not problems:
        # At most one: the wizard is a single file.
        tree = next((engine.build_tree(wizard) for wizard in content["wizard"]), None)
        for kind, data, where, position, _ in items:
            problems += _model_problems(kind, data, where, position, tree) if kind.model else []
        problems += _reference_problems(items)
        if tree is not None:
            problems += [f"wizard.toml: {describe(problem)}" for problem in engine.validate(tree)]
    if problems:
        raise ContentProblems(problems)
    return content


# --- Writing the files --------------------------------------------------------------------------


def _file_data(kind: Kind, row) -> dict:
    """A row as file data (or, for a file holding a list, every row of the kind in it)."""
    data = {}
    if row is not None:
        for key in kind.keys:
            value = key.dump(row)
            if not (key.omit_empty and value in ("", None, [])):
                data[key.name] = value
        for language in ("zh_hans", "en"):
            data[language] = {name: _file_text(row, name, language) for name in kind.texts}
        # Traditional Chinese only where an editor wrote it: import generates the rest again.
        if hand_written := [name for name in kind.texts if getattr(row, f"{name}_zh_hant")]:
            data["zh_hant"] = {name: _file_text(row, name, "zh_hant") for name in hand_written}
        if kind.drafts:
            data |= _draft_data(row)
    for list_key, child in kind.children.items():
        rows = getattr(row, list_key).all() if row is not None else _all_rows(child)
        items = [_file_data(child, child_row) for child_row in rows]
        if kind.first:
            data[kind.first] = items[0][child.identity] if items else ""
        if items or row is None:
            data[list_key] = items
    return data


def _file_text(row, name: str, language: str):
    """Key points one per line; Markdown, and any text with a line break, as a block whose
    closing quotes are on a line of their own (import strips the newline before them)."""
    text = getattr(row, f"{name}_{language}")
    if name == "key_points":
        return Lines(text.split("\n") if text else [])
    markdown = isinstance(row._meta.get_field(f"{name}_{language}"), models.TextField)
    return text + "\n" if text and (markdown or "\n" in text) else text


def _draft_data(row) -> dict:
    """A row's draft as a [draft] table. Names that are not (or no longer) draftable fields, and
    foreign keys to rows that are gone, are left out: a preview ignores them too."""
    fields = {}
    for name, field in _draftable(type(row)).items():
        if field.attname not in row.draft:
            continue
        value = str(row.draft[field.attname])  # the admin keeps texts (Field.value_to_string)
        if not field.is_relation:
            fields[name] = value + "\n" if "\n" in value else value
            continue
        try:
            rows = field.related_model.objects.filter(pk=field.target_field.to_python(value))
        except ValidationError:
            continue
        if identity := rows.values_list(IDENTITY[field.related_model], flat=True).first():
            fields[name] = identity
    if not fields:
        return {}
    draft = {"saved_by": row.draft_saved_by} if row.draft_saved_by else {}
    if row.draft_saved_at:
        draft["saved_at"] = row.draft_saved_at.astimezone(datetime.UTC)
    return {"draft": {**draft, "fields": fields}}


def _all_rows(kind: Kind) -> list:
    rows = list(kind.model.objects.all())
    if not kind.ordered:  # sorted here: the database's collation could order them otherwise
        rows.sort(key=lambda row: getattr(row, kind.identity))
    return rows


def toml_text(data: dict) -> str:
    """`data` as TOML: every table a [section] of its own, texts with line breaks as blocks."""
    return tomlkit.dumps(_table(data, tomlkit.document()))


def _table(data: dict, table):
    table.update({key: _item(value) for key, value in data.items()})
    return table


def _item(value):
    if isinstance(value, Inline):
        return tomlkit.value("{ " + ", ".join(f"{k} = {v}" for k, v in value.items()) + " }")
    if isinstance(value, Lines):
        lines = "".join(f"  {tomlkit.string(line).as_string()},\n" for line in value)
        return tomlkit.value(f"[\n{lines}]" if value else "[]")
    if isinstance(value, dict):
        # Not a super table: a [draft] holding only [draft.fields] still gets its header.
        return _table(value, tomlkit.table(is_super_table=False))
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        tables = tomlkit.aot()
        for item in value:
            tables.append(_item(item))
        return tables
    if isinstance(value, str) and "\n" in value:
        block = tomlkit.string(value, multiline=True).as_string()
        block = re.sub('^"""\n?', '"""\n', block)  # a newline there is not part of the text
        if tomllib.loads(f"v = {block}")["v"] == value:
            return tomlkit.value(block)
        return tomlkit.string(value)  # a carriage return before a newline would be lost
    return value


def content_as_files() -> dict[str, str]:
    """Every content file, by its path relative to the content directory, as text."""
    files = {}
    for path, kind in FILES.values():
        if kind.model is None:
            files[path] = toml_text(_file_data(kind, None))
            continue
        items = [_file_data(kind, row) for row in _all_rows(kind)]
        width = max(2, len(str(len(items))))  # so that the names still sort in order
        for number, item in enumerate(items, start=1):
            identity = item[kind.identity]
            # The models' validators run only in forms: refuse a name that leaves the folder.
            if not re.fullmatch(r"[A-Za-z0-9_-]+", identity):
                raise ExportRefused(
                    f"{identity!r} cannot be used in a file name; fix it in the admin."
                )
            name = path.format(number=str(number).zfill(width), identity=identity)
            files[name] = toml_text(item)
    return files


def export_content(directory: Path, *, force: bool = False) -> dict[str, str]:
    """Write every content file into `directory`; refuse a directory that is not empty unless
    `force`, and then replace only what an export owns (OWNED)."""
    directory = Path(directory).resolve()
    if directory.exists() and not directory.is_dir():
        raise ExportRefused(f"{directory} is a file, not a directory.")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise ExportRefused(
            f"{directory} is not empty. Choose an empty or new directory, or pass --force to "
            f"replace the content in it ({', '.join(OWNED)}; anything else is left alone)."
        )
    files = content_as_files()
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Staged next to the target, so that the moves are renames on one file system.
    staging = directory.parent / f".{directory.name}.export-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        for path, _ in FILES.values():
            (staging / path).parent.mkdir(exist_ok=True)  # a folder, even if it stays empty
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        if directory.exists():
            _swap_in(staging, directory)
        else:
            staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return files


def _swap_in(staging: Path, directory: Path) -> None:
    """Replace the OWNED entries of `directory` with the staged ones: all of them or, if a move
    fails, none (what was there is put back)."""
    replaced = staging / ".replaced"
    replaced.mkdir()
    moves = [(directory / n, replaced / n) for n in OWNED if os.path.lexists(directory / n)]
    moves += [(staging / name, directory / name) for name in OWNED]
    done = []
    try:
        for source, target in moves:
            source.rename(target)
            done.append((source, target))
    except OSError:
        for source, target in reversed(done):  # the new ones out first, then the old ones back
            target.rename(source)
        raise
