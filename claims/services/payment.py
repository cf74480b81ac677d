"""The claimant changes how their claim is paid (the claim's payment page)."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation

from claims import notices
from claims.models import Claim, ClaimEvent
from claims.payout_presenter import instruction_text
from claims.services.intake import payout_account_fingerprint
from payouts.models import PayoutInstruction
from payouts.services.instructions import instruction_change


def claim_payment_change(
    *,
    claim: Claim,
    method: str,
    bank_code: str,
    fields: dict[str, str],
    language: str,
    ip_address: str | None = None,
) -> PayoutInstruction:
    """Set or change the claim's payment choice (payouts' instruction_change: validated,
    encrypted, refused with DetailsLocked once released), and in the same transaction keep
    the claim's shared-account signal (`payout_hash`) on the new account, note the change
    in the claim's history (without the details) and warn the claim's address with the
    masked account (PAYMENT_CHANGED: a payment redirected from a stolen sign-in is seen by
    its owner). PayoutError, nothing written, if refused."""
    with transaction.atomic():
        instruction = instruction_change(
            program=claim.program,
            claim_reference=claim.reference,
            # The claim's owner: the caller has checked that this is their claim.
            owner_email_hash=bytes(claim.claimant_email_hash),
            method=method,
            bank_code=bank_code,
            fields=fields,
            notify_email=notices._address(claim),
            language=language,
            ip_address=ip_address,
        )
        claim.payout_hash = payout_account_fingerprint(
            currency=claim.program.currency, method=method, bank_code=bank_code, fields=fields
        )
        claim.save(update_fields=["payout_hash"])
        event = ClaimEvent.objects.create(
            claim=claim,
            kind="payment_changed",
            note=f"{method} {instruction.masked}".strip(),
            actor_label="claimant",
        )
        with translation.override(notices.notice_language(claim)):
            method_text = instruction_text(instruction, claim.program.currency)
        notices.notice_payment_changed(claim=claim, method_text=method_text, event_id=event.pk)
    return instruction
