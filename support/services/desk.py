"""The desk's writes: the audit rows of who looked up whom, and resending a notice. Every other
action on a person (reissuing a voucher) is the owning app's service, called by the view."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from compensation.models import AffectedPerson
from notifications.models import Notice
from notifications.services import notice_enqueue
from support.errors import SupportError
from support.person_page import RESENDABLE
from support.query import Query
from support.selectors import SearchResult

SEARCH_OBJECT = "support.search"


def support_search_record(
    *,
    query: Query,
    result: SearchResult,
    actor: Actor,
    ip_address: str | None,
    program_id: int | None = None,
) -> AuditEvent:
    """Audit one search: who searched, for which kinds, how many were found and which people
    (their ids). Never the text searched: an email or a phone number is personal data, and
    the ids say whom it found."""
    return audit_record(
        action="support.search",
        object_type=SEARCH_OBJECT,
        actor=actor,
        ip_address=ip_address,
        program_id=program_id,
        after={
            "kinds": [kind.value for kind in query.kinds],
            "results": result.count,
            "truncated": result.truncated,
            "people": [found.person.pk for found in result.people],
            "claims": [claim.pk for claim in result.claims],
        },
    )


def person_view_record(
    *, person: AffectedPerson, actor: Actor, ip_address: str | None
) -> AuditEvent:
    """Audit that a staff member opened the person's page: it shows on the person's trail."""
    return audit_record(
        action="support.person_view",
        object_type="compensation.affectedperson",
        object_id=str(person.pk),
        program_id=person.program_id,
        actor=actor,
        ip_address=ip_address,
    )


def notice_resend(
    *, person: AffectedPerson, notice_id: int, actor: Actor, ip_address: str | None
) -> tuple[Notice, bool]:
    """Send one of the person's notices again: a new notice (its own reference) of the same
    kind, channel, language and context, to the person's address on that channel as their
    record holds it now, audited in the same transaction. Returns (notice, created).

    At most one resend of a notice a day: a double click, or two agents at once, makes one
    notice (the outbox's dedupe key); asking again the same day returns that one, created
    False. Only a notice that was sent or failed can be resent; one still on its way cannot."""
    with transaction.atomic(durable=True):
        # Locked: two resends of one notice at once take turns, and the second finds the first.
        original = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("program")
            .filter(pk=notice_id, person_id=person.pk)
            .first()
        )
        if original is None:
            raise SupportError(_("This notice was not sent to this person."), status=404)
        if original.status not in RESENDABLE:
            raise SupportError(
                _("This notice is still being sent: wait for its outcome before resending it.")
            )
        address = person.email if original.channel == "email" else person.phone
        if not address:
            raise SupportError(_("The person's record has no address on this channel now."))
        dedupe_key = f"support:resend:{original.pk}:{timezone.localdate().isoformat()}"
        earlier = Notice.objects.filter(dedupe_key=dedupe_key).first()
        if earlier is not None:
            return earlier, False
        notice = notice_enqueue(
            kind=original.kind,
            channel=original.channel,
            language=original.language,
            to_address=address,
            context=original.context,
            program=original.program,
            person=person,
            dedupe_key=dedupe_key,
        )
        audit_record(
            action="notice.resend",
            obj=notice,
            actor=actor,
            ip_address=ip_address,
            after={"resent_from": original.pk, "kind": original.kind},
        )
    return notice, True
