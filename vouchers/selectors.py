"""Reads shared by the wallet, the admin and reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from compensation.models import AffectedPerson
from vouchers.models import Voucher, VoucherBatch
from vouchers.services.freeze_marks import voucher_usable_sql


def wallet_vouchers(person: AffectedPerson) -> QuerySet[Voucher]:
    """A person's vouchers, void ones left out (a reissue replaced them), with their award
    lines' terms; one query."""
    return (
        Voucher.objects.filter(person=person)
        .exclude(state=Voucher.State.VOID)
        .select_related("program", "award__award_line", "person")
        .order_by("valid_from", "amount_minor", "id")
    )


def person_page_vouchers(person_ids: list[int]) -> QuerySet[Voucher]:
    """The vouchers of several records of one person (one per program), void ones left out;
    one query."""
    return (
        Voucher.objects.filter(person_id__in=person_ids)
        .exclude(state=Voucher.State.VOID)
        .select_related("award__award_line", "person")
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


@dataclass(frozen=True)
class CustomerVoucher:
    voucher_id: int
    service_scope: str
    amount_minor: int
    balance_minor: int
    currency: str
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    redemption_mode: str
    minimum_order_minor: int
    excluded_categories: list[str]
    bound_to_account: bool


# A customer's usable vouchers in one service: the holder found by account id through the
# unique (program, external_id) index, one probe per program (a few), then their vouchers
# (voucher_person_idx) with each one's line and minimum for the holder.
_CUSTOMER_VOUCHERS_SQL = """
SELECT v.id, v.service_scope, v.amount_minor, coalesce(v.balance_minor, v.amount_minor),
       v.currency, v.valid_from, v.valid_until, coalesce(l.redemption_mode, 'single'),
       coalesce((l.min_order_by_segment ->> p.segment)::bigint, l.min_order_minor, 0),
       coalesce(l.excluded_categories, '{{}}'), coalesce(l.bound_to_account, false)
FROM compensation_affectedperson p
JOIN vouchers_voucher v ON v.person_id = p.id
JOIN compensation_award a ON a.id = v.award_id
LEFT JOIN compensation_awardline l ON l.id = a.award_line_id
WHERE p.program_id IN (SELECT id FROM compensation_program)
  AND p.external_id = %(ref)s
  AND v.service_scope = %(scope)s AND {usable}
  AND (v.valid_from IS NULL OR v.valid_from <= %(now)s)
  AND (v.valid_until IS NULL OR v.valid_until > %(now)s)
  AND coalesce(v.balance_minor, v.amount_minor) > 0
ORDER BY v.valid_until NULLS LAST, v.id
LIMIT %(limit)s
"""


def customer_vouchers(
    *, service_scope: str, customer_ref: str, limit: int = 100
) -> list[CustomerVoucher]:
    """The vouchers a customer (by account reference) can use now in one service; one
    query."""
    with connection.cursor() as cursor:
        cursor.execute(
            _CUSTOMER_VOUCHERS_SQL.format(usable=voucher_usable_sql("v")),
            {
                "scope": service_scope,
                "ref": customer_ref,
                "now": timezone.now(),
                "limit": limit,
            },
        )
        return [CustomerVoucher(*row) for row in cursor.fetchall()]
