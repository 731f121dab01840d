"""Routes through a wizard tree for the tests: every route, one route per outcome, and calm
routes (without emergency answers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

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


def routes(tree: engine.Tree) -> Iterator[tuple[engine.Answer, ...]]:
    """Every route through a valid tree, trying the candidate answers of each question."""

    def extend(key: str, taken: tuple[engine.Answer, ...]) -> Iterator[tuple[engine.Answer, ...]]:
        if key == engine.END:
            yield taken
            return
        question = tree.question(key)
        for answer in engine.candidate_answers(question):
            yield from extend(question.next_after(answer), (*taken, (key, answer)))

    yield from extend(tree.start, ())


def routes_by_outcome(
    tree: engine.Tree, relevant: Iterable[str] = ()
) -> Iterator[tuple[engine.Answer, ...]]:
    """One route for each distinct outcome: the same next question, scores, flags and `relevant`
    facts ("question=choice" tokens that rules test) lead to the same result, so only the first
    route reaching each such state is followed. Far fewer than every route, and covering every
    result a reader can see."""
    relevant = frozenset(relevant)
    seen: set = set()

    def extend(key, taken, scores, facts):
        state = (key, scores, facts)
        if state in seen:
            return
        seen.add(state)
        if key == engine.END:
            yield taken
            return
        question = tree.question(key)
        for answer in engine.candidate_answers(question):
            choices = [question.choice(k) for k in answer]
            new_scores = tuple(s + sum(c.weights[i] for c in choices) for i, s in enumerate(scores))
            new_facts = (
                facts
                | {f for c in choices for f in c.flags}
                | {f"{key}={k}" for k in answer if f"{key}={k}" in relevant}
            )
            yield from extend(
                question.next_after(answer), (*taken, (key, answer)), new_scores, new_facts
            )

    yield from extend(tree.start, (), (0, 0, 0), frozenset())
