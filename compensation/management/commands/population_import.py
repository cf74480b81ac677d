from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compensation.errors import ImportRefused
from compensation.models import Program
from compensation.services.population_import import (
    population_import_create,
    population_import_run,
)


class Command(BaseCommand):
    help = (
        "Import an affected-population CSV that is on this server. Runs on a worker unless "
        "--wait. Queued, the file is copied into the population storage first, so a worker on "
        "any host reads it; with --wait or --in-place it is read where it is (and never "
        "deleted). Re-running the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("program", help="The program's slug.")
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--wait", action="store_true", help="Run here and now instead of on a Celery worker."
        )
        parser.add_argument(
            "--in-place",
            action="store_true",
            help="Read the file where it is, without a copy: every worker must see this path.",
        )

    def handle(self, *args, program: str, path: Path, wait: bool, in_place: bool, **options):
        target = Program.objects.filter(slug=program).first()
        if target is None:
            raise CommandError(f"No program with the slug {program!r}.")
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            population_import = population_import_create(
                program=target,
                source=path,
                original_name=path.name,
                copy_to_store=not (wait or in_place),
                actor_label="command:population_import",
            )
        except ImportRefused as exc:
            raise CommandError(exc.message) from exc
        if not wait:
            self.stdout.write(f"Import {population_import.pk} queued; watch it in the admin.")
            return
        done = population_import_run(import_id=population_import.pk)
        self.stdout.write(
            f"{done.get_status_display()}: {done.rows_read:,} rows read, "
            f"{done.rows_rejected:,} rejected, {done.rows_inserted:,} new, "
            f"{done.rows_updated:,} updated, {done.rows_unchanged:,} unchanged."
            + (f" {done.error}" if done.error else "")
        )
