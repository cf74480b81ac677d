"""Payout test data: claim awards with a claimant's payout choice, made through the services
(the ledger grants, the instruction service encrypts), as the product makes them."""

from __future__ import annotations

import secrets

from compensation.models import Award, Program
from compensation.models.choices import AwardKind
from compensation.services.ledger import award_grant
from payouts.methods import Method
from payouts.models import PayoutInstruction
from payouts.services.instructions import instruction_bind, instruction_draft_save

OWNER = b"o" * 32


def claim_award(
    program: Program,
    *,
    amount_minor: int = 30_000,
    method: str = Method.BANK_TRANSFER,
    bank_code: str = "004",
    account_number: str = "123456789012",
    holder: str = "Kim Minji",
    owner_email_hash: bytes = OWNER,
    notify_email: str = "claimant@example.com",
) -> tuple[Award, PayoutInstruction]:
    """A granted claim award and the claimant's bound payout instruction."""
    reference = "C-" + secrets.token_hex(5).upper()
    award = award_grant(
        program=program,
        kind=AwardKind.CASH,
        amount_minor=amount_minor,
        source="claim",
        claim_reference=reference,
        actor_label="test",
    )
    draft = secrets.token_urlsafe(12)
    fields = {
        "account_number": account_number,
        "holder": holder,
        "customer_ref": "CUST-" + reference,
    }
    instruction_draft_save(
        program=program,
        owner_email_hash=owner_email_hash,
        draft_key=draft,
        method=method,
        bank_code=bank_code if method == Method.BANK_TRANSFER else "",
        fields=fields,
    )
    instruction = instruction_bind(
        owner_email_hash=owner_email_hash,
        draft_key=draft,
        claim_reference=reference,
        notify_email=notify_email,
    )
    assert instruction is not None
    return award, instruction
