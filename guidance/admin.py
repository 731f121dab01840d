"""The editors' admin: every content model, versioned, validated, with review dates."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from reversion.admin import VersionAdmin
from reversion.models import Version

from . import tree as engine
from .checks import describe
from .history import compare_revisions
from .markup import render_markdown
from .models import (
    Choice,
    DraftModel,
    MessageTemplate,
    Notice,
    PathPage,
    PathStep,
    Question,
    Section,
    Source,
    Topic,
)
from .translation import WRITTEN_LANGUAGES
from .wizard import load_tree, question_data, tree_data

admin.site.site_header = _("催收自助指引 · 内容管理")
admin.site.site_title = _("催收自助指引")
admin.site.index_title = _("内容管理")

REVIEW_FIELDS = ["last_reviewed", "reviewed_by", "review_due"]


def preview_url(obj) -> str:
    """Where staff see a draft exactly as the public page will show it."""
    url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else reverse("guidance:home")
    path, _, anchor = url.partition("#")
    return f"{path}?preview=1" + (f"#{anchor}" if anchor else "")


def translated(*names: str) -> list[str]:
    """Inline-row fields for translated texts: Simplified, English, hand-written Traditional."""
    return [f"{name}_{lang}" for name in names for lang in WRITTEN_LANGUAGES]


def side_by_side(*names: str) -> list[tuple[str, ...]]:
    """Change-form rows for translated texts: Simplified beside English, then the hand-written
    Traditional beside the text generated from Simplified (shown read-only)."""
    rows = []
    for name in names:
        rows += [(f"{name}_zh_hans", f"{name}_en"), (f"{name}_zh_hant", f"{name}_zh_hant_auto")]
    return rows


TRADITIONAL_STATES = {
    "generated": _("自动转换"),
    "written": _("手写"),
    "stale": _("手写，但简体原文在那之后改过：请重新核对"),
}


def inline_rows_name(inline, parent_model) -> str:
    """The name its parent reaches an inline's rows by (topic.sources), for prefetching them."""
    parent = next(
        f
        for f in inline.model._meta.get_fields()
        if f.many_to_one and f.related_model is parent_model
    )
    return parent.remote_field.get_accessor_name()


def traditional_states(obj, inlines=()) -> list[tuple[object, str, str]]:
    """(row, text name, "generated" / "written" / "stale") for every text of `obj` and of the
    rows of its `inlines` (sources, steps, choices), which hold texts of their own."""
    rows = [obj]
    for inline in inlines:
        rows += getattr(obj, inline_rows_name(inline, type(obj))).all()
    return [(row, n, row.traditional_status(n)) for row in rows for n in row.translated_fields]


def text_label(row, name: str) -> str:
    return str(row._meta.get_field(f"{name}_zh_hans").verbose_name).removesuffix("（简体中文）")


def _state_html(state: str):
    text = TRADITIONAL_STATES[state]
    return format_html("<strong>{}</strong>", text) if state == "stale" else text


class TraditionalStatusFilter(admin.SimpleListFilter):
    title = _("繁体中文")
    parameter_name = "zh_hant"

    def __init__(self, request, params, model, model_admin):
        self.inlines = model_admin.inlines
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [("written", _("有手写的繁体")), ("stale", _("有待核对的手写繁体"))]

    def queryset(self, request, queryset):
        wanted = {"written": {"written", "stale"}, "stale": {"stale"}}.get(self.value())
        if wanted is None:
            return queryset
        matching = [
            obj.pk
            for obj in queryset
            if wanted & {state for *_, state in traditional_states(obj, self.inlines)}
        ]
        return queryset.filter(pk__in=matching)


