"""Security headers, CSP, production start-up refusal, and logs free of personal data."""

from __future__ import annotations

import base64
import gzip
import io
import json
import logging
import os
import pickle
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client, override_settings

from guidance.models import Question
from tests.admin_forms import sign_in

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "/zh-hans/",
    "/en/guide/",
    "/en/guide/consequences/",
    "/en/paths/rights/",
    "/en/wizard/",
    "/en/messages/",
    "/en/messages/hardship-plan/",
    "/en/log/",
    "/en/call/",
    "/en/budget/",
    "/en/search/?q=credit",
    "/en/no-such-page/",
    "/admin/login/",
]


@pytest.mark.parametrize("url", PAGES)
def test_security_headers_and_csp_on_every_page_type(client, url):
    r = client.get(url)
    assert r.status_code in (200, 404)
    csp = r["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["default-src"] == ["'none'"]  # so object-src, font-src, frame-src… too
    assert directives["script-src"][0] == "'self'" and len(directives["script-src"]) <= 2
    assert all(s.startswith("'nonce-") for s in directives["script-src"][1:])
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"
    assert r["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in r["Permissions-Policy"] and "geolocation=()" in r["Permissions-Policy"]
    assert r["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", PAGES)
def test_no_inline_script_runs_without_a_nonce(client, url):
    html = client.get(url).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or "nonce=" in tag, tag
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


PRODUCTION_ENV_NAMES = {
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DEBUG",
    "PORTAL_TESTING",
    "DJANGO_SETTINGS_MODULE",
    "HTTPS",
    "SECURE_HSTS_PRELOAD",
    "PROXY_COUNT",
    "REDIS_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run_manage(*args, env_changes):
    """manage.py with the production settings and only the environment given here."""
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV_NAMES}
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def documented_production_env(**changes) -> dict:
    """The environment README's "Deploying" section sets, nothing more."""
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "help.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://help.example.org",
        "PROXY_COUNT": "1",
        **changes,
    }


def test_production_refuses_to_start_without_a_secret_or_hosts():
    result = run_manage("check", env_changes={"ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_manage("check", env_changes={"SECRET_KEY": secrets.token_urlsafe(64)})
    assert result.returncode != 0 and "ALLOWED_HOSTS is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_there_is_no_switch_that_lets_production_run_on_a_development_key():
    for switch in ({"PORTAL_TESTING": "1"}, {"TESTING": "1"}, {"HTTPS": "0"}):
        result = run_manage("check", env_changes={"ALLOWED_HOSTS": "example.org", **switch})
        assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr, switch


@pytest.mark.parametrize(
    ("key", "accepted"),
    [
        ("q7Wm2xK9pL4v" * 4 + "z", False),  # 49 characters
        ("q7Wm2xK9pL4v" * 4 + "zR", True),  # 50
        ("abab" * 13, False),  # long, but only two different characters
        ("django-insecure-" + "q7Wm2xK9pL4v" * 3, False),  # Django's development prefix
    ],
    ids=["49-characters", "50-characters", "too-few-different", "development-prefix"],
)
def test_the_secret_key_rule_is_the_one_its_message_states(key, accepted):
    result = run_manage("check", env_changes={"SECRET_KEY": key, "ALLOWED_HOSTS": "example.org"})
    assert (result.returncode == 0) is accepted, result.stderr
    if not accepted:
        assert "SECRET_KEY is too short or too simple" in result.stderr
        assert "at least 50 random characters with at least 5 different ones" in result.stderr
        assert "Traceback" not in result.stderr


def test_an_old_key_in_secret_key_fallbacks_still_opens_what_it_signed():
    from django.core import signing

    old_key, new_key = secrets.token_urlsafe(64), secrets.token_urlsafe(64)
    token = signing.dumps({"made": "before the rotation"}, key=old_key)
    read = f"from django.core import signing; print(signing.loads({token!r})['made'])"
    env = {"SECRET_KEY": new_key, "ALLOWED_HOSTS": "example.org"}
    result = run_manage("shell", "-c", read, env_changes={**env, "SECRET_KEY_FALLBACKS": old_key})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "before the rotation"
    result = run_manage("shell", "-c", read, env_changes=env)
    assert "BadSignature" in result.stderr  # without the fallback the old signature fails
    result = run_manage("check", env_changes={**env, "SECRET_KEY_FALLBACKS": f"{old_key},short"})
    assert result.returncode != 0
    assert "SECRET_KEY_FALLBACKS entry 2 is too short or too simple" in result.stderr


def test_check_deploy_is_clean_with_the_documented_production_environment():
    """No HTTPS flag, no silenced warning passed in: the defaults are the deployment's."""
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env_changes=documented_production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    preload = documented_production_env(SECURE_HSTS_PRELOAD="1")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_changes=preload)
    assert result.returncode == 0, result.stdout + result.stderr


REQUEST_THROUGH_PRODUCTION_SETTINGS = """
import json
from django.test import Client
client = Client()
plain = client.get("/", HTTP_HOST="help.example.org")
proxied = client.get("/", HTTP_HOST="help.example.org", HTTP_X_FORWARDED_PROTO="https")
login = client.get("/admin/login/", HTTP_HOST="help.example.org", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "proxied": [proxied.status_code, proxied.get("Strict-Transport-Security", "")],
    "cookies": {name: bool(morsel["secure"]) for name, morsel in login.cookies.items()},
}))
"""


def request_through_production_settings(**env) -> dict:
    result = run_manage(
        "shell",
        "-c",
        REQUEST_THROUGH_PRODUCTION_SETTINGS,
        env_changes=documented_production_env(**env),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_debug_off_the_site_is_https_only_unless_told_otherwise():
    seen = request_through_production_settings()
    assert seen["plain"] == [301, "https://help.example.org/"]
    assert seen["proxied"] == [302, "max-age=31536000; includeSubDomains"]  # preload: opt-in
    assert seen["cookies"] == {"csrftoken": True}

    assert request_through_production_settings(SECURE_HSTS_PRELOAD="1")["proxied"] == [
        302,
        "max-age=31536000; includeSubDomains; preload",
    ]

    local = request_through_production_settings(HTTPS="0")  # what `make run` sets
    assert local["plain"][0] == 302 and local["plain"][1].startswith("/")
    assert local["proxied"] == [302, ""]
    assert local["cookies"] == {"csrftoken": False}


def test_request_logs_are_json_with_an_id_and_no_personal_data(client, caplog):
    first = Question.objects.order_by("order").first()
    choice = first.choices.first()
    with caplog.at_level(logging.INFO, logger="portal.requests"):
        client.post("/en/wizard/start/")
        r = client.post(f"/en/wizard/q/{first.key}/", {"choice": [choice.key]})
        client.get(r["Location"])
        client.get("/en/search/", {"q": "my secret words"})
        client.post(
            "/en/messages/hardship-plan/",
            {"name": "Zhang Private", "lender": "Huabei"},
            HTTP_X_REQUEST_ID="abcdef12-proxy-id",
        )
    from guidance.logging import JsonFormatter

    records = [r for r in caplog.records if r.name == "portal.requests"]
    text = "\n".join(JsonFormatter().format(record) for record in records)
    for private in (choice.key, "my secret words", "secret", "Zhang Private", first.key):
        assert private not in text, private
    assert "/en/wizard/q/*/" in text
    assert {r.fields["status"] for r in records} >= {200, 302}
    line = json.loads(JsonFormatter().format(records[-1]))
    assert set(line) >= {"time", "level", "request_id", "method", "path", "status", "ms"}
    assert r["X-Request-ID"]


def test_a_sane_request_id_from_the_proxy_is_kept_and_a_bad_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abcdef12-proxy-id")["X-Request-ID"] == (
        "abcdef12-proxy-id"
    )
    assert client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


def test_server_error_lines_mask_the_wizard_question_too():
    import logging as std_logging

    from guidance.logging import JsonFormatter, MaskPathsFilter

    record = std_logging.LogRecord(
        "django.request",
        std_logging.ERROR,
        __file__,
        1,
        "%s: %s",
        ("Service Unavailable", "/en/wizard/q/court-type/"),
        None,
    )
    MaskPathsFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "court-type" not in line and "/en/wizard/q/*/" in line


def stdout_handler() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers if h.name == "stdout")


def test_every_logger_s_lines_are_masked_by_the_handler():
    """The mask sits on the handler, so a logger nobody configured is masked too."""
    handler = stdout_handler()
    assert any(type(f).__name__ == "MaskPathsFilter" for f in handler.filters)
    lines = io.StringIO()
    old = handler.setStream(lines)
    try:
        logging.getLogger("some.library").warning(
            "Referer %s did not match (was on %s)",
            "https://help.example.org/en/search/?q=my+debts",
            "/zh-hans/wizard/q/threats/",
        )
    finally:
        handler.setStream(old)
    text = lines.getvalue()
    assert "my+debts" not in text and "threats" not in text
    assert "/en/search/?*" in text and "/zh-hans/wizard/q/*/" in text


def test_a_malformed_log_call_is_still_masked_and_does_not_raise():
    """A library's broken format string must not crash its caller in our filter, nor print its
    arguments unmasked."""
    handler = stdout_handler()
    lines = io.StringIO()
    old = handler.setStream(lines)
    try:
        logging.getLogger("some.library").warning(
            "on /en/wizard/q/threats/ %s and %s", "/en/wizard/q/court-type/"
        )
    finally:
        handler.setStream(old)
    text = lines.getvalue()
    assert "threats" not in text and "court-type" not in text
    assert "/en/wizard/q/*/" in text


def test_a_csrf_failure_on_a_wizard_question_logs_no_question_key():
    key = Question.objects.order_by("order").first().key
    handler = stdout_handler()
    lines = io.StringIO()
    old = handler.setStream(lines)
    try:
        r = Client(enforce_csrf_checks=True).post(f"/en/wizard/q/{key}/", {"choice": "x"})
    finally:
        handler.setStream(old)
    assert r.status_code == 403
    text = lines.getvalue()
    assert "Forbidden (CSRF" in text  # Django's own warning went through this handler …
    assert f"/wizard/q/{key}/" not in text and f"/{key}/" not in text  # … without the key
    assert "/en/wizard/q/*/" in text


# --- readiness -----------------------------------------------------------------------------------


def test_readyz_says_ready_and_nothing_more_with_one_cheap_query(client, django_assert_num_queries):
    client.get("/readyz")  # the migration state, worked out once per process
    with django_assert_num_queries(1) as queries:
        r = client.get("/readyz")
    assert r.status_code == 200
    assert json.loads(r.content) == {"ready": True}
    assert queries.captured_queries[0]["sql"] == "SELECT 1"


def test_readyz_is_not_ready_while_a_migration_is_missing(client):
    from django.db.migrations.recorder import MigrationRecorder

    from guidance.views import system

    latest = MigrationRecorder.Migration.objects.filter(app="guidance").order_by("-id").first()
    latest.delete()  # as if this code were deployed before `migrate` ran
    system._migrated = False  # a process starting now
    r = client.get("/readyz")
    assert r.status_code == 503
    assert json.loads(r.content) == {"ready": False}
    MigrationRecorder.Migration.objects.create(app=latest.app, name=latest.name)
    assert client.get("/readyz").status_code == 200  # asked again, since it was "not yet"


# --- Redis ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A private Redis server with a password, for this module only."""
    from tests.servers import free_port

    port, password = free_port(), secrets.token_urlsafe(16)
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            password,
            "--dir",
            str(tmp_path_factory.mktemp("redis")),
        ],
        stdout=subprocess.DEVNULL,
    )
    import redis

    url = f"redis://:{password}@127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_pages_cached_in_redis_are_json_not_pickles(client, redis_url):
    import redis

    from portal.settings import redis_cache

    raw = redis.Redis.from_url(redis_url)
    raw.flushdb()
    with override_settings(CACHES={"default": redis_cache(redis_url)}):
        first = client.get("/en/guide/", HTTP_ACCEPT_ENCODING="gzip")
        second = client.get("/en/guide/", HTTP_ACCEPT_ENCODING="gzip")
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and second["Content-Encoding"] == "gzip"
    keys = [key for key in raw.keys("*") if b"page:" in key]
    assert keys, "the page was not kept in Redis"
    for key in keys:
        stored = raw.get(key)
        assert not stored.startswith(b"\x80"), "a pickle"
        entry = json.loads(stored)
        assert set(entry) == {"headers", "gzip"}
        assert gzip.decompress(base64.b64decode(entry["gzip"]["__bytes__"])) == (
            gzip.decompress(second.content)
        )


