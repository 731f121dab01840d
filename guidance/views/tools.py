"""The borrower's tools: message composer, contact log, complaint ladder, call script, budget,
search.

Nothing typed into these pages is stored or logged: forms are POSTed, answered once with
`Cache-Control: no-store`, and forgotten. The complaint ladder reads only a route and a date
from its query string.
"""

from __future__ import annotations

import datetime
import html
import re
import uuid

import icalendar
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import composer, escalation
from ..forms import (
    CONTACT_CHANNELS,
    CONTACT_FLAGS,
    BudgetForm,
    ComplaintPlanForm,
    ComposerForm,
    today,
)
from ..models import MessageTemplate, Notice
from ..search import MAX_QUERY_LENGTH, MAX_RESULTS, normalise_query, search

# Templates whose short version is said on the phone (to a hotline), not sent as an SMS.
SPOKEN_TEMPLATES = {"regulator-complaint"}


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
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _carried_in(query) -> dict[str, str]:
    """The values a link may carry into the composer: none of them typed by the reader.

    offer_amount comes from the budget helper; complained_on (a date) and lender (a route's key,
    turned into the lender's name here) from the complaint ladder."""
    initial = {}
    offer = query.get("offer_amount", "")
    if offer and len(offer) < 20:
        initial["offer_amount"] = offer
    complained_on = query.get("complained_on", "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", complained_on):
        initial["complained_on"] = complained_on
    if query.get("lender") == "ant":
        initial["lender"] = _("重庆蚂蚁消费金融有限公司（花呗、借呗）")
    return initial


@never_cache
@require_http_methods(["GET", "POST"])
def message_detail(request, slug):
    preview = "preview" in request.GET and request.user.is_staff
    templates = MessageTemplate.objects.all() if preview else MessageTemplate.objects.published()
    template = get_object_or_404(templates, slug=slug)
    if preview:
        template.apply_draft()
    data = request.POST if request.method == "POST" else None
    form = ComposerForm(data, initial=_carried_in(request.GET), fields=template.field_list)
    context = {
        "template": template,
        "form": form,
        "spoken": template.slug in SPOKEN_TEMPLATES,
        **LOG_LABELS,
    }
    if request.method == "POST" and form.is_valid():
        context.update(_composed(template, form))
        download = request.POST.get("download")
        if download in {"sms", "letter"}:
            return _text_download(context[download], f"{template.slug}-{download}.txt")
        reply_days = form.cleaned_data.get("reply_days")
        if reply_days:
            context["reminder_date"] = timezone.localdate() + datetime.timedelta(days=reply_days)
        # After the first complaint, the ladder, dated today; after the regulator's, the reader
        # is already on it (and a new date would overwrite the one they kept).
        if "incidents" in form.cleaned_data and not context["spoken"]:
            lender = form.cleaned_data.get("lender", "")
            context["ladder_query"] = urlencode(
                {"route": escalation.guess_route(lender) or "ant", "sent": today().isoformat()}
            )
    return render(request, "tools/message.html", context)


def calendar_file(day: datetime.date, title: str, description: str) -> HttpResponse:
    """An all-day event on `day` that rings at 09:00 that morning, so a phone actually reminds."""
    alarm = icalendar.Alarm.new(description=title)
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", datetime.timedelta(hours=9))
    event = icalendar.Event.new(  # DTSTAMP: now
        uid=f"{uuid.uuid4()}@reminder",
        start=day,
        end=day + datetime.timedelta(days=1),
        summary=title,
        description=description,
        transparency="TRANSPARENT",
        subcomponents=[alarm],
    )
    # Not Calendar.new(): that adds a UID to the calendar itself.
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//cuishou-guide//reminder//ZH")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"reminder-{day:%Y%m%d}.ics")
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def reminder(request):
    """A calendar file for "if there is no reply by then, take the next step"."""
    try:
        days = int(request.POST.get("days", ""))
    except ValueError:
        days = 0
    if not 1 <= days <= 60:
        return render(request, "tools/reminder_error.html", status=400)
    title = normalise_query(request.POST.get("title", "")) or _("查看对方是否回复")
    return calendar_file(
        timezone.localdate() + datetime.timedelta(days=days),
        title,
        _("如果到今天还没有收到书面答复，就按计划走下一步：向监管部门投诉或寻求法律帮助。"),
    )


