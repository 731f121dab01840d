"""Forms for the borrower's tools. What a reader types here is used for one response and
never stored or logged."""

from __future__ import annotations

import datetime
import unicodedata
from decimal import ROUND_FLOOR, Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import composer


def clean_text(value: str) -> str:
    """Drop control characters (keeping line breaks) that have no place in a letter."""
    return "".join(c for c in value if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()


class PlainCharField(forms.CharField):
    def to_python(self, value):
        return clean_text(super().to_python(value))


def today() -> datetime.date:
    return timezone.localdate()


class FutureDateField(forms.DateField):
    default_error_messages = {
        "past": _("请填写今天或以后的日期。"),
        "far": _("请填写一年以内的日期。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and value < today():
            raise forms.ValidationError(self.error_messages["past"], code="past")
        if value and value > today() + datetime.timedelta(days=366):
            raise forms.ValidationError(self.error_messages["far"], code="far")


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


def composer_fields() -> dict[str, forms.Field]:
    off = {"autocomplete": "off"}
    return {
        "name": PlainCharField(
            label=_("你的名字或署名"),
            max_length=40,
            widget=forms.TextInput(attrs=off),
            help_text=_("可以只写姓氏，例如“王女士”。"),
        ),
        "lender": PlainCharField(
            label=_("平台或借款机构"),
            max_length=60,
            widget=forms.TextInput(attrs=off),
            help_text=_("例如：花呗、借呗，或账单上写的服务提供方。"),
        ),
        "collector": PlainCharField(
            label=_("催收方的名字、公司或号码"),
            max_length=80,
            required=False,
            widget=forms.TextInput(attrs=off),
        ),
        "account": PlainCharField(
            label=_("借款或账户编号"),
            max_length=60,
            required=False,
            widget=forms.TextInput(attrs=off),
        ),
        "amount": money_field(_("对方说你欠的金额（元）")),
        "offer_amount": money_field(
            _("你每月实际能还的金额（元）"), _("只写你确实能做到的数。可以先用“预算”工具算一算。")
        ),
        "offer_start": FutureDateField(label=_("第一次还款的日期"), required=False),
        "reply_days": forms.IntegerField(
            label=_("请对方在几天内回复"),
            required=False,
            min_value=1,
            max_value=60,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        ),
        "pause_until": FutureDateField(label=_("你会在哪天之前给出还款方案"), required=False),
        "incidents": PlainCharField(
            label=_("发生了什么（每行一件：日期、时间、经过）"),
            max_length=2000,
            required=False,
            widget=forms.Textarea(attrs={"rows": 5, **off}),
        ),
        "contact": PlainCharField(
            label=_("希望对方怎样联系你"),
            max_length=80,
            required=False,
            help_text=_("例如：支付宝App内的消息，或你的电子邮箱。"),
            widget=forms.TextInput(attrs=off),
        ),
    }


class ComposerForm(forms.Form):
    def __init__(self, *args, fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        available = composer_fields()
        for name in fields:
            if name in available:
                self.fields[name] = available[name]
        for name in composer.REQUIRED_FIELDS:
            if name in self.fields:
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
        return values


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
