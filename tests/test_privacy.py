"""A shared phone: quick exit forgets the wizard, cookies die with the browser, and the page that
says what the site keeps in the browser."""

from __future__ import annotations

import base64
import contextlib
import time
import zlib

import pytest
from django.conf import settings

from guidance.models import Question
from guidance.wizard import StateProblem, dump_state, load_tree, seal, unseal

pytestmark = pytest.mark.django_db
LANGUAGES = ("zh-hans", "zh-hant", "en")


def answer_the_first_question(client, language="en"):
    url = client.post(f"/{language}/wizard/start/")["Location"]
    first = Question.objects.order_by("order").first()
    return client.post(url, {"choice": [first.choices.first().key]})


def has_no_expiry(cookie) -> bool:
    return cookie["max-age"] == "" and cookie["expires"] == ""


def test_quick_exit_forgets_the_wizard_answers_and_leaves_for_the_neutral_site(client):
    answer_the_first_question(client)
    assert client.cookies["wizard"].value
    assert "Continue where you left off" in client.get("/en/wizard/").content.decode()

    r = client.get("/exit/")
    assert r.status_code == 302
    assert r["Location"] == settings.QUICK_EXIT_URL
    assert r["Clear-Site-Data"] == '"cache"'
    assert r["Referrer-Policy"] == "no-referrer"
    assert "no-store" in r["Cache-Control"]
    deleted = r.cookies["wizard"]
    assert deleted.value == "" and deleted["max-age"] == 0 and deleted["path"] == "/"
    assert set(r.cookies) == {"wizard"}, "only the wizard's answers are forgotten"

    assert client.cookies["wizard"].value == ""
    assert "Continue where you left off" not in client.get("/en/wizard/").content.decode()


def test_quick_exit_answers_links_only(client):
    assert client.head("/exit/").status_code == 302
    assert client.post("/exit/").status_code == 405


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_quick_exits_through_the_exit_view(client, language):
    for url in [
        f"/{language}/",
        f"/{language}/guide/",
        f"/{language}/wizard/",
        f"/{language}/log/",
    ]:
        html = client.get(url).content.decode()
        assert 'href="/exit/" rel="noreferrer" data-quick-exit' in html, url
        assert settings.QUICK_EXIT_URL not in html, url


def test_the_wizard_cookie_dies_with_the_browser(client):
    r = answer_the_first_question(client)
    cookie = r.cookies["wizard"]
    assert cookie.value and has_no_expiry(cookie)


def test_the_csrf_cookie_dies_with_the_browser(client):
    r = client.get("/en/wizard/")
    cookie = r.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie.value and has_no_expiry(cookie)


def test_answers_older_than_the_signatures_age_are_not_read(client, monkeypatch):
    """The cookie has no expiry, but a browser that is never closed still loses the answers."""
    loaded = load_tree()
    first = Question.objects.order_by("order").first()
    answers = {first.key: (first.choices.first().key,)}
    too_old = time.time() - settings.WIZARD_COOKIE_MAX_AGE - 60
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: too_old)
        old_state = dump_state(loaded.tree, answers)
    client.cookies["wizard"] = dump_state(loaded.tree, answers)
    assert client.get("/en/wizard/result/")["Location"] != "/en/wizard/?note=invalid"
    client.cookies["wizard"] = old_state
    assert client.get("/en/wizard/result/")["Location"] == "/en/wizard/?note=invalid"


def readable_parts(cookie: str) -> list[bytes]:
    """What someone holding the phone could decode from a cookie: its bytes, base64 and zlib."""
    raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    parts = [cookie.encode(), raw]
    for start in range(len(raw)):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompressobj().decompress(raw[start:]))
    return parts


def test_the_wizard_cookie_cannot_be_read_by_whoever_holds_the_phone(client):
    r = client.post("/en/wizard/q/triage/", {"choice": ["self-harm"]})
    cookie = r.cookies["wizard"].value
    assert unseal(cookie)["a"] == [["triage", ["self-harm"]]]  # it is this answer...
    for part in readable_parts(cookie):  # ...but nothing decodable shows it
        assert b"self-harm" not in part and b"triage" not in part


def test_a_tampered_cookie_is_refused():
    token = seal({"a": [["triage", ["none"]]]})
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    with pytest.raises(StateProblem, match="signature"):
        unseal(flipped)


def test_answers_sealed_before_a_key_rotation_open_with_the_old_key_as_a_fallback(settings):
    old_key, new_key = "old-" + "k7Qz" * 20, "new-" + "p3Wx" * 20
    settings.SECRET_KEY = old_key
    token = seal({"a": [["overdue", ["days"]]]})
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new_key, [old_key]
    assert unseal(token) == {"a": [["overdue", ["days"]]]}
    assert unseal(seal({"made": "after"})) == {"made": "after"}
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(StateProblem, match="signature"):
        unseal(token)


BROWSE_SAFELY = {
    "zh-hans": ("安全浏览", ["联系记录", "无痕", "快速离开"]),
    # Any Traditional profile writes these characters so.
    "zh-hant": ("安全瀏覽", ["無痕", "快速離開"]),
    "en": ("Browse safely", ["contact log", "private", "Leave this site"]),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_browse_safely_page_says_what_stays_in_the_browser(client, language):
    title, words = BROWSE_SAFELY[language]
    words = [*words, "cookie", "Shift", "110"]
    r = client.get(f"/{language}/browse-safely/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f"<title>{title} · " in html
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    for word in words:
        assert word.lower() in main.lower(), (language, word)
    assert f'href="/{language}/log/"' in main
    # The danger line comes before anything about browsers.
    assert main.index("110") < main.index("cookie")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_footer_and_the_log_link_to_browse_safely(client, language):
    link = f'href="/{language}/browse-safely/"'
    for url in [f"/{language}/", f"/{language}/guide/consequences/", f"/{language}/wizard/"]:
        footer = client.get(url).content.decode().split('<footer class="site-footer">')[1]
        assert link in footer, url
    log = client.get(f"/{language}/log/").content.decode()
    privacy = log.split('id="log-privacy"')[1].split("</div>")[0]
    assert link in privacy


def test_the_log_page_says_quick_exit_keeps_the_log(client):
    html = client.get("/en/log/").content.decode()
    privacy = html.split('id="log-privacy"')[1].split("</div>")[0]
    assert "Leave this site" in privacy and "does not delete" in privacy
