"""The wizard's decision tree: pure Python, no Django.

`build_tree(data)` turns plain data (as stored in the database or in content/wizard.toml) into an
immutable `Tree`. `walk(tree, answers)` follows a person's answers, `recommend(tree, answers)` ranks
the three paths with the answers that raised each, and `validate(tree)` lists everything that would
strand or mislead a reader.

Routing: a single-choice question goes where the chosen choice points. A multi-choice question goes
where the first selected choice (in display order) with a non-empty `next` points, or else to the
question's own `next`. An empty `next` means "the questions are over: show the result".
"""

from __future__ import annotations

import graphlib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

PATHS = ("communicate", "rights", "professional")
MAX_ROUTE_LENGTH = 12
# Urgent notices are shown in this order, before any other flag, whatever order they were raised in.
NOTICE_PRIORITY = ("danger", "crisis", "scam", "court")
# A reader who raised one of these is sent to emergency help before the next question.
EMERGENCY_FLAGS = ("danger", "crisis")
# The path that comes first whatever the weights say, for the most urgent flag raised: someone in
# danger needs the police and their rights, someone in crisis or in court needs help from a person.
FIRST_PATH_FOR_FLAG = {"danger": "rights", "crisis": "professional", "court": "professional"}
END = ""

Answer = tuple[str, tuple[str, ...]]  # (question key, chosen choice keys)


def _first_by_key(items) -> Mapping:
    """Each key's first item: a key used twice is a problem `validate` reports."""
    index = {}
    for item in items:
        index.setdefault(item.key, item)
    return MappingProxyType(index)


@dataclass(frozen=True)
class Choice:
    key: str
    next: str = END
    weights: tuple[int, int, int] = (0, 0, 0)  # in the order of PATHS
    flags: frozenset[str] = frozenset()
    exclusive: bool = False

    def weight(self, path: str) -> int:
        return self.weights[PATHS.index(path)]


@dataclass(frozen=True)
class Question:
    key: str
    choices: tuple[Choice, ...]
    multi: bool = False
    next: str = END
    _by_key: Mapping[str, Choice] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_key", _first_by_key(self.choices))

    def choice(self, key: str) -> Choice | None:
        return self._by_key.get(key)

    def next_after(self, chosen: Sequence[str]) -> str:
        """Where the reader goes after choosing `chosen` (assumed valid)."""
        selected = set(chosen)
        for choice in self.choices:
            if choice.key in selected and (not self.multi or choice.next):
                return choice.next
        return self.next

    def exits(self) -> set[str]:
        """Every place this question can lead to (END included)."""
        targets = {choice.next for choice in self.choices}
        if self.multi and any(not choice.next for choice in self.choices):
            targets.discard(END)
            targets.add(self.next)
        return targets

    def emergency_flags(self, chosen: Sequence[str]) -> tuple[str, ...]:
        """The emergency flags this answer raises, most urgent first."""
        raised = {flag for key in chosen if (c := self.choice(key)) for flag in c.flags}
        return tuple(flag for flag in EMERGENCY_FLAGS if flag in raised)

    def check_answer(self, chosen: Sequence[str]) -> str | None:
        """Return why `chosen` is not a valid answer to this question, or None if it is."""
        if not chosen:
            return "empty"
        if len(set(chosen)) != len(chosen):
            return "repeated"
        if any(self.choice(key) is None for key in chosen):
            return "unknown"
        if not self.multi and len(chosen) != 1:
            return "several"
        if len(chosen) > 1 and any(self.choice(key).exclusive for key in chosen):
            return "exclusive"
        return None


