"""Markdown to safe HTML: CommonMark, then an allow-list sanitiser."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "blockquote",
    "code",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}

# html=False: raw HTML in the source is shown as text, never passed through.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


@lru_cache(maxsize=2048)
def render_markdown(source: str) -> str:
    """Return sanitised HTML for Markdown `source` (cached by the text itself, so never stale)."""
    if not source:
        return ""
    html = _markdown.render(source)
    # Headings inside a body sit under the topic's h2; shift h1/h2 down so the outline stays sound.
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    return sanitize_html(html)
