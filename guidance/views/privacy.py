"""For a reader who shares a phone: the quick exit, and the page that explains what stays behind."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..page_cache import cacheable_page


@never_cache
@require_safe
def quick_exit(request):
    """Leave for the neutral site, forgetting the wizard's answers on the way.

    The contact log stays: it is evidence the reader chose to keep, and only they may delete it.
    """
    response = HttpResponseRedirect(settings.QUICK_EXIT_URL)
    response.delete_cookie(settings.WIZARD_COOKIE_NAME, samesite="Lax")
    # Pages the browser kept could show what the reader read; the neutral site must not learn
    # where the reader came from.
    response["Clear-Site-Data"] = '"cache"'
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
@cacheable_page
def browse_safely(request, preview=False):
    return render(request, "pages/browse_safely.html")
