"""Building admin form posts the way a browser sends them."""

from __future__ import annotations

EDITED_LANGUAGES = ("zh_hans", "en", "zh_hant")


def translated_data(obj, prefix: str = "") -> dict[str, str]:
    """The form values of every translated text of `obj` (hand-written Traditional included)."""
    return {
        f"{prefix}{name}_{lang}": getattr(obj, f"{name}_{lang}")
        for name in obj.translated_fields
        for lang in EDITED_LANGUAGES
    }