@dataclass(frozen=True)
class Tree:
    start: str
    questions: tuple[Question, ...]
    digest: str = ""
    _by_key: Mapping[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_key", _first_by_key(self.questions))

    def question(self, key: str) -> Question | None:
        return self._by_key.get(key)


def build_tree(data: Mapping) -> Tree:
    """Build a Tree from plain data: {"start": key, "questions": [{"key", "kind", "next",
    "choices": [{"key", "next", "weights": {path: int}, "flags": [...], "exclusive"}]}]}."""
    questions = tuple(
        Question(
            key=str(q["key"]),
            multi=q.get("kind", "single") == "multi",
            next=str(q.get("next") or END),
            choices=tuple(
                Choice(
                    key=str(c["key"]),
                    next=str(c.get("next") or END),
                    weights=tuple(int(c.get("weights", {}).get(p, 0)) for p in PATHS),
                    flags=frozenset(c.get("flags", ())),
                    exclusive=bool(c.get("exclusive", False)),
                )
                for c in q.get("choices", ())
            ),
        )
        for q in data.get("questions", ())
    )
    start = str(data.get("start") or (questions[0].key if questions else ""))
    return Tree(start=start, questions=questions, digest=structure_digest(start, questions))


def structure_digest(start: str, questions: Iterable[Question]) -> str:
    """A short fingerprint of the routing and scoring, stamped on a reader's saved answers."""
    shape = [
        start,
        [
            [
                q.key,
                q.multi,
                q.next,
                [[c.key, c.next, c.weights, sorted(c.flags), c.exclusive] for c in q.choices],
            ]
            for q in questions
        ],
    ]
    return hashlib.sha256(json.dumps(shape, separators=(",", ":")).encode()).hexdigest()[:16]


# --- Walking ------------------------------------------------------------------------------------


class InvalidAnswers(ValueError):
    """The answers do not fit the tree (tampered, stale or out of order)."""


@dataclass(frozen=True)
class Walk:
    answered: tuple[Answer, ...]  # the answers on the reader's route, in route order
    pending: str | None  # the next question to ask, or None when the route is complete
    refused: str | None = None  # pending again because its saved answer does not fit it

    @property
    def complete(self) -> bool:
        return self.pending is None

    @property
    def asked(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.answered)


def walk(tree: Tree, answers: Mapping[str, Sequence[str]]) -> Walk:
    """Follow the route the answers take from the start.

    Answers to questions that are no longer on the route (because an earlier answer changed) are
    ignored. An answer that does not fit its question (crafted, or saved before the question
    changed) stops the walk there: that question is pending again and `refused`, so the reader is
    asked it once more instead of losing every answer. A route the tree cannot take raises
    InvalidAnswers.
    """
    answered: list[Answer] = []
    key = tree.start
    seen: set[str] = set()
    while key != END:
        question = tree.question(key)
        if question is None or key in seen or len(seen) >= MAX_ROUTE_LENGTH * 4:
            raise InvalidAnswers(f"the route reaches an unusable question {key!r}")
        seen.add(key)
        if key not in answers:
            return Walk(tuple(answered), key)
        chosen = tuple(answers[key])
        if question.check_answer(chosen):
            return Walk(tuple(answered), key, refused=key)
        answered.append((key, chosen))
        key = question.next_after(chosen)
    return Walk(tuple(answered), None)


# --- Recommending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    question: str
    choice: str
    weight: int


@dataclass(frozen=True)
class PathScore:
    path: str
    score: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Recommendation:
    ranked: tuple[PathScore, ...]  # all three paths, best first
    notices: tuple[str, ...]  # flags raised, most urgent first

    @property
    def primary(self) -> str:
        return self.ranked[0].path

    @property
    def recommended(self) -> tuple[PathScore, ...]:
        """The paths worth showing: the primary one, and any other the answers point to."""
        return tuple(p for i, p in enumerate(self.ranked) if i == 0 or p.score > 0)


def rank(scores: Sequence[int], flags: Iterable[str] = ()) -> tuple[str, ...]:
    """Paths by score, highest first; ties keep the order of PATHS. The most urgent flag raised
    (in NOTICE_PRIORITY order) puts its path first whatever the scores."""
    by_score = sorted(PATHS, key=lambda p: (-scores[PATHS.index(p)], PATHS.index(p)))
    raised = set(flags)
    urgent = [f for f in NOTICE_PRIORITY if f in FIRST_PATH_FOR_FLAG and f in raised]
    if not urgent:
        return tuple(by_score)
    first = FIRST_PATH_FOR_FLAG[urgent[0]]
    return (first, *(p for p in by_score if p != first))


def recommend(tree: Tree, answers: Mapping[str, Sequence[str]]) -> Recommendation:
    route = walk(tree, answers)
    if not route.complete:
        raise InvalidAnswers("the questions are not finished yet")
    scores = [0, 0, 0]
    reasons: dict[str, list[Reason]] = {p: [] for p in PATHS}
    flags: list[str] = []
    for question_key, chosen in route.answered:
        question = tree.question(question_key)
        for choice_key in chosen:
            choice = question.choice(choice_key)
            for i, path in enumerate(PATHS):
                if choice.weights[i] > 0:
                    scores[i] += choice.weights[i]
                    reasons[path].append(Reason(question_key, choice_key, choice.weights[i]))
            flags.extend(f for f in sorted(choice.flags) if f not in flags)
    notices = tuple(f for f in NOTICE_PRIORITY if f in flags) + tuple(
        f for f in flags if f not in NOTICE_PRIORITY
    )
    ranked = tuple(
        PathScore(
            path,
            scores[PATHS.index(path)],
            tuple(sorted(reasons[path], key=lambda r: -r.weight)),
        )
        for path in rank(scores, flags)
    )
    return Recommendation(ranked, notices)


def emergency_flags_raised(tree: Tree, route: Walk) -> tuple[str, ...]:
    """The emergency flags the answers on the route raise, most urgent first."""
    raised = {
        f for key, chosen in route.answered for f in tree.question(key).emergency_flags(chosen)
    }
    return tuple(flag for flag in EMERGENCY_FLAGS if flag in raised)


# --- Which steps of a path apply to a reader -----------------------------------------------------
#
# A step may name the answers or flags that make it apply ("show when") and those that rule it out
# ("hide when"): each is a list of tokens, either a flag ("court") or "question=choice"
# ("court-type=judgment"). A step with no "show when" applies to everyone it does not rule out.


def parse_rule(text: str) -> tuple[str, ...]:
    return tuple(token for token in text.replace(",", " ").split() if token)


def route_facts(tree: Tree, route: Walk) -> frozenset[str]:
    """What a rule can test: each answer on the route as "question=choice", and each flag raised."""
    facts: set[str] = set()
    for key, chosen in route.answered:
        question = tree.question(key)
        for choice_key in chosen:
            facts.add(f"{key}={choice_key}")
            facts.update(question.choice(choice_key).flags)
    return frozenset(facts)


def step_applies(show_when: Sequence[str], hide_when: Sequence[str], facts: frozenset[str]) -> bool:
    if any(token in facts for token in hide_when):
        return False
    return not show_when or any(token in facts for token in show_when)


def rule_problems(tree: Tree, tokens: Sequence[str]) -> list[str]:
    """The tokens of a rule that name no question, choice or flag of the tree."""
    flags = {flag for q in tree.questions for c in q.choices for flag in c.flags}
    problems = []
    for token in tokens:
        if "=" in token:
            question_key, _, choice_key = token.partition("=")
            question = tree.question(question_key)
            if question is None:
                problems.append(f"unknown-question: {token}")
            elif question.choice(choice_key) is None:
                problems.append(f"unknown-choice: {token}")
        elif token not in flags:
            problems.append(f"unknown-flag: {token}")
    return problems


# --- Validating ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str
    question: str = ""
    choice: str = ""
    detail: str = ""

    def __str__(self) -> str:
        where = self.question + (f".{self.choice}" if self.choice else "")
        return f"{self.code}: {where} {self.detail}".strip()


def validate(tree: Tree) -> list[Problem]:
    """Everything wrong with the tree, in plain codes; an empty list means it is sound."""
    problems: list[Problem] = []
    if not tree.questions:
        return [Problem("empty")]

    seen: set[str] = set()
    for question in tree.questions:
        if question.key in seen:
            problems.append(Problem("duplicate-question", question.key))
        seen.add(question.key)
        choice_keys: set[str] = set()
        for choice in question.choices:
            if choice.key in choice_keys:
                problems.append(Problem("duplicate-choice", question.key, choice.key))
            choice_keys.add(choice.key)
            if choice.next and tree.question(choice.next) is None:
                problems.append(Problem("missing-target", question.key, choice.key, choice.next))
        if not question.choices:
            problems.append(Problem("no-choices", question.key))
        if question.multi and question.next and tree.question(question.next) is None:
            problems.append(Problem("missing-target", question.key, "", question.next))

    if tree.question(tree.start) is None:
        problems.append(Problem("missing-start", tree.start))
        return problems

    reachable = _reachable(tree)
    for question in tree.questions:
        if question.key not in reachable:
            problems.append(Problem("unreachable", question.key))

    cycle = _find_cycle(tree)
    if cycle:
        problems.append(Problem("cycle", cycle[0], detail=" → ".join(cycle)))
        return problems

    longest = questions_left(tree)[tree.start]  # the questions on the longest route
    if longest > MAX_ROUTE_LENGTH:
        problems.append(Problem("too-long", tree.start, detail=str(longest)))

    if not any(p.code in {"missing-target", "no-choices"} for p in problems):
        for path in PATHS:
            if not _can_be_primary(tree, path):
                problems.append(Problem("never-primary", detail=path))
    return problems


def _edges(question: Question) -> set[str]:
    return {target for target in question.exits() if target != END}


def _reachable(tree: Tree) -> set[str]:
    found, stack = set(), [tree.start]
    while stack:
        key = stack.pop()
        question = tree.question(key)
        if key in found or question is None:
            continue
        found.add(key)
        stack.extend(_edges(question))
    return found


def _find_cycle(tree: Tree) -> list[str]:
    """Return one cycle as a list of keys (first repeated at the end), or [] if there is none."""
    # graphlib reads the keys' lists as predecessors, so its cycle runs against the routing.
    follows = {
        q.key: sorted(t for t in _edges(tree.question(q.key)) if tree.question(t))
        for q in tree.questions
    }
    try:
        graphlib.TopologicalSorter(follows).prepare()
    except graphlib.CycleError as error:
        return error.args[1][::-1]
    return []


def _advantage(choice: Choice, path: str) -> int:
    """How much a choice favours `path` over the strongest other path."""
    index = PATHS.index(path)
    return choice.weights[index] - max(w for i, w in enumerate(choice.weights) if i != index)


def candidate_answers(question: Question) -> list[tuple[str, ...]]:
    """The answers worth trying for this question when searching routes: each choice alone and,
    for a multi-choice question, for each path every non-exclusive choice that leans towards it."""
    candidates = [(choice.key,) for choice in question.choices]
    if question.multi:
        for path in PATHS:
            leaning = tuple(
                c.key for c in question.choices if not c.exclusive and _advantage(c, path) > 0
            )
            if len(leaning) > 1 and leaning not in candidates:
                candidates.append(leaning)
    return candidates


def _can_be_primary(tree: Tree, path: str) -> bool:
    """Whether some route ranks `path` first (searching the candidate answers of each question),
    counting the flags that put a path first whatever the scores."""
    seen: set[tuple[str, tuple[int, ...], frozenset[str]]] = set()

    def gain(question: Question, answer: tuple[str, ...]) -> int:
        return sum(_advantage(question.choice(key), path) for key in answer)

    def search(key: str, scores: tuple[int, ...], flags: frozenset[str]) -> bool:
        if key == END:
            return rank(scores, flags)[0] == path
        if (key, scores, flags) in seen:
            return False
        seen.add((key, scores, flags))
        question = tree.question(key)
        answers = sorted(candidate_answers(question), key=lambda a: gain(question, a), reverse=True)
        for answer in answers:
            choices = [question.choice(k) for k in answer]
            new_scores = tuple(s + sum(c.weights[i] for c in choices) for i, s in enumerate(scores))
            raised = flags.union(*(c.flags & FIRST_PATH_FOR_FLAG.keys() for c in choices))
            if search(question.next_after(answer), new_scores, raised):
                return True
        return False

    return search(tree.start, (0, 0, 0), frozenset())


def count_routes(tree: Tree) -> int:
    """How many routes a reader can take, trying the candidate answers of each question (the
    tree must be valid): each choice alone and, in a multi-choice question, the combinations
    `candidate_answers` gives."""
    memo: dict[str, int] = {END: 1}

    def count(key: str) -> int:
        if key not in memo:
            question = tree.question(key)
            memo[key] = sum(count(question.next_after(a)) for a in candidate_answers(question))
        return memo[key]

    return count(tree.start)


def questions_left(tree: Tree) -> dict[str, int]:
    """For every question, the most questions a reader there may still be asked (itself
    included). Computed once per tree; a loop counts as ending, so a broken tree still answers."""
    memo: dict[str, int] = {}
    visiting: set[str] = set()

    def length(key: str) -> int:
        if key == END or key in visiting or tree.question(key) is None:
            return 0
        if key not in memo:
            visiting.add(key)
            memo[key] = 1 + max((length(t) for t in tree.question(key).exits()), default=0)
            visiting.discard(key)
        return memo[key]

    for question in tree.questions:
        length(question.key)
    return memo
