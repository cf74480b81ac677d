"""The award ledger: every grant is an Award row and a conditional update of the program's
committed total, in one transaction. The budget holds under any concurrency because the
check and the increment are one statement (and a CHECK constraint backs it)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from audit.services import audit_record
from compensation.errors import AlreadyAwarded, BudgetExceeded
from compensation.models import Award, Program


def program_budget_reserve(*, program_id: int, amount_minor: int) -> bool:
    """Add `amount_minor` to the program's committed total if the budget allows it.

    One conditional UPDATE: of many concurrent callers, exactly those whose sum fits win.
    Must run inside the transaction that records what the money is for."""
    if amount_minor < 0:
        raise ValueError("amount_minor must not be negative")
    return (
        Program.objects.filter(
            pk=program_id, committed_minor__lte=F("budget_minor") - amount_minor
        ).update(committed_minor=F("committed_minor") + amount_minor)
        == 1
    )


def program_budget_release(*, program_id: int, amount_minor: int) -> None:
    """Give back a reservation (a reversed award). Never below zero (the CHECK refuses)."""
    Program.objects.filter(pk=program_id).update(
        committed_minor=F("committed_minor") - amount_minor
    )


def award_grant(
    *,
    program: Program,
    kind: str,
    amount_minor: int,
    source: str,
    person=None,
    award_line=None,
    unit: int = 1,
    claim_type=None,
    claim_reference: str = "",
    policy=None,
    explanation: dict | None = None,
    actor=None,
    actor_label: str = "",
) -> Award:
    """Grant one award within the budget, at most once per thing granted.

    Raises BudgetExceeded (nothing written) when the budget cannot cover it, and
    AlreadyAwarded (nothing written) when this person already has this line, or this claim
    already has a live award."""
    with transaction.atomic():
        if not program_budget_reserve(program_id=program.pk, amount_minor=amount_minor):
            raise BudgetExceeded(
                f"The program's remaining budget cannot cover {amount_minor} {program.currency}."
            )
        try:
            with transaction.atomic():
                award = Award.objects.create(
                    program=program,
                    person=person,
                    source=source,
                    award_line=award_line,
                    unit=unit,
                    claim_type=claim_type,
                    claim_reference=claim_reference,
                    kind=kind,
                    amount_minor=amount_minor,
                    currency=program.currency,
                    policy=policy,
                    explanation=explanation or {},
                )
        except IntegrityError as exc:
            # The reservation above is in the same transaction: leaving by an exception
            # rolls it back with everything else.
            raise AlreadyAwarded("This has already been awarded.") from exc
        audit_record(
            action="award.grant",
            obj=award,
            actor=actor,
            actor_label=actor_label or "job:ledger",
            after={
                "amount_minor": amount_minor,
                "source": source,
                "claim_reference": claim_reference,
                "policy": policy and policy.pk,
            },
        )
    return award


def award_reverse(*, award: Award, reason: str, actor=None, actor_label: str = "") -> Award:
    """Reverse a live award and give its amount back to the budget. Reversing twice does
    nothing the second time."""
    with transaction.atomic():
        changed = Award.objects.filter(
            pk=award.pk, status__in=[Award.Status.GRANTED, Award.Status.DELIVERED]
        ).update(status=Award.Status.REVERSED)
        award.refresh_from_db()
        if changed:
            program_budget_release(program_id=award.program_id, amount_minor=award.amount_minor)
            audit_record(
                action="award.reverse",
                obj=award,
                actor=actor,
                actor_label=actor_label or "job:ledger",
                after={"reason": reason, "amount_minor": award.amount_minor},
            )
    return award
