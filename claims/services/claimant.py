"""What a claimant does after filing: answer a request for information, appeal a denial
once, and rate the handling of a decided claim."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from claims.errors import ClaimError
from claims.models import Claim, ClaimDocument
from claims.services.common import claim_transition, claimant_label, review_status_after_info
from claims.services.intake import claim_document_add
from compensation.claimant_session import Claimant

S = Claim.Status


def appeal_deadline(claim: Claim) -> dt.datetime | None:
    if claim.status != S.DENIED or claim.decided_at is None or claim.appealed_at:
        return None
    return claim.decided_at + dt.timedelta(days=settings.CLAIMS_APPEAL_DAYS)


def claim_info_respond(
    *,
    claim: Claim,
    claimant: Claimant,
    answer: str,
    upload: UploadedFile | None = None,
    ip_address: str | None = None,
) -> Claim:
    """The claimant's answer to a request for information (text and/or one document), before
    its deadline; the claim goes back to review (an appeal back to the appeal's reviewer)."""
    if claim.status != S.INFO_REQUESTED:
        raise ClaimError(_("Nothing is being asked on this claim."), code="conflict", status=409)
    if claim.info_due_at and timezone.now() > claim.info_due_at:
        raise ClaimError(_("The deadline to answer has passed."), code="deadline")
    if not answer.strip() and upload is None:
        raise ClaimError(_("Write an answer or add a document."), code="empty")
    with transaction.atomic(durable=True):
        if upload is not None:
            claim_document_add(
                claimant=claimant,
                draft_key=claim.idempotency_key or claim.reference,
                kind=claim.info_document_kind or "other",
                upload=upload,
                purpose=ClaimDocument.Purpose.INFO,
                claim=claim,
            )
        return claim_transition(
            claim=claim,
            allowed_from=(S.INFO_REQUESTED,),
            to_status=review_status_after_info(claim),
            kind="info_received",
            actor_label=claimant_label(claim),
            note=answer,
            ip_address=ip_address,
            fields={"info_due_at": None},
        )


def claim_appeal(
    *,
    claim: Claim,
    claimant: Claimant,
    statement: str,
    upload: UploadedFile | None = None,
    ip_address: str | None = None,
) -> Claim:
    """One appeal of a denial, within CLAIMS_APPEAL_DAYS, with a statement and optionally a
    document. It goes to a senior reviewer who did not make the first decision."""
    deadline = appeal_deadline(claim)
    if deadline is None:
        raise ClaimError(_("This claim cannot be appealed."), code="not_appealable")
    if timezone.now() > deadline:
        raise ClaimError(_("The period to appeal has ended."), code="deadline")
    if not statement.strip():
        raise ClaimError(_("Tell us why the decision should change."), code="empty")
    with transaction.atomic(durable=True):
        if upload is not None:
            claim_document_add(
                claimant=claimant,
                draft_key=claim.idempotency_key or claim.reference,
                kind="appeal",
                upload=upload,
                purpose=ClaimDocument.Purpose.APPEAL,
                claim=claim,
            )
        return claim_transition(
            claim=claim,
            allowed_from=(S.DENIED,),
            to_status=S.APPEALED,
            kind="appealed",
            actor_label=claimant_label(claim),
            note=statement,
            ip_address=ip_address,
            fields={
                "appeal_statement": statement,
                "appealed_at": timezone.now(),
                "assigned_to": None,
            },
        )


def claim_feedback(
    *, claim: Claim, rating: int, comment: str = "", ip_address: str | None = None
) -> bool:
    """Record the one-question survey once per decided claim. False if already answered."""
    if claim.status not in (S.APPROVED, S.DENIED):
        raise ClaimError(_("Feedback opens once the claim is decided."), code="conflict")
    if not 1 <= rating <= 5:
        raise ClaimError(_("Choose a rating from 1 to 5."), code="rating")
    with transaction.atomic(durable=True):
        changed = Claim.objects.filter(pk=claim.pk, feedback_rating__isnull=True).update(
            feedback_rating=rating, feedback_comment=comment[:2000]
        )
        if changed:
            audit_record(
                action="claim.feedback",
                obj=claim,
                actor_label=claimant_label(claim),
                ip_address=ip_address,
                after={"rating": rating},
            )
    return bool(changed)
