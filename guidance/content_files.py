"""The content files (guidance/content/, format in FORMAT.md) and the database, both ways.

KINDS describes each kind of item once: its model, its keys in the files, the items inside it
and, for the kinds at the top of a file, where its files are (LAYOUTS). Reading, checking and
exporting all walk that table; the translated texts are the model's `translated_fields`.

- `load_content` (first run, upgrades) never overwrites an editor's change. Each row keeps a
  hash of the file values it was last loaded from (`seed_hash`); loading again updates a row
  only while it still holds them. New rows are created, nothing is deleted.
- `import_content(directory)` makes the database match a directory exactly. It checks every file
  first (`checked_content`: unknown keys, the models' own `full_clean`, references between items,
  the wizard engine's checks) and refuses the whole directory if anything is wrong. Imported rows
  get the same seed hash as loaded ones, so a later `load_content` treats them as unedited.
- `export_content(directory)` writes every row, published or not, as files (with tomlkit): the
  same database always gives byte-identical files, and importing them gives the same rows.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
import shutil
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import reversion
import tomlkit
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from tomlkit.items import Item

from . import tree as engine
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
from .problems import describe

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LANGUAGES = ("zh_hans", "en", "zh_hant")
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


# --- The table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """A key of an item in the files and the model field it fills."""

    name: str
    type: object = str  # what the files hold: str, bool, DATE, list (of strings) or dict
    field: str = ""  # the model field, when it is named differently
    default: object = REQUIRED  # a value, or a function of the values read before this key
    omit_empty: bool = False  # an export leaves the key out while the row holds nothing

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.field or self.name,)

    def file_key(self, field_name: str) -> str:
        return self.name

    def load(self, value) -> dict:
        return {self.fields[0]: value}

    def dump(self, row):
        return getattr(row, self.fields[0])

    def current(self, row) -> dict:
        return {name: getattr(row, name) for name in self.fields}

    def problems(self, value) -> list[str]:
        return _type_problems(value, self.type)


class Joined(Key):
    """A list of names in the files, kept in the model as one comma-separated text."""

    def load(self, value) -> dict:
        return {self.fields[0]: ", ".join(value)}

    def dump(self, row):
        return [name.strip() for name in getattr(row, self.fields[0]).split(",") if name.strip()]


class Weights(Key):
    """`weights = { communicate = 2, rights = 0, professional = 1 }`: one model field per path."""

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(f"weight_{path}" for path in engine.PATHS)

    def file_key(self, field_name: str) -> str:
        return f"weights.{field_name.removeprefix('weight_')}"

    def load(self, value) -> dict:
        return {f"weight_{path}": value.get(path, 0) for path in engine.PATHS}

    def dump(self, row):
        pairs = (f"{path} = {getattr(row, f'weight_{path}')}" for path in engine.PATHS)
        return tomlkit.value("{ " + ", ".join(pairs) + " }")

    def problems(self, value) -> list[str]:
        if not isinstance(value, dict):
            return ["should be a table"]
        return [
            f"has an unknown path '{path}' (paths: {', '.join(engine.PATHS)})"
            if path not in engine.PATHS
            else f"{path} should be a whole number"
            for path, weight in value.items()
            if path not in engine.PATHS or type(weight) is not int
        ]


class Links(Key):
    """Topics named by slug (a many-to-many field), written in the order of the guide."""

    fields = ()

    def load(self, value) -> dict:
        return {self.name: sorted(value)}

    def dump(self, row):
        return [topic.slug for topic in getattr(row, self.name).all()]

    def current(self, row) -> dict:
        return {self.name: sorted(getattr(row, self.name).values_list("slug", flat=True))}


@dataclass(frozen=True, eq=False)  # found by identity: a key of dicts
class Kind:
    name: str  # as problems and reports name an item: "topic 'credit-record'"
    model: type[models.Model]
    keys: tuple[Key, ...] = ()  # in the order an export writes them, before the texts
    identity: str = ""  # the key that names an item
    children: dict[str, Kind] = dataclasses.field(default_factory=dict)  # list key -> items
    inline: bool = False  # stored with its parent and replaced with it, not found by identity

    @property
    def texts(self) -> tuple[str, ...]:
        return self.model.translated_fields

    @property
    def ordered(self) -> bool:  # the model keeps the items' order in the files
        return any(f.name == "order" for f in self.model._meta.fields)

    @property
    def drafts(self) -> bool:
        return issubclass(self.model, DraftModel)


@dataclass(frozen=True)
class Layout:
    name: str  # the key of these items in the content `read_content` returns
    kind: Kind
    path: str  # "guide/{number}-{identity}.toml": a file per item; else one file, a list in it
    list_key: str = ""  # in a file holding a list: its key
    first: str = ""  # a key of that file naming the item stored first ("start")

    @property
    def folder(self) -> str:
        return self.path.partition("/")[0] if "/" in self.path else ""


def _today(values: dict) -> DATE:
    return datetime.date.today()


def _six_months_later(values: dict) -> DATE:
    return values["last_reviewed"] + REVIEW_INTERVAL  # as ReviewedModel.save() fills it in


SLUG, KEY = Key("slug"), Key("key")
PUBLISHED = Key("published", bool, default=True)
LAST_REVIEWED = Key("last_reviewed", DATE, default=_today)
REVIEW = (
    LAST_REVIEWED,
    Key("reviewed_by", default="", omit_empty=True),
    Key("review_due", DATE, default=_six_months_later, omit_empty=True),
)
NEXT = Key("next", field="next_key", default="")

TOPIC = Kind(
    "topic",
    Topic,
    (SLUG, PUBLISHED, *REVIEW),
    identity="slug",
    children={
        "sources": Kind("source", Source, (Key("url", default="", omit_empty=True),), inline=True)
    },
)
SECTION = Kind("section", Section, (SLUG, PUBLISHED, LAST_REVIEWED), "slug", {"topics": TOPIC})
PATH = Kind(
    "path",
    PathPage,
    (KEY, *REVIEW, Links("related_topics", list, default=[])),
    identity="key",
    children={"steps": Kind("step", PathStep, inline=True)},
)
NOTICE = Kind("notice", Notice, (KEY,), "key")
CHOICE = Kind(
    "choice",
    Choice,
    (
        KEY,
        NEXT,
        Weights("weights", dict, default={}),
        Joined("flags", list, default=[]),
        Key("exclusive", bool, default=False),
    ),
    identity="key",
    inline=True,
)
QUESTION = Kind(
    "question",
    Question,
    (KEY, Key("kind", default=Question.SINGLE), NEXT),
    identity="key",
    children={"choices": CHOICE},
)
MESSAGE = Kind(
    "message",
    MessageTemplate,
    (SLUG, PUBLISHED, *REVIEW, Joined("fields", list, default=[])),
    "slug",
)
# In the order they are written: a topic's section before it, the topics before the paths.
LAYOUTS = (
    Layout("sections", SECTION, "guide/{number}-{identity}.toml"),
    Layout("paths", PATH, "paths/{identity}.toml"),
    Layout("notices", NOTICE, "notices.toml", list_key="notices"),
    Layout("questions", QUESTION, "wizard.toml", list_key="questions", first="start"),
    Layout("messages", MESSAGE, "messages/{number}-{identity}.toml"),
)
# What an export writes, and replaces with --force; anything else in the directory is left alone.
OWNED = tuple(layout.folder or layout.path for layout in LAYOUTS)


def _kinds(kinds=tuple(layout.kind for layout in LAYOUTS)):
    for kind in kinds:
        yield kind
        yield from _kinds(kind.children.values())


IDENTITY = {kind.model: kind.identity for kind in _kinds()}


# --- Reading the files --------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentFile:
    name: str  # relative to the content directory, e.g. "guide/06-consequences.toml"
    data: dict


def _parse(directory: Path) -> tuple[dict[str, list[ContentFile]], list[str]]:
    if not directory.is_dir():
        return {}, [f"{directory}: no such directory"]
    files, problems = {}, []
    for layout in LAYOUTS:
        folder = directory / layout.folder
        if not (folder if layout.folder else directory / layout.path).exists():
            problems.append(f"{layout.folder or layout.path}{'/' * bool(layout.folder)}: missing")
            files[layout.name] = []
            continue
        paths = sorted(folder.glob("*.toml")) if layout.folder else [directory / layout.path]
        files[layout.name] = []
        for path in paths:  # the numbers the guide's and messages' file names start with
            name = path.relative_to(directory).as_posix()
            try:
                files[layout.name].append(ContentFile(name, tomllib.loads(path.read_text("utf-8"))))
            except tomllib.TOMLDecodeError as error:
                problems.append(f"{name}: TOML syntax error: {error}")
            except (OSError, UnicodeDecodeError) as error:
                problems.append(f"{name}: cannot be read: {error}")
    return files, problems


def _items(layout: Layout, file: ContentFile) -> list[dict]:
    """The items of one file, in the order they are stored (the wizard's start first)."""
    if not layout.list_key:
        return [file.data]
    items = file.data.get(layout.list_key, [])
    if not layout.first:
        return items
    first = file.data.get(layout.first) or (items[0].get(layout.kind.identity) if items else "")
    return sorted(items, key=lambda item: item.get(layout.kind.identity) != first)


def _content(files: dict[str, list[ContentFile]]) -> dict[str, list[dict]]:
    return {
        layout.name: [item for file in files[layout.name] for item in _items(layout, file)]
        for layout in LAYOUTS
    }


def read_content(directory: Path = CONTENT_DIR) -> dict[str, list[dict]]:
    """The items in `directory` by layout name ("sections", "paths", ...), unchecked."""
    files, problems = _parse(Path(directory))
    if problems:
        raise ContentError("\n".join(problems))
    return _content(files)


# --- From file data to model values, and from rows back --------------------------------------


def _values(kind: Kind, data: dict, position: int, parent=None, resolve: bool = True) -> dict:
    """What the row of one item holds: its model fields (attnames), plus its inline rows and its
    links under their keys. `resolve` false leaves a drafted foreign key as the identity the files
    give (when checking, its row may not exist yet)."""
    values = {"order": position} if kind.ordered else {}
    if parent is not None and not kind.inline:
        values[_parent_field(kind, parent).attname] = parent.pk
    for key in kind.keys:
        value = data.get(key.name, key.default)
        values |= key.load(value(values) if callable(value) else value)
    for name in kind.texts:
        for language in LANGUAGES:
            text = data.get(language, {}).get(name, "")
            values[f"{name}_{language}"] = (
                "\n".join(text) if isinstance(text, list) else text
            ).strip()
    if kind.drafts:
        values |= _draft_values(kind, data.get("draft", {}), resolve)
    for list_key, child in kind.children.items():
        if child.inline:
            items = enumerate(data.get(list_key, []), start=1)
            values[list_key] = [_values(child, item, n, resolve=resolve) for n, item in items]
    return values


def _parent_field(kind: Kind, parent) -> models.Field:
    return next(f for f in kind.model._meta.fields if f.related_model is type(parent))


def _draftable(model) -> dict[str, models.Field]:
    """The names a [draft.fields] table may use: a foreign key by its name (the draft holds the
    identity of the row it points to, as ids differ between databases), others by attname."""
    return {(f.name if f.is_relation else f.attname): f for f in model().draftable_fields()}


def _draft_values(kind: Kind, table: dict, resolve: bool) -> dict:
    """draft, draft_saved_by and draft_saved_at from an item's [draft] table (empty without one).
    A multi-line drafted value ends with a newline that is not part of it (see FORMAT.md)."""
    names, draft = _draftable(kind.model), {}
    for name, value in table.get("fields", {}).items():
        field = names[name]
        if field.is_relation and resolve:
            rows = field.related_model.objects.filter(**{IDENTITY[field.related_model]: value})
            if (pk := rows.values_list("pk", flat=True).first()) is None:
                raise ContentError(f"[draft.fields] {name}: there is no {name} '{value}'")
            draft[field.attname] = str(pk)
        else:
            draft[field.attname] = value.removesuffix("\n")
    saved_at = table.get("saved_at")
    return {
        "draft": draft,
        "draft_saved_by": table.get("saved_by", ""),
        "draft_saved_at": saved_at.astimezone(datetime.UTC) if saved_at else None,
    }


def _current(kind: Kind, row) -> dict:
    """What `row` holds of the values `_values` gives, in the same shape."""
    values = {"order": row.order} if kind.ordered else {}
    names = [f"{name}_{language}" for name in kind.texts for language in LANGUAGES]
    if kind.drafts:
        names += ["draft", "draft_saved_by", "draft_saved_at"]
    if not kind.inline:  # the parent a row of its own points to (a topic's section)
        names += [f.attname for f in kind.model._meta.concrete_fields if f.is_relation]
    values |= {name: getattr(row, name) for name in names}
    for key in kind.keys:
        values |= key.current(row)
    for list_key, child in kind.children.items():
        if child.inline:
            values[list_key] = [_current(child, item) for item in getattr(row, list_key).all()]
    return values


def _hash(values: dict) -> str:
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# --- Writing rows -------------------------------------------------------------------------------


@dataclass
class Report:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    kept: list[str] = dataclasses.field(default_factory=list)  # an editor changed them
    deleted: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        counts = [f"{len(self.created)} created", f"{len(self.updated)} updated"]
        if self.kept:
            counts.append(f"{len(self.kept)} kept because an editor changed them")
        if self.deleted:
            counts.append(f"{len(self.deleted)} deleted")
        return ", ".join(counts)


WriteRow = Callable[[Kind, dict, int, object], object]


def _write_content(content: dict[str, list[dict]], write_row: WriteRow) -> None:
    """Hand every item with a row of its own to `write_row`, each kind of item in all the files
    before the kind inside it (all the sections before the topics: a topic's draft may name any
    section). Each is kept as a version of its own, so restoring one in the admin restores only
    that item."""
    for layout in LAYOUTS:
        level = [(layout.kind, item, n, None) for n, item in enumerate(content[layout.name], 1)]
        while level:
            below = []
            for kind, data, position, parent in level:
                with reversion.create_revision():
                    reversion.set_comment("Loaded from content files")
                    row = write_row(kind, data, position, parent)
                for list_key, child in kind.children.items():
                    if not child.inline:
                        items = enumerate(data.get(list_key, []), start=1)
                        below += [(child, item, number, row) for number, item in items]
            level = below


def _write_row(kind, data, position, parent, *, report: Report, replace: bool):
    """Create or update one row with its inline rows. Loading (`replace` false) leaves a row an
    editor changed alone; importing overwrites it."""
    label = f"{kind.name} {data[kind.identity]}"
    values = _values(kind, data, position, parent)
    file_hash = _hash(values)
    row = kind.model.objects.filter(**{kind.identity: data[kind.identity]}).first()
    if row is None:
        row = kind.model()
        report.created.append(label)
    elif (row_hash := _hash(_current(kind, row))) == file_hash:
        if row.seed_hash != file_hash:  # holds what the files hold: in step with them again
            kind.model.objects.filter(pk=row.pk).update(seed_hash=file_hash)
        report.unchanged.append(label)
        return row
    elif not replace and row_hash != row.seed_hash:
        report.kept.append(label)
        return row
    else:
        report.updated.append(label)
    concrete = {f.attname for f in kind.model._meta.concrete_fields}
    for name, value in values.items():
        if name in concrete:
            setattr(row, name, value)
    row.seed_hash = file_hash
    row.save()
    for name, value in values.items():
        if name in kind.children:  # inline rows: replaced
            getattr(row, name).all().delete()
            for child_values in value:
                getattr(row, name).create(**child_values)
        elif name not in concrete:  # links to topics
            getattr(row, name).set(Topic.objects.filter(slug__in=value))
    return row


@transaction.atomic
def load_content(content: dict | None = None) -> Report:
    """Load the shipped files (or `content`, as `read_content` gives it), keeping editors' rows."""
    content = checked_content(CONTENT_DIR) if content is None else content
    report = Report()
    _write_content(content, lambda *item: _write_row(*item, report=report, replace=False))
    ContentVersion.bump()
    return report


def load_if_empty(**kwargs) -> None:
    """post_migrate hook: a new database (a first run, a test database) gets the initial content."""
    if not Section.objects.exists() and not Question.objects.exists():
        load_content()


def import_content(directory: Path) -> Report:
    """Check every file in `directory` (raising ContentProblems if anything is wrong), then make
    the database hold exactly that content, in one transaction."""
    content = checked_content(directory)
    report = Report()
    named = {kind: set() for kind in _kinds() if not kind.inline}

    def write_row(kind, data, position, parent):
        named[kind].add(data[kind.identity])
        return _write_row(kind, data, position, parent, report=report, replace=True)

    with transaction.atomic():
        _write_content(content, write_row)
        # The topics before their sections: a topic that moved is not deleted with its old one.
        for kind, identities in reversed(named.items()):
            stale = kind.model.objects.exclude(**{f"{kind.identity}__in": identities})
            report.deleted += [
                f"{kind.name} {n}" for n in stale.values_list(kind.identity, flat=True)
            ]
            stale.delete()
        ContentVersion.bump()
    return report


# --- Checking a directory -----------------------------------------------------------------------

TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    DATE: "a date like 2026-11-29",
    DATETIME: "a date and time with its offset, like 2026-11-29T08:30:00Z",
    dict: "a table",
    list: "a list of strings",
}
DRAFT_KEYS = {"saved_by": str, "saved_at": DATETIME, "fields": dict}


