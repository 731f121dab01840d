from functools import lru_cache

from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.translation import get_language, override

# Where "quick exit" sends the reader: a neutral page anyone might have open.
QUICK_EXIT_URL = getattr(settings, "QUICK_EXIT_URL", "https://www.weather.com.cn/")
HTML_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}
NAV = ("home", "guide", "wizard", "messages", "log", "budget", "search", "call")


@lru_cache(maxsize=8)
def _nav_urls(language: str) -> dict[str, str]:
    """The header's links for one language (the same on every page, so worked out once)."""
    with override(language):
        return {name: reverse(f"guidance:{name}") for name in NAV}


@lru_cache(maxsize=4096)
def _language_urls(path: str) -> tuple[tuple[str, str], ...]:
    """The same page in each language (paths are bounded by the site's URLs and 404s)."""
    return tuple((code, translate_url(path, code)) for code, _ in settings.LANGUAGES)


def language_context(language: str) -> dict:
    """What the site's chrome (templates/chrome/) may use: values that depend only on the
    language, so a fragment rendered from them is the same for every reader."""
    language = language if language in HTML_LANG else settings.LANGUAGE_CODE
    return {
        "html_lang": HTML_LANG[language],
        "nav": _nav_urls(language),
        "quick_exit_url": QUICK_EXIT_URL,
    }


def site(request):
    current = get_language()
    query = request.META.get("QUERY_STRING", "")
    links = []
    for (code, name), (_, url) in zip(
        settings.LANGUAGES, _language_urls(request.path), strict=True
    ):
        if query and url != request.path:
            url = f"{url}?{query}"
        links.append(
            {
                "code": code,
                "name": name,
                "url": url,
                "current": code == current,
                "html_lang": HTML_LANG[code],
            }
        )
    return {**language_context(current), "language_links": links}
