"""A claimant's choice of how to be paid: written while filing, bound to the claim at
submission, changed from their pages until a payout of it is released.

Details are validated here (payouts/banks.py), encrypted before they reach the database
(payouts/crypto.py), and never returned, logged or audited: the audit row says which method
and bank, and the last four digits."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from compensation.models import Program
from payouts.banks import account_number_clean
from payouts.crypto import details_encrypt
from payouts.errors import DetailsLocked, PayoutError
from payouts.methods import Method
from payouts.models import Payout, PayoutInstruction
from payouts.selectors import program_methods


def _details(
    program: Program, method: str, bank_code: str, fields: dict[str, str]
) -> tuple[str, dict[str, str], str]:
    """(bank code, details dict, last four) after validation, or PayoutError naming the field
    (`exc.code` is the field's problem; `exc.field` the form field)."""
    if method not in program_methods(program):
        raise PayoutError(_("This program does not pay this way."), code="method_not_offered")
    if method == Method.BANK_TRANSFER:
        try:
            number = account_number_clean(
                program.currency, bank_code, fields.get("account_number", "")
            )
        except PayoutError as exc:
            exc.field = "bank_code" if exc.code == "unknown_bank" else "account_number"
            raise
        holder = (fields.get("holder") or "").strip()
        if not holder:
            error = PayoutError(_("Enter the account holder's name."), code="holder_missing")
            error.field = "holder"
            raise error
        return bank_code, {"account_number": number, "holder": holder[:100]}, number[-4:]
    if method == Method.ACCOUNT_CREDIT:
        ref = (fields.get("customer_ref") or "").strip()
        if not ref or len(ref) > 64 or not ref.isascii():
            error = PayoutError(
                _("Enter your customer number at the service (letters and digits)."),
                code="customer_ref_invalid",
            )
            error.field = "customer_ref"
            raise error
        return "", {"customer_ref": ref}, ref[-4:]
    return "", {}, ""


def instruction_draft_save(
    *,
    program: Program,
    owner_email_hash: bytes,
    draft_key: str,
    method: str,
    bank_code: str = "",
    fields: dict[str, str] | None = None,
    language: str = "ko",
) -> PayoutInstruction:
    """Keep the choice made while filing, bound to the draft (the session holds only the
    draft key, never the details). Saving again for the same draft replaces it."""
    bank_code, details, last4 = _details(program, method, bank_code, fields or {})
    token, version = details_encrypt(details) if details else (None, None)
    with transaction.atomic():
        instruction, _created = PayoutInstruction.objects.update_or_create(
            owner_email_hash=owner_email_hash,
            draft_key=draft_key,
            defaults={
                "program": program,
                "method": method,
                "bank_code": bank_code,
                "details_encrypted": token,
                "details_key_version": version,
                "details_last4": last4,
                "language": language,
            },
        )
    return instruction


def instruction_bind(
    *, owner_email_hash: bytes, draft_key: str, claim_reference: str, notify_email: str
) -> PayoutInstruction | None:
    """At submission, inside the claim's transaction: the draft's choice becomes the claim's.
    None when no choice was made while filing."""
    instruction = (
        PayoutInstruction.objects.select_for_update()
        .filter(owner_email_hash=owner_email_hash, draft_key=draft_key)
        .first()
    )
    if instruction is None:
        return None
    instruction.claim_reference = claim_reference
    instruction.draft_key = None
    instruction.notify_email = notify_email
    instruction.save(update_fields=["claim_reference", "draft_key", "notify_email", "updated_at"])
    audit_record(
        action="payout.instruction_set",
        obj=instruction,
        program_id=instruction.program_id,
        actor_label=f"claimant:{claim_reference}",
        after=_audited(instruction),
    )
    return instruction


def instruction_change(
    *,
    program: Program,
    claim_reference: str,
    owner_email_hash: bytes,
    method: str,
    bank_code: str = "",
    fields: dict[str, str] | None = None,
    notify_email: str = "",
    language: str = "ko",
    ip_address: str | None = None,
) -> PayoutInstruction:
    """Set or change how the claim is paid, from the claimant's own page.

    Allowed until a payout of the claim is in a released batch (DetailsLocked after). A payout
    waiting in a batch not yet released is taken out of it (cancelled), so the next batch pays
    it the new way. Race-safe with a release: the cancel is a conditional UPDATE of batched
    payouts, and a payout the release took first is found released right after it."""
    bank_code, details, last4 = _details(program, method, bank_code, fields or {})
    token, version = details_encrypt(details) if details else (None, None)
    with transaction.atomic():
        instruction = (
            PayoutInstruction.objects.select_for_update()
            .filter(program=program, claim_reference=claim_reference)
            .first()
        )
        if instruction is not None and bytes(instruction.owner_email_hash) != owner_email_hash:
            raise PayoutError(_("This claim is not yours."), code="not_owner", status=404)
        if instruction is not None:
            cancelled = Payout.objects.filter(
                instruction=instruction, status=Payout.Status.BATCHED
            ).update(status=Payout.Status.CANCELLED)
            if Payout.objects.filter(
                instruction=instruction,
                status__in=[Payout.Status.RELEASED, Payout.Status.PAID],
            ).exists():
                raise DetailsLocked(
                    _("The payment is already on its way: the details can no longer change.")
                )
        else:
            cancelled = 0
            instruction = PayoutInstruction(
                program=program, owner_email_hash=owner_email_hash, claim_reference=claim_reference
            )
        before = _audited(instruction) if instruction.pk else None
        instruction.method = method
        instruction.bank_code = bank_code
        instruction.details_encrypted = token
        instruction.details_key_version = version
        instruction.details_last4 = last4
        instruction.language = language
        instruction.hold_code = ""
        if notify_email:
            instruction.notify_email = notify_email
        instruction.save()
        audit_record(
            action="payout.instruction_change",
            obj=instruction,
            program_id=program.pk,
            actor_label=f"claimant:{claim_reference}",
            ip_address=ip_address,
            before=before,
            after={**_audited(instruction), "payouts_taken_out": cancelled},
        )
    return instruction


def instruction_drafts_purge(*, created_before: dt.datetime, actor_label: str) -> int:
    """Delete payment choices of drafts never submitted (encrypted details with no claim to
    justify keeping them), created before `created_before`. Idempotent; returns how many."""
    with transaction.atomic():
        deleted, _by_model = PayoutInstruction.objects.filter(
            draft_key__isnull=False, claim_reference="", created_at__lt=created_before
        ).delete()
        if deleted:
            audit_record(
                action="payout.instruction_drafts_purge",
                object_type="payouts.payoutinstruction",
                actor_label=actor_label,
                after={"deleted": deleted},
            )
    return deleted


def _audited(instruction: PayoutInstruction) -> dict:
    """What the trail may say about a choice: never the details, only the masked last four."""
    return {
        "method": instruction.method,
        "bank_code": instruction.bank_code,
        "account": instruction.masked,
    }
