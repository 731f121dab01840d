"""The wizard: one question per screen, answers kept only in a signed cookie in the browser.

Without JavaScript every step is a plain form: POST, then redirect, then GET. With htmx the same
views return just the step (the template partial) and push the step's URL.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from .. import tree as engine
from ..rendered import render_kept
from ..wizard import (
    LoadedTree,
    StateProblem,
    dump_state,
    load_result_texts,
    load_state,
    load_tree,
)


def _note_text(code: str | None) -> str:
    return {
        "invalid": _(
            "我们没能读懂保存的回答（可能已过期，或问题已经更新），所以从头开始。"
            "你的回答没有保存在我们这里，请重新回答。"
        ),
        "moved": _("这道题和你前面的回答对不上，我们带你回到了该答的那一题。"),
        "restarted": _("已清除你的回答，可以重新开始。"),
    }.get(code or "", "")


@lru_cache(maxsize=1024)
def _reverse(language: str, name: str, args: tuple[str, ...]) -> str:
    # Reversing costs more than the rest of an answer's redirect; the arguments are question
    # keys from the tree, so there are few of them.
    return reverse(f"guidance:{name}", args=args)


def _url(name: str, *args, note: str | None = None) -> str:
    url = _reverse(get_language(), name, args)
    return f"{url}?note={note}" if note else url


def _set_state(response, loaded: LoadedTree, answers: dict) -> None:
    response.set_cookie(
        settings.WIZARD_COOKIE_NAME,
        dump_state(loaded.tree, answers),  # no max_age: gone when the browser closes
        httponly=True,
        samesite="Lax",
        secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
    )


def _clear_state(response) -> None:
    response.delete_cookie(settings.WIZARD_COOKIE_NAME, samesite="Lax")


def _restart(request, note: str = "invalid"):
    response = HttpResponseRedirect(_url("wizard", note=note))
    _clear_state(response)
    return response


def _read_answers(request, loaded: LoadedTree):
    """The reader's answers and where they stand, or None if the state cannot be used."""
    try:
        answers = load_state(loaded.tree, request.COOKIES.get(settings.WIZARD_COOKIE_NAME))
        return answers, engine.walk(loaded.tree, answers)
    except (StateProblem, engine.InvalidAnswers):
        return None


def _step(request, template_name: str) -> str:
    """The template, or just its step for an htmx swap (a history restore needs the page)."""
    if request.htmx and not request.htmx.history_restore_request:
        return template_name + "#step"
    return template_name


def _step_url(route: engine.Walk) -> str:
    if route.complete:
        return _url("wizard-result")
    return _url("wizard-question", route.pending)


@never_cache
@vary_on_headers("HX-Request")
@require_safe
def intro(request):
    loaded = load_tree()
    if not loaded.tree.questions:
        raise Http404
    state = _read_answers(request, loaded)
    continue_url = _step_url(state[1]) if state and state[0] else ""

    def context():
        return {
            "note": _note_text(request.GET.get("note")),
            "in_progress": bool(continue_url),
            "continue_url": continue_url,
            "most_questions": loaded.left.get(loaded.tree.start, 0),
        }

    return render_kept(
        request, _step(request, "wizard/intro.html"), loaded.version, continue_url, context
    )


@require_POST
def start(request):
    loaded = load_tree()
    response = HttpResponseRedirect(_url("wizard-question", loaded.tree.start))
    _clear_state(response)
    return response


@require_POST
def restart(request):
    return _restart(request, note="restarted")


def _render_question(request, loaded, route, answers, key, *, error="", selected=None):
    position = route.asked.index(key) + 1 if key in route.asked else len(route.asked) + 1
    back_key = route.asked[position - 2] if position > 1 else None
    selected = tuple(sorted(answers.get(key, ()) if selected is None else selected))
    most = position - 1 + loaded.left.get(key, 0)

    def context():
        question = loaded.questions[key]
        return {
            "question": question,
            "choices": list(question.choices.all()),
            "selected": set(selected),
            "position": position,
            "most": most,
            "back_url": _url("wizard-question", back_key) if back_key else _url("wizard"),
            "error": error,
            "note": _note_text(request.GET.get("note")),
        }

    page = (key, position, most, back_key, selected, error)
    return render_kept(
        request, _step(request, "wizard/question.html"), loaded.version, page, context
    )


