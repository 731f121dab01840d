"""`{% capture name %}…{% endcapture %}`: render once, use the result several times.

The page's title and description are blocks the page templates fill; the head needs each of them
twice (for the browser and for Open Graph), and a block can be rendered only once.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


class CaptureNode(template.Node):
    def __init__(self, name: str, nodelist: template.NodeList):
        self.name = name
        self.nodelist = nodelist  # the attribute Django searches for blocks to override

    def render(self, context) -> str:
        # Autoescaping already happened inside; the result is safe to reuse as it is.
        context[self.name] = mark_safe(" ".join(self.nodelist.render(context).split()))
        return ""


@register.tag
def capture(parser, token) -> CaptureNode:
    bits = token.split_contents()
    if len(bits) != 2 or not bits[1].isidentifier():
        raise template.TemplateSyntaxError("usage: {% capture name %}…{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(bits[1], nodelist)
