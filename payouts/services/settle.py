"""Settling payouts: the results of a released batch (a bank's result file, a provider's
answers) mark each payout paid, failed or returned, set-based.

Paid: the award becomes delivered (the ledger's awards_delivered_mark_select) and the person
is told.
Failed or returned: the person's instruction is put on hold with the failure code (no batch
takes it until they correct their details, which clears the hold) and they are told, with a
link to correct them. The award stays granted, so a later batch pays it again."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import connection
from psycopg import sql

from audit.services import Actor, audit_record
from compensation.services.ledger import awards_delivered_mark_select
from payouts.errors import PayoutError
from payouts.models import PayoutBatch
from payouts.notices import payout_notices_enqueue

# Failures that are not the person's: the provider stayed unreachable through every retry
# (payouts/services/sending.py). Their payout fails (a later batch pays the award again), but
# the person's choice is not put on hold and they are not asked to correct details that were
# never wrong.
PROVIDER_UNAVAILABLE = "provider_unavailable"
NOT_THE_PERSONS_FAULT = (PROVIDER_UNAVAILABLE,)

# The payouts this call settled; dropped before returning (and by a rollback).
_SETTLED = "payouts_settle_done"

_SETTLED_CREATE = """
CREATE TEMPORARY TABLE payouts_settle_done (
    payout_id bigint, award_id bigint, instruction_id bigint, program_id bigint,
    reference text, status text, amount_minor bigint, currency text, settled_at timestamptz,
    failure_code text
) ON COMMIT DROP
"""

# Only a released payout of this batch moves, and only once: a second call with the same
# results finds none released and changes nothing. A row with an unknown outcome is ignored
# (the result file's checks refuse it before it gets here).
_SETTLE = sql.SQL("""
WITH settled AS (
    UPDATE payouts_payout p
    SET status = r.outcome,
        failure_code = CASE WHEN r.outcome = 'paid' THEN ''
                            ELSE left(coalesce(nullif(r.failure_code, ''), r.outcome), 40) END,
        provider_reference = left(coalesce(r.provider_reference, ''), 80),
        settled_at = coalesce(r.settled_at, now()),
        updated_at = now()
    FROM {results} r
    WHERE p.id = r.payout_id AND p.batch_id = %(batch)s AND p.status = 'released'
      AND r.outcome IN ('paid', 'failed', 'returned')
    RETURNING p.id, p.award_id, p.instruction_id, p.program_id, p.reference, p.status,
              p.amount_minor, p.currency, p.settled_at, p.failure_code
)
INSERT INTO {settled} SELECT * FROM settled
""")

_HOLD = """
UPDATE payouts_payoutinstruction i
SET hold_code = s.failure_code, updated_at = now()
FROM payouts_settle_done s
WHERE i.id = s.instruction_id AND s.status IN ('failed', 'returned')
"""

_BATCH_SETTLED = """
UPDATE payouts_payoutbatch b SET status = 'settled', settled_at = now()
WHERE b.id = %(batch)s AND b.status = 'released'
  AND NOT EXISTS (
      SELECT 1 FROM payouts_payout p WHERE p.batch_id = b.id AND p.status = 'released'
  )
"""


@dataclass(frozen=True)
class SettleCounts:
    paid: int = 0
    failed: int = 0
    returned: int = 0
    # Result rows that settled nothing: not a released payout of the batch (already settled,
    # another batch's, unknown) or an unknown outcome.
    ignored: int = 0


def payouts_settle(
    *, batch: PayoutBatch, results_table: str, actor_label: str, actor: Actor = None
) -> SettleCounts:
    """Apply the results in `results_table` (a table the caller filled, with columns
    payout_id bigint, outcome text 'paid'|'failed'|'returned', failure_code text,
    provider_reference text, settled_at timestamptz) to the released payouts of `batch`.

    Guarantees, in the caller's transaction (refused outside one): each released payout
    named moves once (a second call with the same results changes nothing; a payout already
    settled is untouched); paid awards become delivered; a failed or returned payout's
    instruction is put on hold with its failure code; one notice per settled payout (none
    twice); the batch becomes settled when none of its payouts is left released; one audit
    row with the counts. Calls for the same batch are serialised on the batch row, so the
    last one of concurrent calls sees the others' payouts and settles the batch."""
    if not connection.in_atomic_block:
        raise PayoutError(
            "payouts_settle must run inside the transaction that records the results.",
            code="outside_transaction",
        )
    locked = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    with connection.cursor() as cursor:
        cursor.execute(_SETTLED_CREATE)
        cursor.execute(
            _SETTLE.format(results=sql.Identifier(results_table), settled=sql.Identifier(_SETTLED)),
            {"batch": locked.pk},
        )
        # A temporary table has no statistics until analysed: the hold, the awards and the
        # notices join it, a million rows at most, planned blind otherwise.
        cursor.execute("ANALYZE payouts_settle_done")
        cursor.execute("SELECT status, count(*) FROM payouts_settle_done GROUP BY status")
        by_status = dict(cursor.fetchall())
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {results}").format(results=sql.Identifier(results_table))
        )
        total = cursor.fetchone()[0]
        # Counted as failed above; kept out of the hold and the failure notice below.
        cursor.execute(
            "UPDATE payouts_settle_done SET status = 'failed_not_held' "
            "WHERE status = 'failed' AND failure_code = ANY(%s)",
            [list(NOT_THE_PERSONS_FAULT)],
        )
        cursor.execute(_HOLD)
        held = cursor.rowcount
    counts = SettleCounts(
        paid=by_status.get("paid", 0),
        failed=by_status.get("failed", 0),
        returned=by_status.get("returned", 0),
        ignored=total - sum(by_status.values()),
    )
    delivered = 0
    if counts.paid:
        delivered = awards_delivered_mark_select(
            program_id=locked.program_id,
            select="SELECT award_id FROM payouts_settle_done WHERE status = 'paid'",
            actor_label=actor_label,
            reason=f"payout batch {locked.pk}",
        )
    notices_paid, notices_failed = (0, 0)
    if counts.paid or counts.failed or counts.returned:
        notices_paid, notices_failed = payout_notices_enqueue(
            settled=_SETTLED, program_slug=locked.program.slug, method=locked.method
        )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE payouts_settle_done")
        cursor.execute(_BATCH_SETTLED, {"batch": locked.pk})
        batch_settled = cursor.rowcount == 1
    audit_record(
        action="payout.settle",
        obj=locked,
        actor=actor,
        actor_label=actor_label,
        program_id=locked.program_id,
        after={
            **asdict(counts),
            "awards_delivered": delivered,
            "instructions_held": held,
            "notices_paid": notices_paid,
            "notices_failed": notices_failed,
            "batch_settled": batch_settled,
        },
    )
    if batch_settled:
        batch.refresh_from_db(fields=["status", "settled_at"])
    return counts
