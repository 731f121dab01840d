"""Editors change content in the admin; a change that would break the wizard is refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from guidance.models import Question, Topic
from tests.admin_forms import sign_in, translated_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = User.objects.create_superuser("editor", "editor@example.org", "a-long-passphrase-1")
    sign_in(client, user, "a-long-passphrase-1")
    return user


def question_form(question, **changes):
    """The admin's change form for a question, as a browser would post it unchanged."""
    data = {
        "key": question.key,
        "order": question.order,
        "kind": question.kind,
        "next_key": question.next_key,
    }
    data.update(translated_data(question))
    choices = list(question.choices.all())
    prefix = "choices"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": len(choices),
            f"{prefix}-INITIAL_FORMS": len(choices),
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
    )
    for i, choice in enumerate(choices):
        row = {
            "id": choice.pk,
            "question": question.pk,
            "order": choice.order,
            "key": choice.key,
            "next_key": choice.next_key,
            "weight_communicate": choice.weight_communicate,
            "weight_rights": choice.weight_rights,
            "weight_professional": choice.weight_professional,
            "flags": choice.flags,
        }
        if choice.exclusive:
            row["exclusive"] = "on"
        row.update(translated_data(choice))
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    data.update(changes)
    return data


def test_every_content_admin_page_opens(client, editor):
    for model in ("section", "topic", "pathpage", "notice", "question"):
        assert client.get(f"/admin/guidance/{model}/").status_code == 200
        assert client.get(f"/admin/guidance/{model}/add/").status_code == 200
    topic = Topic.objects.first()
    assert client.get(f"/admin/guidance/topic/{topic.pk}/change/").status_code == 200
    question = Question.objects.first()
    assert client.get(f"/admin/guidance/question/{question.pk}/change/").status_code == 200


def test_an_unchanged_question_saves(client, editor):
    question = Question.objects.order_by("order").first()
    r = client.post(f"/admin/guidance/question/{question.pk}/change/", question_form(question))
    assert r.status_code == 302, r.context["errors"] if r.context else r


def test_a_choice_pointing_nowhere_is_refused_with_the_problem_listed(client, editor):
    question = Question.objects.order_by("order").first()
    before = list(question.choices.values_list("next_key", flat=True))
    r = client.post(
        f"/admin/guidance/question/{question.pk}/change/",
        question_form(question, **{"choices-0-next_key": "nowhere"}),
    )
    assert r.status_code == 200
    assert "“nowhere”不存在" in r.content.decode()
    assert list(question.choices.values_list("next_key", flat=True)) == before


def test_a_loop_is_refused(client, editor):
    question = Question.objects.order_by("-order").first()
    first = Question.objects.order_by("order").first()
    r = client.post(
        f"/admin/guidance/question/{question.pk}/change/",
        question_form(question, **{"choices-0-next_key": first.key}),
    )
    assert r.status_code == 200
    assert "绕成了一个圈" in r.content.decode()


def test_weights_above_five_are_refused(client, editor):
    question = Question.objects.order_by("order").first()
    r = client.post(
        f"/admin/guidance/question/{question.pk}/change/",
        question_form(question, **{"choices-0-weight_rights": "9"}),
    )
    assert r.status_code == 200
    assert question.choices.order_by("order").first().weight_rights != 9


def test_deleting_a_question_others_lead_to_is_refused(client, editor):
    target = Question.objects.exclude(pk=Question.objects.order_by("order").first().pk).first()
    r = client.post(f"/admin/guidance/question/{target.pk}/delete/", {"post": "yes"})
    assert r.status_code == 200
    assert Question.objects.filter(pk=target.pk).exists()


def test_an_edit_in_the_admin_reaches_the_public_page(client, editor):
    topic = Topic.objects.get(slug="legal-action")
    data = {
        "section": topic.section_id,
        "slug": topic.slug,
        "order": topic.order,
        "published": "on",
        "last_reviewed": "2026-11-29",
        "sources-TOTAL_FORMS": 0,
        "sources-INITIAL_FORMS": 0,
        "sources-MIN_NUM_FORMS": 0,
        "sources-MAX_NUM_FORMS": 1000,
    }
    data.update(translated_data(topic))
    data["title_en"] = "Court cases, in plain words"
    r = client.post(f"/admin/guidance/topic/{topic.pk}/change/", data)
    assert r.status_code == 302
    html = client.get("/en/guide/consequences/").content.decode()
    assert "Court cases, in plain words" in html


def test_the_admin_requires_a_login(client):
    r = client.get("/admin/guidance/topic/")
    assert r.status_code == 302 and "/admin/login/" in r["Location"]


@pytest.mark.django_db
def test_the_models_and_their_migrations_agree():
    """A model change without its migration (a help text listing the composer's fields, say)
    would leave a deployed database behind the code."""
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize(
    "model", ["section", "topic", "pathpage", "notice", "messagetemplate", "question"]
)
def test_content_lists_read_their_rows_texts_in_a_fixed_number_of_queries(
    client, editor, django_assert_max_num_queries, model
):
    """The Traditional column reads each row's inline texts (sources, steps, choices): prefetched
    once per inline, not queried again for every row."""
    with django_assert_max_num_queries(10):
        assert client.get(f"/admin/guidance/{model}/").status_code == 200
