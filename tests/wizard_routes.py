"""Routes through the shipped wizard for tests that need one without emergency answers."""

from __future__ import annotations

from guidance import tree as engine


def calm_choice(question: engine.Question) -> str:
    """A choice of `question` that raises no emergency, so the next page is the next question."""
    return next(c.key for c in question.choices if not question.emergency_flags([c.key]))


def calm_route(tree: engine.Tree, **chosen: str) -> tuple[engine.Answer, ...]:
    """A finished route answering each question calmly, or as `chosen` says (key=choice)."""
    answers: dict[str, tuple[str, ...]] = {}
    while (pending := engine.walk(tree, answers).pending) is not None:
        question = tree.question(pending)
        answers[pending] = (chosen.get(pending) or calm_choice(question),)
    return engine.walk(tree, answers).answered
