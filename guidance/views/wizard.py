"""The wizard: one question per screen, answers kept only in an encrypted cookie in the browser.

Without JavaScript every step is a plain form: POST, then redirect, then GET. With htmx the same
views return just the step (the template partial) and push the step's URL.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from .. import court
from .. import tree as engine
from ..wizard import (
    LoadedTree,
    StateProblem,
    dump_state,
    load_result_texts,
    load_state,
    load_tree,
    result_plan,
)
from . import HtmxHttpRequest
from .tools import calendar_file


def _note_text(code: str | None) -> str:
    return {
        "invalid": _(
            "我们没能读懂保存的回答（可能已过期，或问题已经更新），所以从头开始。"
            "你的回答没有保存在我们这里，请重新回答。"
        ),
        "moved": _("这道题和你前面的回答对不上，我们带你回到了该答的那一题。"),
        "reask": _(
            "我们没能读懂你对这道题保存的回答（可能问题已经更新），请再回答一次。其他回答都还在。"
        ),
        "restarted": _("已清除你的回答，可以重新开始。"),
    }.get(code or "", "")


def _url(name: str, *args, note: str | None = None) -> str:
    url = reverse(f"guidance:{name}", args=args)
    return f"{url}?note={note}" if note else url


def _set_state(response: HttpResponse, loaded: LoadedTree, answers: dict) -> None:
    response.set_cookie(
        settings.WIZARD_COOKIE_NAME,
        dump_state(loaded.tree, answers),  # no max_age: gone when the browser closes
        httponly=True,
        samesite="Lax",
        secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
    )


def _clear_state(response: HttpResponse) -> None:
    response.delete_cookie(settings.WIZARD_COOKIE_NAME, samesite="Lax")


def _restart(note: str = "invalid") -> HttpResponse:
    response = HttpResponseRedirect(_url("wizard", note=note))
    _clear_state(response)
    return response


def _read_answers(request: HttpRequest, loaded: LoadedTree):
    """The reader's answers and where they stand, or None if the state cannot be used."""
    try:
        answers = load_state(loaded.tree, request.COOKIES.get(settings.WIZARD_COOKIE_NAME))
        return answers, engine.walk(loaded.tree, answers)
    except (StateProblem, engine.InvalidAnswers):
        return None


def _page(request: HtmxHttpRequest, template_name: str, context: dict) -> HttpResponse:
    """The page, or just its step for an htmx swap (a history restore needs the whole page)."""
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#step"
    emergency = load_result_texts().notices.get("emergency")
    return render(request, template_name, {"emergency": emergency, **context})


def _step_url(route: engine.Walk) -> str:
    if route.complete:
        return _url("wizard-result")
    return _url("wizard-question", route.pending, note="reask" if route.refused else None)


@never_cache
@vary_on_headers("HX-Request")
@require_safe
def intro(request: HtmxHttpRequest) -> HttpResponse:
    loaded = load_tree()
    if not loaded.tree.questions:
        raise Http404
    state = _read_answers(request, loaded)
    continue_url = _step_url(state[1]) if state and state[0] else ""
    context = {
        "note": _note_text(request.GET.get("note")),
        "in_progress": bool(continue_url),
        "continue_url": continue_url,
        "most_questions": loaded.left.get(loaded.tree.start, 0),
    }
    return _page(request, "wizard/intro.html", context)


@require_POST
def start(request: HtmxHttpRequest) -> HttpResponse:
    loaded = load_tree()
    response = HttpResponseRedirect(_url("wizard-question", loaded.tree.start))
    _clear_state(response)
    return response


@require_POST
def restart(request: HtmxHttpRequest) -> HttpResponse:
    return _restart(note="restarted")


def _date_error(code: str) -> str:
    return {
        "empty": _("请填写收到文书的日期；记不清的话，选“我记不清日期”。"),
        "format": _("没能看懂这个日期。请按“年-月-日”填写，例如 2026-09-20。"),
        "future": _("这个日期在今天之后。请填写你实际收到文书的那一天。"),
        "old": _("这个日期太早了（早于2000年）。请再看一下收到文书的日期。"),
    }[code]


def _render_question(
    request,
    loaded,
    route,
    answers,
    key,
    *,
    note="",
    error="",
    selected=None,
    dropping=(),
    typed=None,
) -> HttpResponse:
    question = loaded.questions[key]
    position = route.asked.index(key) + 1 if key in route.asked else len(route.asked) + 1
    back_key = route.asked[position - 2] if position > 1 else None
    context = {
        "question": question,
        "choices": list(question.choices.all()),
        "selected": set(answers.get(key, ()) if selected is None else selected),
        "position": position,
        "most": position - 1 + loaded.left.get(key, 0),
        "back_url": _url("wizard-question", back_key) if back_key else _url("wizard"),
        "error": error,
        "note": note,
        "dropping": dropping,
    }
    if key == court.DATE_QUESTION:  # a date field, and a button for "I don't remember"
        given = (answers.get(court.DATE_KEY) or ("",))[0] if typed is None else typed
        context["date"] = {
            "value": court.date_value(given),
            "today": timezone.localdate(),
            "earliest": court.EARLIEST,
            "known": court.DATE_CHOICE,
            "others": [c for c in context["choices"] if c.key != court.DATE_CHOICE],
        }
    return _page(request, "wizard/question.html", context)


def _render_help_now(request, loaded, answers, route) -> HttpResponse:
    flags = engine.emergency_flags_raised(loaded.tree, route)
    notices = load_result_texts().notices
    context = {
        "notices": [notices[flag] for flag in flags if flag in notices],
        "continue_url": _step_url(route),
    }
    return _page(request, "wizard/help_now.html", context)