class GeneratedTraditionalMixin:
    """Generated Traditional texts read-only beside their overrides; which texts are written by
    hand and which of those are stale (list column, filter, change-form part); an action to
    confirm them once checked."""

    actions = ["confirm_traditional"]

    def get_readonly_fields(self, request, obj=None):
        generated = [f"{name}_zh_hant_auto" for name in self.model.translated_fields]
        return [*super().get_readonly_fields(request, obj), *generated, "traditional_overview"]

    def get_fieldsets(self, request, obj=None):
        overview = [(_("繁体中文"), {"fields": ["traditional_overview"]})] if obj else []
        return [*super().get_fieldsets(request, obj), *overview]

    def get_queryset(self, request):
        # The list's column and filter, and the change form's overview, read every row's inline
        # texts: one query per inline instead of one per row.
        rows = [inline_rows_name(inline, self.model) for inline in self.inlines]
        return super().get_queryset(request).prefetch_related(*rows)

    def get_list_display(self, request):
        return [*super().get_list_display(request), "traditional_column"]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), TraditionalStatusFilter]

    @admin.display(description=_("繁体"))
    def traditional_column(self, obj):
        states = [state for *_, state in traditional_states(obj, self.inlines)]
        if stale := states.count("stale"):
            return format_html("<strong>{}</strong>", _("%(n)s 处手写待核对") % {"n": stale})
        if written := states.count("written"):
            return _("%(n)s 处手写") % {"n": written}
        return _("自动转换")

    @admin.display(description=_("每段文字的繁体"))
    def traditional_overview(self, obj):
        items = format_html_join(
            "",
            "<li>{}{}：{}</li>",
            (
                (
                    "" if row is obj else f"{row._meta.verbose_name}「{row}」",
                    text_label(row, name),
                    _state_html(state),
                )
                for row, name, state in traditional_states(obj, self.inlines)
            ),
        )
        return format_html("<ul>{}</ul>", items)

    @admin.action(description=_("所选内容的手写繁体已按现在的简体核对过"))
    def confirm_traditional(self, request, queryset):
        stale = [
            row
            for obj in queryset
            for row, _name, state in traditional_states(obj, self.inlines)
            if state == "stale"
        ]
        for row in dict.fromkeys(stale):
            row.confirm_overrides()
            row.save(update_fields=["zh_hant_override_sources"])
        self.message_user(request, _("已确认 %(n)s 处手写的繁体。") % {"n": len(stale)})


class InlineTraditionalMixin:
    """A column for each inline row (listed last in its `fields`): its generated Traditional
    texts, or that they are written by hand (and whether the Simplified text changed since)."""

    readonly_fields = ["traditional_state"]

    @admin.display(description=_("繁体"))
    def traditional_state(self, row):
        if row.pk is None:
            return ""
        return format_html_join(
            "",
            "<p>{}：{}</p>",
            (
                (
                    text_label(row, name),
                    Truncator(getattr(row, f"{name}_zh_hant_auto")).chars(80)
                    if state == "generated"
                    else _state_html(state),
                )
                for row, name, state in traditional_states(row)
            ),
        )


