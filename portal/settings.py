"""Settings for the portal, read from environment variables (twelve-factor).

DATABASE_URL          default: a SQLite file under var/
SECRET_KEY            required when DEBUG is off; `make run` writes a local one to var/secret_key
SECRET_KEY_FALLBACKS  comma-separated older keys, still accepted while a new key is rolled out
DEBUG                 "1"/"true" to turn on; off by default
ALLOWED_HOSTS         comma-separated; required when DEBUG is off
HTTPS                 on unless DEBUG is on: HSTS, secure cookies, redirect to HTTPS; "0" for a
                      plain-HTTP local run (`make run` does that on 127.0.0.1)
PROXY_COUNT           trusted proxies in front of the app (for the sign-in lockout's client address)
REDIS_URL             optional shared cache (needed when several app servers run)
SECURITY_CONTACT      where to report a vulnerability (mailto: or https: URI), for security.txt
QUICK_EXIT_URL        the neutral site "quick exit" leads to
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Django's deployment check asks the same of a key: 50 characters, 5 different ones, and not
# the prefix Django gives the keys it generates for development.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def strong_secret_key(key: str) -> bool:
    return (
        len(key) >= SECRET_KEY_MIN_LENGTH
        and len(set(key)) >= SECRET_KEY_MIN_UNIQUE_CHARACTERS
        and not key.startswith("django-insecure-")
    )


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "django-insecure-development-key-for-debug-mode-only"
elif not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
        "string (`make run` creates one in var/secret_key for local use)."
    )
if not DEBUG:
    for name, key in [("SECRET_KEY", SECRET_KEY)] + [
        (f"SECRET_KEY_FALLBACKS entry {n}", k) for n, k in enumerate(SECRET_KEY_FALLBACKS, 1)
    ]:
        if not strong_secret_key(key):
            raise ImproperlyConfigured(
                f"{name} is too short or too simple. Use at least {SECRET_KEY_MIN_LENGTH} "
                f"random characters with at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different "
                "ones, not a development key (for example the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`)."
            )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. Set it to the host names the site is served under, "
        "separated by commas (for example ALLOWED_HOSTS=help.example.org)."
    )

INSTALLED_APPS = [
    "guidance.admin_config.StaffAdminConfig",  # the admin, with two-step staff sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_htmx",
    "reversion",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "guidance",
]

MIDDLEWARE = [
    "guidance.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is known (to find the view) and before anything that could make a
    # page one reader's own (guidance/page_cache.py).
    "guidance.page_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether the signed-in editor passed the second step (read only when the user is).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Ten failed sign-ins (wrong passwords and wrong codes) for one account from one client lock
# that account out there for half an hour; others behind the same proxy can still sign in.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
# The client's address is the one the trusted proxies appended (guidance/client_address.py).
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "guidance.client_address.client_address"

# Staff sign in with a password and a code from an authenticator app (guidance/staff_login.py).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "催收自助指引")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guidance.context_processors.site",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers work while an editor saves; a persistent connection saves each request
    # the cost of opening the file and setting these pragmas.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Give up on an unreachable server after a few seconds: readers get the 503 page, not a hang.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def redis_cache(url: str) -> dict:
    """The shared cache for several app servers. Values are JSON, not pickles: whoever can
    write to Redis must not be able to run code here. Use rediss:// with a password
    (rediss://:password@host:6380/0) on a private network."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "portal",
        "OPTIONS": {"serializer": "guidance.cache_serializer.JsonSerializer"},
    }


if os.environ.get("REDIS_URL"):
    CACHES = {"default": redis_cache(os.environ["REDIS_URL"])}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The `{% cache %}` tag's own cache: the site's header and footer per language (base.html), kept
# in each process, since they change only with a deploy, which starts new processes.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Sessions are used by the admin only; borrowers' answers never enter them.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
# Gone when the browser closes, like the wizard's answers: nothing of a visit outlives it.
CSRF_COOKIE_AGE = None
LANGUAGE_COOKIE_NAME = "portal_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Nothing is allowed unless a directive below names it: scripts and stylesheets are our own
# files (an inline script needs the request's nonce), images are ours or data: URIs (the empty
# favicon, the admin's QR code), htmx and the admin's Markdown preview fetch from this site only.
# No fonts, frames, media, workers or manifest: the site has none.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# With DEBUG off the site is served over HTTPS behind a TLS-terminating proxy, whose
# X-Forwarded-Proto is trusted; HTTPS=0 turns that off for a plain-HTTP local run.
HTTPS = env_bool("HTTPS", default=not DEBUG)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a promise browsers ship and keep for months, for every subdomain too:
        # the operator opts in with SECURE_HSTS_PRELOAD=1. Until then the deployment check's
        # reminder to preload (security.W021) is answered.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

WIZARD_COOKIE_NAME = "wizard"
# The wizard's cookie dies with the browser; its encrypted answers stop being accepted after a
# day even in a browser that is never closed: answers are a private matter, they should not linger.
WIZARD_COOKIE_MAX_AGE = 60 * 60 * 24
# Where "quick exit" sends the reader: a neutral page anyone might have open.
QUICK_EXIT_URL = os.environ.get("QUICK_EXIT_URL", "https://www.weather.com.cn/")
if not QUICK_EXIT_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("QUICK_EXIT_URL must be a full http(s) address.")

# security.txt (RFC 9116) names this; without it /.well-known/security.txt is not served.
SECURITY_CONTACT = os.environ.get("SECURITY_CONTACT", "").strip()
if SECURITY_CONTACT and ":" not in SECURITY_CONTACT and "@" in SECURITY_CONTACT:
    SECURITY_CONTACT = f"mailto:{SECURITY_CONTACT}"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "guidance.logging.JsonFormatter"}},
    "filters": {"mask_paths": {"()": "guidance.logging.MaskPathsFilter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["mask_paths"],
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Our own request line replaces Django's 4xx warnings; server errors are still logged.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "CRITICAL"},
        "portal.requests": {"level": "INFO" if env_bool("LOG_REQUESTS", True) else "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
