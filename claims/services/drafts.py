"""Uploads and payment choices of drafts that were never submitted are deleted after a
while: they are personal documents and account details with no claim to justify keeping
them."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from claims.models import ClaimDocument
from claims.storage import documents_delete
from payouts.services.instructions import instruction_drafts_purge

DRAFT_DAYS = 2


def claims_drafts_purge(*, older_than_days: int = DRAFT_DAYS) -> int:
    """Delete draft uploads (no claim) older than `older_than_days`, rows and files, and the
    payment choices of those drafts. Idempotent; a file already gone is skipped. Returns how
    many uploads were deleted."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    instruction_drafts_purge(created_before=cutoff, actor_label="job:claims.drafts_purge")
    stale = ClaimDocument.objects.filter(claim__isnull=True, created_at__lt=cutoff)
    names = list(stale.values_list("storage_name", flat=True)[:5000])
    if not names:
        return 0
    with transaction.atomic(durable=True):
        deleted, _ = ClaimDocument.objects.filter(
            claim__isnull=True, storage_name__in=names
        ).delete()
        audit_record(
            action="claims.drafts_purge",
            object_type="claims.claimdocument",
            actor_label="job:claims.drafts_purge",
            after={"deleted": deleted},
        )
        transaction.on_commit(lambda: documents_delete(names))
    return deleted