def test_a_pickle_planted_in_redis_runs_nothing_and_reads_as_a_miss(redis_url, tmp_path):
    from django.core.cache.backends.redis import RedisCache

    from portal.settings import redis_cache

    config = redis_cache(redis_url)
    cache = RedisCache(config["LOCATION"], config)
    ran = tmp_path / "ran"

    class Planted:
        def __reduce__(self):
            return (Path.touch, (ran,))

    import redis

    redis.Redis.from_url(redis_url).set(
        cache.make_and_validate_key("planted"), pickle.dumps(Planted())
    )
    assert cache.get("planted") is None
    assert not ran.exists()
    cache.set("count", 1)
    assert cache.incr("count") == 2  # numbers stay numbers Redis can add to
    cache.set("page", {"headers": {"Content-Type": "text/html"}, "gzip": b"\x1f\x8b\x00"})
    assert cache.get("page") == {"headers": {"Content-Type": "text/html"}, "gzip": b"\x1f\x8b\x00"}


def test_readers_requests_never_touch_the_editors_session(client, admin_user):
    """Django's session and sign-in are lazy: a reader's page neither reads nor writes them,
    even in a browser that is signed in to the admin."""
    sign_in(client, admin_user, "password")
    public = client.get("/en/wizard/")
    assert public.status_code == 200
    assert not public.wsgi_request.session.accessed and "sessionid" not in public.cookies
    for path in ("/admin/", "/en/guide/consequences/?preview=1"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.wsgi_request.user == admin_user
        assert response.wsgi_request.session.session_key


# --- the sign-in lockout behind a proxy --------------------------------------------------------

PROXY = "10.0.0.2"  # the load balancer's own address, what the app sees as REMOTE_ADDR
RIGHT = "the-right-pass-phrase"


def password_step(client, username="admin", password=RIGHT, forwarded_for=None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **extra
    )


@override_settings(PROXY_COUNT=1)
def test_behind_a_proxy_forged_prefixes_do_not_escape_the_lockout_nor_lock_out_neighbours():
    from django.contrib.auth.models import User

    User.objects.create_superuser("admin", "admin@example.org", RIGHT)
    attacker, neighbour = Client(), Client()
    for n in range(10):  # a new forged entry every time; the proxy appends the real address
        r = password_step(attacker, password="wrong", forwarded_for=f"6.6.6.{n}, 203.0.113.7")
        assert r.status_code in (200, 429)
    r = password_step(attacker, forwarded_for="1.1.1.1, 203.0.113.7")
    assert r.status_code == 429 and "暂时锁定" in r.content.decode()
    # Another reader behind the same proxy signs in with the right password.
    r = password_step(neighbour, forwarded_for="198.51.100.9")
    assert r.status_code == 302 and r["Location"] == "/admin/login/second-step/"


def test_without_proxies_a_forged_forwarded_for_is_ignored():
    from django.contrib.auth.models import User

    User.objects.create_superuser("admin", "admin@example.org", RIGHT)
    client = Client()
    for n in range(10):
        password_step(client, password="wrong", forwarded_for=f"203.0.113.{n}")
    assert password_step(client, forwarded_for="198.51.100.1").status_code == 429


def test_the_lockout_is_for_one_account_from_one_client():
    from django.contrib.auth.models import User

    User.objects.create_superuser("admin", "admin@example.org", RIGHT)
    User.objects.create_superuser("other", "other@example.org", RIGHT)
    client = Client()
    for _ in range(10):
        password_step(client, password="wrong")
    assert password_step(client).status_code == 429
    assert password_step(client, username="other").status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "1.2.3.4", PROXY),
        (1, "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        (2, "1.2.3.4, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", PROXY),  # fewer entries than proxies: it did not come through them
        (1, "not-an-address", PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_the_entry_the_trusted_proxies_appended(
    rf, proxies, forwarded_for, expected
):
    from guidance.client_address import client_address

    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)
    with override_settings(PROXY_COUNT=proxies):
        assert client_address(request) == expected


# --- two-step sign-in ----------------------------------------------------------------------------

SECOND_STEP = "/admin/login/second-step/"


@pytest.fixture
def staff():
    from django.contrib.auth.models import User

    return User.objects.create_superuser("admin", "admin@example.org", RIGHT)


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_a_password_alone_signs_nobody_in(client, staff):
    r = password_step(client)
    assert r.status_code == 302 and r["Location"] == SECOND_STEP
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/guidance/topic/").status_code == 302


def test_the_first_sign_in_sets_up_an_authenticator_then_shows_recovery_codes(client, staff):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.admin_forms import key_shown_on, totp_code

    password_step(client)
    page = client.get(SECOND_STEP)
    html = page.content.decode()
    assert page.status_code == 200 and "设置两步验证" in html
    assert 'src="data:image/svg+xml' in html  # the QR code, drawn here, fetched from nowhere
    assert "no-store" in page["Cache-Control"]
    key = key_shown_on(html)
    assert not TOTPDevice.objects.exists()  # nothing is kept until a code proves the app has it
    r = client.post(SECOND_STEP, {"code": "000000" if totp_code(key) != "000000" else "111111"})
    assert "这个验证码不对" in r.content.decode() and not signed_in(client)

    r = client.post(SECOND_STEP, {"code": totp_code(key)})
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", r.content.decode())
    assert len(set(codes)) == 10
    assert signed_in(client)
    assert TOTPDevice.objects.get(user=staff).bin_key == key


def test_a_new_key_each_attempt_so_an_unfinished_set_up_cannot_be_finished_elsewhere(staff):
    from tests.admin_forms import key_shown_on, totp_code

    first, second = Client(), Client()
    password_step(first)
    first_key = key_shown_on(first.get(SECOND_STEP).content.decode())
    password_step(second)
    second_key = key_shown_on(second.get(SECOND_STEP).content.decode())
    assert first_key != second_key
    second.post(SECOND_STEP, {"code": totp_code(first_key)})
    assert not signed_in(second)


def test_signing_in_again_needs_a_code_and_each_recovery_code_works_once(client, staff):
    codes = sign_in(client, staff, RIGHT)
    client.logout()

    typed = codes[0][:4].upper() + "-" + codes[0][4:].upper()  # as read out from paper
    password_step(client)
    r = client.post(SECOND_STEP, {"code": typed})
    assert r.status_code == 302 and r["Location"] == "/admin/"
    assert "还剩 9 个" in client.get("/admin/").content.decode()
    client.logout()

    password_step(client)
    assert client.post(SECOND_STEP, {"code": codes[0]}).status_code == 200  # used up
    assert not signed_in(client)

    client.logout()
    sign_in(client, staff, RIGHT)  # the authenticator's next code still works
    assert signed_in(client)


def test_after_the_second_step_the_editor_lands_where_they_were_going(client, staff):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.admin_forms import next_code

    sign_in(client, staff, RIGHT)
    client.logout()
    for asked, landed in (
        ("/admin/guidance/topic/", "/admin/guidance/topic/"),
        ("https://elsewhere.example/", "/admin/"),
    ):
        client.post("/admin/login/", {"username": "admin", "password": RIGHT, "next": asked})
        r = client.post(SECOND_STEP, {"code": next_code(TOTPDevice.objects.get(user=staff))})
        assert r["Location"] == landed
        client.logout()


def test_wrong_codes_send_back_to_the_password_then_lock_out(client, staff):
    sign_in(client, staff, RIGHT)
    client.logout()
    for _ in range(2):
        assert password_step(client).status_code == 302
        for _attempt in range(5):
            # Never a valid code (five digits), from the same client as the password.
            r = client.post(SECOND_STEP, {"code": "12345"}, REMOTE_ADDR=PROXY)
            assert r.status_code in (200, 302, 429)
        assert client.get(SECOND_STEP)["Location"] == "/admin/login/"  # the password again
    # Ten wrong codes count like ten wrong passwords: the right password is refused now.
    assert password_step(client).status_code == 429


def test_reset_two_factor_removes_a_lost_phone_and_its_sessions(client, staff):
    from django.core.management import call_command
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    sign_in(client, staff, RIGHT)
    assert signed_in(client)
    out = io.StringIO()
    call_command("reset_two_factor", "admin", stdout=out)
    assert "set up a new authenticator" in out.getvalue()
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    assert not signed_in(client)  # the session verified by the lost phone no longer counts
    password_step(client)
    assert "设置两步验证" in client.get(SECOND_STEP).content.decode()


def test_a_stale_or_missing_first_step_goes_back_to_the_password(client, staff):
    assert client.get(SECOND_STEP)["Location"] == "/admin/login/"
    assert client.post(SECOND_STEP, {"code": "123456"})["Location"] == "/admin/login/"


def test_the_second_step_speaks_english_when_asked(staff):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    password_step(client)
    html = client.get(SECOND_STEP).content.decode()
    assert "Set up two-step sign-in" in html and "Finish and sign in" in html


@pytest.mark.parametrize("typed", ["１２３４５６", "²²²²²²", "x" * 41, "١٢٣٤٥٦", "' OR 1=1 --"])
def test_odd_codes_are_refused_calmly(client, staff, typed):
    password_step(client)
    r = client.post(SECOND_STEP, {"code": typed})
    assert r.status_code == 200 and not signed_in(client)


def test_a_code_typed_with_full_width_digits_is_accepted(client, staff):
    from tests.admin_forms import key_shown_on, totp_code

    password_step(client)
    key = key_shown_on(client.get(SECOND_STEP).content.decode())
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in totp_code(key))
    client.post(SECOND_STEP, {"code": full_width})
    assert signed_in(client)
