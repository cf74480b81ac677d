"""A pro-rata pool: when approved claims exceed the pool, every approved amount is scaled
by the same factor. Integer arithmetic only; the final amounts add up to the pool exactly."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from compensation.errors import BudgetExceeded, CompensationError
from compensation.models import Award, Program
from compensation.services.ledger import program_budget_reserve

Key = TypeVar("Key", bound=Hashable)


def pro_rata_allocate(
    entitlements: Sequence[tuple[Key, int]], pool_minor: int
) -> tuple[Fraction, dict[Key, int]]:
    """Scale entitlements to fit the pool: each gets floor(amount x pool / total), and the
    minor units left over go one each to the largest fractional remainders (ties: the order
    given, so earlier claims first). Returns the exact factor and the final amounts."""
    total = sum(amount for _, amount in entitlements)
    if total <= pool_minor:
        return Fraction(1), dict(entitlements)
    factor = Fraction(pool_minor, total)
    finals: dict[Key, int] = {}
    remainders = []
    for position, (key, amount) in enumerate(entitlements):
        exact = amount * factor
        finals[key] = exact.numerator // exact.denominator
        remainders.append((exact - finals[key], -position, key))
    leftover = pool_minor - sum(finals.values())
    for _, _, key in sorted(remainders, reverse=True)[:leftover]:
        finals[key] += 1
    return factor, finals


def pool_projected_factor(*, pool_minor: int, entitled_minor: int) -> Decimal:
    """What every approved claim would be scaled by if the pool closed now (1 if it fits)."""
    if entitled_minor <= pool_minor:
        return Decimal(1)
    return (Decimal(pool_minor) / Decimal(entitled_minor)).quantize(
        Decimal("0.0001"), rounding=ROUND_DOWN
    )


@dataclass(frozen=True)
class Entitlement:
    claim_reference: str
    claim_type_id: int
    person_id: int | None
    amount_minor: int
    policy_id: int | None = None


def pool_settle(
    *, program: Program, entitlements: list[Entitlement], actor: Actor = None, actor_label: str = ""
) -> Fraction:
    """Close a pro-rata pool: record one award per approved claim at its final amount, with
    the factor and the arithmetic in its explanation, inside the budget. Once only."""
    if program.allocation != Program.Allocation.PRO_RATA or program.claim_pool_minor is None:
        raise CompensationError("This program has no pro-rata pool to settle.")
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        if locked.pool_factor is not None:
            raise CompensationError("This pool has already been settled.")
        if locked.claim_pool_minor is None:  # the pool was removed since the check above
            raise CompensationError("This program has no pro-rata pool to settle.")
        factor, finals = pro_rata_allocate(
            [(e.claim_reference, e.amount_minor) for e in entitlements], locked.claim_pool_minor
        )
        total = sum(finals.values())
        if not program_budget_reserve(program_id=locked.pk, amount_minor=total):
            raise BudgetExceeded("The budget cannot cover the pool's settlement.")
        factor_text = f"{float(factor):.6f}"
        Award.objects.bulk_create(
            [
                Award(
                    program=locked,
                    person_id=e.person_id,
                    source=Award.Source.CLAIM,
                    claim_type_id=e.claim_type_id,
                    claim_reference=e.claim_reference,
                    kind="cash",
                    amount_minor=finals[e.claim_reference],
                    currency=locked.currency,
                    policy_id=e.policy_id,
                    explanation={
                        "pro_rata": {
                            "entitled_minor": e.amount_minor,
                            "factor": factor_text,
                            "factor_exact": f"{factor.numerator}/{factor.denominator}",
                            "final_minor": finals[e.claim_reference],
                        }
                    },
                )
                for e in entitlements
                if finals[e.claim_reference] > 0
            ],
            batch_size=5000,
        )
        locked.pool_factor = Decimal(factor.numerator) / Decimal(factor.denominator)
        locked.status = Program.Status.SETTLED
        locked.save(update_fields=["pool_factor", "status", "updated_at"])
        audit_record(
            action="program.pool_settle",
            obj=locked,
            actor=actor,
            actor_label=actor_label or "job:pool_settle",
            after={
                "claims": len(entitlements),
                "entitled_minor": sum(e.amount_minor for e in entitlements),
                "paid_minor": total,
                "factor": factor_text,
                "settled_at": timezone.now(),
            },
        )
    return factor
