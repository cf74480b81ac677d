from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.grants import app_role_statements


class Command(BaseCommand):
    help = (
        "Give the application's database role what it needs and no UPDATE, DELETE or TRUNCATE "
        "on the audit trail. Run as the owner role (the one migrations run as), after migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="The role web, workers and beat connect as.")
        parser.add_argument("--create", action="store_true", help="Create the role first.")
        parser.add_argument(
            "--password-file", help="With --create: a file holding the role's password."
        )
        parser.add_argument(
            "--print", action="store_true", help="Print the statements instead of running them."
        )

    def handle(self, *args, role: str, create: bool, password_file: str | None, **options):
        if password_file and not create:
            raise CommandError("--password-file goes with --create.")
        password = Path(password_file).read_text().strip() if password_file else None
        statements = app_role_statements(
            role=role,
            database=connection.settings_dict["NAME"],
            create=create,
            password=password,
        )
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            if options["print"]:
                for statement in statements:
                    text = statement.as_string(raw.connection)
                    self.stdout.write(
                        (text if not password else text.replace(password, "***")) + ";"
                    )
                return
            for statement in statements:
                cursor.execute(statement.as_string(raw.connection))
        self.stdout.write(f"Role {role}: no UPDATE, DELETE or TRUNCATE on the audit trail.")
