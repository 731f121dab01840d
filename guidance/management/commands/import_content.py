from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from guidance.content_files import ContentProblems, import_content


class Command(BaseCommand):
    help = (
        "Make the content in the database match a directory written by export_content (or laid "
        "out like guidance/content/): rows are created, updated and deleted, overwriting editors' "
        "changes. Every file is checked first; if anything is wrong, nothing is changed."
    )
    # The files are checked here, tree included; a broken tree in the database must not stop
    # the import that repairs it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options):
        with translation.override("en"):
            try:
                report = import_content(directory)  # each item written is a version of its own
            except ContentProblems as error:
                lines = "\n".join(f"  - {problem}" for problem in error.problems)
                raise CommandError(
                    f"Nothing was imported: {len(error.problems)} problem(s) in {directory}:\n"
                    f"{lines}"
                ) from error
        self.stdout.write(f"Imported {directory}: {report}.")
        for label in report.deleted:
            self.stdout.write(f"  deleted (not in the files): {label}")
