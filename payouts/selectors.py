"""Reads of the payouts app for other apps (claims' pages, oversight) and the admin."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Sum

from compensation.models import Program
from payouts.methods import DEFAULT_METHODS, METHODS
from payouts.models import Payout, PayoutBatch, PayoutChunk, PayoutInstruction, PayoutOffer


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


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch stands: its payouts by status (count, amount) and, for a provider
    batch, its chunks done and pending."""

    by_status: dict[str, tuple[int, int]]  # status -> (count, amount in minor units), in order
    chunks_done: int
    chunks_pending: int

    @property
    def settled(self) -> int:
        return sum(self.by_status.get(s, (0, 0))[0] for s in ("paid", "failed", "returned"))


def batch_progress(batch: PayoutBatch) -> BatchProgress:
    """Two aggregate queries, whatever the batch's size."""
    counted = {
        row["status"]: (row["n"], row["amount"] or 0)
        for row in Payout.objects.filter(batch=batch)
        .order_by()
        .values("status")
        .annotate(n=Count("id"), amount=Sum("amount_minor"))
    }
    # In the order a payout goes through (batched, released, paid, failed, returned...).
    by_status = {s: counted[s] for s in Payout.Status.values if s in counted}
    chunks = dict(
        PayoutChunk.objects.filter(batch=batch)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return BatchProgress(
        by_status=by_status,
        chunks_done=chunks.get(PayoutChunk.Status.DONE, 0),
        chunks_pending=chunks.get(PayoutChunk.Status.PENDING, 0),
    )
