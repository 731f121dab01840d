from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from guidance.admin import markdown_preview
from guidance.sitemaps import SITEMAPS
from guidance.views import discovery, privacy, system

urlpatterns = [
    path("", system.language_redirect, name="root"),
    path("healthz", system.healthz, name="healthz"),
    path("readyz", system.readyz, name="readyz"),
    path("exit/", privacy.quick_exit, name="quick-exit"),
    path("robots.txt", discovery.robots_txt, name="robots-txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(".well-known/security.txt", discovery.security_txt, name="security-txt"),
    path("admin/guidance/markdown-preview/", markdown_preview, name="markdown-preview"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(path("", include("guidance.urls")), prefix_default_language=True)

handler404 = "guidance.views.system.page_not_found"
handler500 = "guidance.views.system.server_error"
