from __future__ import annotations

import datetime
import re
import time
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, URLValidator
from django.db import models, router, transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from . import composer
from . import tree as engine
from .translation import WRITTEN_LANGUAGES, TranslatedField, TranslatedModel

PATH_KEYS = ("communicate", "rights", "professional")
KEY_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
validate_key = models.SlugField.default_validators[0]


def validate_public_url(value: str) -> None:
    URLValidator(schemes=["http", "https"])(value)


REVIEW_INTERVAL = datetime.timedelta(weeks=26)  # about six months


class DraftModel(TranslatedModel):
    """Content that can hold an unpublished draft of its own fields beside the live ones.

    The public always sees the live fields; staff can preview the draft applied on top; saving
    normally publishes what the editor submitted and clears the draft.
    """

    draft = models.JSONField(default=dict, blank=True, editable=False)
    draft_saved_by = models.CharField(max_length=200, blank=True, editable=False)
    draft_saved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def draftable_fields(self) -> list[models.Field]:
        return [
            f
            for f in self._meta.concrete_fields
            if f.editable and not f.primary_key and f.name not in {"draft", "seed_hash"}
        ]

    def apply_draft(self) -> None:
        """Put the draft's values on this instance (in memory only), for a preview."""
        fields = {f.attname: f for f in self.draftable_fields()}
        for name, value in (self.draft or {}).items():
            field = fields.get(name)
            if field is not None:
                setattr(self, name, field.to_python(value))
        self.refresh_generated_translations()


class ReviewedQuerySet(models.QuerySet):
    def overdue(self, today: datetime.date | None = None):
        return self.filter(review_due__lt=today or datetime.date.today())


class ReviewedModel(DraftModel):
    """Content whose facts someone checks, and checks again when it falls due."""

    reviewed_by = models.CharField(
        _("核对人"), max_length=80, blank=True, help_text=_("最近一次核对事实的人。")
    )
    review_due = models.DateField(
        _("下次核对日期"),
        null=True,
        blank=True,
        help_text=_("留空则为最近核对日期之后半年。"),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.review_due is None and self.last_reviewed:
            self.review_due = self.last_reviewed + REVIEW_INTERVAL
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "review_due"}
        super().save(*args, **kwargs)


class ContentQuerySet(ReviewedQuerySet):
    def published(self):
        return self.filter(published=True)


class Section(DraftModel):
    slug = models.SlugField(
        _("网址名"), unique=True, help_text=_("出现在网址里，只用小写英文字母、数字和连字符。")
    )
    order = models.PositiveIntegerField(_("顺序"), default=0)
    published = models.BooleanField(_("已发布"), default=True)
    title = TranslatedField(models.CharField, _("标题"), max_length=200)
    summary = TranslatedField(models.CharField, _("一句话简介"), max_length=300)
    last_reviewed = models.DateField(_("最近核对日期"), default=datetime.date.today)
    updated_at = models.DateTimeField(auto_now=True)
    # Hash of the content-file data this row was last loaded from; tells the loader whether an
    # editor has changed the row since (then the loader leaves it alone).
    seed_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("章节")
        verbose_name_plural = _("章节")

    def __str__(self) -> str:
        return self.title_zh_hans

    def get_absolute_url(self) -> str:
        return reverse("guidance:section", args=[self.slug])


class Topic(ReviewedModel):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="topics")
    slug = models.SlugField(
        _("网址名"), unique=True, help_text=_("页面内锚点，只用小写英文字母、数字和连字符。")
    )
    order = models.PositiveIntegerField(_("顺序"), default=0)
    published = models.BooleanField(_("已发布"), default=True)
    title = TranslatedField(models.CharField, _("标题"), max_length=200)
    summary = TranslatedField(models.CharField, _("一句话简介"), max_length=300)
    key_points = TranslatedField(
        models.TextField, _("要点（每行一条）"), max_length=2000, required=True
    )
    body = TranslatedField(models.TextField, _("正文（Markdown）"), max_length=20000)
    last_reviewed = models.DateField(_("最近核对日期"), default=datetime.date.today)
    updated_at = models.DateTimeField(auto_now=True)
    seed_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["section__order", "order", "id"]
        verbose_name = _("小节")
        verbose_name_plural = _("小节")

    def __str__(self) -> str:
        return self.title_zh_hans

    def get_absolute_url(self) -> str:
        return f"{self.section.get_absolute_url()}#{self.slug}"

    @property
    def key_point_list(self) -> list[str]:
        return [line.strip() for line in self.key_points.splitlines() if line.strip()]


