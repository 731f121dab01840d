"""The shipped wording: English punctuation, numbers from facts.md, templates that compose."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.apps import apps

from guidance import composer
from guidance.models import MessageTemplate, Notice, Topic

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parent.parent
CONTENT_DIR = REPO / "guidance" / "content"
# CJK punctuation (、。《》「」【】) and full-width forms of ASCII punctuation (：；，（）！？).
FULL_WIDTH_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff01-\uff65]")
# The phone-like numbers the pre-stop hook looks for, also at the end of a sentence ("call 110.");
# a decimal point or a hyphen joined to more digits still makes it part of a longer figure.
PHONE_LIKE = re.compile(
    r"(?<![0-9\-])(?<![0-9]\.)"
    r"(1[0-9]{2,4}|9[0-9]{4}|400-?[0-9]{3}-?[0-9]{4}|0[0-9]{2,3}-[0-9]{5,8})"
    r"(?![0-9\-])(?!\.[0-9])"
)
TINGXI_GUAZHANG_GLOSS = "stop interest, park the debt"


def facts_md() -> str:
    """facts.md from the shared folder beside the repository; a linked git worktree also looks
    beside the main checkout it belongs to. Where there is no shared folder (a bare clone, CI),
    the copy kept in docs/ stands in; the test below keeps the two the same."""
    candidates = [REPO.parent / "shared" / "facts.md"]
    git = REPO / ".git"
    if git.is_file():  # a linked worktree: ".git" says "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(git.read_text().removeprefix("gitdir:").strip())
        candidates.append(gitdir.parents[2].parent / "shared" / "facts.md")
    candidates.append(REPO / "docs" / "facts.md")
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.fail(
        "facts.md, the list of facts and numbers the content may state, was not found; looked at "
        + ", ".join(str(p) for p in candidates)
    )


def not_in(facts: str, numbers) -> list[str]:
    return sorted(n for n in numbers if not re.search(rf"(?<![0-9]){n}(?![0-9])", facts))


def translated_rows():
    """Every content row with translated texts, of every model that has them."""
    for model in apps.get_app_config("guidance").get_models():
        names = getattr(model, "translated_fields", ())
        if names:
            for row in model.objects.all():
                yield model, row, names


def english_texts(models=None):
    for model, row, names in translated_rows():
        if models is None or model in models:
            for name in names:
                yield f"{model.__name__} {row.pk} {name}", getattr(row, f"{name}_en")


def test_english_texts_use_english_punctuation():
    wrong = [
        (where, match.group(), text[max(0, match.start() - 30) : match.end() + 10])
        for where, text in english_texts()
        for match in FULL_WIDTH_PUNCTUATION.finditer(text)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "text", ["Call 12348：free advice", "fees、interest", "first；then", "（note）"]
)
def test_the_punctuation_check_catches_chinese_punctuation(text):
    assert FULL_WIDTH_PUNCTUATION.search(text)


def test_the_punctuation_check_allows_english_typography_and_chinese_names():
    text = "Go to 我的 → 客服中心 (服务提供方): “service provider”, 5%–8%… 'ok'; done."
    assert not FULL_WIDTH_PUNCTUATION.search(text)


@pytest.mark.parametrize(
    "text, found",
    [
        ("call 12399.", ["12399"]),
        ("拨打110。", ["110"]),
        ("1.5 or 12-3456 or 2026", []),
        ("(95188)", ["95188"]),
    ],
)
def test_the_number_pattern_finds_numbers_at_the_end_of_a_sentence(text, found):
    assert PHONE_LIKE.findall(text) == found


def test_every_phone_like_number_in_the_content_files_is_in_facts_md():
    facts = facts_md()
    files = sorted(p for p in CONTENT_DIR.rglob("*") if p.is_file())
    assert len(files) >= 18
    numbers = {n for path in files for n in PHONE_LIKE.findall(path.read_text(encoding="utf-8"))}
    assert {"110", "12356", "12363", "12378", "12348", "12368", "96110", "95188"} <= numbers
    assert not_in(facts, numbers) == []


def test_every_number_in_the_database_texts_is_in_facts_md():
    facts = facts_md()
    texts = [
        getattr(row, f"{name}_{language}")
        for _, row, names in translated_rows()
        for name in names
        for language in ("zh_hans", "en", "zh_hant", "zh_hant_auto")
    ]
    numbers = set(PHONE_LIKE.findall(" ".join(texts)))
    assert not_in(facts, numbers) == []


def test_english_names_stop_interest_park_the_debt_with_one_gloss():
    """In the guide, the notices and the message templates (the wizard and paths are the lead's)."""
    unglossed = [
        where
        for where, text in english_texts([Topic, Notice, MessageTemplate])
        if "停息挂账" in text and TINGXI_GUAZHANG_GLOSS not in text
    ]
    assert unglossed == []
    assert any(TINGXI_GUAZHANG_GLOSS in text for _, text in english_texts([Topic]))


@pytest.mark.parametrize("language", ["zh-hans", "en", "zh-hant"])
def test_every_message_template_composes_with_every_field_and_with_only_the_required_ones(language):
    templates = list(MessageTemplate.objects.all())
    assert len(templates) >= 6
    for template in templates:
        offered = [name.strip() for name in template.fields.split(",") if name.strip()]
        assert set(composer.REQUIRED_FIELDS) <= set(offered), template.slug
        everything = {name: f"<{name}>" for name in composer.FIELDS} | {"today": "<today>"}
        required = {name: f"<{name}>" for name in composer.REQUIRED_FIELDS} | {"today": "<today>"}
        for kind in ("sms", "letter"):
            text = template.translation(kind, language)
            assert composer.placeholder_problems(text, offered) == [], (template.slug, kind)
            full = composer.fill(text, everything)
            assert "{" not in full and "}" not in full, (template.slug, kind)
            for name in offered:
                if f"{{{name}}}" in text:
                    assert f"<{name}>" in full, (template.slug, kind, name)
            short = composer.fill(text, required)
            assert "<name>" in short and "<lender>" in short, (template.slug, kind)
            assert not re.search(r"<(?!name>|lender>|today>)[a-z_]+>", short), (template.slug, kind)


def test_a_missing_facts_md_fails_the_check_and_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path / "repo")
    with pytest.raises(pytest.fail.Exception, match="facts.md.*not found.*shared"):
        facts_md()


def test_the_copy_of_facts_md_in_docs_is_the_vetted_one():
    copy = (REPO / "docs" / "facts.md").read_text(encoding="utf-8")
    assert facts_md() == copy, "docs/facts.md differs from ../shared/facts.md: copy it over again"
