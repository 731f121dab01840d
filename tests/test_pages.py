"""Every public page, in every language, as a reader's browser would fetch it."""

from __future__ import annotations

import gzip
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest
from django.conf import settings

from guidance.models import Section, Topic

pytestmark = pytest.mark.django_db
LANGUAGES = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids, self.h1 = [], set(), 0
        self.sources = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        source = attrs.get("src") or attrs.get("href") or ""
        names_a_page = tag == "link" and attrs.get("rel") in {"canonical", "alternate"}
        if tag in {"script", "link", "img"} and not source.startswith("data:") and not names_a_page:
            self.sources.append(source)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "h1":
            self.h1 += 1


def parse(response):
    parser = LinkParser()
    parser.feed(response.content.decode())
    return parser


def public_pages(language):
    pages = [f"/{language}/", f"/{language}/guide/", f"/{language}/wizard/"]
    pages += [f"/{language}/guide/{s.slug}/" for s in Section.objects.all()]
    pages += [f"/{language}/paths/{key}/" for key in ("communicate", "rights", "professional")]
    return pages


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_answers_in_its_language(client, language):
    for url in public_pages(language):
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert f'<html lang="{LANGUAGES[language]}">' in html, url
        assert parse(r).h1 == 1, url
        assert 'class="skip-link"' in html and "data-quick-exit" in html, url


def test_each_language_gets_its_own_page_frame(client):
    frames = {
        "zh-hans": ("跳到正文", 'href="/zh-hans/guide/"'),
        "en": ("Skip to", 'href="/en/guide/"'),
        "zh-hant": ("跳到正文", 'href="/zh-hant/guide/"'),
    }
    for language, (skip_text, guide_link) in frames.items():
        html = client.get(f"/{language}/search/?q=frame-{language}").content.decode()
        header = html.split("<main")[0]
        assert skip_text in header and guide_link in header, language
        assert html.count('rel="stylesheet"') == 1 and "</footer>" in html
        # The reader's query goes only into the links to the same page in other languages.
        assert f"frame-{language}" not in header.split('class="languages"')[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_internal_link_resolves(client, language):
    seen, queue, fragments = set(), [f"/{language}/"], []
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url, follow=True)
        assert r.status_code == 200, url
        parsed = parse(r)
        page_ids = parsed.ids
        for href in parsed.links:
            target, fragment = urldefrag(href)
            if urlparse(href).scheme in {"http", "https", "mailto", "tel"}:
                continue
            if not target:
                assert fragment in page_ids, f"#{fragment} missing on {url}"
                continue
            if fragment:
                fragments.append((target, fragment))
            if target.startswith(f"/{language}/") and target not in seen:
                queue.append(target)
            elif not target.startswith(f"/{language}/"):
                assert client.get(target, follow=True).status_code == 200, target
    for target, fragment in fragments:
        assert fragment in parse(client.get(target, follow=True)).ids, f"{target}#{fragment}"
    assert sum(1 for u in seen if u.startswith(f"/{language}/guide/") and u.count("/") == 4) >= 8


def test_section_pages_carry_the_guide_structure(client):
    r = client.get("/zh-hans/guide/consequences/")
    html = r.content.decode()
    for topic in Topic.objects.filter(section__slug="consequences"):
        assert f'id="{topic.slug}"' in html
        assert f'href="#{topic.slug}"' in html
    assert 'rel="prev" href="/zh-hans/guide/why-people-avoid-contact/"' in html
    assert 'rel="next" href="/zh-hans/guide/responding-well/"' in html
    assert "依据与来源" in html and "最近核对" in html
    assert 'aria-label="面包屑导航"' in html


def test_the_language_switcher_keeps_the_reader_on_the_same_page(client):
    html = client.get("/en/guide/consequences/").content.decode()
    assert 'href="/zh-hans/guide/consequences/"' in html
    assert 'href="/zh-hant/guide/consequences/"' in html


def test_the_home_page_offers_the_questions_and_the_emergency_box(client):
    html = client.get("/en/").content.decode()
    assert 'href="/en/wizard/"' in html
    assert "110" in html and "12356" in html


def test_root_redirects_by_accept_language(client):
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")["Location"] == "/en/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9")["Location"] == "/zh-hant/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")["Location"] == "/zh-hans/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR")["Location"] == "/zh-hans/"
    assert client.get("/")["Location"] == "/zh-hans/"


def test_unknown_pages_get_the_localized_404(client):
    for url, text in [
        ("/en/guide/no-such-section/", "Page not found"),
        ("/zh-hans/guide/no-such-section/", "找不到这个页面"),
        ("/zh-hant/no/such/page/", "找不到這個頁面"),
        ("/en/paths/nothing/", "Page not found"),
    ]:
        r = client.get(url)
        assert r.status_code == 404, url
        assert text in r.content.decode(), url


def test_unpublished_sections_and_topics_are_hidden(client):
    assert client.get("/en/guide/summary/").status_code == 200  # now cached
    section = Section.objects.get(slug="summary")
    section.published = False
    section.save()
    assert client.get("/en/guide/summary/").status_code == 404
    assert 'id="legal-action"' in client.get("/en/guide/consequences/").content.decode()
    topic = Topic.objects.get(slug="legal-action")
    topic.published = False
    topic.save()
    assert 'id="legal-action"' not in client.get("/en/guide/consequences/").content.decode()


