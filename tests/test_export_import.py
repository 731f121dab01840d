"""Content as files: `manage.py export_content` and `import_content`, and the round trip."""

from __future__ import annotations

import datetime
import io
import re
import shutil
import tomllib
import zoneinfo
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from guidance.content_files import CONTENT_DIR, load_content, read_content
from guidance.models import (
    REVIEW_INTERVAL,
    Choice,
    MessageTemplate,
    Notice,
    PathPage,
    Question,
    Section,
    Source,
    Topic,
)

pytestmark = pytest.mark.django_db

# Deleting these deletes every other content row with them.
TOP_LEVEL_MODELS = (Section, PathPage, Notice, Question, MessageTemplate)


def files_in(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def export(directory: Path, *options: str) -> dict[str, bytes]:
    call_command("export_content", str(directory), *options, stdout=io.StringIO())
    return files_in(directory)


def import_files(directory: Path) -> None:
    call_command("import_content", str(directory), stdout=io.StringIO())


def delete_all_content() -> None:
    for model in TOP_LEVEL_MODELS:
        model.objects.all().delete()
    assert not Topic.objects.exists() and not Source.objects.exists()
    assert not Choice.objects.exists()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def first_topic_slug(path: Path) -> str:
    return tomllib.loads(path.read_text(encoding="utf-8"))["topics"][0]["slug"]


# --- Export -------------------------------------------------------------------------------------


def test_export_writes_every_file_in_the_content_format(tmp_path):
    files = export(tmp_path / "out")
    sections = list(Section.objects.values_list("slug", flat=True))
    messages = list(MessageTemplate.objects.values_list("slug", flat=True))
    assert set(files) == {
        *(f"guide/{n:02d}-{slug}.toml" for n, slug in enumerate(sections, start=1)),
        *(f"paths/{key}.toml" for key in ("communicate", "professional", "rights")),
        "notices.toml",
        "wizard.toml",
        *(f"messages/{n:02d}-{slug}.toml" for n, slug in enumerate(messages, start=1)),
    }
    for name, data in files.items():
        text = data.decode("utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n"), name
        tomllib.loads(text)
    wizard = files["wizard.toml"].decode()
    assert wizard.startswith(f'start = "{Question.objects.first().key}"\n')
    assert "weights = { communicate = " in wizard
    guide = files["guide/06-consequences.toml"].decode()
    assert "published = true\nlast_reviewed = 2026-" in guide
    assert 'body = """\n' in guide
    assert "zh_hant" not in guide  # no hand-written Traditional Chinese in the shipped content
    assert "\nreview_due = 20" in guide  # always written: save() fills it in
    assert "reviewed_by" not in guide and "draft]" not in guide  # nobody named, no drafts


def test_the_shipped_content_files_are_exactly_what_export_writes(tmp_path):
    files = export(tmp_path / "out")
    shipped = {name: data for name, data in files_in(CONTENT_DIR).items() if name != "FORMAT.md"}
    assert sorted(shipped) == sorted(files)
    for name, data in files.items():
        assert shipped[name] == data, name


def test_export_refuses_a_directory_that_is_not_empty_unless_forced(tmp_path):
    target = tmp_path / "out"
    (target / "guide").mkdir(parents=True)
    (target / "guide" / "99-left-over.toml").write_text('slug = "old"\n', encoding="utf-8")
    (target / "notes.txt").write_text("mine", encoding="utf-8")

    with pytest.raises(CommandError, match="not empty.*--force"):
        export(target)
    assert set(files_in(target)) == {"guide/99-left-over.toml", "notes.txt"}

    files = export(target, "--force")
    assert "guide/99-left-over.toml" not in files  # the folders export owns are replaced
    assert files["notes.txt"] == b"mine"  # anything else is left alone


def test_export_into_an_existing_empty_directory(tmp_path):
    (tmp_path / "out").mkdir()
    assert "wizard.toml" in export(tmp_path / "out")


def test_a_failed_export_leaves_the_directory_as_it_was(tmp_path, monkeypatch):
    target = tmp_path / "out"
    before = export(target)
    Topic.objects.filter(slug="credit-record").update(title_en="Changed since the last export")
    real_rename = Path.rename

    def rename_failing_for_the_wizard(self, destination):
        if self.name == "wizard.toml" and ".export-" in self.parent.name:
            raise OSError("simulated failure")
        return real_rename(self, destination)

    monkeypatch.setattr(Path, "rename", rename_failing_for_the_wizard)
    with pytest.raises(CommandError, match="simulated failure"):
        export(target, "--force")
    assert files_in(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging directory left behind


def test_an_export_that_fails_while_writing_creates_nothing(tmp_path, monkeypatch):
    real_write_text = Path.write_text

    def write_text_failing_for_the_wizard(self, *args, **kwargs):
        if self.name == "wizard.toml":
            raise OSError("simulated failure")
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text_failing_for_the_wizard)
    with pytest.raises(CommandError, match="simulated failure"):
        export(tmp_path / "new")
    assert list(tmp_path.iterdir()) == []


# --- Round trip ---------------------------------------------------------------------------------


def test_export_import_export_is_byte_identical(tmp_path):
    first = export(tmp_path / "a")
    delete_all_content()
    import_files(tmp_path / "a")
    second = export(tmp_path / "b")
    assert len(first) >= 19
    assert sorted(second) == sorted(first)
    for name in first:
        assert second[name] == first[name], name


def test_import_into_an_emptied_database_restores_every_page(tmp_path, client):
    export(tmp_path / "a")
    counts = {model: model.objects.count() for model in (*TOP_LEVEL_MODELS, Topic, Choice)}
    delete_all_content()
    assert client.get("/en/guide/consequences/").status_code == 404

    import_files(tmp_path / "a")

    assert {model: model.objects.count() for model in counts} == counts
    response = client.get("/en/guide/consequences/")
    assert response.status_code == 200
    assert Topic.objects.get(slug="credit-record").title_en in response.content.decode()
    pages = ["/en/", "/en/guide/", "/en/wizard/", "/en/messages/"]
    pages += [f"/en/guide/{slug}/" for slug in Section.objects.values_list("slug", flat=True)]
    pages += [f"/en/paths/{key}/" for key in PathPage.objects.values_list("key", flat=True)]
    pages += [f"/en/messages/{s}/" for s in MessageTemplate.objects.values_list("slug", flat=True)]
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_imported_rows_count_as_unedited_for_load_content(tmp_path):
    export(tmp_path / "a")
    delete_all_content()
    import_files(tmp_path / "a")
    report = load_content()
    assert report.created == [] and report.updated == [] and report.kept == []


def test_import_creates_updates_and_deletes_to_match_the_files(tmp_path):
    export(tmp_path / "a")
    edit(tmp_path / "a/guide/06-consequences.toml", "Your credit record", "From the files")
    extra = Section.objects.create(
        slug="extra", title_zh_hans="多余", title_en="Extra", summary_zh_hans="多", summary_en="E"
    )
    Topic.objects.filter(slug="legal-action").update(section=extra)
    Notice.objects.create(key="extra", title_zh_hans="多余", title_en="Extra")
    Source.objects.filter(topic__slug="credit-record").delete()
    question = Question.objects.get(key="overdue")
    question.choices.create(key="extra", label_zh_hans="多余", label_en="Extra")

    import_files(tmp_path / "a")

    assert not Section.objects.filter(slug="extra").exists()
    assert not Notice.objects.filter(key="extra").exists()
    assert not question.choices.filter(key="extra").exists()
    topic = Topic.objects.get(slug="legal-action")
    assert topic.section.slug == "consequences"
    assert Topic.objects.get(slug="credit-record").title_en == "From the files"
    assert Source.objects.filter(topic__slug="credit-record").exists()
    assert files_in(tmp_path / "a") == export(tmp_path / "b")


def test_a_hand_written_traditional_text_round_trips(tmp_path):
    topic = Topic.objects.get(slug="credit-record")
    topic.title_zh_hant = "編輯手寫的標題"
    topic.save()

    first = export(tmp_path / "a")
    guide = first["guide/06-consequences.toml"].decode()
    assert '[topics.zh_hant]\ntitle = "編輯手寫的標題"\n' in guide
    assert sum(data.decode().count("zh_hant]") for data in first.values()) == 1
    delete_all_content()
    import_files(tmp_path / "a")

    topic = Topic.objects.get(slug="credit-record")
    assert topic.title_zh_hant == "編輯手寫的標題"
    assert topic.summary_zh_hant == "" and topic.summary_zh_hant_auto != ""
    assert export(tmp_path / "b") == first


def test_unpublished_rows_round_trip(tmp_path):
    Section.objects.filter(slug="summary").update(published=False)
    Topic.objects.filter(slug="legal-action").update(published=False)
    message = MessageTemplate.objects.first()
    MessageTemplate.objects.filter(pk=message.pk).update(published=False)

    first = export(tmp_path / "a")
    assert "\npublished = false\n" in first["guide/08-summary.toml"].decode()
    assert "\npublished = false\n" in first["guide/06-consequences.toml"].decode()
    assert "\npublished = false\n" in first[f"messages/01-{message.slug}.toml"].decode()
    delete_all_content()
    import_files(tmp_path / "a")

    assert not Section.objects.get(slug="summary").published
    assert not Topic.objects.get(slug="legal-action").published
    assert Topic.objects.get(slug="credit-record").published
    assert not MessageTemplate.objects.get(slug=message.slug).published
    assert export(tmp_path / "b") == first


def test_awkward_texts_round_trip_exactly(tmp_path):
    body = 'He said "stop".\n\nA path C:\\temp\\, """three quotes""", a tab\there\nends with "'
    key_points = "First\n\n  Indented after an empty line"
    Topic.objects.filter(slug="credit-record").update(body_en=body, key_points_en=key_points)
    Question.objects.filter(key="overdue").update(help_en="Line one\nline two")

    first = export(tmp_path / "a")
    assert 'He said "stop".' in first["guide/06-consequences.toml"].decode()
    delete_all_content()
    import_files(tmp_path / "a")

    topic = Topic.objects.get(slug="credit-record")
    assert (topic.body_en, topic.key_points_en) == (body, key_points)
    assert Question.objects.get(key="overdue").help_en == "Line one\nline two"
    assert export(tmp_path / "b") == first


# --- Refusing bad files -------------------------------------------------------------------------


def break_toml_syntax(directory: Path) -> None:
    edit(directory / "guide/06-consequences.toml", 'slug = "consequences"', 'slug = "consequences')


def point_a_choice_to_a_missing_question(directory: Path) -> None:
    edit(directory / "wizard.toml", 'next = "contact"', 'next = "nowhere"')


def use_an_unknown_placeholder(directory: Path) -> None:
    edit(directory / "messages/01-contact-in-writing.toml", "{name}", "{nickname}")


def repeat_a_topic_slug(directory: Path) -> None:
    path = directory / "guide/07-responding-well.toml"
    edit(path, f'slug = "{first_topic_slug(path)}"', 'slug = "credit-record"')


def use_an_unknown_path_key(directory: Path) -> None:
    edit(directory / "paths/rights.toml", 'key = "rights"', 'key = "lawyers"')


def relate_a_missing_topic(directory: Path) -> None:
    edit(directory / "paths/rights.toml", '"next-steps"', '"no-such-topic"')


def leave_out_a_notice_key(directory: Path) -> None:
    edit(directory / "notices.toml", 'key = "danger"\n', "")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def draft_an_unknown_field(directory: Path) -> None:
    append(directory / "messages/01-contact-in-writing.toml", '\n[draft.fields]\ncolour = "red"\n')


def draft_a_missing_section(directory: Path) -> None:
    # Under the file's last [[topics]]: a draft moving that topic to a section not in the guide.
    draft = '\n[topics.draft.fields]\nsection = "nowhere"\n'
    append(directory / "guide/06-consequences.toml", draft)


def date_a_draft_in_local_time(directory: Path) -> None:
    draft = "\n[notices.draft]\nsaved_at = 2026-11-29T08:30:00\n"  # no offset
    draft += '[notices.draft.fields]\ntitle_en = "x"\n'
    append(directory / "notices.toml", draft)


@pytest.mark.parametrize(
    "spoil, expected",
    [
        (break_toml_syntax, ["guide/06-consequences.toml", "TOML syntax error", "line 1"]),
        (point_a_choice_to_a_missing_question, ["wizard.toml", '"nowhere"', "does not exist"]),
        (use_an_unknown_placeholder, ["messages/01-contact-in-writing.toml", "{nickname}"]),
        (
            repeat_a_topic_slug,
            [
                "guide/07-responding-well.toml, topic 'credit-record'",
                "used twice",
                "guide/06-consequences.toml",
            ],
        ),
        (
            use_an_unknown_path_key,
            ["paths/rights.toml: key: Value 'lawyers' is not a valid choice"],
        ),
        (relate_a_missing_topic, ["paths/rights.toml", "'no-such-topic' does not exist"]),
        (leave_out_a_notice_key, ["notices.toml", "missing required key 'key'"]),
        (
            draft_an_unknown_field,
            [
                "messages/01-contact-in-writing.toml",
                "[draft.fields] 'colour' is not a draftable field of a message",
                "sms_en",
            ],
        ),
        (
            draft_a_missing_section,
            ["guide/06-consequences.toml, topic", "section 'nowhere' is not a section"],
        ),
        (
            date_a_draft_in_local_time,
            ["notices.toml, notice", "'saved_at' should be a date and time with its offset"],
        ),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_an_import_with_one_bad_file_changes_nothing(tmp_path, spoil, expected):
    before = export(tmp_path / "before")
    shutil.copytree(tmp_path / "before", tmp_path / "bad")
    # A good change beside the bad one: applying anything at all would show in the export.
    edit(tmp_path / "bad/guide/02-background.toml", "\npublished = true\n", "\npublished = false\n")
    spoil(tmp_path / "bad")

    with pytest.raises(CommandError) as refused:
        import_files(tmp_path / "bad")

    message = str(refused.value)
    assert message.startswith("Nothing was imported")
    for words in expected:
        assert words in message
    assert export(tmp_path / "after") == before
    assert Section.objects.get(slug="background").published


def test_import_refuses_a_directory_that_is_not_a_content_directory(tmp_path):
    (tmp_path / "guide").mkdir()
    with pytest.raises(CommandError) as refused:
        import_files(tmp_path)
    assert "paths/: missing" in str(refused.value)
    assert "wizard.toml: missing" in str(refused.value)
    assert Section.objects.exists()


# --- Review fields and drafts -------------------------------------------------------------------

DRAFT_MODELS = (Section, Topic, PathPage, Notice, MessageTemplate)
REVIEWED_MODELS = (Topic, PathPage, MessageTemplate)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def save_draft(row, saved_at, **changes) -> None:
    """Keep `changes` as a draft of `row` the way the admin does: every draftable field, as text."""
    drafted = type(row).objects.get(pk=row.pk)
    for name, value in changes.items():
        setattr(drafted, name, value)
    row.draft = {f.attname: f.value_to_string(drafted) for f in drafted.draftable_fields()}
    row.draft_saved_by, row.draft_saved_at = "editor", saved_at
    row.save()


def identity(row) -> str:
    return getattr(row, "slug", None) or row.key


def drafts() -> dict:
    """Every draft with who saved it and when; a drafted section by its slug, not its id."""
    slugs = {str(pk): slug for pk, slug in Section.objects.values_list("pk", "slug")}
    found = {}
    for model in DRAFT_MODELS:
        for row in model.objects.exclude(draft={}):
            draft = dict(row.draft)
            if "section_id" in draft:
                draft["section_id"] = slugs[draft["section_id"]]
            found[(model.__name__, identity(row))] = (draft, row.draft_saved_by, row.draft_saved_at)
    return found


def reviews() -> dict:
    return {
        (model.__name__, identity(row)): (row.last_reviewed, row.reviewed_by, row.review_due)
        for model in REVIEWED_MODELS
        for row in model.objects.all()
    }


def test_review_fields_and_drafts_round_trip(tmp_path):
    topic = Topic.objects.get(slug="credit-record")
    topic.reviewed_by = "李编辑"
    topic.review_due = datetime.date(2027, 1, 15)
    topic.save()
    body = 'Line one\r\nLine "two" with """quotes""" and a \\ backslash\n\nno newline at the end'
    saved_at = datetime.datetime(2026, 12, 1, 9, 30, 5, 123456, tzinfo=SHANGHAI)
    summary = Section.objects.get(slug="summary")
    save_draft(topic, saved_at, section=summary, title_en="A drafted title", body_en=body)
    Notice.objects.filter(key="danger").update(draft={"title_en": "A drafted notice"})
    message = MessageTemplate.objects.first()
    save_draft(message, saved_at, sms_en="Hello {lender},\nthis is {name}.\n")
    save_draft(Section.objects.get(slug="background"), saved_at, published=False)
    path = PathPage.objects.get(key="rights")
    path.reviewed_by = "Wang"
    path.save()
    save_draft(path, saved_at, title_zh_hans="草稿标题")
    before_drafts, before_reviews = drafts(), reviews()
    assert len(before_drafts) == 5

    first = export(tmp_path / "a")
    guide = first["guide/06-consequences.toml"].decode()
    assert (
        f'last_reviewed = {topic.last_reviewed}\nreviewed_by = "李编辑"\nreview_due = 2027-01-15\n'
    ) in guide
    assert (
        '\n[topics.draft]\nsaved_by = "editor"\nsaved_at = 2026-12-01T01:30:05.123456Z\n'
        "\n[topics.draft.fields]\n"
    ) in guide
    assert 'section = "summary"\n' in guide and 'title_en = "A drafted title"\n' in guide
    notices = first["notices.toml"].decode()
    assert '[notices.draft]\n[notices.draft.fields]\ntitle_en = "A drafted notice"\n' in notices
    sms = 'sms_en = """\nHello {lender},\nthis is {name}.\n\n"""\n'
    assert sms in first[f"messages/01-{message.slug}.toml"].decode()
    assert '\nreviewed_by = "Wang"\n' in first["paths/rights.toml"].decode()
    assert "\n[draft.fields]\n" in first["guide/02-background.toml"].decode()

    delete_all_content()
    import_files(tmp_path / "a")

    assert drafts() == before_drafts
    assert reviews() == before_reviews
    topic = Topic.objects.get(slug="credit-record")
    topic.apply_draft()  # the preview still moves the topic to the right section
    assert topic.section.slug == "summary" and topic.body_en == body
    assert export(tmp_path / "b") == first


def test_a_draft_of_a_deleted_section_leaves_that_field_out(tmp_path):
    topic = Topic.objects.get(slug="credit-record")
    gone = Section.objects.create(slug="gone", title_zh_hans="旧", title_en="Old")
    save_draft(topic, None, section=gone, title_en="A drafted title")
    gone.delete()
    guide = export(tmp_path / "a")["guide/06-consequences.toml"].decode()
    assert 'title_en = "A drafted title"' in guide and "\nsection = " not in guide


def test_a_missing_review_due_is_six_months_after_last_reviewed(tmp_path):
    first = export(tmp_path / "a")
    for path in (tmp_path / "a").rglob("*.toml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"^review_due = .*\n", "", text, flags=re.M), encoding="utf-8")
    assert not any(b"review_due" in data for data in files_in(tmp_path / "a").values())
    for model in REVIEWED_MODELS:
        model.objects.update(review_due=datetime.date(2030, 1, 1))  # the import must change it

    import_files(tmp_path / "a")

    for model in REVIEWED_MODELS:
        for row in model.objects.all():
            assert row.review_due == row.last_reviewed + REVIEW_INTERVAL, identity(row)
    assert export(tmp_path / "b") == first


def without_review_due(content: dict) -> dict:
    items = [t for s in content["sections"] for t in s.get("topics", [])]
    for item in [*items, *content["paths"], *content["messages"]]:
        item.pop("review_due", None)
    return content


def test_load_content_does_not_count_the_filled_in_review_due_as_an_edit():
    report = load_content(without_review_due(read_content()))
    assert report.created == [] and report.updated == [] and report.kept == []
    delete_all_content()
    load_content(without_review_due(read_content()))
    report = load_content()  # now with the review_due the files hold: the same dates
    assert report.created == [] and report.updated == [] and report.kept == []


def test_load_content_leaves_a_row_with_a_draft_or_an_editors_review_fields_alone():
    drafted = Topic.objects.get(slug="credit-record")
    save_draft(drafted, None, title_en="A drafted title")
    reviewed = Topic.objects.get(slug="legal-action")
    reviewed.reviewed_by = "李编辑"
    reviewed.save()
    postponed = MessageTemplate.objects.first()
    postponed.review_due = datetime.date(2031, 1, 1)
    postponed.save()
    content = read_content()
    for topic in (t for s in content["sections"] for t in s.get("topics", [])):
        topic["en"]["title"] = "A new title from the files"
    content["messages"][0]["en"]["title"] = "A new title from the files"

    report = load_content(content)

    assert {"topic credit-record", "topic legal-action", f"message {postponed.slug}"} <= set(
        report.kept
    )
    drafted.refresh_from_db()
    assert drafted.draft["title_en"] == "A drafted title"
    assert drafted.title_en != "A new title from the files"
    assert Topic.objects.get(slug="legal-action").reviewed_by == "李编辑"
    assert MessageTemplate.objects.get(pk=postponed.pk).review_due == datetime.date(2031, 1, 1)

    # Once the draft is published (or dropped) the row is as loaded again, and loading updates it.
    drafted.draft, drafted.draft_saved_by, drafted.draft_saved_at = {}, "", None
    drafted.save()
    assert "topic credit-record" in load_content(content).updated
