"""Editors' safety nets: versions, compare, restore, recover, roles, lockout, review dates."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from reversion.models import Version

from guidance.models import Choice, Question, Topic
from tests.admin_forms import sign_in, translated_data

pytestmark = pytest.mark.django_db


def topic_form(topic, **changes):
    data = {
        "section": topic.section_id,
        "slug": topic.slug,
        "order": topic.order,
        "published": "on",
        "last_reviewed": topic.last_reviewed.isoformat(),
        "reviewed_by": topic.reviewed_by,
        "review_due": topic.review_due.isoformat() if topic.review_due else "",
    }
    sources = list(topic.sources.all())
    data.update(
        {
            "sources-TOTAL_FORMS": len(sources),
            "sources-INITIAL_FORMS": len(sources),
            "sources-MIN_NUM_FORMS": 0,
            "sources-MAX_NUM_FORMS": 1000,
        }
    )
    for i, source in enumerate(sources):
        data.update(
            {
                f"sources-{i}-id": source.pk,
                f"sources-{i}-topic": topic.pk,
                f"sources-{i}-order": source.order,
                f"sources-{i}-url": source.url,
            }
        )
        data.update(translated_data(source, prefix=f"sources-{i}-"))
    data.update(translated_data(topic))
    data.update(changes)
    return data


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor", password="a-long-pass-phrase", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    sign_in(client, user, "a-long-pass-phrase")
    return user


def edit_topic(client, topic, **changes):
    r = client.post(f"/admin/guidance/topic/{topic.pk}/change/", topic_form(topic, **changes))
    assert r.status_code == 302, r.content.decode()[:2000]
    topic.refresh_from_db()


def test_every_save_is_a_version_with_who_and_when_including_inlines(client, editor):
    topic = Topic.objects.get(slug="legal-action")
    edit_topic(
        client, topic, title_en="First edit", **{"sources-0-citation_en": "Art. 90 (edited)"}
    )
    versions = Version.objects.get_for_object(topic)
    assert versions.count() >= 2  # the initial load, then this edit
    latest = versions.first()
    assert latest.revision.user == editor
    assert latest.field_dict["title_en"] == "First edit"
    source_versions = latest.revision.version_set.exclude(object_id=str(topic.pk))
    assert any("(edited)" in v.field_dict.get("citation_en", "") for v in source_versions)


def test_history_compares_two_versions_readably(client, editor):
    topic = Topic.objects.get(slug="legal-action")
    edit_topic(client, topic, title_en="Court cases explained")
    edit_topic(client, topic, title_en="Court cases, explained simply")
    history = client.get(f"/admin/guidance/topic/{topic.pk}/history/")
    assert history.status_code == 200
    versions = list(Version.objects.get_for_object(topic))
    html = client.get(
        f"/admin/guidance/topic/{topic.pk}/history/compare/",
        {"a": versions[1].pk, "b": versions[0].pk},
    ).content.decode()
    assert "<ins> simply</ins>" in html
    assert "Title (English)" in html or "标题 (English)" in html
    assert (
        client.get(
            f"/admin/guidance/topic/{topic.pk}/history/compare/", {"a": "x", "b": "1"}
        ).status_code
        == 404
    )


def test_restoring_an_old_version_brings_back_the_old_text_as_a_new_version(client, editor):
    topic = Topic.objects.get(slug="legal-action")
    original = topic.title_en
    edit_topic(client, topic, title_en="A title that was a mistake")
    assert "A title that was a mistake" in client.get("/en/guide/consequences/").content.decode()
    old = Version.objects.get_for_object(topic)[1]
    form = client.get(f"/admin/guidance/topic/{topic.pk}/history/{old.pk}/")
    assert form.status_code == 200
    count = Version.objects.get_for_object(topic).count()
    r = client.post(
        f"/admin/guidance/topic/{topic.pk}/history/{old.pk}/",
        topic_form(Topic.objects.get(pk=topic.pk), title_en=original),
    )
    assert r.status_code == 302
    assert original in client.get("/en/guide/consequences/").content.decode()
    assert Version.objects.get_for_object(topic).count() == count + 1


def test_a_deleted_topic_can_be_recovered(client, editor):
    topic = Topic.objects.get(slug="legal-action")
    edit_topic(client, topic, title_en="Going to be deleted")
    r = client.post(f"/admin/guidance/topic/{topic.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert not Topic.objects.filter(slug="legal-action").exists()
    recover_list = client.get("/admin/guidance/topic/recover/")
    assert "Going to be deleted" in recover_list.content.decode() or recover_list.status_code == 200
    deleted = Version.objects.get_deleted(Topic).get(object_id=str(topic.pk))
    r = client.post(
        f"/admin/guidance/topic/recover/{deleted.pk}/",
        topic_form(topic, title_en="Going to be deleted"),
    )
    assert r.status_code == 302
    assert Topic.objects.filter(slug="legal-action").exists()
    assert "Going to be deleted" in client.get("/en/guide/consequences/").content.decode()


def test_editors_edit_content_but_not_users_or_groups(client, editor):
    assert client.get("/admin/guidance/topic/").status_code == 200
    assert client.get("/admin/guidance/question/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403
    assert not editor.has_perm("auth.change_user")


def test_nothing_ships_with_an_account():
    assert User.objects.count() == 0


def test_ten_failed_logins_lock_the_client_out_even_with_the_right_password(client):
    User.objects.create_superuser("admin", "admin@example.org", "the-right-pass-phrase")
    for _ in range(10):
        r = client.post(
            "/admin/login/?next=/admin/",
            {"username": "admin", "password": "wrong", "next": "/admin/"},
        )
        assert r.status_code in (200, 429)
    r = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": "the-right-pass-phrase", "next": "/admin/"},
    )
    assert r.status_code == 429
    assert "暂时锁定" in r.content.decode()
    assert client.get("/admin/guidance/topic/").status_code == 302  # still not signed in


def test_a_correct_login_before_the_limit_works(client):
    User.objects.create_superuser("admin", "admin@example.org", "the-right-pass-phrase")
    for _ in range(3):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    r = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": "the-right-pass-phrase", "next": "/admin/"},
    )
    assert r.status_code == 302


def test_the_admin_front_page_lists_overdue_reviews(client, editor):
    topic = Topic.objects.get(slug="legal-action")
    edit_topic(
        client,
        topic,
        last_reviewed="2025-01-01",
        review_due="2025-07-01",
        reviewed_by="Li, legal clinic",
    )
    html = client.get("/admin/").content.decode()
    assert 'id="review-due"' in html
    assert topic.title_zh_hans in html and "2025-07-01" in html and "Li, legal clinic" in html


def test_the_tree_outline_shows_every_question_and_highlights_problems(client, editor):
    html = client.get("/admin/guidance/question/tree/").content.decode()
    for question in Question.objects.all():
        assert f'id="q-{question.key}"' in html
    assert "问答结构完好" in html
    choice = Choice.objects.filter(next_key__gt="").first()
    choice.next_key = "nowhere"
    choice.save()
    html = client.get("/admin/guidance/question/tree/").content.decode()
    assert "“nowhere”不存在" in html
    assert f'class="tree-question has-problem" id="q-{choice.question.key}"' in html


def test_markdown_preview_uses_the_public_sanitiser(client, editor):
    r = client.post(
        "/admin/guidance/markdown-preview/",
        {"text": "**粗体** <script>alert(1)</script> [x](javascript:alert(1))"},
    )
    html = r.json()["html"]
    assert "<strong>粗体</strong>" in html
    assert "<script" not in html and 'href="javascript' not in html
    client.logout()
    assert client.post("/admin/guidance/markdown-preview/", {"text": "x"}).status_code == 302


def test_the_admin_speaks_english_when_asked(client, editor):
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    html = client.get("/admin/guidance/topic/").content.decode()
    assert "Topic" in html and "Site administration" not in html or "Content admin" in html


def test_a_draft_changes_nothing_public_until_it_is_published(client, editor):
    topic = Topic.objects.get(slug="legal-action")
    original = topic.title_en
    r = client.post(
        f"/admin/guidance/topic/{topic.pk}/change/",
        {**topic_form(topic, title_en="Draft: courts, rewritten"), "_save_draft": "1"},
    )
    assert r.status_code == 302
    topic.refresh_from_db()
    assert topic.title_en == original and topic.draft["title_en"] == "Draft: courts, rewritten"

    anonymous = type(client)()
    public = anonymous.get("/en/guide/consequences/").content.decode()
    assert "Draft: courts, rewritten" not in public and original in public
    sneaky = anonymous.get("/en/guide/consequences/?preview=1").content.decode()
    assert "Draft: courts, rewritten" not in sneaky

    preview = client.get("/en/guide/consequences/?preview=1")
    assert "Draft: courts, rewritten" in preview.content.decode()
    assert "no-store" in preview["Cache-Control"]
    form = client.get(f"/admin/guidance/topic/{topic.pk}/change/").content.decode()
    assert 'value="Draft: courts, rewritten"' in form and "还没有发布" in form

    edit_topic(client, topic, title_en="Draft: courts, rewritten")  # publish
    assert topic.draft == {}
    assert "Draft: courts, rewritten" in anonymous.get("/en/guide/consequences/").content.decode()


def test_an_unpublished_topic_is_visible_only_in_the_staff_preview(client, editor):
    topic = Topic.objects.get(slug="legal-action")
    topic.published = False
    topic.save()
    anonymous = type(client)()
    assert 'id="legal-action"' not in anonymous.get("/en/guide/consequences/").content.decode()
    assert 'id="legal-action"' in client.get("/en/guide/consequences/?preview=1").content.decode()


def test_a_tree_with_problems_cannot_be_published(client, editor):
    question = Question.objects.order_by("order").first()
    from tests.test_admin import question_form

    r = client.post(
        f"/admin/guidance/question/{question.pk}/change/",
        question_form(question, **{"choices-0-next_key": "nowhere"}),
    )
    assert r.status_code == 200 and "“nowhere”不存在" in r.content.decode()
