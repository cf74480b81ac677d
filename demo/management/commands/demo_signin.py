"""Print how the demo staff and a demo claimant sign in (used backup codes are replaced)."""

from django.core.management.base import BaseCommand

from compensation.models import Program
from demo import data
from demo.signin import signin_lines


class Command(BaseCommand):
    help = "Print the demo sign-in block: staff email, password and backup codes; a claimant."

    def add_arguments(self, parser):
        parser.add_argument("--site", default="http://127.0.0.1:8000", help="The site's address.")

    def handle(self, *args, **options):
        program = Program.objects.filter(slug=data.PROGRAM["slug"]).first()
        for line in signin_lines(program, site=options["site"].rstrip("/")):
            self.stdout.write(line)
