from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language

# Where "quick exit" sends the reader: a neutral page anyone might have open.
QUICK_EXIT_URL = getattr(settings, "QUICK_EXIT_URL", "https://www.weather.com.cn/")
HTML_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}


def site(request: HttpRequest) -> dict:
    """The page's language for `<html lang>`, and the same page in every language."""
    current = get_language()
    query = request.META.get("QUERY_STRING", "")
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(request.path, code)
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
    return {
        "html_lang": HTML_LANG.get(current, HTML_LANG[settings.LANGUAGE_CODE]),
        "language_links": links,
        "quick_exit_url": QUICK_EXIT_URL,
    }