@never_cache
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def question(request, key):
    loaded = load_tree()
    node = loaded.tree.question(key)
    if node is None:
        raise Http404
    state = _read_answers(request, loaded)
    if state is None:
        return _restart(request)
    answers, route = state
    if key != route.pending and key not in route.asked:
        # Not on the reader's route (an old link, or Back after changing an answer).
        return HttpResponseRedirect(_step_url(route) + "?note=moved")
    if request.method == "GET":
        return _render_question(request, loaded, route, answers, key)

    chosen = tuple(value for value in request.POST.getlist("choice") if value)
    problem = node.check_answer(chosen)
    if problem == "empty":
        error = _("请至少选择一项。") if node.multi else _("请选择一个答案。")
        return _render_question(request, loaded, route, answers, key, error=error)
    if problem == "exclusive":
        error = _("“以上都没有”不能和其他选项同时选。请只保留其中一种。")
        return _render_question(request, loaded, route, answers, key, error=error, selected=chosen)
    if problem:  # a value the form never offered
        return _restart(request)

    answers[key] = chosen
    new_route = engine.walk(loaded.tree, answers)
    kept = dict(new_route.answered)  # answers that left the route are forgotten
    next_url = _step_url(new_route)
    if request.htmx:
        if "note" in request.GET:  # the note was about the step just answered
            request.GET = request.GET.copy()
            request.GET.pop("note")
        if new_route.complete:
            response = _render_result(request, loaded, kept, new_route)
        else:
            response = _render_question(request, loaded, new_route, kept, new_route.pending)
        push_url(response, next_url)
    else:
        response = HttpResponseRedirect(next_url)
    _set_state(response, loaded, kept)
    return response


def _render_result(request, loaded: LoadedTree, answers: dict, route: engine.Walk):
    def context():
        return _result_context(loaded, answers, route)

    every_answer = tuple(sorted(answers.items()))  # the whole result follows from these
    return render_kept(
        request, _step(request, "wizard/result.html"), loaded.version, every_answer, context
    )


def _result_context(loaded: LoadedTree, answers: dict, route: engine.Walk) -> dict:
    recommendation = engine.recommend(loaded.tree, answers)
    texts = load_result_texts(loaded.version)  # the same version: no second query
    pages, notices = texts.paths, texts.notices
    summary = []
    for question_key, chosen in route.answered:
        question = loaded.questions[question_key]
        labels = {c.key: c for c in question.choices.all()}
        summary.append(
            {
                "question": question,
                "choices": [labels[c] for c in chosen],
                "change_url": _url("wizard-question", question_key),
            }
        )
    paths = []
    for score in recommendation.recommended:
        page = pages.get(score.path)
        reasons = []
        for reason in score.reasons:
            choice = next(
                c for c in loaded.questions[reason.question].choices.all() if c.key == reason.choice
            )
            if choice.reason:
                reasons.append({"text": choice.reason, "question": reason.question})
        paths.append(
            {
                "key": score.path,
                "page": page,
                "reasons": reasons,
                "steps": list(page.steps.all())[:3] if page else [],
                "topics": list(page.related_topics.all())[:4] if page else [],
            }
        )
    return {
        "paths": paths,
        "notices": [notices[k] for k in recommendation.notices if k in notices],
        "summary": summary,
    }


@never_cache
@vary_on_headers("HX-Request")
@require_safe
def result(request):
    loaded = load_tree()
    state = _read_answers(request, loaded)
    if state is None:
        return _restart(request)
    answers, route = state
    if not answers:
        return HttpResponseRedirect(_url("wizard"))
    if not route.complete:
        return HttpResponseRedirect(_step_url(route))
    return _render_result(request, loaded, answers, route)
