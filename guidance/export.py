"""Writing the content in the database out as files, in the format of content/FORMAT.md.

`content_as_files()` renders every row, published or not, as readable TOML: the same database
always gives byte-identical files, and `content.import_content` reads them back into exactly the
same rows. Traditional Chinese is written only where an editor wrote it by hand (a `[zh_hant]`
table); the generated text is made again on import. An editor's unpublished draft is written as
a `[draft]` table beside the live texts, and read back exactly.

`export_content(directory)` writes them through a staging directory, so a failed export leaves
the target as it was.
"""

from __future__ import annotations

import datetime
import re
import shutil
import tomllib
import uuid
from pathlib import Path

import tomli_w
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch

from . import tree as engine
from .content import TEXTS, draft_names
from .models import MessageTemplate, Notice, PathPage, Question, Section, Topic

# What an export writes, and replaces with --force; anything else in the directory is left alone.
OWNED = ("guide", "paths", "messages", "notices.toml", "wizard.toml")


# Not allowed unescaped in a TOML multi-line string (tab and newline are).
CONTROL_CHARACTERS = frozenset(map(chr, [*range(0x09), *range(0x0B, 0x20), 0x7F]))


class ExportRefused(Exception):
    pass


# --- TOML ---------------------------------------------------------------------------------------


class InlineTable(dict):
    """A table written on its key's line: `weights = { communicate = 2, rights = 0, ... }`."""


class InlineArray(list):
    """A list written on its key's line, `flags = ["court"]`, for short lists of names."""


class ExactText(str):
    """A text that must read back exactly as it is (a drafted value: import strips nothing)."""


def toml_text(document: dict) -> str:
    """`document` as TOML, laid out like tomli_w does it, except that:

    - nested tables are always [table] / [[array of tables]] sections (tomli_w writes short ones
      inline, so a file's layout would depend on the length of its texts);
    - InlineTables and InlineArrays are written on one line;
    - multi-line texts leave their quotes unescaped, so Markdown reads as written.
    """
    return "".join(_table_chunks(document, name="")).lstrip("\n")


def _table_chunks(table: dict, name: str, in_array: bool = False):
    lines = [
        f"{key} = {_value_text(value)}\n"
        for key, value in table.items()
        if not _is_section(value) and not _is_section_array(value)
    ]
    if name:
        yield f"[[{name}]]\n" if in_array else f"[{name}]\n"
    yield from lines
    # A blank line before each section, except right under a header with nothing of its own
    # ("[[steps]]" directly followed by "[steps.zh_hans]").
    separator = "\n" if lines or not name else ""
    for key, value in table.items():
        child = f"{name}.{key}" if name else key
        items = [value] if _is_section(value) else value if _is_section_array(value) else []
        for item in items:
            yield separator
            separator = "\n"
            yield from _table_chunks(item, child, in_array=item is not value)


def _is_section(value) -> bool:
    return isinstance(value, dict) and not isinstance(value, InlineTable)


def _is_section_array(value) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_section(v) for v in value)


def _value_text(value) -> str:
    if isinstance(value, datetime.datetime):
        # In UTC, written with a Z; tomli_w would write "2026-11-29 08:30:00+00:00".
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, ExactText):
        return _exact_string(str(value))
    if isinstance(value, InlineTable):
        return "{ " + ", ".join(f"{k} = {_value_text(v)}" for k, v in value.items()) + " }"
    if isinstance(value, InlineArray):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, str) and "\n" in value:
        return _block_string(value)
    return _tomli_w_value(value)


def _tomli_w_value(value) -> str:
    line = tomli_w.dumps({"v": value}, multiline_strings=True, indent=2)
    return line.removeprefix("v = ").removesuffix("\n")


def _block_string(text: str) -> str:
    """A multi-line string with only backslashes (and runs of three quotes) escaped. Falls back
    to tomli_w's, which escapes every quote, for a text this one would not read back exactly."""
    if not CONTROL_CHARACTERS.intersection(text):
        escaped = text.replace("\\", "\\\\")
        rendered = '"""\n' + re.sub(r'"(?="")', r'\\"', escaped) + '"""'
        if _reads_back(rendered, text):
            return rendered
    return _tomli_w_value(text)


def _exact_string(text: str) -> str:
    """`text` as a TOML string that reads back exactly: as `_value_text` writes it where that
    does (tomli_w's multi-line strings turn a carriage return before a newline into nothing),
    else multi-line with control characters escaped, else on one line."""
    escaped = text.replace("\\", "\\\\")
    escaped = re.sub(r'"(?="")', r'\\"', escaped)
    escaped = "".join(_escaped_character(c) for c in escaped)
    for rendered in (_value_text(text), '"""\n' + escaped + '"""'):
        if _reads_back(rendered, text):
            return rendered
    return tomli_w.dumps({"v": text}).removeprefix("v = ").removesuffix("\n")


def _escaped_character(character: str) -> str:
    if character == "\r":
        return "\\r"
    return f"\\u{ord(character):04X}" if character in CONTROL_CHARACTERS else character


