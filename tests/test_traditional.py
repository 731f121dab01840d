"""Traditional Chinese: Taiwan character forms, the glossary, hand-written overrides and how the
admin shows them, the interface catalogue, search in either script, and every zh-hant page."""

from __future__ import annotations

import datetime
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from guidance import tree as engine
from guidance.models import (
    Choice,
    ContentVersion,
    MessageTemplate,
    Notice,
    PathPage,
    Question,
    Section,
    Topic,
)
from guidance.search import search
from guidance.traditional import (
    Glossary,
    GlossaryError,
    fold_chinese,
    glossary,
    read_glossary,
    to_traditional,
)
from guidance.translation import regenerate_traditional
from guidance.views.system import page_not_found, server_error
from guidance.wizard import load_tree
from scripts.fill_zh_hant import OVERRIDES, fill, read_overrides
from tests.admin_forms import sign_in

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"

# Wrong characters from conversion, and forms only OpenCC's own standard uses (issue 14).
BAD_FORMS = (
    "髮送",
    "寫明瞭",
    "那隻會",
    "回復",
    "籤",
    "麪",
    "爲",
    "覈",
    "纔",
    "喫",
    "僞",
    "羣",
    "衆",
)
# Mainland vocabulary and quotation marks, wrong in Traditional outside protected spans.
MAINLAND_FORMS = ("短信", "信息", "軟件", "屏幕", "鏈接", "網絡", "默認", "打印", "郵箱", "“", "”")


def bad_forms(text: str) -> list[str]:
    """The bad forms in `text` outside its protected spans, each with a little context."""
    spans = glossary().protected_spans(text)
    found = []
    for form in (*BAD_FORMS, *MAINLAND_FORMS):
        for match in re.finditer(re.escape(form), text):
            if not any(start <= match.start() < end for start, end in spans):
                found.append(text[max(0, match.start() - 8) : match.end() + 8])
    return found


# --- The converter and the glossary -------------------------------------------------------------


def test_the_converter_writes_taiwan_forms_not_opencc_ones():
    text = to_traditional("为了核对才吃饭，伪造的群发短信出自众人之手")
    assert text == "為了核對才吃飯，偽造的群發簡訊出自眾人之手"


def test_the_wrong_characters_of_phrase_conversion_are_corrected():
    text = to_traditional(
        "保留发送凭证。它写明了时间。发到朋友圈，那只会更糟。不要回复陌生号码。要签书面委托合同。"
        "面包屑导航。"
    )
    assert text == (
        "保留發送憑證。它寫明了時間。發到朋友圈，那只會更糟。不要回覆陌生號碼。要簽書面委託合同。"
        "麵包屑導覽。"
    )
    assert not bad_forms(text)


def test_the_glossary_replaces_mainland_vocabulary_by_context():
    text = to_traditional(
        "把短信和链接截图，别装来历不明的软件，不要共享屏幕。网上的信息、你的个人信息、"
        "对方发信息恐吓你。默认打印一份，寄到邮箱。“只用书面方式联系我”。"
    )
    assert text == (
        "把簡訊和連結截圖，別裝來歷不明的軟體，不要分享螢幕。網路上的資訊、你的個人資料、"
        "對方發訊息恐嚇你。預設列印一份，寄到信箱。「只用書面方式聯絡我」。"
    )


def test_protected_spans_keep_their_official_wording():
    text = to_traditional(
        "《中华人民共和国个人信息保护法》保护你的个人信息；垃圾短信可以向"
        "12321网络不良与垃圾信息举报受理中心举报，它由中国互联网协会受工业和信息化部委托设立；"
        "在中国执行信息公开网查询。"
    )
    assert "《中華人民共和國個人信息保護法》" in text
    assert "12321網絡不良與垃圾信息舉報受理中心" in text
    assert "中國互聯網協會" in text and "工業和信息化部" in text and "中國執行信息公開網" in text
    # ...while the same words outside them are replaced.
    assert "你的個人資料" in text and "垃圾簡訊" in text
    assert not bad_forms(text)


def test_every_glossary_term_applies_on_its_own_and_no_replacement_is_replaced_again():
    shipped = glossary()
    for key, value in shipped.terms.items():
        assert shipped.apply(key) == value, key
        assert shipped.apply(value) == value, f"{key} -> {value} is replaced again"


def test_every_protected_name_is_left_as_the_converter_wrote_it():
    shipped = glossary()
    for name in shipped.protected:
        assert shipped.apply(f"請看{name}。") == f"請看{name}。", name


