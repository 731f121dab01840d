"""Staff sign in with a password and then a code from an authenticator app (TOTP).

Nobody is signed in until both steps pass. The password step only remembers, in the session and
for a few minutes, who is half-way; the second step signs them in and marks the session verified
with django-otp, which the admin requires on every request. An editor without an authenticator
sets one up at the second step: a fresh key for each attempt, saved only once a code made from it
is entered, and then ten recovery codes, each good once, for the day the phone is lost.
`manage.py reset_two_factor USERNAME` removes a lost device; a new one is set up at the next
sign-in. Wrong codes count towards the same lockout as wrong passwords (django-axes).
"""

from __future__ import annotations

import base64
import secrets
import time
import unicodedata

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING = "staff_sign_in"
PENDING_SECONDS = 10 * 60
WRONG_CODES_BEFORE_PASSWORD_AGAIN = 5
RECOVERY_CODE_COUNT = 10
TOTP_KEY_BYTES = 20
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "spellcheck": "false",
                "aria-describedby": "code-help",
            }
        ),
    )


def normalised(code: str) -> str:
    """Codes as typed, in lower case, without the spaces and dashes people add; full-width
    digits (a Chinese input method's) become plain ones, anything else non-ASCII is dropped."""
    code = unicodedata.normalize("NFKC", code).lower()
    return "".join(ch for ch in code if ch.isascii() and ch.isalnum())


def grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


# --- the half-way state ------------------------------------------------------------------------


def remember_password_passed(request: HttpRequest, user, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "next": next_url,
        "since": time.time(),
        "wrong_codes": 0,
    }


def password_passed(request: HttpRequest) -> tuple[object, dict] | None:
    """The user who passed the password step in this session a few minutes ago, if any."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_SECONDS:
        return None
    if pending.get("backend") not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True, is_staff=True)
    user = user.first()
    return (user, pending) if user is not None else None


def count_wrong_code(request: HttpRequest, user, pending: dict) -> None:
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    pending["wrong_codes"] = pending.get("wrong_codes", 0) + 1
    if pending["wrong_codes"] >= WRONG_CODES_BEFORE_PASSWORD_AGAIN:
        request.session.pop(PENDING, None)
    else:
        request.session[PENDING] = pending


def sign_in(request: HttpRequest, user, device, pending: dict) -> None:
    request.session.pop(PENDING, None)
    auth_login(request, user, backend=pending["backend"])
    django_otp.login(request, device)


# --- codes ----------------------------------------------------------------------------------------


def verified_device(user, code: str):
    """The authenticator or recovery-code device that accepts `code`, or None."""
    code = normalised(code)
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    for device in model.objects.devices_for_user(user, confirmed=True):
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


def new_recovery_codes(user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def enrol(user, key: str, code: str):
    """Save the authenticator made from `key` if `code` comes from it; return it, or None."""
    code, totp = normalised(code), TOTP(bytes.fromhex(key))
    if not (code.isdigit() and len(code) == 6 and totp.verify(int(code), tolerance=1)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        # The code just used cannot be used again to sign in.
        return TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True, last_t=totp.t()
        )


# --- the admin site ------------------------------------------------------------------------------


class PasswordStepView(LoginView):
    """The admin's own login page and form; a right password leads to the second step."""

    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"
    next_page = reverse_lazy("admin:index")

    def form_valid(self, form):
        remember_password_passed(self.request, form.get_user(), self.get_success_url())
        return HttpResponseRedirect(reverse("admin:second_factor"))


class StaffAdminSite(admin.AdminSite):
    """The admin, for staff who passed both steps in this session."""

    def has_permission(self, request: HttpRequest) -> bool:
        # django-otp's middleware (and its login(), right after the second step) set otp_device
        # to the device that verified this session, None when none did.
        verified = getattr(request.user, "otp_device", None) is not None
        return super().has_permission(request) and verified

    def get_urls(self):
        second_step = path("login/second-step/", self.second_factor, name="second_factor")
        return [second_step, *super().get_urls()]

    @method_decorator(sensitive_post_parameters())
    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        redirect_url = LoginView().get_redirect_url(request) or reverse("admin:index")
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(redirect_url)
        context = {
            **self.each_context(request),
            "title": _("登录"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
            REDIRECT_FIELD_NAME: redirect_url,
            **(extra_context or {}),
        }
        request.current_app = self.name
        return PasswordStepView.as_view(extra_context=context)(request)

    @method_decorator(sensitive_post_parameters("code"))
    @method_decorator(never_cache)
    def second_factor(self, request: HttpRequest) -> HttpResponse:
        passed = password_passed(request)
        if passed is None:
            return HttpResponseRedirect(reverse("admin:login"))
        user, pending = passed
        if not TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
            return self._set_up_authenticator(request, user, pending)

        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            device = verified_device(user, form.cleaned_data["code"])
            if device is not None:
                sign_in(request, user, device, pending)
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(
                        request,
                        _("你用了一个恢复码，还剩 %(left)d 个。") % {"left": left},
                    )
                return HttpResponseRedirect(pending["next"])
            count_wrong_code(request, user, pending)
            form.add_error("code", _("验证码不对或已过期。连续输错后要等几秒才能再试。"))
        return self._render(request, "admin/second_factor.html", {"form": form, "user_name": user})

    def _set_up_authenticator(self, request, user, pending) -> HttpResponse:
        if "new_key" not in pending:
            pending["new_key"] = secrets.token_hex(TOTP_KEY_BYTES)
            request.session[PENDING] = pending
        key = pending["new_key"]
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            device = enrol(user, key, form.cleaned_data["code"])
            if device is not None:
                codes = new_recovery_codes(user)
                sign_in(request, user, device, pending)
                return self._render(
                    request,
                    "admin/recovery_codes.html",
                    {"codes": codes, "next_url": pending["next"]},
                )
            count_wrong_code(request, user, pending)
            form.add_error("code", _("这个验证码不对。请输入应用里现在显示的6位数字。"))
        config_url = TOTPDevice(user=user, key=key).config_url
        context = {
            "form": form,
            "user_name": user,
            "secret": grouped(base64.b32encode(bytes.fromhex(key)).decode()),
            "qr_code": segno.make(config_url, error="m").svg_data_uri(scale=4),
        }
        return self._render(request, "admin/second_factor_setup.html", context)

    def _render(self, request, template: str, context: dict) -> HttpResponse:
        context = {**self.each_context(request), "title": _("两步验证"), **context}
        request.current_app = self.name
        return TemplateResponse(request, template, context)
