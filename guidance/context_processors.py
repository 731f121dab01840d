from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

# Where "quick exit" sends the reader: a neutral page anyone might have open.
QUICK_EXIT_URL = getattr(settings, "QUICK_EXIT_URL", "https://www.weather.com.cn/")
HTML_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}


def site(request):
    current = get_language()
    path = request.path
    query = request.META.get("QUERY_STRING", "")
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(path, code)
        if query and url != path:
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
        "html_lang": HTML_LANG.get(current, "zh-Hans"),
        "language_links": links,
        "quick_exit_url": QUICK_EXIT_URL,
    }
