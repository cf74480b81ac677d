"""Staff writing to a claimant about their claim, at any time and not only to ask for
information: the message goes through the notification outbox and shows on the claim's
history."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.services import audit_record
from claims.errors import ClaimError
from claims.models import Claim, ClaimEvent
from claims.notices import claim_url, notice_address, notice_language
from notifications.models import Notice
from notifications.services import notice_enqueue

MESSAGE_KIND = "claim_message"
MAX_MESSAGE = 4000


def claim_message_send(
    *,
    claim: Claim,
    text: str,
    actor: User,
    submission_key: uuid.UUID,
    ip_address: str | None = None,
) -> tuple[ClaimEvent, bool]:
    """Write to the claimant: a claim_message notice in the claim's language to the address
    its notices go to, and a "message" event on the claim's history (the claimant sees it),
    audited, in one transaction. For staff who may change claims. One message per
    `submission_key` (the form's): a double submit returns the first, created False."""
    if not actor.has_perm("claims.change_claim"):
        raise ClaimError(_("You are not allowed to do this."), code="forbidden", status=403)
    text = text.strip()
    if not text:
        raise ClaimError(_("The message is empty."), code="message")
    if len(text) > MAX_MESSAGE:
        raise ClaimError(
            _("The message is too long: at most %(max)s characters.") % {"max": MAX_MESSAGE},
            code="message",
        )
    to_address = notice_address(claim)
    if not to_address:
        raise ClaimError(_("This claim has no address to write to."), code="no_address")
    dedupe_key = f"claim:{claim.reference}:message:{submission_key}"
    with transaction.atomic(durable=True):
        # Locked: a double submit waits for the first and then finds its notice.
        Claim.objects.select_for_update().filter(pk=claim.pk).first()
        if Notice.objects.filter(dedupe_key=dedupe_key).exists():
            earlier = claim.events.filter(kind="message").order_by("-id").first()
            assert earlier is not None
            return earlier, False
        notice = notice_enqueue(
            kind=MESSAGE_KIND,
            channel="email",
            language=notice_language(claim),
            to_address=to_address,
            context={
                "claim_reference": claim.reference,
                "message_text": text,
                "claim_url": claim_url(claim),
            },
            program=claim.program,
            person=claim.person,
            dedupe_key=dedupe_key,
        )
        event = ClaimEvent.objects.create(
            claim=claim, kind="message", note=text, internal=False, actor_label=f"user:{actor.pk}"
        )
        audit_record(
            action="claim.message",
            obj=claim,
            actor=actor,
            ip_address=ip_address,
            after={"notice": notice.pk, "event": event.pk},
        )
    return event, True