def _type_problems(value, expected) -> list[str]:
    if expected is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif expected is DATE:
        ok = type(value) is DATE  # a TOML date, not a date-time
    elif expected is DATETIME:
        ok = isinstance(value, DATETIME) and value.tzinfo is not None  # not a local one
    else:
        ok = isinstance(value, expected)
    return [] if ok else [f"should be {TYPE_NAMES[expected]}"]


def _label(kind: Kind, data: dict, number: int) -> str:
    identity = data.get(kind.identity)
    return f"{kind.name} '{identity}'" if isinstance(identity, str) else f"{kind.name} {number}"


def _unknown(name: str, known, where: str) -> str:
    return f"{where}: unknown key '{name}' (known keys: {', '.join(known)})"


def _shape_problems(kind: Kind, data: dict, where: str) -> list[str]:
    """Missing, unknown and mistyped keys of one item and of the items inside it."""
    keys = {key.name: key for key in kind.keys}
    known = [*keys, *LANGUAGES, *(["draft"] if kind.drafts else []), *kind.children]
    problems = [
        f"{where}: missing required key '{key.name}'"
        for key in kind.keys
        if key.default is REQUIRED and key.name not in data
    ]
    for name, value in data.items():
        if name in keys:
            problems += [f"{where}: '{name}' {p}" for p in keys[name].problems(value)]
        elif name in LANGUAGES:
            problems += _language_problems(kind, value, f"{where}: [{name}]")
        elif name == "draft" and kind.drafts:
            problems += _draft_problems(kind, value, where)
        elif name not in kind.children:
            problems.append(_unknown(name, known, where))
        elif not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            problems.append(f"{where}: '{name}' should be an array of tables")
        else:
            child = kind.children[name]
            for number, item in enumerate(value, start=1):
                problems += _shape_problems(child, item, f"{where}, {_label(child, item, number)}")
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
    """Unknown and mistyped keys of a [draft] table, and drafted fields the item's model has not
    got or values its fields cannot take."""
    if not isinstance(table, dict):
        return [f"{where}: 'draft' should be a table"]
    problems = []
    for name, value in table.items():
        if name not in DRAFT_KEYS:
            problems.append(_unknown(name, DRAFT_KEYS, f"{where}: [draft]"))
        else:
            problems += [
                f"{where}: [draft] '{name}' {p}" for p in _type_problems(value, DRAFT_KEYS[name])
            ]
    fields = table.get("fields")
    if not fields:
        problems.append(f"{where}: [draft] has no [draft.fields] (a draft holds at least one)")
    if not isinstance(fields, dict):
        return problems
    names = _draftable(kind.model)
    for name, value in fields.items():
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


