"""Forgetting Idempotency-Key answers once no retry of theirs can still be coming.

Every redeem or reverse sent with a key keeps a row: at Coupang scale that is one row per
redemption, so old ones are deleted in batches (each its own short transaction, oldest
first, through the created_at index) by an hourly beat task."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

PURGE_BATCH = 10_000


def idempotency_records_purge(*, now: dt.datetime | None = None, batch: int = PURGE_BATCH) -> int:
    """Delete the answers older than VOUCHERS_IDEMPOTENCY_DAYS; return how many went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.VOUCHERS_IDEMPOTENCY_DAYS)
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM vouchers_idempotencyrecord WHERE id IN ("
                "SELECT id FROM vouchers_idempotencyrecord WHERE created_at < %s "
                "ORDER BY created_at LIMIT %s)",
                [cutoff, batch],
            )
            deleted = cursor.rowcount
        total += deleted
        if deleted < batch:
            break
    if total:
        logger.info("deleted %s idempotency answers older than %s", total, cutoff.isoformat())
    return total
