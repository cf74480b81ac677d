"""The program's cost forecast against its budget, from the ledger and the latest dry run."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from compensation.models import DryRun, PolicyVersion, Program
from compensation.registry import POOL_ENTITLEMENTS
from compensation.services.pool import pool_projected_factor


@dataclass(frozen=True)
class Forecast:
    budget_minor: int
    committed_minor: int
    dry_run_id: int | None
    proactive_forecast_minor: int
    claims_forecast_minor: int
    pool_minor: int | None
    pool_entitled_minor: int
    projected_factor: Decimal | None

    @property
    def forecast_total_minor(self) -> int:
        return max(self.committed_minor, self.proactive_forecast_minor + self.claims_forecast_minor)

    @property
    def headroom_minor(self) -> int:
        return self.budget_minor - self.forecast_total_minor


def program_forecast(*, program: Program) -> Forecast:
    """What the program will cost: the dry run of the published policy (or, before one is
    published, of the newest draft), never less than what the ledger has committed."""
    dry_run = (
        DryRun.objects.filter(policy__program=program, status=DryRun.Status.DONE)
        .order_by(
            # published first, then the newest
            "-policy__status",
            "-id",
        )
        .filter(policy__status__in=[PolicyVersion.Status.PUBLISHED, PolicyVersion.Status.DRAFT])
        .first()
    )
    entitled = sum(provider(program) for provider in POOL_ENTITLEMENTS.values())
    pool = program.claim_pool_minor if program.allocation == Program.Allocation.PRO_RATA else None
    return Forecast(
        budget_minor=program.budget_minor,
        committed_minor=program.committed_minor,
        dry_run_id=dry_run.pk if dry_run else None,
        proactive_forecast_minor=dry_run.proactive_cost_minor if dry_run else 0,
        claims_forecast_minor=dry_run.claims_cost_minor if dry_run else 0,
        pool_minor=pool,
        pool_entitled_minor=entitled,
        projected_factor=pool_projected_factor(pool_minor=pool, entitled_minor=entitled)
        if pool is not None
        else None,
    )
