"""Fields that hold one text per language.

A `TranslatedField("title", ...)` on a model adds the real columns `title_zh_hans`, `title_en`,
`title_zh_hant` (written by hand, optional) and `title_zh_hant_auto` (generated from Simplified with
OpenCC on save), and reading `obj.title` gives the text in the active language.
"""

from __future__ import annotations

from functools import lru_cache

import opencc
from django.db import models
from django.utils.translation import get_language

LANGUAGE_SUFFIXES = {"zh-hans": "zh_hans", "zh-hant": "zh_hant", "en": "en"}
EDITED_LANGUAGES = ("zh_hans", "en")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    return _converter().convert(text) if text else text


def language_suffix(language: str | None = None) -> str:
    return LANGUAGE_SUFFIXES.get((language or get_language() or "zh-hans").lower(), "zh_hans")


class TranslatedDescriptor:
    def __init__(self, name: str):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return instance.translation(self.name)


class TranslatedField:
    """Declares the per-language columns of one text; see the module docstring."""

    def __init__(self, field_class=models.CharField, verbose_name="", required=True, **kwargs):
        self.field_class = field_class
        self.verbose_name = verbose_name
        self.required = required
        self.kwargs = kwargs

    def contribute_to_class(self, cls, name):
        label = self.verbose_name or name
        blank = not self.required
        cls.add_to_class(
            f"{name}_zh_hans",
            self.field_class(f"{label}（简体中文）", blank=blank, **self.kwargs),
        )
        cls.add_to_class(
            f"{name}_en", self.field_class(f"{label} (English)", blank=blank, **self.kwargs)
        )
        cls.add_to_class(
            f"{name}_zh_hant",
            self.field_class(
                f"{label}（繁體中文，手寫）",
                blank=True,
                help_text="留空时由简体中文自动转换（OpenCC）。填写后以此为准；清空即恢复自动转换。",
                **self.kwargs,
            ),
        )
        cls.add_to_class(
            f"{name}_zh_hant_auto",
            self.field_class(
                f"{label}（繁體中文，自動）", blank=True, editable=False, **self.kwargs
            ),
        )
        setattr(cls, name, TranslatedDescriptor(name))
        cls.translated_fields = (*getattr(cls, "translated_fields", ()), name)


class TranslatedModel(models.Model):
    translated_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Browsers send text areas with CRLF line breaks; keep texts (and their diffs) LF-only.
        for name in self.translated_fields:
            for suffix in ("zh_hans", "en", "zh_hant"):
                value = getattr(self, f"{name}_{suffix}")
                if isinstance(value, str) and "\r" in value:
                    setattr(self, f"{name}_{suffix}", value.replace("\r\n", "\n"))
        self.refresh_generated_translations()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                *(f"{n}_zh_hant_auto" for n in self.translated_fields),
            }
        super().save(*args, **kwargs)

    def translation(self, name: str, language: str | None = None) -> str:
        suffix = language_suffix(language)
        if suffix == "zh_hant":
            return getattr(self, f"{name}_zh_hant") or getattr(self, f"{name}_zh_hant_auto")
        return getattr(self, f"{name}_{suffix}") or getattr(self, f"{name}_zh_hans")

    def refresh_generated_translations(self) -> None:
        for name in self.translated_fields:
            setattr(self, f"{name}_zh_hant_auto", to_traditional(getattr(self, f"{name}_zh_hans")))
