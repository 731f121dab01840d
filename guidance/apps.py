from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class GuidanceConfig(AppConfig):
    name = "guidance"
    verbose_name = _("指引内容")

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers the system check and signal handlers)

        post_migrate.connect(
            load_initial_content, sender=self, dispatch_uid="guidance-initial-content"
        )


def load_initial_content(**kwargs):
    """A new database (a first run, a test database) gets the initial content, as version one."""
    from .content_files import load_if_empty

    load_if_empty()
