"""Load the demo program once, dated relative to today, with its vouchers issued through the
real issuance path; every time, make sure the demo staff can sign in and the dashboard's
figures are fresh."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.roles import OUTSIDE_EXPERT, SENIOR_REVIEWER, SUPPORT_AGENT
from compensation.models import AwardLine, ClaimType, DryRun, Incident, Program
from compensation.services.policy import dry_run_execute, policy_draft_create, policy_publish
from compensation.services.population_import import (
    population_import_create,
    population_import_run,
)
from demo import data
from demo.banu_seed import banu_seed
from demo.claims_seed import claims_seed
from demo.payouts_seed import payouts_seed
from demo.signin import staff_ensure
from demo.terms_seed import terms_seed
from oversight.services import snapshot_refresh
from vouchers.errors import IssuanceRefused
from vouchers.services.issuance import voucher_batch_execute
from vouchers.services.runs import voucher_batch_start

DEMO_PEOPLE = 3000
ACTOR = "job:demo_seed"


class Command(BaseCommand):
    help = "Load the demo program (idempotent) and print how the demo staff and a claimant sign in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-signin",
            action="store_true",
            help="Do not print the sign-in block (`make run` prints it once the site answers).",
        )

    def handle(self, *args, **options):
        loaded = Program.objects.filter(slug=data.PROGRAM["slug"]).first()
        first_load = loaded is None
        if loaded is None:
            program = self._program_create()
            self._population_load(program)
            self._policy_publish(program)
            self.stdout.write(f"Demo program loaded: {program.name}")
        else:
            program = loaded
            self.stdout.write(f"Demo program already loaded: {program.name}")
        staff_ensure()
        terms_seed(program)  # the program page's texts and questions, in every language
        if not program.voucher_batches.exists():
            self._vouchers_issue(program)
        else:
            self.stdout.write("Vouchers: already issued by an earlier run; none issued again.")
        if first_load or not program.claims.exists():
            self._claims_create(program)
        chosen = payouts_seed(program)
        if chosen:
            self.stdout.write(f"Payouts: {chosen} approved claims to be paid by bank transfer.")
        snapshot_refresh(program=program)  # the dashboard has figures from the first page
        if banu_seed():  # good-faith buyers of frozen stored-value cards (issue 16)
            self.stdout.write("Demo program loaded: frozen stored-value cards (Banu-like).")
        if not options["no_signin"]:
            call_command("demo_signin", stdout=self.stdout)

    @transaction.atomic
    def _program_create(self) -> Program:
        today = timezone.localdate()
        incident = Incident.objects.create(**data.INCIDENT, **data.incident_dates(today))
        program = Program.objects.create(
            incident=incident, **data.PROGRAM, **data.program_dates(today)
        )
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
                actor_label=ACTOR,
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
            actor_label=ACTOR,
        )
        dry_run = DryRun.objects.create(policy=policy, budget_minor=program.budget_minor)
        dry_run_execute(dry_run_id=dry_run.pk)
        policy_publish(policy=policy, actor_label=ACTOR)
        self.stdout.write(f"Policy v{policy.number} published after a dry run.")

    def _vouchers_issue(self, program: Program) -> None:
        """Start the run an operator would start in the admin, and work it here rather than
        wait for the worker (like the population import): the wallets are full on the first
        page. A worker woken by the run later finds nothing left to do."""
        try:
            batch = voucher_batch_start(
                program=program,
                award_lines=list(program.award_lines.filter(kind="voucher")),
                confirm_name=program.name,
                actor_label=ACTOR,
            )
        except IssuanceRefused as exc:
            self.stdout.write(
                f"Vouchers not issued: {exc.message} For a demo dated today, stop `make run`, "
                "delete .local/pgdata and start it again."
            )
            return
        while voucher_batch_execute(batch_id=batch.pk):
            pass
        batch.refresh_from_db()
        self.stdout.write(
            f"Vouchers: run {batch.pk} {batch.status}, {batch.vouchers_planned:,} vouchers for "
            f"{batch.people_planned:,} people, valid "
            f"{timezone.localdate(program.voucher_valid_from)} to "
            f"{timezone.localdate(program.voucher_valid_until)}."
        )

    def _claims_create(self, program: Program) -> None:
        """Claims filed and worked through the claims services (see demo/claims_seed.py)."""
        staff = staff_ensure()
        counts = claims_seed(
            program,
            agent=staff[SUPPORT_AGENT],
            reviewer=staff[SENIOR_REVIEWER],
            expert=staff[OUTSIDE_EXPERT],
        )
        self.stdout.write(
            "Claims: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        )
