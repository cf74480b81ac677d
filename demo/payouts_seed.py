"""The demo's payouts: the program offers bank transfer, and the claimants of approved claims
chose it on their own page, each with an account (through payouts' instruction service, which
validates and encrypts it), so an operator can build a batch and the payments officer release
it. The good-faith buyers have not chosen yet: the dashboard shows them as such."""

from __future__ import annotations

from claims.models import Claim
from compensation.models import Program
from payouts.methods import Method
from payouts.models import PayoutInstruction, PayoutOffer
from payouts.services.instructions import instruction_change

BANK = "004"  # KB Kookmin Bank: 12-digit accounts


def demo_account_number(n: int) -> str:
    """A made-up account number of the right shape for the demo's n-th payee."""
    return f"9{n:011d}"


def payouts_seed(program: Program) -> int:
    """Offer bank transfer and set the approved claims' choices; returns how many were set.
    Idempotent: a claim that has a choice keeps it."""
    PayoutOffer.objects.get_or_create(program=program, defaults={"methods": [Method.BANK_TRANSFER]})
    chosen = set(
        PayoutInstruction.objects.filter(program=program)
        .exclude(claim_reference="")
        .values_list("claim_reference", flat=True)
    )
    approved = (
        Claim.objects.filter(
            program=program,
            status=Claim.Status.APPROVED,
            award__isnull=False,
            person__isnull=False,
        )
        .select_related("person")
        .order_by("id")
    )
    made = 0
    for n, claim in enumerate(approved, start=1):
        if claim.reference in chosen:
            continue
        person = claim.person
        assert person is not None
        instruction_change(
            program=program,
            claim_reference=claim.reference,
            owner_email_hash=bytes(claim.claimant_email_hash),
            method=Method.BANK_TRANSFER,
            bank_code=BANK,
            fields={"account_number": demo_account_number(n), "holder": person.name or "Demo"},
            notify_email=person.email,
            language=person.language,
        )
        made += 1
    return made