def _court_papers(answers: dict, route: engine.Walk) -> court.CourtPapers | None:
    return court.papers(court.keep_date(answers, dict(route.answered)))


def _render_result(request, loaded: LoadedTree, answers: dict, route) -> HttpResponse:
    plan = result_plan(loaded, load_result_texts(loaded.version), answers, route)
    papers = _court_papers(answers, route)
    context = {"plan": plan, "court": papers, "date_question": court.DATE_QUESTION}
    if papers and papers.deadline:
        today = timezone.localdate()
        days_left = papers.deadline.days_left(today)
        context.update(
            days_left=days_left,
            days_passed=-days_left,
            reminder_day=papers.deadline.reminder_day(today),
        )
    return _page(request, "wizard/result.html", context)


@never_cache
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def question(request: HtmxHttpRequest, key: str) -> HttpResponse:
    loaded = load_tree()
    node = loaded.tree.question(key)
    if node is None:
        raise Http404
    state = _read_answers(request, loaded)
    if state is None:
        return _restart()
    answers, route = state
    if key != route.pending and key not in route.asked:
        # Not on the reader's route (an old link, or Back after changing an answer).
        return HttpResponseRedirect(_step_url(route) + "?note=moved")
    note = _note_text(request.GET.get("note"))
    if request.method == "GET":
        return _render_question(request, loaded, route, answers, key, note=note)

    chosen = tuple(value for value in request.POST.getlist("choice") if value)
    problem = node.check_answer(chosen)
    if problem == "empty":
        error = _("请至少选择一项。") if node.multi else _("请选择一个答案。")
        return _render_question(request, loaded, route, answers, key, note=note, error=error)
    if problem == "exclusive":
        error = _("“以上都没有”不能和其他选项同时选。请只保留其中一种。")
        return _render_question(
            request, loaded, route, answers, key, note=note, error=error, selected=chosen
        )
    if problem:  # a value the form never offered: ask this question again, keep the rest
        error = _("这个答案不在这道题的选项里，请从下面的选项中选择。")
        return _render_question(request, loaded, route, answers, key, note=note, error=error)

    new_answers = {**answers, key: chosen}
    if key == court.DATE_QUESTION and chosen == (court.DATE_CHOICE,):
        typed = request.POST.get("received", "")
        try:
            received = court.parse_received(typed, timezone.localdate())
        except court.BadDate as bad:
            error = _date_error(bad.args[0])
            return _render_question(
                request, loaded, route, answers, key, note=note, error=error, typed=typed
            )
        new_answers[court.DATE_KEY] = (received.isoformat(),)
    new_route = engine.walk(loaded.tree, new_answers)
    # Answers that left the route are forgotten (the court date with its question).
    kept = court.keep_date(new_answers, dict(new_route.answered))
    # A change that takes later questions off the route asks first, naming what would be lost.
    dropping = [loaded.questions[k] for k in route.asked if k != key and k not in kept]
    if dropping and request.POST.get("confirm") != "discard":
        return _render_question(
            request, loaded, route, answers, key, selected=chosen, dropping=dropping
        )
    # Danger or crisis: emergency help comes before the next question.
    help_first = bool(node.emergency_flags(chosen))
    next_url = _url("wizard-help-now") if help_first else _step_url(new_route)
    if request.htmx:
        if help_first:
            response = _render_help_now(request, loaded, kept, new_route)
        elif new_route.complete:
            response = _render_result(request, loaded, kept, new_route)
        else:
            pending = new_route.pending
            response = _render_question(request, loaded, new_route, kept, pending)
        push_url(response, next_url)
    else:
        response = HttpResponseRedirect(next_url)
    _set_state(response, loaded, kept)
    return response


@never_cache
@vary_on_headers("HX-Request")
@require_safe
def help_now(request: HtmxHttpRequest) -> HttpResponse:
    """Emergency numbers first, then a way back to the questions."""
    loaded = load_tree()
    state = _read_answers(request, loaded)
    if state is None:
        return _restart()
    answers, route = state
    return _render_help_now(request, loaded, answers, route)


@never_cache
@vary_on_headers("HX-Request")
@require_safe
def result(request: HtmxHttpRequest) -> HttpResponse:
    loaded = load_tree()
    state = _read_answers(request, loaded)
    if state is None:
        return _restart()
    answers, route = state
    if not answers:
        return HttpResponseRedirect(_url("wizard"))
    if not route.complete:
        return HttpResponseRedirect(_step_url(route))
    return _render_result(request, loaded, answers, route)


@never_cache
@require_safe
def court_reminder(request: HtmxHttpRequest) -> HttpResponse:
    """A calendar file that rings a few days before the reader's court deadline. The date comes
    from their cookie, never from the URL, so it stays out of every log."""
    loaded = load_tree()
    state = _read_answers(request, loaded)
    if state is None:
        return _restart()
    answers, route = state
    papers = _court_papers(answers, route)
    today = timezone.localdate()
    day = papers.deadline.reminder_day(today) if papers and papers.deadline else None
    if day is None:
        return HttpResponseRedirect(_url("wizard-result"))
    last_day = formats.date_format(papers.deadline.last_day, "DATE_FORMAT")
    title = _("法院文书的期限快到了：%(date)s") % {"date": last_day}
    description = "\n".join(
        [
            _("按你收到文书的日期算，期限的最后一天是 %(date)s（从收到的第二天起算）。")
            % {"date": last_day},
            _("法院记录的送达日期可能不同：请通过12368向法院确认，或拨打12348咨询。"),
            request.build_absolute_uri(reverse("guidance:path", args=["professional"])),
        ]
    )
    return calendar_file(day, title, description)
