"""Readable differences between two saved versions of a piece of content (django-reversion)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Latin words stay whole; every other character (Chinese included) is its own token.
TOKEN = re.compile(r"[A-Za-z0-9_]+|\s+|.", re.S)
# Bookkeeping, and the inline rows' link to the object compared.
HIDDEN_FIELDS = {
    *("seed_hash", "updated_at", "id", "zh_hant_override_sources"),
    *("topic_id", "path_id", "question_id"),
}


def inline_diff(old: str, new: str) -> SafeString:
    """HTML showing `old` turned into `new`, with <del> and <ins> around what changed."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(parts))  # noqa: S308 (every piece escaped)


@dataclass(frozen=True)
class FieldChange:
    label: str
    diff: SafeString


def field_changes(model, old: dict, new: dict, prefix: str = "") -> list[FieldChange]:
    labels = {f.name: str(f.verbose_name) for f in model._meta.fields}
    changes = []
    for name in sorted(set(old) | set(new), key=lambda n: (n not in labels, n)):
        if name in HIDDEN_FIELDS or name.endswith("_auto"):
            continue
        before, after = old.get(name), new.get(name)
        if before != after:
            label = prefix + labels.get(name, name)
            changes.append(FieldChange(label, inline_diff(_text(before), _text(after))))
    return changes


def _text(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def compare_revisions(model, object_id: str, old_version, new_version) -> list[FieldChange]:
    """Changes to the object itself and to the inline rows saved with it."""
    changes = field_changes(model, old_version.field_dict, new_version.field_dict)
    old, new = (_children(version, model, object_id) for version in (old_version, new_version))
    for key in sorted(set(old) | set(new), key=str):
        child_model, pk = key
        title = f"{child_model._meta.verbose_name} #{pk}: "
        changes += field_changes(child_model, old.get(key, {}), new.get(key, {}), prefix=title)
    return changes


def _children(version, model, object_id) -> dict:
    children = {}
    for other in version.revision.version_set.all():
        other_model = other.content_type.model_class()
        if other_model is None or (other_model is model and str(other.object_id) == str(object_id)):
            continue
        try:
            fields = dict(other.field_dict)
        except Exception:  # noqa: BLE001 (a version made before a model change may not load)
            continue
        parent_keys = [
            f.attname
            for f in other_model._meta.concrete_fields
            if f.many_to_one and f.related_model is model
        ]
        if any(str(fields.get(key)) == str(object_id) for key in parent_keys):
            children[(other_model, other.object_id)] = fields
    return children
