"""The admin, with staff sign-in in two steps (guidance/staff_login.py)."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "guidance.staff_login.StaffAdminSite"
