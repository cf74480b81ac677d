"""Reads of the payouts app for other apps (claims' pages, oversight) and the admin."""

from __future__ import annotations

from dataclasses import dataclass

from compensation.models import Program
from payouts.methods import DEFAULT_METHODS, METHODS
from payouts.models import Payout, PayoutInstruction, PayoutOffer


def program_methods(program: Program) -> tuple[str, ...]:
    """The methods the program offers, in the order the operator listed them."""
    offer = PayoutOffer.objects.filter(program=program).only("methods").first()
    methods = tuple(offer.methods) if offer else DEFAULT_METHODS
    return tuple(m for m in methods if m in METHODS)


@dataclass(frozen=True)
class PayoutView:
    """What a claimant may see of how their claim is paid: never the details themselves."""

    instruction: PayoutInstruction | None
    payout: Payout | None  # the latest payout of the claim's award, if any

    @property
    def locked(self) -> bool:
        """The payment is on its way or done: the choice can no longer change."""
        return self.payout is not None and self.payout.status in (
            Payout.Status.RELEASED,
            Payout.Status.PAID,
        )


def payout_views(program_id: int, claim_references: list[str]) -> dict[str, PayoutView]:
    """{claim reference: PayoutView} for the claims of one program, in two queries."""
    if not claim_references:
        return {}
    instructions = {
        i.claim_reference: i
        for i in PayoutInstruction.objects.filter(
            program_id=program_id, claim_reference__in=claim_references
        )
    }
    latest: dict[int, Payout] = {}
    if instructions:
        for payout in Payout.objects.filter(
            instruction__in=[i.pk for i in instructions.values()]
        ).order_by("instruction_id", "-id"):
            latest.setdefault(payout.instruction_id, payout)
    return {
        ref: PayoutView(
            instruction=instructions.get(ref),
            payout=latest.get(instructions[ref].pk) if ref in instructions else None,
        )
        for ref in claim_references
    }