def _reads_back(rendered: str, text: str) -> bool:
    try:
        return tomllib.loads(f"v = {rendered}")["v"] == text
    except tomllib.TOMLDecodeError:
        return False


# --- Rows as file data --------------------------------------------------------------------------


def _is_markdown(model, name: str) -> bool:
    return isinstance(model._meta.get_field(f"{name}_zh_hans"), models.TextField)


def _file_text(row, name: str, language: str):
    """A text as the files hold it: key points as a list, Markdown as a block of lines."""
    text = getattr(row, f"{name}_{language}")
    if name == "key_points":
        return text.split("\n") if text else []
    if text and (_is_markdown(type(row), name) or "\n" in text):
        # The trailing newline puts the closing """ on a line of its own; import strips it.
        return text + "\n"
    return text


def translations(row, names: tuple[str, ...]) -> dict:
    """The language tables of a row: [zh_hans] and [en] in full, [zh_hant] only with the texts an
    editor wrote by hand (and not at all when there are none)."""
    tables = {
        language: {name: _file_text(row, name, language) for name in names}
        for language in ("zh_hans", "en")
    }
    overrides = {
        name: _file_text(row, name, "zh_hant") for name in names if getattr(row, f"{name}_zh_hant")
    }
    return {**tables, "zh_hant": overrides} if overrides else tables


def _unless_empty(key: str, items: list) -> dict:
    return {key: items} if items else {}


def review_data(row) -> dict:
    """The reviewer (when there is one) and the next review date, after last_reviewed."""
    reviewed_by = {"reviewed_by": row.reviewed_by} if row.reviewed_by else {}
    due = {"review_due": row.review_due} if row.review_due is not None else {}
    return {"last_reviewed": row.last_reviewed, **reviewed_by, **due}


def _drafted_text(value: str) -> ExactText:
    """A drafted value as the files hold it: a multi-line one gets a newline at the end, which
    puts the closing quotes on a line of their own (import takes it off again)."""
    return ExactText(value + "\n" if "\n" in value else value)


def _drafted_slug(field, value: str, slugs: dict) -> str | None:
    """The slug of the row a drafted foreign key points to; None if that row is gone."""
    try:
        pk = field.target_field.to_python(value)
    except (ValidationError, TypeError):
        return None
    return slugs.get(field.related_model, {}).get(pk)


def draft_data(row, slugs: dict | None = None) -> dict:
    """A row's draft as a [draft] table: who saved it, when (UTC) and the drafted fields, in the
    model's order. `slugs` gives, for each model a drafted foreign key can point to, its rows'
    slugs by id. Names that are not (or no longer) draftable fields, and foreign keys to rows
    that are gone, are left out: a preview ignores them too."""
    if not row.draft:
        return {}
    fields = {}
    for name, field in draft_names(type(row)).items():
        if field.attname not in row.draft:
            continue
        value = row.draft[field.attname]
        if not isinstance(value, str):
            raise ExportRefused(
                f"The draft of {type(row)._meta.model_name} "
                f"'{getattr(row, 'slug', None) or row.key}' holds a {field.attname} that "
                "is not a text; save the draft again (or publish it) in the admin."
            )
        if field.is_relation:
            if (slug := _drafted_slug(field, value, slugs or {})) is not None:
                fields[name] = slug
        else:
            fields[name] = _drafted_text(value)
    if not fields:
        return {}
    saved_by = {"saved_by": row.draft_saved_by} if row.draft_saved_by else {}
    saved_at = {"saved_at": row.draft_saved_at} if row.draft_saved_at else {}
    return {"draft": {**saved_by, **saved_at, "fields": fields}}


def source_data(source) -> dict:
    url = {"url": source.url} if source.url else {}
    return {**url, **translations(source, TEXTS["source"])}


def topic_data(topic, slugs: dict | None = None) -> dict:
    return {
        "slug": topic.slug,
        "published": topic.published,
        **review_data(topic),
        **translations(topic, TEXTS["topic"]),
        **draft_data(topic, slugs),
        **_unless_empty("sources", [source_data(s) for s in topic.sources.all()]),
    }


def section_data(section, slugs: dict | None = None) -> dict:
    return {
        "slug": section.slug,
        "published": section.published,
        "last_reviewed": section.last_reviewed,
        **translations(section, TEXTS["section"]),
        **draft_data(section),
        **_unless_empty("topics", [topic_data(t, slugs) for t in section.topics.all()]),
    }


def path_data(path, guide_position: dict[str, int]) -> dict:
    related = sorted(
        (t.slug for t in path.related_topics.all()),
        key=lambda slug: (guide_position.get(slug, len(guide_position)), slug),
    )
    return {
        "key": path.key,
        **review_data(path),
        "related_topics": InlineArray(related),
        **translations(path, TEXTS["path"]),
        **draft_data(path),
        **_unless_empty("steps", [step_data(s) for s in path.steps.all()]),
    }


def step_data(step) -> dict:
    rules = {
        name: InlineArray(list(engine.parse_rule(getattr(step, name))))
        for name in ("show_when", "hide_when")
        if getattr(step, name)
    }
    return {**rules, **translations(step, TEXTS["step"])}


