"""The wizard through real HTTP: plain forms, htmx, changing answers, and hostile input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.core import signing
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from guidance import tree as engine
from guidance.models import Choice, Question
from guidance.wizard import STATE_SALT, load_tree

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def start(client, language="en"):
    r = client.post(f"/{language}/wizard/start/")
    assert r.status_code == 302
    return r["Location"]


def answer(client, url, *choices, **extra):
    return client.post(url, {"choice": list(choices)}, **extra)


def walk_route(client, route, language="en"):
    url = start(client, language)
    for question_key, chosen in route:
        assert url == f"/{language}/wizard/q/{question_key}/"
        r = client.get(url)
        assert r.status_code == 200
        r = answer(client, url, *chosen)
        assert r.status_code == 302, r.content.decode()[:500]
        url = r["Location"]
    assert url == f"/{language}/wizard/result/"
    return client.get(url)


def primary_path(html):
    return re.search(r'data-path="(\w+)"', html).group(1)


@dataclass
class RouteSurvey:
    """What walking every route of a tree found: checked once per tree, shared by the tests."""

    count: int = 0
    longest: int = 0
    primaries: dict = field(default_factory=dict)  # path -> a route where it comes first
    flagged: dict = field(default_factory=dict)  # notice flag -> a route that raises it
    without_reasons: list = field(default_factory=list)
    sample: list = field(default_factory=list)  # about 25 routes spread over all of them


_surveys: dict[str, RouteSurvey] = {}


def survey(tree) -> RouteSurvey:
    if tree.digest not in _surveys:
        result = RouteSurvey()
        step = max(1, engine.count_routes(tree) // 25)
        for number, route in enumerate(engine.routes(tree)):
            recommendation = engine.recommend(tree, dict(route))
            result.count += 1
            result.longest = max(result.longest, len(route))
            result.primaries.setdefault(recommendation.primary, route)
            for flag in recommendation.notices:
                result.flagged.setdefault(flag, route)
            if not recommendation.ranked[0].reasons:
                result.without_reasons.append(route)
            if number % step == 0:
                result.sample.append(route)
        _surveys[tree.digest] = result
    return _surveys[tree.digest]


def test_every_route_of_the_shipped_tree_ends_in_a_recommendation():
    tree = load_tree().tree
    assert engine.validate(tree) == []
    found = survey(tree)
    assert found.count == engine.count_routes(tree) > 50
    assert found.longest <= engine.MAX_ROUTE_LENGTH
    assert set(found.primaries) == set(engine.PATHS)
    assert found.without_reasons == []


def test_a_route_through_plain_forms_reaches_a_result_with_reasons_and_steps(client):
    tree = load_tree().tree
    for route in survey(tree).sample:
        client.cookies.clear()
        r = walk_route(client, route)
        html = r.content.decode()
        assert r.status_code == 200
        expected = engine.recommend(tree, dict(route))
        assert primary_path(html) == expected.primary
        assert "Why we suggest this" in html
        assert "Your first three steps" in html
        for question_key, _ in route:
            assert f'id="answer-{question_key}"' in html
            assert f'href="/en/wizard/q/{question_key}/"' in html


def test_each_path_can_come_first_through_the_pages(client):
    for path, route in survey(load_tree().tree).primaries.items():
        client.cookies.clear()
        assert primary_path(walk_route(client, route, "zh-hans").content.decode()) == path


def test_danger_scam_and_crisis_answers_put_notices_first(client):
    flagged = survey(load_tree().tree).flagged
    for flag in ("danger", "scam", "crisis", "court"):
        client.cookies.clear()
        html = walk_route(client, flagged[flag]).content.decode()
        assert f'data-notice="{flag}"' in html
        assert html.index('data-notice="') < html.index('data-path="')
    client.cookies.clear()
    html = walk_route(client, flagged["danger"]).content.decode()
    assert "110" in html.split('data-path="')[0]


def test_a_missing_answer_re_asks_with_a_clear_message(client):
    url = start(client)
    r = client.post(url, {})
    html = r.content.decode()
    assert r.status_code == 200
    assert 'class="error-summary"' in html and "Choose an answer." in html
    assert 'aria-invalid="true"' in html


def test_none_of_these_cannot_be_combined(client):
    multi = Question.objects.filter(kind="multi").first()
    exclusive = multi.choices.get(exclusive=True)
    other = multi.choices.filter(exclusive=False).first()
    tree = load_tree().tree
    route = next(r for r in engine.routes(tree) if multi.key in dict(r))
    url = start(client)
    for question_key, chosen in route:
        if question_key == multi.key:
            break
        url = answer(client, url, *chosen)["Location"]
    r = answer(client, url, exclusive.key, other.key)
    assert r.status_code == 200
    assert "cannot be combined" in r.content.decode()


def test_back_shows_the_previous_answer_selected(client):
    url = start(client)
    first = Question.objects.order_by("order").first()
    choice = first.choices.first()
    r = answer(client, url, choice.key)
    html = client.get(r["Location"]).content.decode()
    assert f'href="/en/wizard/q/{first.key}/"' in html  # the Back link
    back = client.get(f"/en/wizard/q/{first.key}/").content.decode()
    assert re.search(rf'value="{choice.key}" id="choice-{choice.key}" checked', back)


def test_changing_an_answer_keeps_later_answers_still_on_the_route(client):
    tree = load_tree().tree
    route = next(iter(engine.routes(tree)))
    walk_route(client, route)
    first_key, first_answer = route[0]
    question = tree.question(first_key)
    same_next = [
        c.key
        for c in question.choices
        if c.key != first_answer[0] and c.next == question.choice(first_answer[0]).next
    ]
    r = answer(client, f"/en/wizard/q/{first_key}/", same_next[0])
    assert r["Location"] == "/en/wizard/result/"  # nothing else needed asking
    html = client.get("/en/wizard/result/").content.decode()
    label = Choice.objects.get(question__key=first_key, key=same_next[0]).label_en
    assert label in html


def test_changing_an_answer_that_opens_a_new_branch_asks_only_the_new_questions(client):
    tree = load_tree().tree
    first = tree.question(tree.start)
    targets = {c.next for c in first.choices}
    assert len(targets) > 1, "the shipped tree branches at its first question"
    route = next(iter(engine.routes(tree)))
    walk_route(client, route)
    other = next(c for c in first.choices if c.next != first.choice(route[0][1][0]).next)
    r = answer(client, f"/en/wizard/q/{tree.start}/", other.key)
    assert r["Location"] == f"/en/wizard/q/{other.next}/"


def test_start_again_clears_the_answers(client):
    url = start(client)
    answer(client, url, Question.objects.order_by("order").first().choices.first().key)
    r = client.post("/en/wizard/restart/")
    assert r["Location"] == "/en/wizard/?note=restarted"
    assert r.cookies["wizard"].value == ""
    assert "cleared" in client.get(r["Location"]).content.decode()


def test_the_answers_live_only_in_a_signed_cookie_and_pages_are_not_cached(client):
    url = start(client)
    r = answer(client, url, Question.objects.order_by("order").first().choices.first().key)
    cookie = r.cookies["wizard"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    r = client.get(r["Location"])
    assert "no-store" in r["Cache-Control"]
    assert "HX-Request" in r["Vary"]


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "",
        "a" * 5000,
        signing.dumps({"v": "stale-tree", "a": []}, salt=STATE_SALT),
        signing.dumps({"v": None, "a": "x"}, salt=STATE_SALT),
        signing.dumps([1, 2, 3], salt=STATE_SALT),
        signing.dumps({"v": "x"}, salt="another-salt"),
    ],
    # Signed values carry a timestamp: stable ids keep xdist's workers collecting the same tests.
    ids=["garbage", "empty", "huge", "stale-tree", "bad-shape", "not-a-dict", "wrong-salt"],
)
def test_a_tampered_or_stale_state_restarts_politely(client, cookie):
    client.cookies["wizard"] = cookie
    first = Question.objects.order_by("order").first()
    for method, url in [
        ("get", "/en/wizard/result/"),
        ("get", f"/en/wizard/q/{first.key}/"),
        ("post", f"/en/wizard/q/{first.key}/"),
    ]:
        client.cookies["wizard"] = cookie
        r = getattr(client, method)(url, follow=True)
        assert r.status_code == 200
        if cookie:
            assert r.redirect_chain, url


def test_forged_answers_inside_a_valid_signature_restart(client):
    tree = load_tree().tree
    client.cookies["wizard"] = signing.dumps(
        {"v": tree.digest, "a": [[tree.start, ["not-a-choice"]]]}, salt=STATE_SALT
    )
    r = client.get("/en/wizard/result/", follow=True)
    assert r.redirect_chain[-1][0] == "/en/wizard/?note=invalid"
    assert "could not read your saved answers" in r.content.decode()


@pytest.mark.parametrize(
    "values",
    [["not-a-choice"], ["\x00"], ["x" * 10000], ["overdue", "<script>"]],
)
def test_unknown_values_restart_instead_of_failing(client, values):
    url = start(client)
    r = client.post(url, {"choice": values})
    assert r.status_code == 302
    assert r["Location"] == "/en/wizard/?note=invalid"


def test_a_question_out_of_order_takes_the_reader_to_where_they_are(client):
    last = Question.objects.order_by("-order").first()
    start(client)
    r = client.get(f"/en/wizard/q/{last.key}/")
    assert r.status_code == 302
    first = Question.objects.order_by("order").first()
    assert r["Location"] == f"/en/wizard/q/{first.key}/?note=moved"
    assert client.get("/en/wizard/q/no-such-question/").status_code == 404


def test_methods_other_than_get_and_post_are_refused(client):
    assert client.put("/en/wizard/start/").status_code == 405
    assert client.delete("/en/wizard/result/").status_code == 405


def test_htmx_swaps_only_the_step_and_pushes_the_url(client):
    r = client.post("/en/wizard/start/", **HTMX, follow=True)
    html = r.content.decode()
    assert "<html" not in html and 'id="wizard-step"' in html
    first = Question.objects.order_by("order").first()
    r = answer(client, f"/en/wizard/q/{first.key}/", first.choices.first().key, **HTMX)
    assert r.status_code == 200
    assert "<html" not in r.content.decode()
    assert r["HX-Push-Url"].startswith("/en/wizard/")
    full = client.get(r["HX-Push-Url"])
    assert "<html" in full.content.decode()


def test_query_counts_per_step_are_bounded(client, django_assert_max_num_queries):
    url = start(client)
    client.get(url)  # the tree is built once and then cached
    with django_assert_max_num_queries(1):
        client.get(url)
    tree = load_tree().tree
    route = next(iter(engine.routes(tree)))
    walk_route(client, route)
    with django_assert_max_num_queries(4):
        client.get("/en/wizard/result/")


def test_an_editor_change_is_seen_by_the_next_request(client):
    first = Question.objects.order_by("order").first()
    url = start(client)
    client.get(url)
    first.text_en = "A question an editor just rewrote"
    first.save()
    assert "A question an editor just rewrote" in client.get(url).content.decode()


def test_the_system_check_fails_on_a_broken_tree():
    call_command("check")
    choice = Choice.objects.filter(next_key__gt="").first()
    Choice.objects.filter(pk=choice.pk).update(next_key="nowhere")
    from guidance.models import ContentVersion

    ContentVersion.bump()
    with pytest.raises(SystemCheckError, match="nowhere"):
        call_command("check")


# What a browser can put in a cookie header: printable ASCII.
cookie_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=400) | st.just(
    signing.dumps({"v": "x", "a": [["overdue", ["x"]]]}, salt=STATE_SALT)
)
junk_text = st.text(max_size=300) | st.sampled_from(["", "\x00", "💥" * 50, "overdue", "x" * 5000])


@hypothesis_settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.sampled_from(["overdue", "pay", "collector", "coping", "nope", "x" * 60]),
    choices=st.lists(junk_text, max_size=5),
    cookie=cookie_text,
    extra=st.dictionaries(st.sampled_from(["note", "choice", "csrfmiddlewaretoken"]), junk_text),
    language=st.sampled_from(["en", "zh-hans", "zh-hant"]),
)
def test_hostile_submissions_never_cause_a_server_error(
    client, key, choices, cookie, extra, language
):
    client.raise_request_exception = False
    client.cookies["wizard"] = cookie
    url = f"/{language}/wizard/q/{key}/"
    for response in (
        client.post(url, {"choice": choices, **extra}),
        client.get(url, extra),
        client.get(f"/{language}/wizard/result/", extra),
        client.get(f"/{language}/wizard/", extra),
        client.post(f"/{language}/wizard/start/", extra),
    ):
        assert response.status_code < 500


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_step_is_rendered_once_and_each_reader_gets_a_working_token_of_their_own():
    from django.test import Client

    from guidance.rendered import CSRF_MARKER, pages

    pages.clear()
    seen = []
    for _ in range(2):
        reader = Client(enforce_csrf_checks=True)
        intro = reader.get("/en/wizard/").content.decode()
        token = csrf_token_in(intro)
        url = reader.post("/en/wizard/start/", {"csrfmiddlewaretoken": token})["Location"]
        question = reader.get(url).content.decode()
        assert CSRF_MARKER not in intro + question
        seen.append((reader, csrf_token_in(question), question))
    assert len(pages) == 2  # the intro and the first question, rendered for the first reader only
    (one, one_token, one_html), (two, two_token, two_html) = seen
    assert one_token != two_token
    assert one_html.replace(one_token, "") == two_html.replace(two_token, "")
    # Each token belongs to its reader: it works for them, and not for anyone else.
    choice = re.search(r'name="choice" value="([\w-]+)"', one_html).group(1)
    forged = one.post(url, {"csrfmiddlewaretoken": two_token, "choice": choice})
    assert forged.status_code == 403
    assert one.post(url, {"csrfmiddlewaretoken": one_token, "choice": choice}).status_code == 302
    partial = two.get(url, **HTMX).content.decode()  # the same step, as an htmx swap
    assert "<html" not in partial and 'id="wizard-step"' in partial


def test_the_kept_steps_are_bounded_and_the_oldest_go_first():
    from guidance.rendered import RenderedPages

    kept = RenderedPages(max_pages=3)
    for n in range(5):
        kept.put(n, f"page {n}".encode())
    kept.get(2)  # used again: now the newest
    kept.put(5, b"page 5")
    assert len(kept) == 3
    assert [kept.get(n) for n in range(6)] == [None, None, b"page 2", None, b"page 4", b"page 5"]


def test_an_htmx_answer_hands_back_the_token_it_came_with_but_never_the_bare_secret():
    from django.conf import settings
    from django.test import Client

    reader = Client(enforce_csrf_checks=True)
    token = csrf_token_in(reader.get("/en/wizard/").content.decode())
    url = reader.post("/en/wizard/start/", {"csrfmiddlewaretoken": token})["Location"]
    question = reader.get(url).content.decode()
    token = csrf_token_in(question)
    choice = re.search(r'name="choice" value="([\w-]+)"', question).group(1)
    answered = reader.post(url, {"csrfmiddlewaretoken": token, "choice": choice}, **HTMX)
    assert answered.status_code == 200
    partial = answered.content.decode()
    assert csrf_token_in(partial) == token  # it passed the check, so it is the reader's own
    # Django also accepts the unmasked secret; that is never written into a page.
    secret = reader.cookies[settings.CSRF_COOKIE_NAME].value
    next_url = answered["HX-Push-Url"]
    choice = re.search(r'name="choice" value="([\w-]+)"', partial).group(1)
    answered = reader.post(next_url, {"csrfmiddlewaretoken": secret, "choice": choice}, **HTMX)
    assert answered.status_code == 200
    handed_back = csrf_token_in(answered.content.decode())
    assert secret not in answered.content.decode() and len(handed_back) == 64
    # A forged answer gets no page at all, so nothing in it to learn from.
    forged = reader.post(next_url, {"csrfmiddlewaretoken": "x" * 64, "choice": choice}, **HTMX)
    assert forged.status_code == 403 and "x" * 64 not in forged.content.decode()
