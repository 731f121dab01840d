from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..context_processors import language_context
from ..rendering import render_markdown

register = template.Library()

_chrome: dict[tuple[str, str], str] = {}


@register.simple_tag
def chrome(template_name: str) -> str:
    """A part of the page frame (head, header, footer) rendered once per process and language.

    The fragment is given only language-level values (`language_context`), never the request,
    so the copy kept here cannot carry one reader's page into another's. Every uncached page
    would otherwise spend a third of its rendering time on this same frame.
    """
    language = get_language()
    key = (template_name, language)
    html = _chrome.get(key)
    if html is None:
        html = render_to_string(template_name, language_context(language))
        if not settings.DEBUG:  # templates edited while developing show at once
            _chrome[key] = html
    return mark_safe(html)  # noqa: S308 (rendered from our own templates, autoescaped)


@register.simple_tag
def language_items(links) -> str:
    """The language switcher's list items. Written here rather than as a template loop because
    every uncached page renders it, and the loop cost as much as the rest of the frame."""
    current = mark_safe(' aria-current="true"')  # noqa: S308 (a constant)
    return format_html_join(
        "\n",
        '<li><a href="{}" lang="{}" hreflang="{}"{}>{}</a></li>',
        (
            (
                link["url"],
                link["html_lang"],
                link["html_lang"],
                current if link["current"] else "",
                link["name"],
            )
            for link in links
        ),
    )


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