def test_a_glossary_can_be_extended_in_either_script_and_a_broken_one_is_refused(tmp_path):
    extended = Glossary.from_toml('protected = ["小程序平台"]\n[terms]\n"视频" = "影片"\n')
    assert extended.apply("看視頻，在小程序平台") == "看影片，在小程序平台"
    path = tmp_path / "zh_hant_glossary.toml"
    path.write_text('[terms]\n"短信" = 3\n', encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"zh_hant_glossary.toml: \[terms\] holds lines"):
        read_glossary(path)
    path.write_text("[terms\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match="TOML syntax error"):
        read_glossary(path)
    path.write_text("replacements = {}\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match="only"):
        read_glossary(path)


def test_the_shipped_content_is_generated_with_the_glossary():
    for model in (Section, Topic, PathPage, Notice, Question, Choice, MessageTemplate):
        for row in model.objects.all():
            for name in row.translated_fields:
                generated = getattr(row, f"{name}_zh_hant_auto")
                assert generated == to_traditional(getattr(row, f"{name}_zh_hans"))
                assert not bad_forms(generated), (row, name, bad_forms(generated))


def test_load_content_generates_every_traditional_text_again_when_the_conversion_changed():
    topic = Topic.objects.get(slug="credit-record")
    right = topic.body_zh_hant_auto
    Topic.objects.filter(pk=topic.pk).update(body_zh_hant_auto="舊的轉換：爲短信")
    before = ContentVersion.current()
    out = io.StringIO()
    call_command("load_content", stdout=out)
    topic.refresh_from_db()
    assert topic.body_zh_hant_auto == right
    assert "Traditional Chinese generated again in 1 rows" in out.getvalue()
    ContentVersion.forget()
    assert ContentVersion.current() != before
    assert regenerate_traditional() == 0  # nothing left to change


# --- Overrides and their sources ----------------------------------------------------------------


def test_an_override_goes_stale_when_the_simplified_text_changes_and_fresh_when_rewritten():
    topic = Topic.objects.get(slug="credit-record")
    assert topic.traditional_status("title") == "generated"
    topic.title_zh_hant = "信用紀錄"
    topic.save()
    assert topic.traditional_status("title") == "written"
    topic.title_zh_hans = "你的信用记录"
    topic.save()
    topic.refresh_from_db()
    assert topic.traditional_status("title") == "stale"
    assert topic.stale_overrides() == ["title"]
    topic.title_zh_hant = "你的信用紀錄"  # rewritten for the new Simplified text
    topic.save()
    assert topic.traditional_status("title") == "written"
    topic.title_zh_hant = ""
    topic.save()
    assert topic.traditional_status("title") == "generated"
    assert topic.zh_hant_override_sources == {}


def test_an_editor_who_checked_a_stale_override_can_confirm_it():
    topic = Topic.objects.get(slug="credit-record")
    topic.summary_zh_hant = "逾期紀錄怎樣影響你。"
    topic.save()
    topic.summary_zh_hans = topic.summary_zh_hans + "（已更新）"
    topic.save(update_fields=["summary_zh_hans"])
    topic.refresh_from_db()
    assert topic.traditional_status("summary") == "stale"
    topic.confirm_overrides()
    topic.save()
    topic.refresh_from_db()
    assert topic.traditional_status("summary") == "written"


def test_overrides_in_the_content_files_are_loaded_as_written_not_stale():
    for model in (Section, Topic, PathPage, Notice, Question, Choice, MessageTemplate):
        for row in model.objects.all():
            assert row.stale_overrides() == [], row


@pytest.fixture
def editor(client):
    user = User.objects.create_superuser("editor", "editor@example.org", "a-long-passphrase-1")
    sign_in(client, user, "a-long-passphrase-1")
    return user


def test_the_admin_shows_generated_written_and_stale_texts(client, editor):
    question = Question.objects.get(key=load_tree().tree.start)
    choice = question.choices.first()
    choice.label_zh_hant = "手寫的選項"
    choice.save()
    choice.label_zh_hans += "（改过）"
    choice.save()
    listing = client.get("/admin/guidance/question/").content.decode()
    assert "1 處手寫待核對" in listing or "1 处手写待核对" in listing
    stale_only = client.get("/admin/guidance/question/", {"zh_hant": "stale"}).content.decode()
    listed = re.findall(r'href="/admin/guidance/question/(\d+)/change/', stale_only)
    assert listed == [str(question.pk)]
    form = client.get(f"/admin/guidance/question/{question.pk}/change/").content.decode()
    assert "請重新核對" in form or "请重新核对" in form
    assert question.text_zh_hant_auto in form  # the generated text is shown beside the override

    r = client.post(
        "/admin/guidance/question/",
        {"action": "confirm_traditional", "_selected_action": [question.pk]},
    )
    assert r.status_code == 302
    choice.refresh_from_db()
    assert choice.traditional_status("label") == "written"
    stale_only = client.get("/admin/guidance/question/", {"zh_hant": "stale"}).content.decode()
    assert f"/admin/guidance/question/{question.pk}/change/" not in stale_only


# --- The interface catalogue --------------------------------------------------------------------


def test_the_catalogue_is_what_make_messages_fills_in():
    catalogue = polib.pofile(str(CATALOGUE))
    overrides = read_overrides()
    for entry in catalogue:
        expected = overrides.get(entry.msgid) or to_traditional(entry.msgid)
        actual = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
        assert actual == expected, entry.msgid
        assert not bad_forms(actual), (entry.msgid, bad_forms(actual))


def test_every_interface_override_still_has_its_msgid():
    assert fill(polib.pofile(str(CATALOGUE)), read_overrides()) == []


def test_filling_the_catalogue_keeps_overrides_and_names_the_stale_ones(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "发送短信"\nmsgstr ""\n\nmsgid "默认"\nmsgstr "舊的"\n',
        encoding="utf-8",
    )
    catalogue = polib.pofile(str(po))
    unused = fill(catalogue, {"默认": "預設值", "不再有的字符串": "……"})
    assert [(e.msgid, e.msgstr) for e in catalogue] == [
        ("发送短信", "發送簡訊"),
        ("默认", "預設值"),
    ]
    assert unused == ["不再有的字符串"]
    assert OVERRIDES.name == "overrides.toml" and OVERRIDES.exists()


# --- Search in either script --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant"])
@pytest.mark.parametrize(("simplified", "traditional"), [("征信", "徵信"), ("短信", "簡訊")])
def test_search_treats_a_traditional_query_and_its_simplified_equivalent_alike(
    language, simplified, traditional
):
    with translation.override(language):
        found = [hit.document.url for hit in search(simplified)]
        assert found and found == [hit.document.url for hit in search(traditional)]


def test_a_match_found_in_the_other_script_is_marked_in_the_text_as_shown(client):
    html = client.get("/zh-hant/search/", {"q": "征信"}).content.decode()
    assert "<mark>徵信</mark>" in html


def test_folding_keeps_the_length_so_positions_carry_over():
    text = to_traditional("请把短信、链接和“征信修复”的说法都截图保存。")
    assert len(fold_chinese(text)) == len(text)
    assert fold_chinese(text) == "请把短信、链接和“征信修复”的说法都截图保存。"


# --- Every zh-hant page -------------------------------------------------------------------------


class PageText(HTMLParser):
    """What a reader sees or hears of a page: its text and the attributes read aloud."""

    READ = ("alt", "title", "aria-label", "placeholder", "content", "value")

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        self.parts += [value for name, value in attrs if name in self.READ and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = PageText()
    parser.feed(html)
    return "".join(parser.parts)


def assert_reads_well(response, where: str):
    assert response.status_code in (200, 400, 404, 500, 503), where
    text = page_text(response.content.decode())
    assert re.search(r"[\u4e00-\u9fff]", text), where
    assert not bad_forms(text), (where, bad_forms(text))


def covering_routes(tree: engine.Tree) -> list[list[tuple[str, tuple[str, ...]]]]:
    """Routes that between them answer every choice of every question at least once: the way
    to a question, that choice, then a calm choice at each question after it."""

    def calm(question) -> tuple[str, ...]:
        keys = [c.key for c in question.choices if not question.emergency_flags([c.key])]
        return ((keys or [question.choices[0].key])[0],)

    way = {tree.start: []}  # the shortest way to each question
    queue = [tree.start]
    while queue:
        key = queue.pop(0)
        question = tree.question(key)
        for choice in question.choices:
            following = question.next_after((choice.key,))
            if following != engine.END and following not in way:
                way[following] = [*way[key], (key, (choice.key,))]
                queue.append(following)
    routes, answered = [], set()
    for question in tree.questions:
        for choice in question.choices:
            if (question.key, choice.key) in answered:
                continue
            route = [*way[question.key], (question.key, (choice.key,))]
            following = question.next_after((choice.key,))
            while following != engine.END:
                route.append((following, calm(tree.question(following))))
                following = tree.question(following).next_after(route[-1][1])
            answered.update((key, c) for key, chosen in route for c in chosen)
            routes.append(route)
    return routes


def test_every_wizard_page_reads_as_traditional_chinese(client):
    tree = load_tree().tree
    assert_reads_well(client.get("/zh-hant/wizard/"), "wizard intro")
    seen, help_pages, results = set(), 0, 0
    for route in covering_routes(tree):
        r = client.post("/zh-hant/wizard/start/")
        url = r["Location"]
        for key, chosen in route:
            assert url.startswith(f"/zh-hant/wizard/q/{key}/"), (url, key)
            assert_reads_well(client.get(url), url)
            seen.add(key)
            # The court date question also takes the day the papers came (three days ago).
            received = (datetime.date.today() - datetime.timedelta(days=3)).isoformat()
            r = client.post(url, {"choice": list(chosen), "received": received})
            assert r.status_code == 302, url
            url = r["Location"]
            if url == "/zh-hant/wizard/help-now/":
                assert_reads_well(client.get(url), url)
                help_pages += 1
                following = tree.question(key).next_after(chosen)
                url = (
                    "/zh-hant/wizard/result/"
                    if following == engine.END
                    else f"/zh-hant/wizard/q/{following}/"
                )
        assert url == "/zh-hant/wizard/result/", route
        assert_reads_well(client.get(url), f"result of {route}")
        results += 1
    assert seen == {q.key for q in tree.questions}
    assert help_pages and results >= 3


def test_every_guide_path_and_tool_page_reads_as_traditional_chinese(client):
    urls = ["/zh-hant/", "/zh-hant/guide/", "/zh-hant/messages/", "/zh-hant/log/"]
    urls += ["/zh-hant/complaint/"]
    urls += ["/zh-hant/call/", "/zh-hant/budget/", "/zh-hant/search/?q=徵信"]
    urls += [f"/zh-hant/guide/{s.slug}/" for s in Section.objects.published()]
    urls += [f"/zh-hant/paths/{key}/" for key in ("communicate", "rights", "professional")]
    urls += [f"/zh-hant/messages/{m.slug}/" for m in MessageTemplate.objects.published()]
    for url in urls:
        assert_reads_well(client.get(url), url)
    sent = datetime.date.today().isoformat()
    for route in ("ant", "bank", "credit"):
        ladder = {"route": route, "sent": sent}
        assert_reads_well(client.get("/zh-hant/complaint/", ladder), f"complaint ladder {route}")
        plan = client.get("/zh-hant/complaint/plan.txt", ladder)
        assert_reads_well(plan, f"complaint plan {route}")
    budget = {"income": "5000", "housing": "1800", "food": "1200", "transport": "300"}
    assert_reads_well(client.post("/zh-hant/budget/", budget), "budget result")
    assert_reads_well(client.post("/zh-hant/reminder.ics", {"days": "0"}), "reminder error")


def test_every_composed_message_reads_as_traditional_chinese(client):
    typed = {
        "name": "王女士",
        "lender": "花唄",
        "collector": "催收員",
        "account": "A-1024",
        "amount": "3600",
        "offer_amount": "300",
        "offer_start": (datetime.date.today() + datetime.timedelta(days=10)).isoformat(),
        "reply_days": "7",
        "pause_until": (datetime.date.today() + datetime.timedelta(days=20)).isoformat(),
        "incidents": "11月20日晚上十一點來電",
        "contact": "支付寶App內的訊息",
    }
    for template in MessageTemplate.objects.published():
        r = client.post(f"/zh-hant/messages/{template.slug}/", typed)
        assert "王女士" in r.content.decode(), template.slug  # composed, not the form again
        assert_reads_well(r, template.slug)


def test_the_error_pages_read_as_traditional_chinese(client):
    assert_reads_well(client.get("/zh-hant/no-such-page/"), "404")
    request = RequestFactory().get("/zh-hant/")
    with translation.override("zh-hant"):
        assert_reads_well(page_not_found(request), "404 view")
        assert_reads_well(server_error(request), "500")
        page = page_text(render_to_string("errors/503.html", request=request))
    assert re.search(r"[\u4e00-\u9fff]", page) and not bad_forms(page)
