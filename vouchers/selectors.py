"""Reads shared by the wallet, the admin and reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from compensation.models import AffectedPerson
from vouchers.models import Voucher, VoucherBatch


def wallet_vouchers(person: AffectedPerson) -> QuerySet[Voucher]:
    """A person's vouchers, void ones left out (a reissue replaced them), one query."""
    return (
        Voucher.objects.filter(person=person)
        .exclude(state=Voucher.State.VOID)
        .select_related("program")
        .order_by("valid_from", "amount_minor", "id")
    )


def person_page_vouchers(person_ids: list[int]) -> QuerySet[Voucher]:
    """The vouchers of several records of one person (one per program), void ones left out;
    one query."""
    return (
        Voucher.objects.filter(person_id__in=person_ids)
        .exclude(state=Voucher.State.VOID)
        .order_by("valid_from", "amount_minor", "id")
    )


@dataclass(frozen=True)
class BatchProgress:
    chunks_done: int
    chunks_total: int
    vouchers_done: int
    vouchers_planned: int
    amount_minor: int
    failing_chunks: int
    rate_per_second: float | None
    seconds_left: float | None

    @property
    def share(self) -> float:
        return self.chunks_done / self.chunks_total if self.chunks_total else 0.0


def batch_progress(batch: VoucherBatch) -> BatchProgress:
    """Done / total, rate over the last minute of finished chunks (or the whole run), time
    left, and chunks that failed at least once. One query over the chunk table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE status = 'done'),
                   coalesce(sum(vouchers_issued), 0), coalesce(sum(amount_minor), 0),
                   count(*) FILTER (WHERE status = 'pending' AND last_error <> ''),
                   min(done_at), max(done_at),
                   coalesce(sum(vouchers_issued) FILTER (
                       WHERE done_at > now() - interval '60 seconds'), 0),
                   min(done_at - make_interval(secs => coalesce(seconds, 0))) FILTER (
                       WHERE done_at > now() - interval '60 seconds')
            FROM vouchers_issuancechunk WHERE batch_id = %s
            """,
            [batch.pk],
        )
        done, vouchers, amount, failing, first, last, recent, recent_start = cursor.fetchone()
    rate = None
    if recent and recent_start:
        span = (timezone.now() - recent_start).total_seconds()
        rate = recent / span if span > 0 else None
    elif vouchers and first and last and batch.created_at:
        span = (last - batch.created_at).total_seconds()
        rate = vouchers / span if span > 0 else None
    left = None
    if rate and batch.status == VoucherBatch.Status.RUNNING:
        left = max(batch.vouchers_planned - vouchers, 0) / rate
    return BatchProgress(
        chunks_done=done,
        chunks_total=batch.chunks_total,
        vouchers_done=vouchers,
        vouchers_planned=batch.vouchers_planned,
        amount_minor=amount,
        failing_chunks=failing,
        rate_per_second=rate,
        seconds_left=left,
    )


def issuance_rate_last_run() -> float | None:
    """Vouchers a second of the most recently finished run (its chunks' wall time, first
    chunk started to last done), or None when no run has finished."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT sum(c.vouchers_issued), extract(epoch FROM max(c.done_at)
                   - min(c.done_at - make_interval(secs => coalesce(c.seconds, 0))))
            FROM vouchers_issuancechunk c
            WHERE c.batch_id = (SELECT id FROM vouchers_voucherbatch WHERE status = 'done'
                                ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1)
              AND c.status = 'done'
            """
        )
        vouchers, seconds = cursor.fetchone()
    if not vouchers or not seconds or seconds <= 0:
        return None
    return float(vouchers) / float(seconds)
