"""What the compensation app asks of claims through its registry (approved amounts waiting for
a pro-rata pool, how open claims would be decided under a draft policy), and settling a pool
with the claims' entitlements."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery, Sum

from audit.services import Actor
from claims.models import Claim
from claims.services.pool_notices import pool_settled_notify
from claims.services.screening import claim_facts, claim_signals
from compensation.engine import claim_decide
from compensation.models import Award, PolicyVersion, Program
from compensation.services.pool import Entitlement, pool_settle


def pool_waiting(program: Program) -> QuerySet[Claim]:
    """Approved claims of a pro-rata program whose payment waits for the settlement."""
    return Claim.objects.filter(
        program=program, status=Claim.Status.APPROVED, entitlement_minor__gt=0, award__isnull=True
    )


def pool_entitled_minor(program: Program) -> int:
    """POOL_ENTITLEMENTS["claims"]: the sum of approved entitlements not yet paid."""
    if program.pool_factor is not None:
        return 0
    return pool_waiting(program).aggregate(total=Sum("entitlement_minor"))["total"] or 0


def pool_entitlements(program: Program) -> list[Entitlement]:
    """The entitlements to hand to compensation's pool_settle, oldest claim first."""
    return [
        Entitlement(
            claim_reference=c.reference,
            claim_type_id=c.claim_type_id,
            person_id=c.person_id,
            amount_minor=c.entitlement_minor or 0,  # never None: the filter wants > 0
            policy_id=c.policy_id,
        )
        for c in pool_waiting(program).order_by("submitted_at", "id")
    ]


def claims_pool_settle(*, program: Program, actor: Actor = None, actor_label: str = "") -> int:
    """Settle the program's pro-rata pool with every waiting entitlement, then point each
    claim at its award (its final, scaled amount). One transaction; once only (pool_settle
    refuses a second settlement). Each claimant of the pool is told their final amount and
    the share, in the same transaction (claims.services.pool_notices). Returns how many
    claims were paid."""
    # Not durable: an approved proposal (audit.proposals) settles in its transaction.
    with transaction.atomic():
        factor = pool_settle(
            program=program,
            entitlements=pool_entitlements(program),
            actor=actor,
            actor_label=actor_label or "job:claims.pool_settle",
        )
        award = Award.objects.filter(
            program=program, source=Award.Source.CLAIM, claim_reference=OuterRef("reference")
        ).exclude(status=Award.Status.REVERSED)
        paid = pool_waiting(program).update(
            award=Subquery(award.values("pk")[:1]),
            amount_decided_minor=Subquery(award.values("amount_minor")[:1]),
        )
        pool_settled_notify(
            program=program,
            factor=factor,
            actor_label=actor_label or (f"user:{actor.pk}" if actor else "job:claims.pool_settle"),
        )
        return paid


def _by_id_chunks(claims: QuerySet[Claim], size: int) -> Iterator[Claim]:
    """The claims in id order, `size` per query (keyset: no cursor left open between chunks,
    so it works the same through a transaction-mode pooler)."""
    last = 0
    while chunk := list(claims.filter(pk__gt=last).order_by("pk")[:size]):
        yield from chunk
        last = chunk[-1].pk


def claims_dry_run(policy: PolicyVersion) -> dict:
    """CLAIM_DRY_RUNNERS["claims"]: decide the program's open claims under `policy` without
    changing anything: counts by outcome and what approving them would cost."""
    result = {"cost_minor": 0, "approve": 0, "review": 0, "deny": 0}
    program = policy.program
    claims = Claim.objects.filter(program=program, status__in=Claim.OPEN_STATUSES).select_related(
        "claim_type", "person"
    )
    for claim in _by_id_chunks(claims, 500):
        signals = tuple(s["code"] for s in claim.signals) or tuple(
            s["code"] for s in claim_signals(claim)
        )
        facts = claim_facts(claim, program=program, fraud_signals=signals)
        decision = claim_decide(facts, policy.rules)
        result[decision.outcome] += 1
        if decision.outcome != "deny":
            result["cost_minor"] += decision.amount_minor
    return result
