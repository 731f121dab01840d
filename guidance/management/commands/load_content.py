from django.core.management.base import BaseCommand, CommandError

from guidance.content_files import ContentError, load_content
from guidance.translation import regenerate_traditional


class Command(BaseCommand):
    help = (
        "Load the initial content from guidance/content/ into the database. Rows an editor has "
        "changed since they were loaded are left alone; nothing is deleted."
    )

    def handle(self, *args, **options):
        try:
            report = load_content()  # each item it writes is kept as a version of its own
        except ContentError as error:
            raise CommandError(f"The content files could not be read: {error}") from error
        self.stdout.write(f"Content: {report}.")
        self.stdout.write(
            f"Traditional Chinese generated again in {regenerate_traditional()} rows."
        )
        for label in report.kept:
            self.stdout.write(f"  kept (edited in the admin): {label}")
