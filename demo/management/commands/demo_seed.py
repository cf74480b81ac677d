"""Load the demo program once, and (every time) make sure the demo operator can sign in."""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import OUTSIDE_EXPERT, PROGRAM_OPERATOR, SENIOR_REVIEWER, SUPPORT_AGENT
from compensation.models import AwardLine, ClaimType, DryRun, Incident, Program
from compensation.services.policy import dry_run_execute, policy_draft_create, policy_publish
from compensation.services.population_import import (
    population_import_create,
    population_import_run,
)
from demo import data
from demo.claims_seed import claims_seed

DEMO_PEOPLE = 3000
STAFF = [
    ("operator@demo.local", PROGRAM_OPERATOR),
    ("reviewer@demo.local", SENIOR_REVIEWER),
    ("agent@demo.local", SUPPORT_AGENT),
    ("expert@demo.local", OUTSIDE_EXPERT),
]


class Command(BaseCommand):
    help = "Load the demo program (idempotent) and print how the demo staff sign in."

    def handle(self, *args, **options):
        program = Program.objects.filter(slug=data.PROGRAM["slug"]).first()
        first_load = program is None
        if first_load:
            program = self._program_create()
            self._population_load(program)
            self._policy_publish(program)
            self.stdout.write(f"Demo program loaded: {program.name}")
        else:
            self.stdout.write(f"Demo program already loaded: {program.name}")
        self._staff_ensure()
        if first_load or not program.claims.exists():
            self._claims_create(program)

    @transaction.atomic
    def _program_create(self) -> Program:
        incident = Incident.objects.create(**data.INCIDENT)
        program = Program.objects.create(incident=incident, **data.PROGRAM)
        for line in data.AWARD_LINES:
            AwardLine.objects.create(program=program, kind="voucher", **line)
        for claim_type in data.CLAIM_TYPES:
            ClaimType.objects.create(program=program, **claim_type)
        return program

    def _population_load(self, program: Program) -> None:
        path = data.population_csv_write(settings.IMPORT_ROOT / "demo-population.csv", DEMO_PEOPLE)
        with path.open("rb") as handle:
            population_import = population_import_create(
                program=program,
                source=handle,
                original_name=path.name,
                actor_label="job:demo_seed",
            )
        # Run here rather than wait for the worker: the demo must be complete on first page.
        done = population_import_run(import_id=population_import.pk)
        self.stdout.write(
            f"Population: {done.rows_inserted} people imported, {done.rows_rejected} rows "
            "rejected (the demo file has two bad rows on purpose)."
        )

    def _policy_publish(self, program: Program) -> None:
        policy = policy_draft_create(
            program=program,
            rules=data.POLICY_RULES,
            notes=data.POLICY_NOTES,
            actor_label="job:demo_seed",
        )
        dry_run = DryRun.objects.create(policy=policy, budget_minor=program.budget_minor)
        dry_run_execute(dry_run_id=dry_run.pk)
        policy_publish(policy=policy, actor_label="job:demo_seed")
        self.stdout.write(f"Policy v{policy.number} published after a dry run.")

    def _claims_create(self, program: Program) -> None:
        """Claims filed and worked through the claims services (see demo/claims_seed.py)."""
        staff = {role: User.objects.get(email=email) for email, role in STAFF}
        counts = claims_seed(
            program,
            agent=staff[SUPPORT_AGENT],
            reviewer=staff[SENIOR_REVIEWER],
            expert=staff[OUTSIDE_EXPERT],
        )
        self.stdout.write(
            "Claims: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        )

    def _staff_ensure(self) -> None:
        password = _demo_password()
        self.stdout.write(
            "\nDemo staff sign-in at http://127.0.0.1:8000/admin/ "
            "(password, then one of the one-time backup codes):"
        )
        for email, role in STAFF:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, password, is_staff=True, full_name=role)
                user.groups.add(Group.objects.get(name=role))
                TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
            static, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes")
            while static.token_set.count() < 5:
                static.token_set.create(token=StaticToken.random_token())
            tokens = ", ".join(static.token_set.values_list("token", flat=True)[:5])
            self.stdout.write(f"  {role}: {email} / {password}  backup codes: {tokens}")


def _demo_password() -> str:
    path = settings.BASE_DIR / ".local" / "secrets" / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("demo-" + secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()