def notice_data(notice) -> dict:
    return {"key": notice.key, **translations(notice, TEXTS["notice"]), **draft_data(notice)}


def choice_data(choice) -> dict:
    return {
        "key": choice.key,
        "next": choice.next_key,
        "weights": InlineTable(
            communicate=choice.weight_communicate,
            rights=choice.weight_rights,
            professional=choice.weight_professional,
        ),
        "flags": InlineArray(choice.flag_list),
        "exclusive": choice.exclusive,
        **translations(choice, TEXTS["choice"]),
    }


def question_data(question) -> dict:
    return {
        "key": question.key,
        "kind": question.kind,
        "next": question.next_key,
        **translations(question, TEXTS["question"]),
        **_unless_empty("choices", [choice_data(c) for c in question.choices.all()]),
    }


def wizard_data(questions: list) -> dict:
    return {
        "start": questions[0].key if questions else "",
        "questions": [question_data(q) for q in questions],
    }


def message_data(message) -> dict:
    return {
        "slug": message.slug,
        "published": message.published,
        **review_data(message),
        "fields": InlineArray(message.field_list),
        **translations(message, TEXTS["message"]),
        **draft_data(message),
    }


def _file_name(identity: str) -> str:
    """A slug or key as part of a file name; refuses one that could point outside the folder
    (the models' validators only run in forms)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", identity):
        raise ExportRefused(f"{identity!r} cannot be used in a file name; fix it in the admin.")
    return identity


def _numbered(position: int, count: int) -> str:
    """01, 02, … (wider for three-digit counts, so the names still sort in order)."""
    return str(position).zfill(max(2, len(str(count))))


def content_as_files() -> dict[str, str]:
    """Every content file, by its path relative to the content directory, as text."""
    topics = Topic.objects.order_by("order", "id").prefetch_related("sources")
    sections = list(Section.objects.prefetch_related(Prefetch("topics", queryset=topics)))
    messages = list(MessageTemplate.objects.all())
    guide_position = {
        topic.slug: position
        for position, topic in enumerate(t for s in sections for t in s.topics.all())
    }
    slugs = {Section: {section.pk: section.slug for section in sections}}  # for topic drafts
    files = {
        f"guide/{_numbered(n, len(sections))}-{_file_name(s.slug)}.toml": toml_text(
            section_data(s, slugs)
        )
        for n, s in enumerate(sections, start=1)
    }
    files |= {
        f"paths/{_file_name(p.key)}.toml": toml_text(path_data(p, guide_position))
        for p in PathPage.objects.prefetch_related("steps", "related_topics")
    }
    # Sorted here, not by the database, whose collation could order the keys differently.
    notices = sorted(Notice.objects.all(), key=lambda notice: notice.key)
    files["notices.toml"] = toml_text({"notices": [notice_data(n) for n in notices]})
    questions = list(Question.objects.prefetch_related("choices"))
    files["wizard.toml"] = toml_text(wizard_data(questions))
    files |= {
        f"messages/{_numbered(n, len(messages))}-{_file_name(m.slug)}.toml": toml_text(
            message_data(m)
        )
        for n, m in enumerate(messages, start=1)
    }
    return files


# --- Writing the directory ----------------------------------------------------------------------


def export_content(directory: Path, *, force: bool = False) -> dict[str, str]:
    """Write every content file into `directory`; refuse a directory that is not empty unless
    `force`, and then replace only what an export owns (OWNED)."""
    directory = Path(directory).resolve()
    _refuse_unsuitable(directory, force)
    files = content_as_files()
    write_files(directory, files)
    return files


def _refuse_unsuitable(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise ExportRefused(f"{directory} is a file, not a directory.")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise ExportRefused(
            f"{directory} is not empty. Choose an empty or new directory, or pass --force to "
            f"replace the content in it ({', '.join(OWNED)}; anything else is left alone)."
        )


def write_files(directory: Path, files: dict[str, str]) -> None:
    """Write `files` into a staging directory next to `directory`, then move them into place."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Next to the target, so the moves are renames on one file system; mkdir honours the umask.
    staging = directory.parent / f".{directory.name}.export-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        for folder in ("guide", "paths", "messages"):
            (staging / folder).mkdir()
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        if directory.exists():
            _swap_in(staging, directory)
        else:
            staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _swap_in(staging: Path, directory: Path) -> None:
    """Replace the OWNED entries of `directory` with the staged ones: all of them or, if a move
    fails, none (what was there is put back)."""
    replaced = staging / ".replaced"
    replaced.mkdir()
    installed = []
    try:
        for name in OWNED:
            if _exists(directory / name):
                (directory / name).rename(replaced / name)
        for name in OWNED:
            (staging / name).rename(directory / name)
            installed.append(name)
    except OSError:
        for name in installed:
            _remove(directory / name)
        for name in OWNED:
            if _exists(replaced / name):
                (replaced / name).rename(directory / name)
        raise
