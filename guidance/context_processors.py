from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

HTML_LANG = {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant", "en": "en"}


def _in_language(path: str, current: str, code: str) -> str:
    """`path` in language `code`: the URL patterns are not translated, only the prefix differs."""
    prefix = f"/{current}/"
    return f"/{code}/{path.removeprefix(prefix)}" if path.startswith(prefix) else path


def site(request: HttpRequest) -> dict:
    """The page's language for `<html lang>`, and the same page in every language.

    Each language's link keeps the query string (the reader stays where they are); the full
    addresses for search engines and shared links (canonical, hreflang) leave it out.
    """
    current = get_language()
    # Encoded afresh: a client may send the query's UTF-8 unencoded.
    query = request.GET.urlencode()
    links = []
    for code, name in settings.LANGUAGES:
        path = _in_language(request.path, current, code)
        links.append(
            {
                "code": code,
                "name": name,
                "path": path,
                "url": f"{path}?{query}" if query and path != request.path else path,
                "absolute_url": request.build_absolute_uri(path),
                "current": code == current,
                "html_lang": HTML_LANG[code],
            }
        )
    # Without its language prefix an address redirects by the reader's language: the sitemap's
    # x-default (Django's) is that address too.
    default = next(link["path"] for link in links if link["code"] == settings.LANGUAGE_CODE)
    unprefixed = default.replace(f"/{settings.LANGUAGE_CODE}/", "/", 1)
    return {
        "html_lang": HTML_LANG.get(current, HTML_LANG[settings.LANGUAGE_CODE]),
        "language_links": links,
        "canonical_url": request.build_absolute_uri(request.path),
        "any_language_url": request.build_absolute_uri(unprefixed),
    }
