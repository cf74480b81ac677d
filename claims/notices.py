"""Everything the claims app sends, in one place.

Claim notices go through the notifications outbox (`notice_enqueue`, inside the caller's
transaction: the notice exists if and only if the claim change commits). So do the sign-in
code and personal links (claims/services/signin.py, personal_links.py), on the priority lane,
their secret sealed in the outbox."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from claims.models import Claim
from compensation.engine.money import money_format
from compensation.hashing import email_hash, phone_hash
from notifications.models import Notice
from notifications.selectors import notice_is_genuine as _notice_is_genuine
from notifications.services import notice_enqueue


def notice_address(claim: Claim) -> str:
    """Where the claim's notices go: the affected person's email, else the verified one."""
    if claim.person is not None and claim.person.email:
        return claim.person.email
    return claim.contact_email


def notice_language(claim: Claim) -> str:
    return claim.language if claim.language in {"ko", "en", "zh-hans"} else "ko"


_address, _language = notice_address, notice_language


def notice_channel_address(claim: Claim) -> tuple[str, str]:
    """The channel and address of the claim's notices: email where there is one (the affected
    record's, else the verified one), else SMS to the affected record's phone; ("", "") when
    the claimant has neither."""
    email = _address(claim)
    if email:
        return "email", email
    phone = claim.person.phone if claim.person is not None else ""
    return ("sms", phone) if phone else ("", "")


def recipient_hash(channel: str, to_address: str) -> bytes | None:
    """The keyed hash of the address a notice goes to, which its personal link is bound to."""
    return phone_hash(to_address) if channel == "sms" else email_hash(to_address)


def _enqueue(
    claim: Claim, kind: str, context: dict, dedupe: str, *, link_to: str | None = None
) -> None:
    """With `link_to` (one of the claim's pages), the notice carries a personal link there
    (`personal_url`, sealed), bound to the claimant and the address it goes to."""
    from claims.services.personal_links import personal_link_issue  # it imports this module

    channel, to_address = notice_channel_address(claim)
    if not to_address:
        return  # nobody to tell: the status page still shows everything
    dedupe_key = f"claim:{claim.reference}:{dedupe}"
    context = {"claim_reference": claim.reference, **context}
    # A re-run event finds its notice and makes no second link.
    if link_to is not None and not Notice.objects.filter(dedupe_key=dedupe_key).exists():
        _link, context["personal_url"] = personal_link_issue(
            program=claim.program,
            person=claim.person,
            identity_hash=bytes(claim.claimant_email_hash),
            recipient_hash=recipient_hash(channel, to_address),
            next_path=claim_path(claim, link_to),
        )
    notice_enqueue(
        kind=kind,
        channel=channel,
        language=_language(claim),
        to_address=to_address,
        context=context,
        program=claim.program,
        person=claim.person,
        dedupe_key=dedupe_key,
    )


def notice_claim_acknowledged(*, claim: Claim) -> None:
    _enqueue(claim, "claim_acknowledged", {}, "ack")


def claim_path(claim: Claim, view: str = "claims:status") -> str:
    return reverse(view, kwargs={"slug": claim.program.slug, "reference": claim.reference})


def claim_url(claim: Claim, view: str = "claims:status") -> str:
    """The claim's page (or one of its pages) as a notice prints it: the site's address and
    the path, which asks the claimant to sign in first and then comes back."""
    return settings.NOTIFICATIONS_SITE_URL.rstrip("/") + claim_path(claim, view)


def local_when(value: dt.datetime | None, language: str, *, with_time: bool = False) -> str:
    """A moment as the notice's reader writes it, in the site's time zone: the date (a
    deadline at the end of its day), or the date and time."""
    if value is None:
        return ""
    with translation.override(language):
        return formats.date_format(
            timezone.localtime(value), "DATETIME_FORMAT" if with_time else "DATE_FORMAT"
        )


def info_request_context(claim: Claim, *, on_no_answer: str) -> dict[str, str]:
    """What an information request and its reminder say: the deadline in the claimant's
    language, the link to the answer page, and the policy's rule for no answer."""
    return {
        "respond_by": local_when(claim.info_due_at, _language(claim)),
        "claim_url": claim_url(claim, "claims:answer"),
        "on_no_answer": on_no_answer,
    }


def notice_info_requested(*, claim: Claim, round_number: int, on_no_answer: str) -> None:
    """The claimant's personal link opens the answer page signed in; the page's own address
    (claim_url) asks them to sign in first, for a template without the link."""
    _enqueue(
        claim,
        "info_requested",
        info_request_context(claim, on_no_answer=on_no_answer),
        f"info:{round_number}",
        link_to="claims:answer",
    )


def decision_summary(claim: Claim, language: str) -> str:
    with translation.override(language):
        if claim.status == Claim.Status.APPROVED:
            amount = money_format(claim.amount_decided_minor or 0, claim.program.currency)
            return _("Approved: %(amount)s") % {"amount": amount}
        return _("Not approved")


def notice_decision(*, claim: Claim, appeal: bool) -> None:
    """The decision (or the appeal's outcome) with a personal link to the claim's status page
    and, when it can be appealed, the last moment to do so in the claimant's language (empty
    otherwise)."""
    from claims.services.claimant import appeal_deadline  # services import this module

    language = _language(claim)
    summary = decision_summary(claim, language)
    context = {
        "claim_url": claim_url(claim),
        "appeal_by": local_when(appeal_deadline(claim), language, with_time=True),
    }
    summaries = {"outcome_summary" if appeal else "decision_summary": summary}
    kind, dedupe = ("appeal_outcome", "appeal") if appeal else ("decision", "decision")
    _enqueue(claim, kind, {**context, **summaries}, dedupe, link_to="claims:status")


def notice_payment_changed(*, claim: Claim, method_text: str, event_id: int) -> None:
    """The warning that the claim's payment choice was set or changed (one per change: the
    claim event's id), with the masked account and a link to the payment page."""
    language = _language(claim)
    _enqueue(
        claim,
        "payment_changed",
        {
            "method": method_text,
            "changed_at": local_when(timezone.now(), language, with_time=True),
            "claim_url": claim_url(claim, "claims:payment"),
        },
        f"payment:{event_id}",
    )


def notice_is_genuine(reference: str) -> bool:
    return _notice_is_genuine(reference)
