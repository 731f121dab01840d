"""The shipped content: complete, in every language, clean, and safe to reload."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from guidance.content_files import load_content, read_content
from guidance.markup import render_markdown, sanitize_html
from guidance.models import Choice, Notice, PathPage, Question, Section, Topic

pytestmark = pytest.mark.django_db

# Pinyin with tone marks in brackets, as in the seed's "導(dǎo)".
PINYIN_RESIDUE = re.compile(r"[（(][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+[)）]")


def test_the_initial_content_is_loaded_into_a_new_database():
    assert Section.objects.count() == 8
    assert Topic.objects.count() == 20
    assert PathPage.objects.count() == 3
    assert Question.objects.count() >= 6
    assert Notice.objects.filter(key="emergency").exists()


def test_sections_keep_the_order_of_the_article():
    slugs = list(Section.objects.values_list("slug", flat=True))
    assert slugs == [
        "introduction",
        "background",
        "why-collection-happens",
        "contact-messages",
        "why-people-avoid-contact",
        "consequences",
        "responding-well",
        "summary",
    ]


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_every_topic_is_complete_in_every_language(language):
    with translation.override(language):
        for topic in Topic.objects.all():
            assert topic.title and topic.summary and topic.body, topic.slug
            assert len(topic.key_point_list) >= 3, topic.slug
            assert not PINYIN_RESIDUE.search(topic.body), topic.slug


def test_every_topic_has_substance_in_chinese_and_english():
    for topic in Topic.objects.all():
        han = re.findall(r"[\u4e00-\u9fff]", topic.body_zh_hans)
        assert len(han) >= 300, topic.slug
        assert len(topic.body_en.split()) >= 150, topic.slug


def test_traditional_chinese_is_generated_and_differs_from_simplified():
    for topic in Topic.objects.all():
        assert topic.body_zh_hant_auto, topic.slug
        assert topic.body_zh_hant_auto != topic.body_zh_hans, topic.slug
    topic = Topic.objects.get(slug="credit-record")
    with translation.override("zh-hant"):
        assert "還款" in topic.body or "還" in topic.body


def test_a_hand_written_traditional_text_wins_and_clearing_it_restores_the_generated_one():
    topic = Topic.objects.get(slug="credit-record")
    topic.title_zh_hant = "編輯手寫的標題"
    topic.save()
    with translation.override("zh-hant"):
        assert topic.title == "編輯手寫的標題"
    topic.title_zh_hant = ""
    topic.save()
    with translation.override("zh-hant"):
        assert topic.title == topic.title_zh_hant_auto != ""


def test_content_never_names_a_phone_number_outside_the_vetted_list():
    allowed = {
        "110",
        "120",
        "12356",
        "12378",
        "12363",
        "12348",
        "12321",
        "12315",
        "12368",
        "95188",
        "96110",
    }
    texts = []
    for model in (Topic, PathPage, Notice, Choice):
        for row in model.objects.all():
            texts.extend(
                getattr(row, f"{name}_{lang}")
                for name in model.translated_fields
                for lang in ("zh_hans", "en", "zh_hant")
            )
    numbers = set(re.findall(r"(?<![\d.\-])(1\d{2,4}|9\d{4})(?![\d.\-])", " ".join(texts)))
    # years and article numbers appear too; anything else that looks like a hotline must be vetted
    hotline_like = {n for n in numbers if n.startswith(("11", "12", "95", "96"))}
    assert hotline_like <= allowed


def test_loading_again_keeps_an_editors_change():
    topic = Topic.objects.get(slug="legal-action")
    topic.title_zh_hans = "编辑改过的标题"
    topic.save()
    report = load_content()
    topic.refresh_from_db()
    assert topic.title_zh_hans == "编辑改过的标题"
    assert "topic legal-action" in report.kept


def test_loading_again_updates_rows_nobody_edited_when_the_files_change():
    content = read_content()
    content["sections"][0]["topics"][0]["en"]["title"] = "A new title from the files"
    slug = content["sections"][0]["topics"][0]["slug"]
    report = load_content(content)
    assert f"topic {slug}" in report.updated
    assert Topic.objects.get(slug=slug).title_en == "A new title from the files"


def test_loading_twice_changes_nothing():
    report = load_content()
    assert report.created == [] and report.updated == [] and report.kept == []


@pytest.mark.parametrize(
    "source, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src=x onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<a href="https://x" onclick="steal()">x</a>', "onclick"),
        ("<style>body{display:none}</style>", "<style"),
        ("[data](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ("<iframe src='https://evil'></iframe>", "<iframe"),
    ],
)
def test_markdown_is_sanitised(source, forbidden):
    html = render_markdown(source).lower()
    tags = re.findall(r"<[^>]+>", html)
    assert not any(forbidden in tag for tag in tags), html


@pytest.mark.parametrize(
    "html, forbidden",
    [
        ("<p>ok</p><script>alert(1)</script>", "<script"),
        ('<p onclick="x()">ok</p>', "onclick"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<a href="vbscript:x">x</a>', "vbscript:"),
        ("<p style='color:red'>x</p>", "style"),
        ("<svg><a xlink:href='javascript:x'>y</a></svg>", "<svg"),
    ],
)
def test_the_sanitiser_removes_dangerous_html(html, forbidden):
    assert forbidden not in sanitize_html(html).lower()


def test_markdown_keeps_safe_formatting_and_links():
    html = render_markdown("## 标题\n\n**重要** [打电话](tel:12348) [网站](https://www.12321.cn)")
    assert "<h3>标题</h3>" in html
    assert "<strong>重要</strong>" in html
    assert 'href="tel:12348"' in html
    assert 'href="https://www.12321.cn"' in html
