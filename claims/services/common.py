"""Pieces every claims service shares: the SLA clock, the conditional status change with its
event and audit row, and who a claimant is in the trail."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import Actor, audit_record
from claims.errors import ClaimError
from claims.models import Claim, ClaimEvent
from compensation.models import AffectedPerson


def sla_due(status: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When a claim entering `status` should have moved on (None: the clock is not ours)."""
    hours = settings.CLAIMS_SLA_HOURS.get(status)
    if hours is None:
        return None
    return (now or timezone.now()) + dt.timedelta(hours=hours)


def identity_filter(
    claim_or_person: AffectedPerson | int | None, email_hash: bytes | memoryview | None
) -> Q:
    """Claims by the same identity: the same affected person, or the same verified email."""
    person_id = getattr(claim_or_person, "pk", claim_or_person)
    condition = Q(claimant_email_hash=email_hash) if email_hash else Q(pk__in=[])
    if person_id:
        condition |= Q(person_id=person_id)
    return condition


def review_status_after_info(claim: Claim) -> str:
    """Where a claim goes back to once its request for information is answered or has run
    out: an appeal stays an appeal (a senior reviewer decides it), anything else is in review."""
    return Claim.Status.APPEALED if claim.appealed_at else Claim.Status.IN_REVIEW


def claimant_label(claim: Claim) -> str:
    return f"claimant:{claim.reference}"


def actor_label_of(actor: Actor) -> str:
    return f"user:{actor.pk}" if actor is not None else "job:claims"


def claim_transition(
    *,
    claim: Claim,
    allowed_from: tuple[str, ...],
    to_status: str,
    kind: str,
    actor: Actor = None,
    actor_label: str = "",
    note: str = "",
    ip_address: str | None = None,
    fields: dict | None = None,
    audit_after: dict | None = None,
) -> Claim:
    """Move the claim to `to_status` if it is still in one of `allowed_from` (one conditional
    UPDATE: two reviewers acting at once cannot both succeed), with its ClaimEvent and audit
    row. Must run inside the caller's transaction. ClaimError(conflict) if it moved."""
    now = timezone.now()
    values = {
        "status": to_status,
        "due_at": sla_due(to_status, now=now),
        "overdue_flagged_at": None,
    }
    values.update(fields or {})
    changed = Claim.objects.filter(pk=claim.pk, status__in=allowed_from).update(**values)
    if changed != 1:
        raise ClaimError(
            _("This claim changed meanwhile (it is now %(status)s). Reload and try again.")
            % {"status": Claim.objects.get(pk=claim.pk).get_status_display()},
            code="conflict",
            status=409,
        )
    from_status = claim.status
    claim.refresh_from_db()
    label = actor_label or actor_label_of(actor)
    ClaimEvent.objects.create(
        claim=claim,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note,
        actor_label=label,
    )
    audit_record(
        action=f"claim.{kind}",
        obj=claim,
        actor=actor,
        actor_label=label if actor is None else "",
        ip_address=ip_address,
        before={"status": from_status},
        after={"status": to_status, **(audit_after or {})},
    )
    return claim