class ContentAdmin(GeneratedTraditionalMixin, VersionAdmin):
    """Every save is a version (with inlines); history can be compared and restored.

    Models that hold drafts get a "save as draft" button: the submitted values are kept beside
    the live ones (visible only in the staff preview) until the editor saves normally.
    """

    change_form_template = "admin/guidance/change_form.html"

    class Media:  # the "preview" button under every Markdown field of the change form
        js = ["admin_extra/markdown-preview.js"]
        css = {"all": ["admin_extra/admin.css"]}

    def _saving_draft(self, request, obj) -> bool:
        return "_save_draft" in request.POST and isinstance(obj, DraftModel) and obj.pk

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "GET" and getattr(obj, "draft", None):
            obj.apply_draft()  # the editor goes on editing the draft
        return obj

    def save_model(self, request, obj, form, change):
        if self._saving_draft(request, obj):
            live = type(obj).objects.get(pk=obj.pk)
            live.draft = {
                f.attname: f.value_to_string(obj)
                for f in obj.draftable_fields()
                if f.attname in form.cleaned_data or f.name in form.cleaned_data
            }
            live.draft_saved_by, live.draft_saved_at = request.user.get_username(), timezone.now()
            live.save()
            return
        if isinstance(obj, DraftModel):
            obj.draft, obj.draft_saved_by, obj.draft_saved_at = {}, "", None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if self._saving_draft(request, form.instance):
            # A draft leaves inline rows and relations as they are live.
            for formset in formsets:
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_related(request, form, formsets, change)

    def response_change(self, request, obj):
        if self._saving_draft(request, obj):
            self.message_user(
                request, _("草稿已保存。公众看到的仍是已发布的内容；点“预览草稿”查看效果。")
            )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if isinstance(obj, DraftModel):
            has_draft = type(obj).objects.filter(pk=obj.pk).exclude(draft={}).exists()
            context.update(can_draft=True, has_draft=has_draft, preview_url=preview_url(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_compare"
        view = self.admin_site.admin_view(self.compare_view)
        return [path("<path:object_id>/history/compare/", view, name=name), *super().get_urls()]

    def history_view(self, request, object_id, extra_context=None):
        """The version list, with the ids the compare form needs."""
        revision = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_revision"
        versions = Version.objects.get_for_object_reference(self.model, object_id)
        action_list = [
            {
                "revision": version.revision,
                "version_id": version.pk,
                "url": reverse(revision, args=(quote(object_id), version.pk)),
            }
            for version in versions.select_related("revision", "revision__user").order_by(
                "-revision__date_created", "-pk"
            )
        ]
        extra_context = {**(extra_context or {}), "action_list": action_list}
        return super().history_view(request, object_id, extra_context)

    def compare_view(self, request, object_id):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        versions = Version.objects.get_for_object_reference(self.model, object_id)
        try:
            pair = [versions.get(pk=int(request.GET.get(key, ""))) for key in ("a", "b")]
        except (ValueError, Version.DoesNotExist) as error:
            raise Http404 from error
        old, new = sorted(pair, key=lambda version: version.revision.date_created)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object_id": object_id,
            "title": _("比较两个版本"),
            "old": old,
            "new": new,
            "changes": compare_revisions(self.model, object_id, old, new),
        }
        return TemplateResponse(request, "admin/guidance/compare.html", context)


class SourceInline(InlineTraditionalMixin, admin.TabularInline):
    model = Source
    extra = 0
    fields = ["order", *translated("title", "citation"), "url", "traditional_state"]


@admin.register(Section)
class SectionAdmin(ContentAdmin):
    list_display = ["title_zh_hans", "title_en", "slug", "order", "published", "last_reviewed"]
    list_editable = ["order", "published"]
    list_display_links = ["title_zh_hans"]
    search_fields = ["title_zh_hans", "title_en", "slug"]
    fieldsets = [
        (None, {"fields": ["slug", "order", "published", "last_reviewed"]}),
        (_("文字"), {"fields": side_by_side("title", "summary")}),
    ]


@admin.register(Topic)
class TopicAdmin(ContentAdmin):
    list_display = ["title_zh_hans", "section", "slug", "order", "published", "review_due"]
    list_filter = ["section", "published"]
    search_fields = ["title_zh_hans", "title_en", "body_zh_hans", "body_en", "slug"]
    list_select_related = ["section"]
    inlines = [SourceInline]
    fieldsets = [
        (None, {"fields": ["section", "slug", "order", "published"]}),
        (_("核对"), {"fields": REVIEW_FIELDS}),
        (_("标题和简介"), {"fields": side_by_side("title", "summary")}),
        (_("要点（每行一条）"), {"fields": side_by_side("key_points")}),
        (_("正文（Markdown）"), {"fields": side_by_side("body")}),
    ]


class PathStepForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        step = PathStep(
            show_when=cleaned.get("show_when", ""), hide_when=cleaned.get("hide_when", "")
        )
        for name, message in step.rule_errors(load_tree().tree).items():
            self.add_error(name, message)
        return cleaned


class PathStepInline(InlineTraditionalMixin, admin.StackedInline):
    model = PathStep
    form = PathStepForm
    extra = 0
    fields = ["order", *translated("title", "body"), "show_when", "hide_when", "traditional_state"]


@admin.register(PathPage)
class PathPageAdmin(ContentAdmin):
    list_display = ["title_zh_hans", "key", "last_reviewed", "review_due"]
    inlines = [PathStepInline]
    filter_horizontal = ["related_topics"]
    fieldsets = [
        (None, {"fields": ["key", "related_topics"]}),
        (_("核对"), {"fields": REVIEW_FIELDS}),
        (_("文字"), {"fields": side_by_side("title", "summary", "body")}),
    ]


@admin.register(Notice)
class NoticeAdmin(ContentAdmin):
    list_display = ["key", "title_zh_hans"]
    fieldsets = [(None, {"fields": ["key", *side_by_side("title", "body")]})]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ContentAdmin):
    list_display = ["title_zh_hans", "slug", "order", "published", "review_due"]
    list_editable = ["order", "published"]
    list_display_links = ["title_zh_hans"]
    fieldsets = [
        (None, {"fields": ["slug", "order", "published", "fields"]}),
        (_("核对"), {"fields": REVIEW_FIELDS}),
        (
            _("标题和用途"),
            {"fields": side_by_side("title", "summary", "when_to_use", "when_not_to_use")},
        ),
        (
            _("消息正文"),
            {
                "fields": side_by_side("sms", "letter"),
                "description": _(
                    "用花括号写占位符，例如 {name}、{lender}、{today}。"
                    "含有读者没填的占位符的那一行会被省略。"
                ),
            },
        ),
    ]


