"""sitemap.xml: every page a search engine should find, in each language, with its alternates.

The wizard, the tools' results and the pages marked `noindex` are left out (robots.txt and the
pages' own robots meta say the same).
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import PATH_KEYS, PathPage, Section


class _EveryLanguage(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class FixedPages(_EveryLanguage):
    def items(self) -> list[str]:
        return [
            "guidance:home",
            "guidance:guide",
            "guidance:messages",
            "guidance:call",
            "guidance:browse-safely",
            "guidance:complaint",
        ]

    def location(self, name: str) -> str:
        return reverse(name)


class SectionPages(_EveryLanguage):
    def items(self):
        return Section.objects.published().only("slug")


class PathPages(_EveryLanguage):
    def items(self):
        return PathPage.objects.filter(key__in=PATH_KEYS).only("key")


SITEMAPS = {"pages": FixedPages, "sections": SectionPages, "paths": PathPages}
