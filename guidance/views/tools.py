"""The borrower's tools: message composer, contact log, call script, budget, search.

Nothing typed into these pages is stored or logged: forms are POSTed, answered once with
`Cache-Control: no-store`, and forgotten.
"""

from __future__ import annotations

import datetime
import uuid

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import composer
from ..forms import BudgetForm, ComposerForm
from ..models import MessageTemplate, Notice
from ..search import MAX_QUERY_LENGTH, MAX_RESULTS, normalise_query, search


@require_safe
def message_index(request):
    templates = MessageTemplate.objects.published()
    return render(request, "tools/messages.html", {"templates": templates})


def _composed(template: MessageTemplate, form: ComposerForm) -> dict:
    values = form.placeholder_values()
    sms = composer.fill(template.sms, values)
    letter = composer.fill(template.letter, values)
    length, segments, encoding = composer.sms_segments(sms)
    return {
        "sms": sms,
        "letter": letter,
        "sms_length": length,
        "sms_segments": segments,
        "sms_limit": composer.SINGLE_SEGMENT[encoding],
    }


def _text_download(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text.replace("\n", "\r\n"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def message_detail(request, slug):
    if request.method == "GET" and not request.GET:
        return _blank_composer(request, slug)
    preview = "preview" in request.GET and request.user.is_staff
    templates = MessageTemplate.objects.all() if preview else MessageTemplate.objects.published()
    template = get_object_or_404(templates, slug=slug)
    if preview:
        template.apply_draft()
    if request.method == "POST":
        form = ComposerForm(request.POST, fields=template.field_list)
    else:
        # Values may be carried in from the budget helper (offer_amount); nothing else is read.
        initial = {k: v for k, v in request.GET.items() if k == "offer_amount" and len(v) < 20}
        form = ComposerForm(initial=initial, fields=template.field_list)
    context = {"template": template, "form": form}
    if request.method == "POST" and form.is_valid():
        context.update(_composed(template, form))
        download = request.POST.get("download")
        if download in {"sms", "letter"}:
            return _text_download(context[download], f"{template.slug}-{download}.txt")
        reply_days = form.cleaned_data.get("reply_days")
        if reply_days:
            context["reminder_date"] = timezone.localdate() + datetime.timedelta(days=reply_days)
    return render(request, "tools/message.html", context)


def _blank_composer(request, slug):
    """The composer before anything is typed."""
    template = get_object_or_404(MessageTemplate.objects.published(), slug=slug)
    context = {"template": template, "form": ComposerForm(fields=template.field_list)}
    return render(request, "tools/message.html", context)


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@require_POST
def reminder(request):
    """A calendar file for "if there is no reply by then, take the next step"."""
    try:
        days = int(request.POST.get("days", ""))
    except ValueError:
        days = 0
    if not 1 <= days <= 60:
        return render(request, "tools/reminder_error.html", status=400)
    title = normalise_query(request.POST.get("title", ""))[:MAX_QUERY_LENGTH] or _(
        "查看对方是否回复"
    )
    day = timezone.localdate() + datetime.timedelta(days=days)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    body = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//cuishou-guide//reminder//ZH",
            "BEGIN:VEVENT",
            f"UID:{uuid.uuid4()}@reminder",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + datetime.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_ics_escape(title)}",
            "DESCRIPTION:"
            + _ics_escape(
                _("如果到今天还没有收到书面答复，就按计划走下一步：向监管部门投诉或寻求法律帮助。")
            ),
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reminder-{day:%Y%m%d}.ics"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def contact_log(request):
    return render(request, "tools/log.html")


@require_safe
def call_script(request):
    notices = {n.key: n for n in Notice.objects.filter(key__startswith="call-")}
    return render(request, "tools/call.html", {"notices": notices})


@never_cache
@require_http_methods(["GET", "POST"])
def budget(request):
    form = BudgetForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        context["result"] = form.result()
    return render(request, "tools/budget.html", context)


@never_cache
@require_safe
def search_page(request):
    raw = request.GET.get("q", "")
    query = normalise_query(raw)
    hits = search(query) if query else []
    context = {
        "query": query,
        "hits": hits,
        "shortened": len(raw) > MAX_QUERY_LENGTH and bool(query),
        "empty": not query,
        "max_results": MAX_RESULTS,
    }
    return render(request, "tools/search.html", context)