LOG_LABELS = {"channels": CONTACT_CHANNELS, "flags": CONTACT_FLAGS}


@require_safe
def contact_log(request):
    return render(request, "tools/log.html", LOG_LABELS)


# --- the complaint ladder -----------------------------------------------------------------------


def _ladder_context(request) -> tuple[dict, int]:
    """The form and the plan it gives (Huabei/Jiebei with no date until the reader says
    otherwise), and 400 when the query string holds something the form refuses: the page shows
    the form again with its messages, a file is not made."""
    form = ComplaintPlanForm(request.GET or None, initial={"route": "ant"})
    if form.is_valid():
        plan = form.plan()
    else:  # keep a route the form accepted
        route = form.cleaned_data.get("route", "ant") if form.is_bound else "ant"
        plan = escalation.Plan(route=route, sent=None)
    query = urlencode({"route": plan.route, **({"sent": plan.sent} if plan.sent else {})})
    context = {
        "form": form,
        "plan": plan,
        "query": query,
        "lender_key": "ant" if plan.route == "ant" else "",
    }
    return context, 400 if form.errors else 200


@require_safe
def complaint(request):
    context, _status = _ladder_context(request)
    return render(request, "tools/complaint.html", context)


def html_to_text(markup: str) -> str:
    """Plain text of a small, well-formed fragment: one line per block, "- " before list items."""
    markup = re.sub(r"\s+", " ", markup)
    # A list item's first block goes on the item's line.
    markup = re.sub(r"<li(\s[^>]*)?>\s*(<(h[1-6]|p|div)(\s[^>]*)?>\s*)?", "\n- ", markup)
    markup = re.sub(r"</?(h[1-6]|p|ol|ul|section|div)(\s[^>]*)?>", "\n", markup)
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.split("\n")))
    text = re.sub(r"^(- .*)\n\n(?=- )", r"\1\n", text, flags=re.MULTILINE)
    return text.strip() + "\n"


@require_safe
def complaint_plan_text(request):
    context, status = _ladder_context(request)
    if status != 200:
        return render(request, "tools/complaint.html", context, status=status)
    context["as_text"] = True
    parts = [
        _("投诉的步骤和时间表") + "\n",
        *(
            html_to_text(render_to_string(f"tools/complaint.html#{part}", context, request))
            for part in ("danger", "ladder")
        ),
    ]
    return _text_download("\n".join(parts), "complaint-plan.txt")


@require_safe
def complaint_reminder(request):
    """The reply-due day of the reader's plan as a calendar file (GET: a route and a date)."""
    form = ComplaintPlanForm(request.GET)
    if not form.is_valid() or not form.cleaned_data.get("sent"):
        return render(request, "tools/complaint_reminder_error.html", {"form": form}, status=400)
    plan = form.plan()
    if plan.route == "credit":
        next_step = _(
            "如果到今天还没有书面答复，或答复没有解决问题：可以向人民银行当地分支机构投诉，或者向法院起诉。"
        )
    else:
        next_step = _(
            "如果到今天还没有答复，或答复不满意：拨打 12378，向国家金融监督管理总局投诉。"
        )
    timeline = (
        f"{reverse('guidance:complaint')}?{urlencode({'route': plan.route, 'sent': plan.sent})}"
    )
    description = "\n".join(
        [
            next_step,
            _("你的时间表：") + request.build_absolute_uri(timeline),
            _("任何时候有人威胁你的人身安全，马上拨打 110。"),
        ]
    )
    return calendar_file(plan.reply_due, _("投诉的答复期限到了"), description)


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