class Source(TranslatedModel):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="sources")
    order = models.PositiveIntegerField(_("顺序"), default=0)
    title = TranslatedField(models.CharField, _("来源名称"), max_length=200)
    citation = TranslatedField(models.CharField, _("条文或出处"), max_length=200, required=False)
    url = models.URLField(_("网址"), blank=True, validators=[validate_public_url])

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("来源")
        verbose_name_plural = _("来源")

    def __str__(self) -> str:
        return f"{self.title_zh_hans} {self.citation_zh_hans}".strip()

    def clean(self):
        if not (self.citation_zh_hans or self.url):
            raise ValidationError(_("每个来源需要写明条文出处，或者给出网址。"))


class PathPage(ReviewedModel):
    key = models.CharField(
        _("路径"), max_length=20, unique=True, choices=[(k, k) for k in PATH_KEYS]
    )
    title = TranslatedField(models.CharField, _("标题"), max_length=200)
    summary = TranslatedField(models.CharField, _("一句话简介"), max_length=300)
    body = TranslatedField(models.TextField, _("引言（Markdown）"), max_length=20000)
    related_topics = models.ManyToManyField(Topic, blank=True, verbose_name=_("相关小节"))
    last_reviewed = models.DateField(_("最近核对日期"), default=datetime.date.today)
    updated_at = models.DateTimeField(auto_now=True)
    seed_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = ReviewedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("路径页")
        verbose_name_plural = _("路径页")

    def __str__(self) -> str:
        return self.title_zh_hans

    def get_absolute_url(self) -> str:
        return reverse("guidance:path", args=[self.key])


