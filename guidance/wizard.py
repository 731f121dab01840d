"""The wizard's tree as stored in the database, and a reader's answers as encrypted state.

The built tree is kept per process for each content version (see versioned.py).
"""

from __future__ import annotations

import base64
import functools
import json
import zlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db.models import Prefetch

from . import tree as engine
from .models import Choice, ContentVersion, Notice, PathPage, PathStep, Question, Topic
from .versioned import per_content_version

STATE_SALT = "guidance.wizard.state"


@dataclass(frozen=True)
class LoadedTree:
    tree: engine.Tree
    questions: dict[str, Question]  # with their choices prefetched, for the texts
    choices: dict[tuple[str, str], Choice]  # (question key, choice key) -> the choice's texts
    left: dict[str, int]  # the most questions still to come from each question
    version: str  # the content version it was built from


def question_data(question: Question, choices) -> dict:
    """A question and its choices as `engine.build_tree` reads them."""
    return {
        "key": question.key,
        "kind": question.kind,
        "next": question.next_key,
        "choices": [
            {
                "key": c.key,
                "next": c.next_key,
                "weights": {path: getattr(c, f"weight_{path}") for path in engine.PATHS},
                "flags": c.flag_list,
                "exclusive": c.exclusive,
            }
            for c in choices
        ],
    }


def tree_data(questions) -> dict:
    return {
        "start": questions[0].key if questions else "",
        "questions": [question_data(q, q.choices.all()) for q in questions],
    }


def _build_tree(version: str) -> LoadedTree:
    questions = list(Question.objects.prefetch_related("choices"))
    tree = engine.build_tree(tree_data(questions))
    return LoadedTree(
        tree=tree,
        questions={q.key: q for q in questions},
        choices={(q.key, c.key): c for q in questions for c in q.choices.all()},
        left=engine.questions_left(tree),
        version=version,
    )


def load_tree() -> LoadedTree:
    version = ContentVersion.current()
    return per_content_version("tree", lambda: _build_tree(version), version)


@dataclass(frozen=True)
class ResultTexts:
    paths: dict[str, PathPage]  # with steps and related topics prefetched
    notices: dict[str, Notice]


def _build_result_texts() -> ResultTexts:
    pages = PathPage.objects.prefetch_related(
        "steps",
        Prefetch("related_topics", queryset=Topic.objects.published().select_related("section")),
    )
    return ResultTexts(
        paths={p.key: p for p in pages},
        notices={n.key: n for n in Notice.objects.all()},
    )


def load_result_texts(version: str | None = None) -> ResultTexts:
    return per_content_version("result-texts", _build_result_texts, version)


# --- The reader's answers, kept only in their browser ------------------------------------------


# Encrypted, not only signed: answers such as "I have thought of harming myself" must not be
# readable by someone else who picks up the phone and decodes the cookie.


@functools.cache
def _cipher(secrets: tuple[str, ...]) -> MultiFernet:
    """Keys derived from SECRET_KEY (which encrypts) and its fallbacks (which still decrypt)."""

    def fernet(secret: str) -> Fernet:
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=STATE_SALT.encode())
        return Fernet(base64.urlsafe_b64encode(kdf.derive(secret.encode())))

    return MultiFernet([fernet(secret) for secret in secrets])


def state_cipher() -> MultiFernet:
    return _cipher((settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS))


def seal(data) -> str:
    """Any JSON value as a cookie-safe token that only this site can read."""
    plain = zlib.compress(json.dumps(data, separators=(",", ":")).encode())
    return state_cipher().encrypt(plain).decode("ascii")


def unseal(raw: str):
    """The value `seal` made, if it is genuine and younger than WIZARD_COOKIE_MAX_AGE."""
    try:
        plain = state_cipher().decrypt(raw.encode(), ttl=settings.WIZARD_COOKIE_MAX_AGE)
    except InvalidToken as error:  # also a token past its age
        raise StateProblem("signature") from error
    try:
        return json.loads(zlib.decompress(plain))
    except (zlib.error, ValueError) as error:
        raise StateProblem("shape") from error


def dump_state(tree: engine.Tree, answers: dict[str, tuple[str, ...]]) -> str:
    return seal({"v": tree.digest, "a": [[k, list(v)] for k, v in answers.items()]})


class StateProblem(ValueError):
    """The saved answers cannot be used: tampered with, expired, or made with another tree."""


def load_state(tree: engine.Tree, raw: str | None) -> dict[str, tuple[str, ...]]:
    if not raw:
        return {}
    data = unseal(raw)
    if not isinstance(data, dict) or data.get("v") != tree.digest:
        raise StateProblem("stale")
    answers = data.get("a")
    if not isinstance(answers, list):
        raise StateProblem("shape")
    state: dict[str, tuple[str, ...]] = {}
    for item in answers:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not isinstance(item[1], list)
            or not all(isinstance(c, str) for c in item[1])
        ):
            raise StateProblem("shape")
        state[item[0]] = tuple(item[1])
    return state


# --- The result: what to do first, and why ------------------------------------------------------


# Answers that call for a record of the collector's conduct and a complaint built from it.
COMPLAINT_FACTS = frozenset(
    {
        "collector=night-calls",
        "collector=many-calls",
        "collector=third-party",
        "collector=abuse",
        "collector=impersonation",
        "collector=public-posting",
        "safety=threat",
        "safety=door",
        "safety=threat-publish",
    }
)


@dataclass(frozen=True)
class PlannedStep:
    step: PathStep
    because: tuple[Choice, ...]  # the answers that made a conditional step apply


def planned_steps(loaded: LoadedTree, page: PathPage, facts: frozenset[str]) -> list[PlannedStep]:
    """The steps of a path page that apply to a reader with these facts, in the page's order."""
    planned = []
    for step in page.steps.all():
        if not engine.step_applies(step.show_tokens, step.hide_tokens, facts):
            continue
        because = []
        for token in step.show_tokens:
            if token not in facts:
                continue
            if "=" in token:  # an answer
                because.append(loaded.choices[tuple(token.split("=", 1))])
            else:  # a flag: the answers that raised it
                because.extend(
                    loaded.choices[key, choice]
                    for key, choice in (f.split("=", 1) for f in sorted(facts) if "=" in f)
                    if token in loaded.tree.question(key).choice(choice).flags
                )
        planned.append(PlannedStep(step, tuple(dict.fromkeys(because))))
    return planned


def result_plan(loaded: LoadedTree, texts: ResultTexts, answers: dict, route: engine.Walk) -> dict:
    """Everything the result page shows, from the reader's finished answers."""
    recommendation = engine.recommend(loaded.tree, answers)
    facts = engine.route_facts(loaded.tree, route)
    summary = [
        {"question": loaded.questions[key], "choices": [loaded.choices[key, c] for c in chosen]}
        for key, chosen in route.answered
    ]
    paths = []
    for score in recommendation.recommended:
        page = texts.paths.get(score.path)
        reasons = []
        for reason in score.reasons:
            choice = loaded.choices[reason.question, reason.choice]
            if choice.reason:
                reasons.append({"text": choice.reason, "question": reason.question})
        paths.append(
            {
                "key": score.path,
                "page": page,
                "reasons": reasons,
                "steps": planned_steps(loaded, page, facts) if page else [],
                "topics": list(page.related_topics.all())[:4] if page else [],
            }
        )
    notices = [texts.notices[k] for k in recommendation.notices if k in texts.notices]
    return {
        "paths": paths,
        "notices": notices,
        "summary": summary,
        "offer_complaint": bool(facts & COMPLAINT_FACTS),
    }
