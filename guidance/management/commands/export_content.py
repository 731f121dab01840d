from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guidance.content_files import OWNED, ExportRefused, export_content


class Command(BaseCommand):
    help = (
        "Write all content (published or not, every language) as TOML files in the format of "
        "guidance/content/FORMAT.md, to be read back with import_content."
    )
    # An export is also a backup: it must work even when the system checks fail (a broken tree).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="where to write; new or empty")
        parser.add_argument(
            "--force",
            action="store_true",
            help=f"write into a directory that is not empty, replacing {', '.join(OWNED)} "
            "(anything else in it is left alone)",
        )

    def handle(self, *args, directory: Path, force: bool, **options):
        try:
            files = export_content(directory, force=force)
        except ExportRefused as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(f"Could not export to {directory}: {error}") from error
        self.stdout.write(f"Exported {len(files)} files to {directory}.")
