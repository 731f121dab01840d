"""The wizard through real HTTP: plain forms, htmx, changing answers, and hostile input."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import pytest
from django.core import signing
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from guidance import tree as engine
from guidance.models import Choice, PathStep, Question
from guidance.wizard import load_tree, seal
from tests.wizard_routes import calm_choice, routes, routes_by_outcome
from tests.wizard_routes import calm_route as calm_route_with

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def start(client, language="en"):
    r = client.post(f"/{language}/wizard/start/")
    assert r.status_code == 302
    return r["Location"]


def answer(client, url, *choices, **extra):
    return client.post(url, {"choice": list(choices)}, **extra)


def walk_route(client, route, language="en"):
    """Answer each question of `route` through plain forms, passing through emergency help
    wherever an answer calls for it; returns the result page. Court papers came three days ago."""
    tree = load_tree().tree
    url = start(client, language)
    received = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    for question_key, chosen in route:
        assert url == f"/{language}/wizard/q/{question_key}/"
        r = client.get(url)
        assert r.status_code == 200
        r = client.post(url, {"choice": list(chosen), "received": received})
        assert r.status_code == 302, r.content.decode()[:500]
        url = r["Location"]
        if tree.question(question_key).emergency_flags(chosen):
            assert url == f"/{language}/wizard/help-now/"
            page = client.get(url).content.decode()
            assert "tel:110" in page
            url = re.search(r'class="button" href="([^"]+)"', page).group(1)
    assert url == f"/{language}/wizard/result/"
    return client.get(url)


def rule_tokens() -> set[str]:
    return {
        token
        for step in PathStep.objects.all()
        for token in (*step.show_tokens, *step.hide_tokens)
        if "=" in token
    }


def primary_path(html):
    return re.search(r'data-path="(\w+)"', html).group(1)


@dataclass
class RouteSurvey:
    """What walking one route per distinct outcome found: checked once per tree, shared by tests.

    Routes that reach the same scores, flags and rule-tested answers give the same result, so one
    of each stands for all (routes_by_outcome); count_routes says how many routes that covers."""

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
        outcomes = list(routes_by_outcome(tree, rule_tokens()))
        step = max(1, len(outcomes) // 25)
        for number, route in enumerate(outcomes):
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
    assert engine.count_routes(tree) > found.count > 50
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
        assert "What you can do" in html
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
    assert 'class="error-summary"' in html and "Choose at least one answer." in html
    assert 'aria-invalid="true"' in html


def test_none_of_these_cannot_be_combined(client):
    multi = Question.objects.filter(kind="multi").first()
    exclusive = multi.choices.get(exclusive=True)
    other = multi.choices.filter(exclusive=False).first()
    tree = load_tree().tree
    route = next(r for r in routes(tree) if multi.key in dict(r))
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
    choice = calm_choice(load_tree().tree.question(first.key))
    r = answer(client, url, choice)
    html = client.get(r["Location"]).content.decode()
    assert f'href="/en/wizard/q/{first.key}/"' in html  # the Back link
    back = client.get(f"/en/wizard/q/{first.key}/").content.decode()
    assert re.search(rf'value="{choice}" id="choice-{choice}" checked', back)


def test_changing_an_answer_keeps_later_answers_still_on_the_route(client):
    tree = load_tree().tree
    route = next(iter(routes(tree)))
    walk_route(client, route)
    # The first single-choice question on the route with another calm choice leading the same way.
    for first_key, first_answer in route:
        question = tree.question(first_key)
        same_next = [
            c.key
            for c in question.choices
            if c.key != first_answer[0]
            and c.next == question.choice(first_answer[0]).next
            and not question.emergency_flags([c.key])
        ]
        if not question.multi and same_next:
            break
    r = answer(client, f"/en/wizard/q/{first_key}/", same_next[0])
    assert r["Location"] == "/en/wizard/result/"  # nothing else needed asking
    html = client.get("/en/wizard/result/").content.decode()
    label = Choice.objects.get(question__key=first_key, key=same_next[0]).label_en
    assert label in html


def test_changing_an_answer_that_opens_a_new_branch_asks_only_the_new_questions(client):
    tree = load_tree().tree
    route = next(iter(routes(tree)))
    walk_route(client, route)
    # The first question on the route whose choices branch.
    key, chosen = next(
        (k, c) for k, c in route if len({x.next for x in tree.question(k).choices}) > 1
    )
    first = tree.question(key)
    other = next(c for c in first.choices if c.next != first.choice(chosen[0]).next)
    new_route = engine.walk(tree, {**dict(route), key: (other.key,)})
    dropped = [k for k, _ in route if k != key and k not in new_route.asked]
    assert dropped  # a different branch leaves some of the old questions behind

    # First the reader is told what the change would clear, and nothing is changed yet.
    r = answer(client, f"/en/wizard/q/{key}/", other.key)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Changing this answer clears later answers" in html
    for dropped_key in dropped:
        assert Question.objects.get(key=dropped_key).text_en in html
    assert re.search(rf'value="{other.key}" id="choice-{other.key}" checked', html)
    assert "wizard" not in r.cookies
    assert client.get("/en/wizard/result/").status_code == 200  # the old route still stands

    # Confirmed, the new branch's first question comes next.
    r = client.post(f"/en/wizard/q/{key}/", {"choice": [other.key], "confirm": "discard"})
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
        seal({"v": "stale-tree", "a": []}),
        seal({"v": None, "a": "x"}),
        seal([1, 2, 3]),
        signing.dumps({"v": "x"}, salt="guidance.wizard.state"),  # signed, as before encryption
    ],
    # Sealed values carry a timestamp: stable ids keep xdist's workers collecting the same tests.
    ids=["garbage", "empty", "huge", "stale-tree", "bad-shape", "not-a-dict", "only-signed"],
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


def test_a_forged_answer_inside_a_valid_cookie_asks_that_question_again(client):
    tree = load_tree().tree
    first_key, first_answer = calm_route_with(tree)[0]
    second = tree.question(first_key).next_after(first_answer)
    client.cookies["wizard"] = seal(
        {"v": tree.digest, "a": [[first_key, list(first_answer)], [second, ["not-a-choice"]]]}
    )
    r = client.get("/en/wizard/result/", follow=True)
    assert r.redirect_chain[-1][0] == f"/en/wizard/q/{second}/?note=reask"
    assert "could not read your saved answer to this question" in r.content.decode()
    back = client.get(f"/en/wizard/q/{first_key}/").content.decode()  # the first answer is kept
    assert re.search(rf'value="{first_answer[0]}" id="choice-{first_answer[0]}" checked', back)


@pytest.mark.parametrize(
    "values",
    [["not-a-choice"], ["\x00"], ["x" * 10000], ["overdue", "<script>"]],
)
def test_unknown_values_ask_the_question_again_instead_of_failing(client, values):
    url = start(client)
    r = client.post(url, {"choice": values})
    assert r.status_code == 200
    assert "That answer is not one of this question" in r.content.decode()
    assert "wizard" not in r.cookies


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
    route = next(iter(routes(tree)))
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
    seal({"v": "x", "a": [["overdue", ["x"]]]})
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


def test_the_first_question_asks_about_danger_and_crisis_before_money(client):
    tree = load_tree().tree
    first = tree.question(tree.start)
    assert first.multi
    raised = {flag for c in first.choices for flag in c.flags}
    assert {"danger", "crisis"} <= raised
    assert any(c.exclusive and not c.flags for c in first.choices)  # "none of these"


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
@pytest.mark.parametrize("flag", ["danger", "crisis"])
def test_a_danger_or_crisis_answer_goes_straight_to_emergency_help(client, flag, language):
    tree = load_tree().tree
    first = tree.question(tree.start)
    choice = next(c.key for c in first.choices if flag in c.flags)
    url = start(client, language)
    r = answer(client, url, choice)
    assert r["Location"] == f"/{language}/wizard/help-now/"
    page = client.get(r["Location"]).content.decode()
    step = page[page.index('id="wizard-step"') :]
    assert f'data-notice="{flag}"' in step
    numbers = ["tel:110"] if flag == "danger" else ["tel:12356", "tel:120"]
    for number in numbers:
        assert number in step.split("<form")[0]
    # From there the reader carries on with the questions, their answer kept.
    continue_url = re.search(r'class="button" href="([^"]+)"', step).group(1)
    assert continue_url == f"/{language}/wizard/q/{first.choice(choice).next or first.next}/"
    assert client.get(continue_url).status_code == 200


def test_an_htmx_danger_answer_swaps_in_emergency_help_and_pushes_its_url(client):
    tree = load_tree().tree
    first = tree.question(tree.start)
    choice = next(c.key for c in first.choices if "danger" in c.flags)
    r = answer(client, start(client), choice, **HTMX)
    assert r["HX-Push-Url"] == "/en/wizard/help-now/"
    assert 'data-notice="danger"' in r.content.decode()


def test_every_wizard_page_shows_the_emergency_numbers(client):
    route = survey(load_tree().tree).sample[0]
    pages = ["/en/wizard/"]
    url = start(client)
    for _, chosen in route:
        pages.append(url)
        url = answer(client, url, *chosen)["Location"]
        if url.endswith("/help-now/"):
            pages.append(url)
            url = re.search(r'class="button" href="([^"]+)"', client.get(url).content.decode())[1]
    pages.append(url)
    assert pages[-1] == "/en/wizard/result/"
    for page in pages:
        html = client.get(page).content.decode()
        main = html[html.index("<main") :]
        assert "tel:110" in main and "tel:12356" in main and "tel:120" in main, page
        assert "18 hours" in main, page


def _result_html(client, route) -> str:
    client.cookies.clear()
    return walk_route(client, route).content.decode()


def _debt_advice_at(html: str) -> int:
    return html.index('data-path="')


def test_every_outcome_puts_emergency_help_and_the_right_path_first_and_follows_the_rules():
    """Property test over one route per distinct outcome: the plan the result page is built
    from puts danger and crisis help first and never shows a step its rule excludes."""
    from guidance.wizard import load_result_texts, result_plan

    loaded = load_tree()
    texts = load_result_texts()
    checked = set()
    relevant = rule_tokens()
    for route in routes_by_outcome(loaded.tree, relevant):
        answers = dict(route)
        walked = engine.walk(loaded.tree, answers)
        facts = engine.route_facts(loaded.tree, walked)
        recommendation = engine.recommend(loaded.tree, answers)
        # The plan's paths, notices and steps follow from these: check each combination once.
        tested = frozenset(f for f in facts if "=" not in f or f in relevant)
        shape = (tuple(p.path for p in recommendation.recommended), recommendation.notices, tested)
        if shape in checked:
            continue
        checked.add(shape)
        plan = result_plan(loaded, texts, answers, walked)
        notices = [n.key for n in plan["notices"]]
        paths = [p["key"] for p in plan["paths"]]
        if "danger" in facts:
            assert notices[0] == "danger" and "tel:110" in plan["notices"][0].body
            assert paths[0] == "rights"
            assert "110" in plan["paths"][0]["steps"][0].step.title_zh_hans
        if "crisis" in facts:
            crisis = next(n for n in plan["notices"] if n.key == "crisis")
            assert "tel:12356" in crisis.body and "tel:120" in crisis.body
            assert notices.index("crisis") <= 1
            if "danger" not in facts:
                assert paths[0] == "professional"
                assert "12356" in plan["paths"][0]["steps"][0].step.title_zh_hans
        elif "court" in facts and "danger" not in facts:
            assert paths[0] == "professional"
        for path in plan["paths"]:
            shown = {planned.step.pk for planned in path["steps"]}
            for step in path["page"].steps.all():
                applies = engine.step_applies(step.show_tokens, step.hide_tokens, facts)
                assert (step.pk in shown) == applies, (route, step.title_en)
    assert len(checked) > 100


def test_the_result_shows_emergency_help_before_any_path(client):
    flagged = survey(load_tree().tree).flagged
    for flag, number in (("danger", "tel:110"), ("crisis", "tel:12356")):
        html = _result_html(client, flagged[flag])
        assert number in html[html.index('id="wizard-step"') : _debt_advice_at(html)]


def test_a_reader_without_court_papers_is_not_told_to_check_them(client):
    tree = load_tree().tree
    route = next(
        r
        for r in routes_by_outcome(tree, rule_tokens())
        if not any(
            tree.question(k).choice(c).flags & {"court", "danger", "crisis"}
            for k, cs in r
            for c in cs
        )
    )
    html = _result_html(client, route)
    assert "Court papers: check them" not in html
    assert "After a judgment" not in html


def test_a_reader_with_a_judgment_is_not_shown_the_defence_deadline(client):
    tree = load_tree().tree
    route = next(
        r for r in routes_by_outcome(tree, rule_tokens()) if ("court-type", ("judgment",)) in r
    )
    html = _result_html(client, route)
    assert "After a judgment: know what enforcement means" in html
    assert "Court papers: check them and note the deadlines" not in html


def test_a_step_rule_naming_an_unknown_answer_is_refused():
    tree = load_tree().tree
    step = PathStep(show_when="court no-such-flag court-type=nope nope=x", hide_when="")
    errors = step.rule_errors(tree)
    assert set(errors) == {"show_when"}
    for bad in ("no-such-flag", "court-type=nope", "nope=x"):
        assert bad in errors["show_when"]
    assert "court," not in errors["show_when"]
    assert PathStep(show_when="court coping=stressed").rule_errors(tree) == {}


@pytest.mark.parametrize(
    ("question_key", "choice_key", "expected"),
    [
        ("overdue", "not-mine", ['data-notice="not-mine"', "raise a dispute", "within 20 days"]),
        ("offers", "paid-agent", ['data-notice="agent-paid"', "Change the passwords"]),
        ("collector", "scam-link", ['data-notice="scam"', "verification code"]),
        ("debts", "high-interest", ['data-notice="high-interest"', "tel:12348"]),
        ("contact", "never", ["You have not been in touch with the lender yet"]),
        ("contact", "plan-broke", ["Your agreed plan has broken down"]),
        ("lender", "bank", ["This credit comes from a bank"]),
        ("safety", "threat-publish", ["Threatening to publish your photo"]),
    ],
)
def test_each_situation_the_wizard_now_knows_leads_to_its_own_advice(
    client, question_key, choice_key, expected
):
    tree = load_tree().tree
    route = calm_route_with(tree, **{question_key: choice_key})
    assert (question_key, (choice_key,)) in route
    html = _result_html(client, route)
    for text in expected:
        assert text in html, text


def test_a_reader_whose_debt_is_not_theirs_is_not_asked_what_they_can_pay(client):
    tree = load_tree().tree
    asked = [key for key, _ in calm_route_with(tree, overdue="not-mine")]
    assert "pay" not in asked and "income" not in asked


def test_a_reader_harassed_at_night_is_offered_the_log_and_the_complaint_flow(client):
    tree = load_tree().tree
    calm = _result_html(client, calm_route_with(tree, collector="official-only", safety="no"))
    assert 'class="complaint-flow"' not in calm
    html = _result_html(client, calm_route_with(tree, collector="night-calls", safety="no"))
    flow = html[html.index('class="complaint-flow"') :]
    assert 'href="/en/log/"' in flow.split("</p>")[0]
    assert 'href="/en/complaint/"' in flow.split("</p>")[0]


def test_a_reader_whose_debt_is_not_theirs_is_not_told_to_budget_or_offer_a_plan(client):
    tree = load_tree().tree
    route = calm_route_with(tree, overdue="not-mine", collector="official-only", safety="no")
    html = _result_html(client, route)
    assert 'data-notice="not-mine"' in html
    assert html.index('data-notice="not-mine"') < html.index('data-path="')
    assert 'data-path="communicate"' in html  # shown, but without the repayment steps
    repayment = ("Work out what you can really pay", "Offer a plan you can keep")
    for title in (*repayment, "Pay only on the official page", "Consider mediation"):
        assert f"<strong>{title}" not in html, title