def _model_problems(kind: Kind, data: dict, where: str, position: int) -> list[str]:
    """The model's own validation (lengths, formats, choices, required texts, clean()) of one
    item and of its inline rows, each problem named by its key in the files."""
    values = _values(kind, data, position, resolve=False)
    concrete = {f.attname: f for f in kind.model._meta.concrete_fields}
    parents = [f.name for f in concrete.values() if f.is_relation]
    file_keys = {f"{n}_{lang}": f"[{lang}] {n}" for n in kind.texts for lang in LANGUAGES}
    file_keys |= {name: key.file_key(name) for key in kind.keys for name in key.fields}
    file_keys |= {"draft_saved_by": "[draft] saved_by"}
    row = kind.model(**{name: value for name, value in values.items() if name in concrete})
    problems = []
    try:
        row.full_clean(exclude=parents, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        problems = [
            f"{where}: {message}"
            if name == NON_FIELD_ERRORS
            else f"{where}: {file_keys.get(name, name)}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    for list_key, child in kind.children.items():
        if child.inline:
            for number, item in enumerate(data.get(list_key, []), start=1):
                label = f"{where}, {_label(child, item, number)}"
                problems += _model_problems(child, item, label, number)
    return problems


def _walk(files: dict[str, list[ContentFile]]):
    """(kind, data, where, position) of every item with a row of its own, parents first."""
    for layout in LAYOUTS:
        for file in files[layout.name]:
            items = _items(layout, file)
            stack = [
                (layout.kind, item, f"{file.name}, {_label(layout.kind, item, n)}", n)
                if layout.list_key
                else (layout.kind, item, file.name, n)
                for n, item in enumerate(items, start=1)
            ]
            while stack:
                kind, data, where, position = stack.pop(0)
                yield kind, data, where, position
                for list_key, child in kind.children.items():
                    if not child.inline:
                        stack += [
                            (child, item, f"{where}, {_label(child, item, n)}", n)
                            for n, item in enumerate(data.get(list_key, []), start=1)
                        ]


def _file_problems(layout: Layout, file: ContentFile) -> list[str]:
    if not layout.list_key:
        return _shape_problems(layout.kind, file.data, file.name)
    problems = []
    for name, value in file.data.items():
        if name == layout.first:
            problems += [f"{file.name}: '{name}' {p}" for p in _type_problems(value, str)]
        elif name != layout.list_key:
            known = [name for name in (layout.first, layout.list_key) if name]
            problems.append(_unknown(name, known, file.name))
        elif not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            problems.append(f"{file.name}: '{name}' should be an array of tables")
        else:
            for n, item in enumerate(value, start=1):
                where = f"{file.name}, {_label(layout.kind, item, n)}"
                problems += _shape_problems(layout.kind, item, where)
    return problems


def _reference_problems(files: dict[str, list[ContentFile]]) -> list[str]:
    """Identities used twice, and names of items that are not in the files."""
    first: dict[tuple[Kind, str], str] = {}
    problems = []
    items = list(_walk(files))
    for kind, data, where, _ in items:
        identity = data[kind.identity]
        if (kind, identity) in first:
            problems.append(
                f"{where}: {kind.name} {kind.identity} '{identity}' is used twice "
                f"(also in {first[kind, identity]})"
            )
        first.setdefault((kind, identity), where)
    named = {model: {i for (k, i) in first if k.model is model} for model in IDENTITY}
    for kind, data, where, _ in items:
        problems += [
            f"{where}: related topic '{slug}' does not exist in the guide"
            for slug in data.get("related_topics", [])
            if slug not in named[Topic]
        ]
        fields = _draftable(kind.model) if kind.drafts else {}
        for name, value in data.get("draft", {}).get("fields", {}).items():
            model = fields[name].related_model
            if model is not None and value not in named[model]:
                problems.append(
                    f"{where}: [draft.fields] {name} '{value}' is not a {name} in the files"
                )
    paths = named[PathPage]
    problems += [
        f"paths/: no file for the path '{key}' (the wizard recommends all of "
        f"{', '.join(PATH_KEYS)})"
        for key in PATH_KEYS
        if key not in paths
    ]
    return problems


def checked_content(directory: Path) -> dict[str, list[dict]]:
    """The content in `directory` as `load_content` takes it, or ContentProblems listing
    everything wrong with it (file, item, key and what is wrong). Writes nothing."""
    files, problems = _parse(Path(directory))
    if not problems:
        problems = [
            problem
            for layout in LAYOUTS
            for file in files[layout.name]
            for problem in _file_problems(layout, file)
        ]
    if not problems:
        for kind, data, where, position in _walk(files):
            problems += _model_problems(kind, data, where, position)
        problems += _reference_problems(files)
        problems += [
            f"{file.name}: {describe(problem)}"
            for file in files["questions"]
            for problem in engine.validate(engine.build_tree(file.data))
        ]
    if problems:
        raise ContentProblems(problems)
    return _content(files)


# --- Writing the files --------------------------------------------------------------------------


def _file_data(kind: Kind, row) -> dict:
    """One row as file data: plain values and tomlkit items for the layouts plain values do not
    give (key points one per line, the weights on one line)."""
    data = {}
    for key in kind.keys:
        value = key.dump(row)
        if not (key.omit_empty and value in ("", None)):
            data[key.name] = value
    languages = {
        language: {name: _file_text(row, name, language) for name in kind.texts}
        for language in ("zh_hans", "en")
    }
    # Traditional Chinese only where an editor wrote it by hand; import generates the rest.
    hand_written = {
        n: _file_text(row, n, "zh_hant") for n in kind.texts if getattr(row, f"{n}_zh_hant")
    }
    data |= languages | ({"zh_hant": hand_written} if hand_written else {})
    if kind.drafts:
        data |= _draft_data(row)
    for list_key, child in kind.children.items():
        if items := [_file_data(child, item) for item in getattr(row, list_key).all()]:
            data[list_key] = items
    return data


def _file_text(row, name: str, language: str):
    """A text as the files hold it: key points one per line, Markdown and any text with a line
    break as a block whose closing quotes are on a line of their own (import strips the
    newline before them)."""
    text = getattr(row, f"{name}_{language}")
    if name == "key_points":
        lines = tomlkit.array()
        for line in text.split("\n") if text else []:
            lines.add_line(line, indent="  ")
        if text:
            lines.add_line(indent="")
        return lines
    markdown = isinstance(row._meta.get_field(f"{name}_{language}"), models.TextField)
    return text + "\n" if text and (markdown or "\n" in text) else text


def _draft_data(row) -> dict:
    """A row's draft as a [draft] table. Names that are not (or no longer) draftable fields, and
    foreign keys to rows that are gone, are left out: a preview ignores them too."""
    fields = {}
    for name, field in _draftable(type(row)).items():
        if field.attname not in row.draft:
            continue
        value = row.draft[field.attname]
        if not isinstance(value, str):
            raise ExportRefused(
                f"The draft of {row._meta.model_name} '{getattr(row, IDENTITY[type(row)])}' "
                f"holds a {field.attname} that is not a text; save the draft again (or publish "
                "it) in the admin."
            )
        if not field.is_relation:
            fields[name] = value + "\n" if "\n" in value else value
        elif (identity := _identity_of(field, value)) is not None:
            fields[name] = identity
    if not fields:
        return {}
    saved_by = {"saved_by": row.draft_saved_by} if row.draft_saved_by else {}
    saved_at = row.draft_saved_at
    saved_at = {"saved_at": saved_at.astimezone(datetime.UTC)} if saved_at else {}
    return {"draft": {**saved_by, **saved_at, "fields": fields}}


def _identity_of(field: models.ForeignKey, pk: str) -> str | None:
    try:
        pk = field.target_field.to_python(pk)
    except ValidationError:
        return None
    rows = field.related_model.objects.filter(pk=pk)
    return rows.values_list(IDENTITY[field.related_model], flat=True).first()


def toml_text(data: dict) -> str:
    """`data` as TOML: every table a [section] of its own, multi-line texts as blocks that read
    back exactly."""
    return tomlkit.dumps(_add_all(tomlkit.document(), data))


def _add_all(table, data: dict):
    for key, value in data.items():
        table.add(key, _item(value))
    return table


def _item(value):
    if isinstance(value, Item):
        return value
    if isinstance(value, dict):
        # Not a super table: a [draft] holding only [draft.fields] still gets its header.
        return _add_all(tomlkit.table(is_super_table=False), value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        tables = tomlkit.aot()
        for item in value:
            tables.append(_item(item))
        return tables
    if isinstance(value, str) and "\n" in value:
        block = tomlkit.string(value, multiline=True).as_string()
        if not block.startswith('"""\n'):  # that newline is not part of the text
            block = '"""\n' + block.removeprefix('"""')
        if tomllib.loads(f"v = {block}")["v"] == value:
            return tomlkit.value(block)
        return tomlkit.string(value)  # a carriage return before a newline would be lost
    return value


def _file_name(identity: str) -> str:
    """A slug or key as part of a file name; refuses one that could point outside the folder
    (the models' validators only run in forms)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", identity):
        raise ExportRefused(f"{identity!r} cannot be used in a file name; fix it in the admin.")
    return identity


def _prefetch(kind: Kind, prefix: str = "") -> list[str]:
    names = [prefix + key.name for key in kind.keys if isinstance(key, Links)]
    for list_key, child in kind.children.items():
        names += [prefix + list_key, *_prefetch(child, f"{prefix}{list_key}__")]
    return names


def content_as_files() -> dict[str, str]:
    """Every content file, by its path relative to the content directory, as text."""
    files = {}
    for layout in LAYOUTS:
        kind = layout.kind
        rows = list(kind.model.objects.prefetch_related(*_prefetch(kind)))
        if not kind.ordered:  # sorted here: the database's collation could order them otherwise
            rows.sort(key=lambda row: getattr(row, kind.identity))
        items = [_file_data(kind, row) for row in rows]
        if layout.list_key:
            first = {layout.first: items[0][kind.identity] if items else ""} if layout.first else {}
            files[layout.path] = toml_text({**first, layout.list_key: items})
            continue
        width = max(2, len(str(len(rows))))
        for number, item in enumerate(items, start=1):
            name = layout.path.format(
                number=str(number).zfill(width), identity=_file_name(item[kind.identity])
            )
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
    write_files(directory, files)
    return files


def write_files(directory: Path, files: dict[str, str]) -> None:
    """Write `files` into a staging directory next to `directory`, then move them into place."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Next to the target, so the moves are renames on one file system; mkdir honours the umask.
    staging = directory.parent / f".{directory.name}.export-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        for layout in LAYOUTS:
            if layout.folder:
                (staging / layout.folder).mkdir()
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        if directory.exists():
            _swap_in(staging, directory)
        else:
            staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, directory: Path) -> None:
    """Replace the OWNED entries of `directory` with the staged ones: all of them or, if a move
    fails, none (what was there is put back)."""
    replaced = staging / ".replaced"
    replaced.mkdir()
    installed = []
    try:
        for name in OWNED:
            if (directory / name).exists() or (directory / name).is_symlink():
                (directory / name).rename(replaced / name)
        for name in OWNED:
            (staging / name).rename(directory / name)
            installed.append(name)
    except OSError:
        for name in installed:
            path = directory / name
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        for name in OWNED:
            if (replaced / name).exists() or (replaced / name).is_symlink():
                (replaced / name).rename(directory / name)
        raise
