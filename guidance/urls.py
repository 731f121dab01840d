from django.urls import path

from .views import pages, wizard

app_name = "guidance"

urlpatterns = [
    path("", pages.home, name="home"),
    path("guide/", pages.guide_index, name="guide"),
    path("guide/<slug:slug>/", pages.section_detail, name="section"),
    path("paths/<slug:key>/", pages.path_detail, name="path"),
    path("wizard/", wizard.intro, name="wizard"),
    path("wizard/start/", wizard.start, name="wizard-start"),
    path("wizard/q/<slug:key>/", wizard.question, name="wizard-question"),
    path("wizard/result/", wizard.result, name="wizard-result"),
    path("wizard/restart/", wizard.restart, name="wizard-restart"),
]
