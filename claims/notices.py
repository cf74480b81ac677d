"""Everything the claims app sends, in one place.

Claim notices go through the notifications outbox (`notice_enqueue`, inside the caller's
transaction: the notice exists if and only if the claim change commits). The sign-in code is
the exception: it is sent at once through Django's email backend, never queued (a queued code
would sit in the database and the broker) and never logged."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from claims.models import Claim
from compensation.engine.money import money_format
from notifications.selectors import notice_is_genuine as _notice_is_genuine
from notifications.services import notice_enqueue


def _address(claim: Claim) -> str:
    if claim.person is not None and claim.person.email:
        return claim.person.email
    return claim.contact_email


def _language(claim: Claim) -> str:
    return claim.language if claim.language in {"ko", "en", "zh-hans"} else "ko"


def _enqueue(claim: Claim, kind: str, context: dict, dedupe: str) -> None:
    to_address = _address(claim)
    if not to_address:
        return  # nobody to tell: the status page still shows everything
    notice_enqueue(
        kind=kind,
        channel="email",
        language=_language(claim),
        to_address=to_address,
        context={"claim_reference": claim.reference, **context},
        program=claim.program,
        person=claim.person,
        dedupe_key=f"claim:{claim.reference}:{dedupe}",
    )


def notice_claim_acknowledged(*, claim: Claim) -> None:
    _enqueue(claim, "claim_acknowledged", {}, "ack")


def notice_info_requested(*, claim: Claim, round_number: int) -> None:
    """The link opens the claim on the one thing to answer (after the claimant signs in)."""
    respond_by = claim.info_due_at.date().isoformat() if claim.info_due_at else ""
    claim_url = settings.NOTIFICATIONS_SITE_URL.rstrip("/") + reverse(
        "claims:answer", kwargs={"slug": claim.program.slug, "reference": claim.reference}
    )
    _enqueue(
        claim,
        "info_requested",
        {"respond_by": respond_by, "claim_url": claim_url},
        f"info:{round_number}",
    )


def decision_summary(claim: Claim, language: str) -> str:
    with translation.override(language):
        if claim.status == Claim.Status.APPROVED:
            amount = money_format(claim.amount_decided_minor or 0, claim.program.currency)
            return _("Approved: %(amount)s") % {"amount": amount}
        return _("Not approved")


def notice_decision(*, claim: Claim, appeal: bool) -> None:
    summary = decision_summary(claim, _language(claim))
    if appeal:
        _enqueue(claim, "appeal_outcome", {"outcome_summary": summary}, "appeal")
    else:
        _enqueue(claim, "decision", {"decision_summary": summary}, "decision")


def notice_is_genuine(reference: str) -> bool:
    return _notice_is_genuine(reference)


def signin_code_send(*, to_address: str, code: str, language: str, program_name: str) -> None:
    """Send a sign-in code now, by email. The code is in the message body and nowhere else."""
    with translation.override(language):
        subject = _("Your sign-in code")
        body = _(
            "Your sign-in code for %(program)s is %(code)s.\n\n"
            "It works once and expires in %(minutes)s minutes. We will never ask you for this "
            "code by phone or message. If you did not ask for it, ignore this email."
        ) % {
            "program": program_name,
            "code": code,
            "minutes": settings.CLAIMS_SIGNIN_CODE_TTL_SECONDS // 60,
        }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to_address], fail_silently=False)
