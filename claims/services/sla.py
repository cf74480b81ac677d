"""The SLA clock: flag open claims whose target time has passed (a periodic task)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from claims.models import Claim


def claims_flag_overdue() -> int:
    """Mark open claims past their due time as overdue, once each (a conditional UPDATE, so
    running it twice or on two workers flags nothing twice). Returns how many were flagged."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        flagged = Claim.objects.filter(
            status__in=Claim.OPEN_STATUSES, due_at__lt=now, overdue_flagged_at__isnull=True
        ).update(overdue_flagged_at=now)
        if flagged:
            audit_record(
                action="claims.flag_overdue",
                object_type="claims.claim",
                actor_label="job:claims.flag_overdue",
                after={"flagged": flagged},
            )
    return flagged
