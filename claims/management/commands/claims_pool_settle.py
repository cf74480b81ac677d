from django.core.management.base import BaseCommand, CommandError

from claims.services.pool import claims_pool_settle
from compensation.errors import CompensationError
from compensation.models import Program


class Command(BaseCommand):
    help = "Settle a pro-rata program's pool: pay every approved claim its scaled amount."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The program's slug.")

    def handle(self, *args, slug: str, **options):
        program = Program.objects.filter(slug=slug).first()
        if program is None:
            raise CommandError(f"No program {slug!r}.")
        try:
            paid = claims_pool_settle(program=program, actor_label="job:claims_pool_settle")
        except CompensationError as exc:
            raise CommandError(exc.message) from exc
        program.refresh_from_db()
        self.stdout.write(f"{paid} claims paid; every amount scaled by {program.pool_factor}.")
