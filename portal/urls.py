from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from guidance.admin import markdown_preview
from guidance.views import system

urlpatterns = [
    path("", system.language_redirect, name="root"),
    path("healthz", system.healthz, name="healthz"),
    path("readyz", system.readyz, name="readyz"),
    path("admin/guidance/markdown-preview/", markdown_preview, name="markdown-preview"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(path("", include("guidance.urls")), prefix_default_language=True)

handler404 = "guidance.views.system.page_not_found"
handler500 = "guidance.views.system.server_error"
