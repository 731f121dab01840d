"""Building admin form posts the way a browser sends them, and signing editors in for real."""

from __future__ import annotations

import base64
import hmac
import re
import time

from django_otp.plugins.otp_totp.models import TOTPDevice

from guidance.translation import WRITTEN_LANGUAGES

SECOND_STEP = "/admin/login/second-step/"
TOTP_STEP_SECONDS = 30


def translated_data(obj, prefix: str = "") -> dict[str, str]:
    """The form values of every translated text of `obj` (hand-written Traditional included)."""
    return {
        f"{prefix}{name}_{lang}": getattr(obj, f"{name}_{lang}")
        for name in obj.translated_fields
        for lang in WRITTEN_LANGUAGES
    }


def totp_code(key: bytes, time_step: int | None = None) -> str:
    """The 6-digit code an authenticator app shows for `key` (RFC 6238: HMAC-SHA1, 30 s)."""
    if time_step is None:
        time_step = int(time.time() // TOTP_STEP_SECONDS)
    digest = hmac.digest(key, time_step.to_bytes(8, "big"), "sha1")
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def key_shown_on(html: str) -> bytes:
    """The authenticator key the set-up page shows (what a person types into the app)."""
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    return base64.b32decode(secret.replace(" ", ""))


def next_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet: each code signs in once, so a second sign-in
    within the same 30 seconds uses the next one (the server accepts one step of clock drift)."""
    device.refresh_from_db()
    now = int(time.time() // TOTP_STEP_SECONDS)
    return totp_code(device.bin_key, max(now, device.last_t + 1))


def sign_in(client, user, password: str) -> list[str]:
    """Sign `user` in to the admin as a browser would: the password, then the code from the
    authenticator app (set up on the way when they have none yet). Returns any recovery codes
    the set-up showed."""
    r = client.post("/admin/login/", {"username": user.username, "password": password})
    assert r.status_code == 302 and r["Location"] == SECOND_STEP, r
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        key = key_shown_on(client.get(SECOND_STEP).content.decode())
        r = client.post(SECOND_STEP, {"code": totp_code(key)})
        assert r.status_code == 200, r
        return re.findall(r"<li><code>([a-z2-7]+)</code></li>", r.content.decode())
    r = client.post(SECOND_STEP, {"code": next_code(device)})
    assert r.status_code == 302, r
    return []
