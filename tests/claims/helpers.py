from decimal import Decimal

from claims.services import claim_document_add, claim_submit


def file_claim(
    *,
    program,
    claim_type,
    claimant,
    key="key-1",
    amount=50_000,
    documents=("receipt",),
    ip="203.0.113.7",
    payout_account_hash=None,
    hours=None,
    contact_email="",
    device=None,
):
    from tests.claims.conftest import pdf

    for kind in documents:
        claim_document_add(claimant=claimant, draft_key=key, kind=kind, upload=pdf())
    return claim_submit(
        program=program,
        claim_type=claim_type,
        claimant=claimant,
        contact_email=contact_email,
        language="en",
        idempotency_key=key,
        amount_claimed_minor=amount,
        hours_claimed=Decimal(hours) if hours else None,
        payout_account_hash=payout_account_hash,
        ip_address=ip,
        device=device,
    )