# --- The wizard ---------------------------------------------------------------------------------


class ChoiceInlineFormSet(forms.BaseInlineFormSet):
    """Refuse a save that would leave the wizard's tree broken, listing the problems."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        # Each form has put its cleaned values on its (unsaved) choice.
        kept = [
            f.instance for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if problems := proposed_tree_problems(self.instance, sorted(kept, key=lambda c: c.order)):
            raise ValidationError([describe(p) for p in problems])


def proposed_tree_problems(question: Question, choices: list[Choice]) -> list[engine.Problem]:
    """The validator's findings for the tree as it would be after saving `question` with
    `choices`."""
    others = Question.objects.exclude(pk=question.pk).prefetch_related("choices")
    ordered = sorted([*others, question], key=lambda q: (q.order, q.pk or 0))
    questions = [question_data(q, choices if q is question else q.choices.all()) for q in ordered]
    return engine.validate(
        engine.build_tree({"start": questions[0]["key"], "questions": questions})
    )


class ChoiceInline(InlineTraditionalMixin, admin.TabularInline):
    model = Choice
    formset = ChoiceInlineFormSet
    extra = 0
    fields = ["order", "key", "next_key", *(f"weight_{path}" for path in engine.PATHS), "flags"]
    fields += ["exclusive", *translated("label", "reason"), "traditional_state"]


@admin.register(Question)
class QuestionAdmin(ContentAdmin):
    list_display = ["key", "text_zh_hans", "kind", "order", "next_key"]
    list_editable = ["order"]
    inlines = [ChoiceInline]
    change_list_template = "admin/guidance/question/change_list.html"
    fieldsets = [
        (None, {"fields": ["key", "order", "kind", "next_key"]}),
        (_("文字"), {"fields": side_by_side("text", "help")}),
    ]

    def get_urls(self):
        tree = path("tree/", self.admin_site.admin_view(self.tree_view), name="guidance_tree")
        return [tree, *super().get_urls()]

    def tree_view(self, request):
        """The whole wizard as a nested outline, with the validator's problems highlighted."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        questions = list(Question.objects.prefetch_related("choices"))
        tree = engine.build_tree(tree_data(questions))
        problems = engine.validate(tree)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("问答的结构图"),
            "questions": questions,
            "problems": [describe(p) for p in problems],
            "flagged": {p.question for p in problems if p.question},
            "routes": engine.count_routes(tree) if not problems else None,
            "longest": engine.questions_left(tree).get(tree.start, 0),
        }
        return TemplateResponse(request, "admin/guidance/tree.html", context)

    def get_deleted_objects(self, objs, request):
        """Refuse to delete questions whose loss would break the tree (shown as 'protected')."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        keys = [obj.pk for obj in objs]
        remaining = list(Question.objects.exclude(pk__in=keys).prefetch_related("choices"))
        problems = engine.validate(engine.build_tree(tree_data(remaining)))
        return deleted, counts, perms_needed, [*protected, *map(describe, problems)]


# --- Markdown preview ---------------------------------------------------------------------------


@staff_member_required
@require_POST
def markdown_preview(request):
    """Render Markdown exactly as the public pages will (same sanitiser), for the editor."""
    return JsonResponse({"html": render_markdown(request.POST.get("text", "")[:30000])})
