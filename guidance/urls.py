from django.urls import path

from .views import pages, privacy, tools, wizard

app_name = "guidance"

urlpatterns = [
    path("", pages.home, name="home"),
    path("guide/", pages.guide_index, name="guide"),
    path("guide/<slug:slug>/", pages.section_detail, name="section"),
    path("paths/<slug:key>/", pages.path_detail, name="path"),
    path("browse-safely/", privacy.browse_safely, name="browse-safely"),
    path("wizard/", wizard.intro, name="wizard"),
    path("wizard/start/", wizard.start, name="wizard-start"),
    path("wizard/q/<slug:key>/", wizard.question, name="wizard-question"),
    path("wizard/help-now/", wizard.help_now, name="wizard-help-now"),
    path("wizard/result/", wizard.result, name="wizard-result"),
    path("wizard/court-reminder.ics", wizard.court_reminder, name="wizard-court-reminder"),
    path("wizard/restart/", wizard.restart, name="wizard-restart"),
]

urlpatterns += [
    path("messages/", tools.message_index, name="messages"),
    path("messages/<slug:slug>/", tools.message_detail, name="message"),
    path("reminder.ics", tools.reminder, name="reminder"),
    path("log/", tools.contact_log, name="log"),
    path("complaint/", tools.complaint, name="complaint"),
    path("complaint/plan.txt", tools.complaint_plan_text, name="complaint-plan"),
    path("complaint/reminder.ics", tools.complaint_reminder, name="complaint-reminder"),
    path("call/", tools.call_script, name="call"),
    path("budget/", tools.budget, name="budget"),
    path("search/", tools.search_page, name="search"),
]
