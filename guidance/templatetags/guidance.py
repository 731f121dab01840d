from django import template
from django.utils.safestring import mark_safe

from ..markup import render_markdown

register = template.Library()


@register.filter
def markdown(source: str) -> str:
    """Render editor-written Markdown to sanitised HTML."""
    return mark_safe(render_markdown(source or ""))  # noqa: S308 (sanitised by nh3)


@register.filter
def split(value: str) -> list[str]:
    return value.split()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
