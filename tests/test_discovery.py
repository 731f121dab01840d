"""Findable and shareable: sitemap.xml, robots.txt, canonical and hreflang links, Open Graph,
and security.txt."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlparse
from urllib.robotparser import RobotFileParser

import pytest

from guidance.models import PATH_KEYS, Section
from guidance.wizard import load_tree
from tests.wizard_routes import calm_route

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}
SITE = "http://testserver"
SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
}


class HeadParser(HTMLParser):
    """The head's links and metas, the page's own links, and its robots meta."""

    def __init__(self):
        super().__init__()
        self.canonical: list[str] = []
        self.alternates: dict[str, str] = {}
        self.meta: dict[str, str] = {}
        self.title = ""
        self.links: list[str] = []
        self.html_lang = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang", "")
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical.append(attrs["href"])
        elif tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            assert attrs["hreflang"] not in self.alternates, "hreflang given twice"
            self.alternates[attrs["hreflang"]] = attrs["href"]
        elif tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content", "")
        elif tag == "title":
            self._in_title = True
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(response) -> HeadParser:
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


def indexable(page: HeadParser) -> bool:
    return "noindex" not in page.meta.get("robots", "")


def sitemap_entries(client) -> dict[str, dict[str, str]]:
    r = client.get("/sitemap.xml")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    entries = {}
    for url in root.findall("sm:url", SITEMAP_NS):
        loc = url.find("sm:loc", SITEMAP_NS).text
        assert loc not in entries, f"{loc} listed twice"
        entries[loc] = {
            link.get("hreflang"): link.get("href")
            for link in url.findall("xhtml:link", SITEMAP_NS)
            if link.get("rel") == "alternate"
        }
    return entries


def expected_public_pages(language: str) -> set[str]:
    paths = ["", "guide/", "messages/", "call/", "browse-safely/", "complaint/"]
    paths += [
        f"guide/{slug}/" for slug in Section.objects.published().values_list("slug", flat=True)
    ]
    paths += [f"paths/{key}/" for key in PATH_KEYS]
    return {f"{SITE}/{language}/{path}" for path in paths}


def robots(client) -> RobotFileParser:
    r = client.get("/robots.txt")
    assert r.status_code == 200 and r["Content-Type"] == "text/plain; charset=utf-8"
    parser = RobotFileParser()
    parser.parse(r.content.decode().splitlines())
    return parser


# --- sitemap.xml ---------------------------------------------------------------------------------


def test_the_sitemap_lists_every_public_page_in_every_language_with_its_alternates(client):
    entries = sitemap_entries(client)
    assert set(entries) == set().union(*(expected_public_pages(code) for code in LANGUAGES))
    for loc, alternates in entries.items():
        assert set(alternates) == {*LANGUAGES, "x-default"}, loc
        language = urlparse(loc).path.split("/")[1]
        assert alternates[language] == loc
        # The same page in the other languages: the alternates differ only in the prefix.
        rest = loc.removeprefix(f"{SITE}/{language}/")
        for code in LANGUAGES:
            assert alternates[code] == f"{SITE}/{code}/{rest}", loc
        assert alternates["x-default"] == f"{SITE}/{rest}"


def test_every_sitemap_address_is_a_page_that_asks_to_be_indexed(client):
    for loc in sitemap_entries(client):
        r = client.get(loc.removeprefix(SITE))
        assert r.status_code == 200, loc
        page = parse(r)
        assert indexable(page), loc
        assert page.canonical == [loc]


def test_every_indexable_page_a_reader_can_reach_is_in_the_sitemap(client):
    """Crawl each language from its home page; what does not say noindex must be listed."""
    listed = set(sitemap_entries(client))
    for language in LANGUAGES:
        seen, queue, found = set(), [f"/{language}/"], set()
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            r = client.get(url)
            if r.status_code != 200 or not r["Content-Type"].startswith("text/html"):
                continue
            page = parse(r)
            if indexable(page):
                found.add(f"{SITE}{url}")
            for href in page.links:
                target = urldefrag(href)[0]
                if target.startswith(f"/{language}/") and "?" not in target:
                    queue.append(target)
        # The path pages are linked from the wizard's results only: the sitemap is how a
        # crawler learns of them.
        assert found <= {loc for loc in listed if loc.startswith(f"{SITE}/{language}/")}
        assert len(found) >= 12, language


def test_the_x_default_address_sends_each_reader_to_their_language(client):
    r = client.get("/guide/consequences/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 302 and r["Location"] == "/en/guide/consequences/"
    r = client.get("/guide/consequences/", HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert r["Location"] == "/zh-hant/guide/consequences/"


def test_an_unpublished_section_leaves_the_sitemap(client):
    section = Section.objects.published().first()
    assert f"{SITE}/en/guide/{section.slug}/" in sitemap_entries(client)
    section.published = False
    section.save()
    assert f"{SITE}/en/guide/{section.slug}/" not in sitemap_entries(client)


# --- robots.txt ----------------------------------------------------------------------------------


def test_robots_txt_points_to_the_sitemap(client):
    assert robots(client).site_maps() == [f"{SITE}/sitemap.xml"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_robots_txt_keeps_out_the_wizard_the_tools_results_and_the_admin(client, language):
    rules = robots(client)
    first = load_tree().tree.start
    for path in [
        f"/{language}/wizard/",
        f"/{language}/wizard/q/{first}/",
        f"/{language}/wizard/result/",
        f"/{language}/search/?q=credit",
        f"/{language}/reminder.ics",
        "/admin/",
        "/admin/login/",
        "/exit/",
    ]:
        assert not rules.can_fetch("*", f"{SITE}{path}"), path
    for path in [f"/{language}/", f"/{language}/guide/", f"/{language}/log/"]:
        assert rules.can_fetch("*", f"{SITE}{path}"), path


def test_robots_txt_lets_crawlers_read_every_page_in_the_sitemap(client):
    rules = robots(client)
    for loc in sitemap_entries(client):
        assert rules.can_fetch("Googlebot", loc), loc


# --- canonical, hreflang and Open Graph on every page type ---------------------------------------


def wizard_result_url(client, language: str) -> str:
    tree = load_tree().tree
    route = calm_route(tree)
    url = client.post(f"/{language}/wizard/start/")["Location"]
    for _question, chosen in route:
        url = client.post(url, {"choice": list(chosen)})["Location"]
    assert url == f"/{language}/wizard/result/"
    return url


def page_types(client, language: str) -> list[str]:
    first = load_tree().tree.start
    return [
        f"/{language}/",
        f"/{language}/guide/",
        f"/{language}/guide/consequences/",
        f"/{language}/paths/rights/",
        f"/{language}/wizard/",
        f"/{language}/wizard/q/{first}/",
        wizard_result_url(client, language),
        f"/{language}/messages/",
        f"/{language}/messages/hardship-plan/",
        f"/{language}/log/",
        f"/{language}/call/",
        f"/{language}/budget/",
        f"/{language}/search/?q=credit",
        f"/{language}/browse-safely/",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_type_names_its_canonical_address_and_its_languages(client, language):
    for url in page_types(client, language):
        r = client.get(url)
        assert r.status_code == 200, url
        page = parse(r)
        address = f"{SITE}{url.split('?')[0]}"
        assert page.canonical == [address], url
        rest = address.removeprefix(f"{SITE}/{language}/")
        assert page.alternates == {
            **{lang: f"{SITE}/{code}/{rest}" for code, lang in LANGUAGES.items()},
            "x-default": f"{SITE}/{rest}",
        }, url
        assert page.meta["og:url"] == address, url


def test_each_alternate_is_the_page_in_the_language_it_names(client):
    page = parse(client.get("/en/guide/consequences/"))
    for hreflang, href in page.alternates.items():
        if hreflang == "x-default":
            continue
        other = parse(client.get(href.removeprefix(SITE)))
        assert other.html_lang == hreflang
        assert other.alternates == page.alternates


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_type_tells_a_shared_link_what_it_is(client, language):
    for url in page_types(client, language):
        page = parse(client.get(url))
        assert page.meta["og:type"] == "website"
        assert page.meta["og:site_name"] and page.meta["og:site_name"] in page.title, url
        assert page.meta["og:title"] == page.title.strip(), url
        assert page.meta["og:description"] == page.meta["description"] != "", url


def test_open_graph_carries_the_sections_own_title_and_summary(client):
    section = Section.objects.get(slug="consequences")
    page = parse(client.get("/en/guide/consequences/"))
    assert page.meta["og:title"].startswith(section.title_en)
    assert page.meta["og:description"] == section.summary_en


def test_the_canonical_address_names_the_host_the_page_was_asked_for(client):
    """A form page is rendered once per process and kept; the host is part of what it keeps."""
    for host in ["localhost", "testserver"]:
        page = parse(client.get("/en/messages/hardship-plan/", HTTP_HOST=host))
        assert page.canonical == [f"http://{host}/en/messages/hardship-plan/"]


def test_error_pages_name_no_canonical_address(client):
    for url in ["/en/no-such-page/", "/en/guide/no-such-section/"]:
        r = client.get(url)
        assert r.status_code == 404
        page = parse(r)
        assert page.canonical == [] and page.alternates == {}, url
        assert page.meta["og:title"] == page.title.strip()


# --- security.txt --------------------------------------------------------------------------------


def test_security_txt_names_the_contact_and_expires_within_a_year(client, settings):
    settings.SECURITY_CONTACT = "mailto:security@example.org"
    r = client.get("/.well-known/security.txt")
    assert r.status_code == 200 and r["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in r.content.decode().splitlines())
    assert fields["Contact"] == "mailto:security@example.org"
    assert fields["Canonical"] == f"{SITE}/.well-known/security.txt"
    expires = datetime.datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.UTC
    )
    now = datetime.datetime.now(datetime.UTC)
    assert now + datetime.timedelta(days=30) < expires < now + datetime.timedelta(days=365)


def test_security_txt_is_not_served_without_a_contact(client, settings):
    settings.SECURITY_CONTACT = ""
    assert client.get("/.well-known/security.txt").status_code == 404


def test_the_security_contact_comes_from_the_environment():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(SECURITY_CONTACT="security@example.org", DJANGO_SETTINGS_MODULE="tests.settings")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.SECURITY_CONTACT)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "mailto:security@example.org"
