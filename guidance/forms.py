"""Forms for the borrower's tools. What a reader types here is used for one response and
never stored or logged."""

from __future__ import annotations

import datetime
import unicodedata
from decimal import ROUND_FLOOR, Decimal

from django import forms
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext, ngettext_lazy, pgettext
from django.utils.translation import gettext_lazy as _

from . import composer, escalation


def clean_text(value: str) -> str:
    """Drop control characters (keeping line breaks) that have no place in a letter."""
    return "".join(c for c in value if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()


class PlainCharField(forms.CharField):
    def to_python(self, value):
        return clean_text(super().to_python(value))


def today() -> datetime.date:
    return timezone.localdate()


class DateWithinField(forms.DateField):
    """A date from `earliest` to `latest` days after today (negative: before today)."""

    def __init__(self, *, earliest: int, latest: int, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)
        self.earliest, self.latest = earliest, latest

    def validate(self, value):
        super().validate(value)
        if value and value < today() + datetime.timedelta(days=self.earliest):
            raise forms.ValidationError(self.error_messages["early"], code="early")
        if value and value > today() + datetime.timedelta(days=self.latest):
            raise forms.ValidationError(self.error_messages["late"], code="late")


def future_date_field(label) -> DateWithinField:
    messages = {"early": _("请填写今天或以后的日期。"), "late": _("请填写一年以内的日期。")}
    return DateWithinField(
        label=label, required=False, earliest=0, latest=366, error_messages=messages
    )


AMOUNT_DECORATIONS = frozenset(",，¥￥元")


class MoneyField(forms.DecimalField):
    """An amount as people write it: "5,000", "5 000", "￥5000" and "5000元" all mean 5000.

    The budget page's script reads amounts the same way (static/js/tools.js), so the figure it
    shows while typing is the figure the server computes.
    """

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(c for c in value if c not in AMOUNT_DECORATIONS and not c.isspace())
        return super().to_python(value)


def money_field(label, help_text="", *, required=False, min_value="0.01"):
    return MoneyField(
        label=label,
        help_text=help_text,
        required=required,
        min_value=Decimal(min_value),
        max_value=Decimal("99999999"),
        decimal_places=2,
        max_digits=10,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def text_field(label, max_length: int, help_text="", *, rows: int = 0) -> PlainCharField:
    """Optional free text the browser must not autofill (ComposerForm makes some required)."""
    attrs = {"autocomplete": "off"}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return PlainCharField(
        label=label, max_length=max_length, required=False, help_text=help_text, widget=widget
    )


def composer_fields() -> dict[str, forms.Field]:
    return {
        "name": text_field(_("你的名字或署名"), 40, _("可以只写姓氏，例如“王女士”。")),
        "lender": text_field(
            _("平台或借款机构"), 60, _("例如：花呗、借呗，或账单上写的服务提供方。")
        ),
        "collector": text_field(_("催收方的名字、公司或号码"), 80),
        "account": text_field(_("借款或账户编号"), 60),
        "amount": money_field(_("对方说你欠的金额（元）")),
        "offer_amount": money_field(
            _("你每月实际能还的金额（元）"), _("只写你确实能做到的数。可以先用“预算”工具算一算。")
        ),
        "offer_start": future_date_field(_("第一次还款的日期")),
        "reply_days": forms.IntegerField(
            label=_("请对方在几天内回复"),
            required=False,
            min_value=1,
            max_value=60,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        ),
        "pause_until": future_date_field(_("你会在哪天之前给出还款方案")),
        "incidents": text_field(
            _("发生了什么（每行一件：日期、时间、经过）"),
            2000,
            _(
                "例如：2026-11-02 22:40 电话：半夜打来骂人。"
                "每行都以日期开头，信里就会算出一共几次、几次在夜里。"
            ),
            rows=5,
        ),
        # A day that has already come: today, or within the last two years.
        "complained_on": DateWithinField(
            label=_("你向平台或银行投诉的日期"),
            required=False,
            earliest=-731,
            latest=0,
            error_messages={
                "early": _("请填写两年以内的日期。"),
                "late": _("请填写今天或以前的日期。"),
            },
        ),
        "lender_reply": text_field(
            _("对方的答复（没有答复就留空）"),
            300,
            _("用一两句话写：什么时候答复的，说了什么。"),
            rows=3,
        ),
        "contact": text_field(
            _("希望对方怎样联系你"), 80, _("例如：支付宝App内的消息，或你的电子邮箱。")
        ),
    }


class ComposerForm(forms.Form):
    def __init__(self, *args, fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        available = composer_fields()
        self.fields.update({name: available[name] for name in fields if name in available})
        for name in set(composer.REQUIRED_FIELDS) & set(self.fields):
            self.fields[name].required = True

    def clean_incidents(self):
        text = self.cleaned_data.get("incidents", "")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > 30:
            raise forms.ValidationError(_("最多写 30 件事；挑最重要的写。"))
        if any(len(line) > 300 for line in lines):
            raise forms.ValidationError(_("每一行最多 300 个字。"))
        return "\n".join(lines)

    def placeholder_values(self) -> dict[str, str]:
        values = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                values[name] = ""
            elif isinstance(value, Decimal):
                values[name] = f"{value:,.2f}"
            elif isinstance(value, datetime.date):
                values[name] = value.isoformat()
            elif name == "incidents":
                values[name] = "\n".join(f"- {line}" for line in value.splitlines())
            else:
                values[name] = str(value)
        values["today"] = today().isoformat()
        lines = self.cleaned_data.get("incidents", "").splitlines()
        counts = composer.count_timeline(lines, *timeline_labels())
        values["counts"] = describe_counts(counts) if counts else ""
        return values


# The contact log's kinds of contact and the lines a collector may cross: the log page, its
# timeline lines and the counts below all use these labels, so the counts can read the timeline.
CONTACT_CHANNELS = {
    "call": _("电话"),
    "sms": _("短信"),
    "app": _("App 或社交软件消息"),
    "visit": _("上门"),
    "third-party": _("联系了我的家人、同事或朋友"),
}
CONTACT_FLAGS = {
    "night": (_("晚上 22 点到早上 8 点之间联系"), _("夜间联系")),
    "threat": (_("威胁、辱骂或恐吓"), _("威胁辱骂")),
    "third-party": (_("联系或告诉了无关的人"), _("联系无关的人")),
    "impersonation": (_("冒充公安、法院或律师"), _("冒充公检法")),
    "personal-account": (_("要求转账到个人账户"), _("个人账户")),
}


def timeline_labels() -> tuple[dict[str, str], dict[str, str]]:
    """Channel and flag labels in every language, mapped to their keys: a timeline copied from
    the log in one language still counts on a page in another."""
    channels: dict[str, str] = {}
    flags: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            channels.update({str(label): key for key, label in CONTACT_CHANNELS.items()})
            flags.update({str(short): key for key, (_long, short) in CONTACT_FLAGS.items()})
    return channels, flags


# How many contacts of one kind (None: of any kind).
CONTACTS_PHRASES = {
    "call": ngettext_lazy("%(count)s 次电话", "%(count)s 次电话", "count"),
    "sms": ngettext_lazy("%(count)s 条短信", "%(count)s 条短信", "count"),
    "app": ngettext_lazy(
        "%(count)s 条 App 或社交软件消息", "%(count)s 条 App 或社交软件消息", "count"
    ),
    "visit": ngettext_lazy("%(count)s 次上门", "%(count)s 次上门", "count"),
    None: ngettext_lazy("%(count)s 次联系", "%(count)s 次联系", "count"),
}


# What the counts single out, in the order the letter names them.
COUNT_CLAUSES = {
    "night": ngettext_lazy(
        "%(count)s 次在晚上 22 点到早上 8 点之间",
        "%(count)s 次在晚上 22 点到早上 8 点之间",
        "count",
    ),
    "third-party": ngettext_lazy(
        "%(count)s 次联系了我的家人、同事或朋友",
        "%(count)s 次联系了我的家人、同事或朋友",
        "count",
    ),
    "threat": ngettext_lazy(
        "%(count)s 次有威胁、辱骂或恐吓", "%(count)s 次有威胁、辱骂或恐吓", "count"
    ),
    "impersonation": ngettext_lazy(
        "%(count)s 次冒充公安、法院或律师", "%(count)s 次冒充公安、法院或律师", "count"
    ),
    "personal-account": ngettext_lazy(
        "%(count)s 次要求转账到个人账户", "%(count)s 次要求转账到个人账户", "count"
    ),
}


def describe_counts(counts: composer.TimelineCounts) -> str:
    """The timeline in one plain sentence: "6 天里 14 次电话（…）。其中 5 次在晚上……"."""
    kinds = [kind for kind in CONTACT_CHANNELS if kind in counts.channels and kind != "third-party"]
    # "14 calls" when every contact was a call; otherwise "14 contacts: 9 calls, 4 SMS".
    one_kind = (
        kinds[0] if len(kinds) == 1 and counts.channels[kinds[0]] == counts.contacts else None
    )
    days = ngettext("%(days)s 天里", "%(days)s 天里", counts.days) % {"days": counts.days}
    summary = gettext("%(days)s %(contacts)s") % {
        "days": days,
        "contacts": CONTACTS_PHRASES[one_kind] % {"count": counts.contacts},
    }
    dates = {"summary": summary, "first": counts.first, "last": counts.last}
    if counts.first == counts.last:
        summary = gettext("%(summary)s（%(first)s）") % dates
    else:
        summary = gettext("%(summary)s（%(first)s 至 %(last)s）") % dates
    if one_kind is None and kinds:
        separator = pgettext("between items of a list", "、")
        breakdown = separator.join(
            CONTACTS_PHRASES[kind] % {"count": counts.channels[kind]} for kind in kinds
        )
        summary = gettext("%(summary)s：%(breakdown)s") % {
            "summary": summary,
            "breakdown": breakdown,
        }
    found = {**counts.flags, "night": counts.night, "third-party": counts.third_party}
    details = [
        clause % {"count": found[key]} for key, clause in COUNT_CLAUSES.items() if found.get(key)
    ]
    if not details:
        return gettext("%(summary)s。") % {"summary": summary}
    separator = pgettext("between clauses of a sentence", "，")
    return gettext("%(summary)s。其中 %(details)s。") % {
        "summary": summary,
        "details": separator.join(details),
    }


class BudgetForm(forms.Form):
    income = money_field(
        _("每月收入（元）"),
        _("工资、补贴、家人固定给的钱等，税后。没有收入就填 0。"),
        required=True,
        min_value="0",
    )
    housing = money_field(_("住房（房租、房贷、水电）"))
    food = money_field(_("吃饭和日用品"))
    transport = money_field(_("交通"))
    children = money_field(_("孩子和家人"))
    medical = money_field(_("看病和药"))
    other_debts = money_field(_("其他必须还的欠款"))
    other = money_field(_("其他必要开支"))

    COSTS = ("housing", "food", "transport", "children", "medical", "other_debts", "other")

    def result(self) -> dict:
        data = self.cleaned_data
        costs = sum((data.get(name) or Decimal(0)) for name in self.COSTS)
        left = (data.get("income") or Decimal(0)) - costs
        return {
            "income": data.get("income"),
            "costs": costs,
            "left": left,
            # Never offer more than is left: round down, as the page's script does.
            "offer": max(Decimal(0), left).quantize(Decimal("1"), rounding=ROUND_FLOOR),
        }


class ComplaintPlanForm(forms.Form):
    """Who the complaint goes to and the day it was sent: read from the escalation page's GET."""

    route = forms.ChoiceField(
        label=_("你的问题属于哪一种"),
        choices=[
            ("ant", _("花呗或借呗的催收（重庆蚂蚁消费金融有限公司）")),
            ("bank", _("银行提供的额度的催收（支付宝里显示“由XX银行提供金融服务”）")),
            ("credit", _("征信报告里有错误的信息")),
        ],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("请从下面的几种里选一种。")},
    )
    # Older complaints are long past every limit on the ladder; a date far ahead is a typo.
    sent = DateWithinField(
        label=_("你哪天发出投诉（还没发就填打算发的那天）"),
        required=False,
        earliest=-366,
        latest=60,
        error_messages={
            "invalid": _("请按“年-月-日”填写日期，例如 2026-12-01。"),
            "late": _("这个日期太远了：请填写今天前后两个月以内的日期。"),
            "early": _(
                "这个日期是一年多以前，这里的期限都已经过了。如果问题还在，可以今天重新投诉，再填上今天的日期。"
            ),
        },
    )

    def plan(self) -> escalation.Plan:
        return escalation.Plan(route=self.cleaned_data["route"], sent=self.cleaned_data["sent"])