class PathStep(TranslatedModel):
    path = models.ForeignKey(PathPage, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField(_("顺序"), default=0)
    title = TranslatedField(models.CharField, _("步骤"), max_length=200)
    body = TranslatedField(models.TextField, _("说明（Markdown）"), max_length=5000)
    show_when = models.CharField(
        _("适用于"),
        max_length=500,
        blank=True,
        help_text=_(
            "留空表示适用于所有人。填写标记（如 court）或“题目=选项”（如 court-type=judgment），"
            "用空格分开：读者的回答符合其中任何一项时，问答结果才显示这一步。"
        ),
    )
    hide_when = models.CharField(
        _("不适用于"),
        max_length=500,
        blank=True,
        help_text=_("写法同上：读者的回答符合其中任何一项时，问答结果不显示这一步。"),
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("步骤")
        verbose_name_plural = _("步骤")

    def __str__(self) -> str:
        return self.title_zh_hans

    @property
    def show_tokens(self) -> tuple[str, ...]:
        return engine.parse_rule(self.show_when)

    @property
    def hide_tokens(self) -> tuple[str, ...]:
        return engine.parse_rule(self.hide_when)

    def rule_errors(self, tree: engine.Tree) -> dict[str, str]:
        """What is wrong with this step's rules for `tree`, by field (empty when they are sound)."""
        errors = {}
        for name, tokens in (("show_when", self.show_tokens), ("hide_when", self.hide_tokens)):
            problems = engine.rule_problems(tree, tokens)
            if problems:
                items = "、".join(p.split(": ", 1)[1] for p in problems)
                errors[name] = _("这些写法对不上问答里的题目、选项或标记：%(items)s") % {
                    "items": items
                }
        return errors


class Notice(DraftModel):
    key = models.SlugField(
        _("标记"),
        unique=True,
        help_text=_("emergency 显示在首页；其他标记在问答结果中，当某个回答带有同名标记时显示。"),
    )
    title = TranslatedField(models.CharField, _("标题"), max_length=200)
    body = TranslatedField(models.TextField, _("内容（Markdown）"), max_length=5000)
    updated_at = models.DateTimeField(auto_now=True)
    seed_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["key"]
        verbose_name = _("紧急提示")
        verbose_name_plural = _("紧急提示")

    def __str__(self) -> str:
        return self.key


class Question(TranslatedModel):
    SINGLE = "single"
    MULTI = "multi"
    KIND_CHOICES = [(SINGLE, _("单选")), (MULTI, _("多选"))]

    key = models.SlugField(_("标识"), unique=True)
    order = models.PositiveIntegerField(
        _("顺序"), default=0, help_text=_("顺序最前的问题是第一个问题。")
    )
    kind = models.CharField(_("类型"), max_length=10, choices=KIND_CHOICES, default=SINGLE)
    next_key = models.CharField(
        _("默认下一题"),
        max_length=50,
        blank=True,
        help_text=_("多选题：所选答案都没有指定下一题时去哪里。留空表示结束并显示结果。"),
    )
    text = TranslatedField(models.CharField, _("问题"), max_length=300)
    help = TranslatedField(models.CharField, _("说明"), max_length=500, required=False)
    updated_at = models.DateTimeField(auto_now=True)
    seed_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("问答题目")
        verbose_name_plural = _("问答题目")

    def __str__(self) -> str:
        return f"{self.key}: {self.text_zh_hans}"


class Choice(TranslatedModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveIntegerField(_("顺序"), default=0)
    key = models.SlugField(_("标识"))
    next_key = models.CharField(
        _("下一题"), max_length=50, blank=True, help_text=_("留空表示结束并显示结果。")
    )
    weight_communicate = models.PositiveSmallIntegerField(
        _("理性沟通"), default=0, validators=[MaxValueValidator(5)]
    )
    weight_rights = models.PositiveSmallIntegerField(
        _("了解权利"), default=0, validators=[MaxValueValidator(5)]
    )
    weight_professional = models.PositiveSmallIntegerField(
        _("专业帮助"), default=0, validators=[MaxValueValidator(5)]
    )
    flags = models.CharField(
        _("提示标记"),
        max_length=200,
        blank=True,
        help_text=_("用逗号分隔，例如 danger, scam。每个标记要有同名的紧急提示。"),
    )
    exclusive = models.BooleanField(
        _("排他"), default=False, help_text=_("多选题中的“以上都没有”：不能与其他选项同时选。")
    )
    label = TranslatedField(models.CharField, _("选项"), max_length=200)
    reason = TranslatedField(
        models.CharField, _("理由（显示在结果里）"), max_length=500, required=False
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="unique_choice_key")
        ]
        verbose_name = _("选项")
        verbose_name_plural = _("选项")

    def __str__(self) -> str:
        return self.label_zh_hans

    @property
    def flag_list(self) -> list[str]:
        return [f.strip() for f in self.flags.split(",") if f.strip()]

    def clean(self):
        for flag in self.flag_list:
            if not re.fullmatch(KEY_PATTERN, flag):
                raise ValidationError(
                    {
                        "flags": _("标记“%(flag)s”只能用小写英文字母、数字和连字符。")
                        % {"flag": flag}
                    }
                )


class ContentVersion(models.Model):
    """One row that changes on every content change: the key for every cache.

    The key is a fresh random token at each change (not just a counter), so a database restored
    from a backup, or a rolled-back transaction, can never meet a cache entry made for
    different content.
    """

    # How long a process trusts the token it read. An editor's change reaches every app server
    # within this time, and a busy server reads the token once a second instead of per request.
    TRUSTED_FOR_SECONDS = 1.0

    number = models.PositiveBigIntegerField(default=0)
    token = models.CharField(max_length=32, default="initial")

    _last_read: tuple[str, float] | None = None  # (token, time.monotonic() when read)

    def __str__(self) -> str:
        return f"content version {self.number}"

    @classmethod
    def current(cls) -> str:
        last = cls._last_read
        now = time.monotonic()
        if last is not None and now - last[1] < cls.TRUSTED_FOR_SECONDS:
            return last[0]
        token = cls.objects.filter(pk=1).values_list("token", flat=True).first() or "empty"
        cls._last_read = (token, now)
        return token

    @classmethod
    def forget(cls) -> None:
        """Read the token afresh next time (after a change made by this process)."""
        cls._last_read = None

    @classmethod
    def bump(cls) -> None:
        token = uuid.uuid4().hex
        updated = cls.objects.filter(pk=1).update(number=models.F("number") + 1, token=token)
        if not updated:
            cls.objects.get_or_create(pk=1, defaults={"number": 1, "token": token})
        cls.forget()
        # Another request may read the old token before this transaction commits.
        transaction.on_commit(cls.forget, using=router.db_for_write(cls))


PLACEHOLDER_MESSAGES = {
    "unknown": _("不认识的占位符 {%(x)s}。可用的有：%(fields)s。"),
    "not-offered": _("占位符 {%(x)s} 不在“表单里的栏目”中，读者没法填写它。"),
    "malformed": _("“%(x)s”里的花括号不成对，或括号里不是占位符名称。占位符的写法是 {name}。"),
}


class MessageTemplate(ReviewedModel):
    slug = models.SlugField(_("网址名"), unique=True)
    order = models.PositiveIntegerField(_("顺序"), default=0)
    published = models.BooleanField(_("已发布"), default=True)
    fields = models.CharField(
        _("表单里的栏目"),
        max_length=300,
        help_text=format_lazy(_("用逗号分隔，可用：{fields}。"), fields=", ".join(composer.FIELDS)),
    )
    title = TranslatedField(models.CharField, _("标题"), max_length=200)
    summary = TranslatedField(models.CharField, _("一句话简介"), max_length=300)
    when_to_use = TranslatedField(models.TextField, _("什么时候用（Markdown）"), max_length=3000)
    when_not_to_use = TranslatedField(
        models.TextField, _("什么时候不要用（Markdown）"), max_length=3000
    )
    sms = TranslatedField(models.TextField, _("短信版"), max_length=2000)
    letter = TranslatedField(models.TextField, _("书面版（邮件或信件）"), max_length=8000)
    last_reviewed = models.DateField(_("最近核对日期"), default=datetime.date.today)
    updated_at = models.DateTimeField(auto_now=True)
    seed_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")

    def __str__(self) -> str:
        return self.title_zh_hans

    def get_absolute_url(self) -> str:
        return reverse("guidance:message", args=[self.slug])

    @property
    def field_list(self) -> list[str]:
        return [f.strip() for f in self.fields.split(",") if f.strip()]

    def clean(self):
        errors: dict[str, list[str]] = {}
        unknown = [f for f in self.field_list if f not in composer.FIELDS]
        if unknown:
            errors["fields"] = [
                _("没有这样的栏目：%(names)s。可用的栏目是：%(fields)s。")
                % {"names": ", ".join(unknown), "fields": ", ".join(composer.FIELDS)}
            ]
        missing = [f for f in composer.REQUIRED_FIELDS if f not in self.field_list]
        if missing:
            errors.setdefault("fields", []).append(
                _("每个模板都要有这些栏目：%(names)s。") % {"names": ", ".join(missing)}
            )
        offered = ", ".join([*composer.FIELDS, "today"])
        for name in (f"{text}_{lang}" for text in ("sms", "letter") for lang in WRITTEN_LANGUAGES):
            for kind, detail in composer.placeholder_problems(getattr(self, name), self.field_list):
                message = PLACEHOLDER_MESSAGES[kind] % {"x": detail, "fields": offered}
                errors.setdefault(name, []).append(message)
        if errors:
            raise ValidationError(errors)