def test_guidance_pages_answer_conditional_requests(client, django_assert_max_num_queries):
    first = client.get("/en/guide/consequences/")
    etag = first["ETag"]
    with django_assert_max_num_queries(1):
        again = client.get("/en/guide/consequences/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    topic = Topic.objects.get(slug="legal-action")
    topic.title_en = "Changed by an editor"
    topic.save()
    changed = client.get("/en/guide/consequences/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "Changed by an editor" in changed.content.decode()


def test_healthz_reports_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert json.loads(r.content) == {"status": "ok", "database": True}
    assert client.get("/readyz").status_code == 200


def test_pages_load_nothing_from_another_host(client):
    for url in public_pages("en"):
        for source in parse(client.get(url)).sources:
            assert source.startswith("/static/"), (url, source)


@pytest.mark.parametrize(
    "url_name", ["/en/", "/en/guide/", "/en/guide/consequences/", "/en/paths/rights/"]
)
def test_query_counts_are_bounded(client, django_assert_max_num_queries, url_name):
    client.get(url_name)  # warm per-process caches
    with django_assert_max_num_queries(4):
        assert client.get(url_name).status_code == 200


def test_section_page_weight_is_small(client):
    from django.contrib.staticfiles import finders

    html = client.get("/zh-hans/guide/consequences/").content
    assets = sum(
        Path(finders.find(re.sub(r"^/static/", "", s))).stat().st_size
        for s in parse(client.get("/zh-hans/guide/consequences/")).sources
    )
    assert len(html) + assets < 100_000, (len(html), assets)


@pytest.mark.parametrize(
    "url", ["/zh-hans/", "/en/guide/", "/zh-hant/guide/consequences/", "/en/paths/rights/"]
)
def test_a_page_from_the_cache_is_the_page_rendered_fresh(client, url):
    fresh = client.get(url, HTTP_ACCEPT_ENCODING="identity")
    cached = client.get(url, HTTP_ACCEPT_ENCODING="identity")
    assert cached.content == fresh.content
    skip = {"X-Request-ID", "Date"}
    assert {k: v for k, v in cached.items() if k not in skip} == {
        k: v for k, v in fresh.items() if k not in skip
    }
    compressed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == fresh.content
    assert "Content-Security-Policy" in compressed and "Accept-Encoding" in compressed["Vary"]
    assert client.head(url).status_code == 200


def test_the_page_cache_keeps_only_what_is_the_same_for_every_reader(client):
    """A query string never fills the cache but is served from it; a bad Host is refused."""
    from django.core.cache import cache

    cache.clear()
    with_query = client.get("/en/guide/?utm_source=someone")
    assert with_query.status_code == 200 and "ETag" not in with_query
    stored = client.get("/en/guide/")
    served = client.get("/en/guide/?from=elsewhere")
    assert stored["ETag"] == served["ETag"]
    assert (
        "utm_source" not in served.content.decode() and "elsewhere" not in served.content.decode()
    )
    assert client.get("/en/guide/", HTTP_HOST="evil.example").status_code == 400


def test_the_page_cache_refuses_a_response_that_belongs_to_one_reader():
    from django.http import HttpResponse

    from guidance.page_cache import shareable

    def response(**headers):
        r = HttpResponse("page")
        for name, value in headers.items():
            r[name.replace("_", "-")] = value
        return r

    assert shareable(response(Vary="Accept-Encoding, HX-Request"))
    with_cookie = response()
    with_cookie.set_cookie("csrftoken", "x")
    assert not shareable(with_cookie)
    assert not shareable(response(Vary="Cookie"))
    assert not shareable(response(Cache_Control="private"))
    assert not shareable(response(Cache_Control="no-store"))
    assert not shareable(response(Content_Security_Policy="script-src 'nonce-abc'"))
    assert not shareable(HttpResponse("gone", status=404))


@pytest.mark.django_db(transaction=True)
def test_a_content_change_made_by_another_process_is_seen_within_a_second():
    """A process trusts the token it read for a second, so a busy server reads it once a second
    instead of on every request; its own changes it sees at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guidance.models import ContentVersion

    ContentVersion.bump()
    first = ContentVersion.current()
    with CaptureQueriesContext(connection) as unchanged:
        assert ContentVersion.current() == first
    assert len(unchanged) == 0

    table = ContentVersion._meta.db_table
    if connection.vendor == "postgresql":
        import psycopg

        name = connection.settings_dict["NAME"]
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:5432/{name}", autocommit=True
        ) as other:
            other.execute(f"UPDATE {table} SET token = 'elsewhere' WHERE id = 1")
    else:
        import sqlite3

        other = sqlite3.connect(connection.settings_dict["NAME"])
        with other:
            other.execute(f"UPDATE {table} SET token = 'elsewhere' WHERE id = 1")
        other.close()
    assert ContentVersion.current() == first  # still trusted
    time.sleep(ContentVersion.TRUSTED_FOR_SECONDS)
    assert ContentVersion.current() == "elsewhere"

    ContentVersion.bump()  # a change made here is seen by the next request here
    assert ContentVersion.current() not in {first, "elsewhere"}


def test_a_reader_page_sets_no_session_cookie(client, admin_user):
    """Sessions serve the admin; a reader's page neither reads nor writes one."""
    for url in [*public_pages("en"), "/en/search/?q=credit"]:
        r = client.get(url)
        assert settings.SESSION_COOKIE_NAME not in r.cookies, url
        session = getattr(r.wsgi_request, "session", None)  # none when served from the cache
        assert session is None or not session.accessed, url
