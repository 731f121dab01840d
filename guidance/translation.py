"""Fields that hold one text per language.

A `TranslatedField("title", ...)` on a model adds the real columns `title_zh_hans`, `title_en`,
`title_zh_hant` (written by hand, optional) and `title_zh_hant_auto` (generated from Simplified on
save, see traditional.py), and reading `obj.title` gives the text in the active language.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models, transaction
from django.utils.translation import get_language

from .traditional import fingerprint, to_traditional

# Each site language's column suffix, in the order the admin and the content files show them.
LANGUAGE_SUFFIXES = {"zh-hans": "zh_hans", "en": "en", "zh-hant": "zh_hant"}
WRITTEN_LANGUAGES = tuple(LANGUAGE_SUFFIXES.values())  # the columns editors write in


class TranslatedField:
    """Declares the per-language columns of one text; see the module docstring."""

    def __init__(self, field_class=models.CharField, verbose_name="", required=True, **kwargs):
        self.field_class = field_class
        self.verbose_name = verbose_name
        self.required = required
        self.kwargs = kwargs

    def contribute_to_class(self, cls, name):
        label, blank = self.verbose_name or name, not self.required
        columns = {
            "zh_hans": {"verbose_name": f"{label}（简体中文）", "blank": blank},
            "en": {"verbose_name": f"{label} (English)", "blank": blank},
            "zh_hant": {
                "verbose_name": f"{label}（繁體中文，手寫）",
                "blank": True,
                "help_text": "留空时由简体中文自动转换（OpenCC）。"
                "填写后以此为准；清空即恢复自动转换。",
            },
            "zh_hant_auto": {
                "verbose_name": f"{label}（繁體中文，自動）",
                "blank": True,
                "editable": False,
            },
        }
        for suffix, options in columns.items():
            cls.add_to_class(f"{name}_{suffix}", self.field_class(**options, **self.kwargs))
        setattr(cls, name, property(lambda obj: obj.translation(name)))
        cls.translated_fields = (*getattr(cls, "translated_fields", ()), name)


class TranslatedModel(models.Model):
    translated_fields: tuple[str, ...] = ()

    # For each hand-written Traditional text: a fingerprint of the Simplified text it was written
    # from, and of itself. The Simplified text changing under an unchanged override makes the
    # override stale: the admin asks an editor to check it again.
    zh_hant_override_sources = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Browsers send text areas with CRLF line breaks; keep texts (and their diffs) LF-only.
        for name in self.translated_fields:
            for suffix in WRITTEN_LANGUAGES:
                value = getattr(self, f"{name}_{suffix}")
                if isinstance(value, str) and "\r" in value:
                    setattr(self, f"{name}_{suffix}", value.replace("\r\n", "\n"))
        self.refresh_generated_translations()
        self.record_override_sources()
        if (update_fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {
                *update_fields,
                *(f"{n}_zh_hant_auto" for n in self.translated_fields),
                "zh_hant_override_sources",
            }
        super().save(*args, **kwargs)

    def translation(self, name: str, language: str | None = None) -> str:
        language = (language or get_language() or "zh-hans").lower()
        suffix = LANGUAGE_SUFFIXES.get(language, "zh_hans")
        if suffix == "zh_hant":
            return getattr(self, f"{name}_zh_hant") or getattr(self, f"{name}_zh_hant_auto")
        return getattr(self, f"{name}_{suffix}") or getattr(self, f"{name}_zh_hans")

    def refresh_generated_translations(self) -> None:
        for name in self.translated_fields:
            setattr(self, f"{name}_zh_hant_auto", to_traditional(getattr(self, f"{name}_zh_hans")))

    def record_override_sources(self, confirmed: bool = False) -> None:
        """Remember what each override was written from: a new or changed override (or every
        one, once an editor has `confirmed` them) from the Simplified text it is saved with; an
        unchanged one keeps its old record."""
        previous = self.zh_hant_override_sources or {}
        self.zh_hant_override_sources = {}
        for name in self.translated_fields:
            if not (override := getattr(self, f"{name}_zh_hant")):
                continue
            record = previous.get(name)
            if (
                confirmed
                or not isinstance(record, dict)
                or record.get("override") != fingerprint(override)
            ):
                source = fingerprint(getattr(self, f"{name}_zh_hans"))
                record = {"source": source, "override": fingerprint(override)}
            self.zh_hant_override_sources[name] = record

    def traditional_status(self, name: str) -> str:
        """ "generated", "written" (by hand) or "stale" (written, and the Simplified text has
        changed since)."""
        if not getattr(self, f"{name}_zh_hant"):
            return "generated"
        record = (self.zh_hant_override_sources or {}).get(name) or {}
        if record.get("source") != fingerprint(getattr(self, f"{name}_zh_hans")):
            return "stale"
        return "written"

    def stale_overrides(self) -> list[str]:
        return [n for n in self.translated_fields if self.traditional_status(n) == "stale"]

    def confirm_overrides(self) -> None:
        """An editor has checked every override against the Simplified text as it is now."""
        self.record_override_sources(confirmed=True)


@transaction.atomic
def regenerate_traditional() -> int:
    """Generate every Traditional text again (after the converter or the glossary changed) and
    return how many rows changed; the content version moves on when any did."""
    changed = 0
    for model in [m for m in apps.get_models() if issubclass(m, TranslatedModel)]:
        names = [f"{name}_zh_hant_auto" for name in model.translated_fields]
        rows = []
        for row in model.objects.only(
            "pk", *names, *(f"{n}_zh_hans" for n in model.translated_fields)
        ):
            before = [getattr(row, name) for name in names]
            row.refresh_generated_translations()
            if [getattr(row, name) for name in names] != before:
                rows.append(row)
        model.objects.bulk_update(rows, names, batch_size=200)
        changed += len(rows)
    if changed:
        apps.get_model("guidance", "ContentVersion").bump()
    return changed
