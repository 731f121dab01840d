"""The wizard engine on its own: plain data in, routes and recommendations out."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidance import tree as engine
from tests.wizard_routes import routes


def tiny_tree(**overrides):
    data = {
        "start": "owe",
        "questions": [
            {
                "key": "owe",
                "choices": [
                    {"key": "some", "next": "calls", "weights": {"communicate": 3}},
                    {"key": "sued", "next": "", "weights": {"professional": 5}, "flags": ["court"]},
                ],
            },
            {
                "key": "calls",
                "kind": "multi",
                "next": "",
                "choices": [
                    {"key": "family", "weights": {"rights": 2}},
                    {"key": "threats", "weights": {"rights": 3}, "flags": ["danger"]},
                    {"key": "none", "exclusive": True},
                ],
            },
        ],
    }
    data.update(overrides)
    return engine.build_tree(data)


def test_walk_stops_at_the_first_unanswered_question():
    tree = tiny_tree()
    assert engine.walk(tree, {}).pending == "owe"
    route = engine.walk(tree, {"owe": ["some"]})
    assert route.pending == "calls"
    assert route.asked == ("owe",)


def test_walk_ignores_answers_that_left_the_route():
    tree = tiny_tree()
    route = engine.walk(tree, {"owe": ["sued"], "calls": ["family"]})
    assert route.complete
    assert route.asked == ("owe",)


@pytest.mark.parametrize(
    "answers",
    [
        {"owe": ["nonsense"]},
        {"owe": []},
        {"owe": ["some", "sued"]},
        {"owe": ["some"], "calls": ["none", "family"]},
        {"owe": ["some"], "calls": ["family", "family"]},
    ],
)
def test_walk_asks_again_an_answer_that_does_not_fit(answers):
    route = engine.walk(tiny_tree(), answers)
    refused = "calls" if "calls" in answers else "owe"
    assert route.refused == route.pending == refused
    assert route.asked == (() if refused == "owe" else ("owe",))


def test_recommend_ranks_paths_and_gives_reasons_and_notices():
    tree = tiny_tree()
    result = engine.recommend(tree, {"owe": ["some"], "calls": ["family", "threats"]})
    assert [p.path for p in result.ranked] == ["rights", "communicate", "professional"]
    assert result.ranked[0].score == 5
    assert [(r.question, r.choice) for r in result.ranked[0].reasons] == [
        ("calls", "threats"),
        ("calls", "family"),
    ]
    assert result.notices == ("danger",)
    assert [p.path for p in result.recommended] == ["rights", "communicate"]


def test_recommend_puts_danger_before_other_notices():
    tree = engine.build_tree(
        {
            "questions": [
                {"key": "a", "choices": [{"key": "x", "next": "b", "flags": ["court", "scam"]}]},
                {
                    "key": "b",
                    "choices": [{"key": "y", "flags": ["danger"], "weights": {"rights": 1}}],
                },
            ]
        }
    )
    assert engine.recommend(tree, {"a": ["x"], "b": ["y"]}).notices == ("danger", "scam", "court")


def test_recommend_refuses_an_unfinished_route():
    with pytest.raises(engine.InvalidAnswers):
        engine.recommend(tiny_tree(), {"owe": ["some"]})


def test_a_sound_tree_has_no_problems():
    assert engine.validate(tiny_tree()) == []


def codes(tree):
    return {p.code for p in engine.validate(tree)}


def test_validate_finds_a_target_that_does_not_exist():
    tree = engine.build_tree(
        {"questions": [{"key": "a", "choices": [{"key": "x", "next": "nowhere"}]}]}
    )
    problems = engine.validate(tree)
    assert problems[0] == engine.Problem("missing-target", "a", "x", "nowhere")


def test_validate_finds_cycles_unreachable_questions_and_duplicates():
    tree = engine.build_tree(
        {
            "questions": [
                {"key": "a", "choices": [{"key": "x", "next": "b"}, {"key": "x", "next": ""}]},
                {"key": "b", "choices": [{"key": "y", "next": "a"}]},
                {"key": "lost", "choices": [{"key": "z"}]},
                {"key": "lost", "choices": [{"key": "z"}]},
            ]
        }
    )
    assert {"cycle", "unreachable", "duplicate-question", "duplicate-choice"} <= codes(tree)


def test_validate_finds_a_question_without_choices_and_an_empty_tree():
    assert "no-choices" in codes(engine.build_tree({"questions": [{"key": "a"}]}))
    assert codes(engine.build_tree({})) == {"empty"}


def test_validate_finds_routes_longer_than_twelve_questions():
    chain = [
        {
            "key": f"q{i}",
            "choices": [
                {
                    "key": "go",
                    "next": f"q{i + 1}" if i < 12 else "",
                    "weights": dict.fromkeys(engine.PATHS, 1),
                }
            ],
        }
        for i in range(13)
    ]
    assert "too-long" in codes(engine.build_tree({"questions": chain}))
    assert "too-long" not in codes(engine.build_tree({"questions": chain[1:]}))


def test_validate_finds_a_path_that_is_never_first():
    tree = engine.build_tree(
        {
            "questions": [
                {
                    "key": "a",
                    "choices": [
                        {"key": "x", "weights": {"communicate": 2, "rights": 1}},
                        {"key": "y", "weights": {"rights": 3, "professional": 1}},
                    ],
                }
            ]
        }
    )
    problems = engine.validate(tree)
    assert [p.detail for p in problems if p.code == "never-primary"] == ["professional"]


def test_digest_changes_with_routing_not_with_order_of_building():
    assert tiny_tree().digest == tiny_tree().digest
    changed = tiny_tree(start="calls")
    assert changed.digest != tiny_tree().digest


# --- Property-based: random trees and random answers --------------------------------------------

KEYS = [f"q{i}" for i in range(7)]


@st.composite
def random_trees(draw):
    count = draw(st.integers(min_value=1, max_value=7))
    keys = KEYS[:count]
    questions = []
    for key in keys:
        n = draw(st.integers(min_value=0, max_value=4))
        choices = [
            {
                "key": f"c{j}",
                "next": draw(st.sampled_from([*keys, "", "missing"])),
                "weights": {p: draw(st.integers(0, 5)) for p in engine.PATHS},
                "flags": draw(st.lists(st.sampled_from(["danger", "scam", "court"]), max_size=2)),
                "exclusive": draw(st.booleans()),
            }
            for j in range(n)
        ]
        questions.append(
            {
                "key": key,
                "kind": draw(st.sampled_from(["single", "multi"])),
                "next": draw(st.sampled_from([*keys, ""])),
                "choices": choices,
            }
        )
    return engine.build_tree({"start": keys[0], "questions": questions})


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(random_trees(), st.data())
def test_every_answer_sequence_through_a_valid_tree_ends_in_a_recommendation(tree, data):
    problems = engine.validate(tree)  # must never raise, whatever the tree
    if problems:
        return
    answers: dict[str, tuple[str, ...]] = {}
    for _ in range(engine.MAX_ROUTE_LENGTH + 1):
        route = engine.walk(tree, answers)
        if route.complete:
            break
        question = tree.question(route.pending)
        normal = [c.key for c in question.choices if not c.exclusive]
        if question.multi and normal:
            chosen = data.draw(st.lists(st.sampled_from(normal), min_size=1, unique=True))
        else:
            chosen = [data.draw(st.sampled_from([c.key for c in question.choices]))]
        answers[route.pending] = tuple(chosen)
    route = engine.walk(tree, answers)
    assert route.complete
    assert len(route.answered) <= engine.MAX_ROUTE_LENGTH
    result = engine.recommend(tree, answers)
    assert sorted(p.path for p in result.ranked) == sorted(engine.PATHS)
    assert result.ranked[0].score >= result.ranked[-1].score


@settings(max_examples=200, deadline=None)
@given(random_trees())
def test_validator_claims_hold_for_every_route(tree):
    if engine.validate(tree):
        return
    primaries, walked = set(), 0
    for route in routes(tree):
        walked += 1
        assert len(route) <= engine.MAX_ROUTE_LENGTH
        primaries.add(engine.recommend(tree, dict(route)).primary)
    assert primaries == set(engine.PATHS)
    assert walked == engine.count_routes(tree)


@settings(max_examples=300, deadline=None)
@given(
    random_trees(),
    st.dictionaries(
        st.sampled_from([*KEYS, "zz"]),
        st.lists(st.sampled_from(["c0", "c1", "c2", "c3", "x", ""]), max_size=3),
    ),
)
def test_walking_random_answers_either_works_or_says_they_do_not_fit(tree, answers):
    with contextlib.suppress(engine.InvalidAnswers):
        route = engine.walk(tree, answers)
        assert route.refused in (None, route.pending)
        assert not any(tree.question(key).check_answer(chosen) for key, chosen in route.answered)
