"""Bulk issuance: a run is split into chunks of people; each chunk is one transaction that
inserts the awards set-based, writes the vouchers with COPY, reserves the budget and marks
the chunk done. The chunk table is the truth of what is done; Celery is only the wake-up.

Re-running a chunk adds nothing (award_proactive_once + ON CONFLICT DO NOTHING: only awards
inserted now get a voucher). Workers take chunks with FOR UPDATE SKIP LOCKED, so any number
of them, a re-dispatch, or the periodic sweep after a killed worker, finish a run exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record
from compensation.models import AwardLine, Program
from compensation.services.ledger import program_budget_reserve
from vouchers.errors import BudgetExhausted, IssuanceRefused
from vouchers.models import BatchProfileLine, IssuanceChunk, Voucher, VoucherBatch
from vouchers.services.codes import CodeMaker
from vouchers.services.planning import BatchPlan, batch_plan

logger = logging.getLogger(__name__)

_AWARDS_INSERT = """
INSERT INTO compensation_award
    (public_id, program_id, person_id, source, award_line_id, unit, claim_reference, kind,
     amount_minor, currency, status, policy_id, explanation, created_at, updated_at)
SELECT gen_random_uuid(), p.program_id, p.id, 'proactive', l.id, u.unit, '', l.kind,
       l.amount_minor, %(currency)s, 'granted', %(policy)s, %(explanation)s::jsonb,
       %(now)s, %(now)s
FROM compensation_affectedperson p
JOIN vouchers_batchprofileline bp
  ON bp.batch_id = %(batch)s AND bp.account_status = p.account_status
 AND bp.region = p.region AND bp.segment = p.segment AND bp.data_categories = p.data_categories
JOIN compensation_awardline l ON l.id = bp.award_line_id
CROSS JOIN LATERAL generate_series(1, l.count) AS u(unit)
WHERE p.program_id = %(program)s AND p.id BETWEEN %(lo)s AND %(hi)s
ORDER BY p.id, l.position, l.id, u.unit
ON CONFLICT (program_id, person_id, award_line_id, unit) WHERE source = 'proactive'
DO NOTHING
RETURNING id, person_id, award_line_id, amount_minor
"""

_CHUNKS_CREATE = """
INSERT INTO vouchers_issuancechunk
    (batch_id, number, person_id_from, person_id_to, status, vouchers_issued, amount_minor,
     attempts, last_error)
SELECT %(batch)s, bucket + 1, min(id), max(id), 'pending', 0, 0, 0, ''
FROM (
    SELECT id, (row_number() OVER (ORDER BY id) - 1) / %(size)s AS bucket
    FROM compensation_affectedperson WHERE program_id = %(program)s
) people
GROUP BY bucket
"""

VOUCHER_COPY_COLUMNS = (
    "award_id",
    "generation",
    "batch_id",
    "program_id",
    "person_id",
    "service_scope",
    "amount_minor",
    "currency",
    "code_hash",
    "hash_key_version",
    "derive_key_version",
    "last4",
    "state",
    "valid_from",
    "valid_until",
    "issued_at",
)
VOUCHER_COPY_SQL = f"COPY vouchers_voucher ({', '.join(VOUCHER_COPY_COLUMNS)}) FROM STDIN"


def voucher_batch_start(
    *,
    program: Program,
    award_lines: list[AwardLine],
    segments: list[str] | None = None,
    confirm_name: str,
    chunk_size: int = 2_000,
    actor=None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> VoucherBatch:
    """Record an issuance run the operator confirmed by typing the program's name, with the
    eligible profiles decided now, and start workers after commit. Refused (IssuanceRefused,
    nothing written) on a wrong confirmation, nothing to issue, or a cost above the
    remaining budget."""
    if confirm_name.strip() != program.name:
        raise IssuanceRefused("Type the program's name exactly to confirm the run.")
    plan = batch_plan(program=program, award_lines=award_lines, segments=segments)
    if not plan.vouchers:
        raise IssuanceRefused("Nobody is eligible for these award lines under the policy.")
    program.refresh_from_db(fields=["budget_minor", "committed_minor"])
    if plan.new_cost_minor > program.remaining_minor:
        raise IssuanceRefused(
            f"The run would commit {plan.new_cost_minor:,} {program.currency} and only "
            f"{program.remaining_minor:,} is left in the budget."
        )
    with transaction.atomic(durable=True):
        batch = VoucherBatch.objects.create(
            program=program,
            policy=plan.policy,
            award_line_ids=[line.pk for line in plan.award_lines],
            segments=plan.segments,
            chunk_size=chunk_size,
            people_planned=plan.people,
            vouchers_planned=plan.vouchers,
            cost_planned_minor=plan.cost_minor,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _profiles_write(batch, plan)
        audit_record(
            action="voucher_batch.start",
            obj=batch,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            after={
                "program": program.pk,
                "policy": plan.policy.pk,
                "award_lines": [line.code for line in plan.award_lines],
                "segments": plan.segments,
                "people": plan.people,
                "vouchers": plan.vouchers,
                "cost_minor": plan.cost_minor,
            },
        )
        transaction.on_commit(lambda: voucher_batch_dispatch(batch_id=batch.pk))
    return batch


def _profiles_write(batch: VoucherBatch, plan: BatchPlan) -> None:
    BatchProfileLine.objects.bulk_create(
        BatchProfileLine(
            batch=batch,
            account_status=profile.facts.account_status,
            region=profile.facts.region,
            segment=profile.facts.segment,
            data_categories=list(profile.facts.data_categories),
            award_line=line,
            people=profile.people,
        )
        for profile in plan.profiles
        for line in profile.lines
    )


def voucher_batch_dispatch(*, batch_id: int, workers: int | None = None) -> None:
    """Wake `workers` Celery workers for a run. Harmless to call any number of times."""
    from django.conf import settings

    from vouchers.tasks import voucher_batch_run_task

    for _ in range(workers or getattr(settings, "VOUCHERS_ISSUANCE_WORKERS", 2)):
        voucher_batch_run_task.delay(batch_id)


def voucher_batch_resume(
    *, batch: VoucherBatch, actor=None, actor_label: str = "", ip_address: str | None = None
) -> VoucherBatch:
    """Put a failed run back to running (after, say, the budget was raised) and wake
    workers; a running run is only woken. Chunks already done are never redone."""
    with transaction.atomic(durable=True):
        resumed = VoucherBatch.objects.filter(
            pk=batch.pk, status__in=[VoucherBatch.Status.FAILED, VoucherBatch.Status.RUNNING]
        ).update(status=VoucherBatch.Status.RUNNING, error="", finished_at=None)
        if not resumed:
            raise IssuanceRefused("Only a failed or running run can be resumed.")
        audit_record(
            action="voucher_batch.resume",
            obj=batch,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
        )
        transaction.on_commit(lambda: voucher_batch_dispatch(batch_id=batch.pk))
    batch.refresh_from_db()
    return batch


def voucher_batch_execute(*, batch_id: int, time_budget_seconds: float = 240.0) -> bool:
    """Work the run's pending chunks until none is left or the time budget is spent.
    Returns True when pending chunks remain (the caller wakes a worker again).

    Guarantees: a chunk is done exactly once (its awards, vouchers, budget reservation and
    done mark commit together); a worker killed at any point leaves its chunk pending; the
    budget is never exceeded: a chunk it cannot cover rolls back and fails the run with
    the reason, and nothing of that chunk stays."""
    _chunks_ensure(batch_id)
    deadline = time.monotonic() + time_budget_seconds
    maker = CodeMaker()
    while time.monotonic() < deadline:
        batch = VoucherBatch.objects.select_related("program").get(pk=batch_id)
        if batch.status != VoucherBatch.Status.RUNNING:
            return False
        try:
            worked = _chunk_run_next(batch, maker)
        except BudgetExhausted as exc:
            _batch_fail(batch_id, exc.message)
            return False
        if not worked:
            break
    _batch_finish_if_complete(batch_id)
    return IssuanceChunk.objects.filter(
        batch_id=batch_id, status=IssuanceChunk.Status.PENDING
    ).exists() and (
        VoucherBatch.objects.filter(pk=batch_id, status=VoucherBatch.Status.RUNNING).exists()
    )


def _chunks_ensure(batch_id: int) -> None:
    """Split the population into chunks once (in the worker: a scan of 33.7M ids is no job
    for a web request). Concurrent workers wait on the run's row; the second finds it done."""
    with transaction.atomic():
        batch = VoucherBatch.objects.select_for_update().get(pk=batch_id)
        if batch.chunks_total:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                _CHUNKS_CREATE,
                {"batch": batch.pk, "size": batch.chunk_size, "program": batch.program_id},
            )
            batch.chunks_total = cursor.rowcount
        batch.heartbeat_at = timezone.now()
        batch.save(update_fields=["chunks_total", "heartbeat_at"])


def _chunk_run_next(batch: VoucherBatch, maker: CodeMaker) -> bool:
    """Do the next pending chunk nobody else holds. False when there is none."""
    program = batch.program
    lines = {line.pk: line for line in AwardLine.objects.filter(pk__in=batch.award_line_ids)}
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, number, person_id_from, person_id_to FROM vouchers_issuancechunk "
            "WHERE batch_id = %s AND status = 'pending' ORDER BY number "
            "LIMIT 1 FOR UPDATE SKIP LOCKED",
            [batch.pk],
        )
        row = cursor.fetchone()
        if row is None:
            return False
        chunk_id, number, lo, hi = row
        now = timezone.now()
        cursor.execute(
            _AWARDS_INSERT,
            {
                "currency": program.currency,
                "policy": batch.policy_id,
                "explanation": json.dumps({"voucher_batch": batch.pk}),
                "now": now,
                "batch": batch.pk,
                "program": program.pk,
                "lo": lo,
                "hi": hi,
            },
        )
        awards = cursor.fetchall()
        total = sum(amount for *_rest, amount in awards)
        _vouchers_copy(cursor, batch, awards, lines, maker, now)
        # The reservation comes last on purpose: it locks the program's row until commit,
        # and taking it last keeps that lock short while other workers run their chunks.
        # Failing it raises, and the whole chunk rolls back with it.
        if total and not program_budget_reserve(program_id=program.pk, amount_minor=total):
            raise BudgetExhausted(
                f"Stopped at chunk {number}: its {len(awards):,} vouchers cost {total:,} "
                f"{program.currency} and the budget cannot cover them. Raise the budget or "
                "narrow the run, then resume it; finished chunks stay issued."
            )
        cursor.execute(
            "UPDATE vouchers_issuancechunk SET status = 'done', vouchers_issued = %s, "
            "amount_minor = %s, attempts = attempts + 1, seconds = %s, done_at = %s "
            "WHERE id = %s",
            [len(awards), total, time.monotonic() - started, timezone.now(), chunk_id],
        )
        cursor.execute(
            "UPDATE vouchers_voucherbatch SET heartbeat_at = %s WHERE id = %s",
            [timezone.now(), batch.pk],
        )
    return True


def _vouchers_copy(cursor, batch, awards, lines, maker: CodeMaker, now) -> None:
    if not awards:
        return
    program = batch.program
    scope = {line_id: line.service_scope or line.code for line_id, line in lines.items()}
    make = maker.make
    valid_from, valid_until = program.voucher_valid_from, program.voucher_valid_until
    currency, hash_version, derive_version = (
        program.currency,
        maker.hash_version,
        maker.derive_version,
    )
    with cursor.copy(VOUCHER_COPY_SQL) as copy:
        write = copy.write_row
        for award_id, person_id, line_id, amount in awards:
            code_hash, last4 = make(award_id)
            write(
                (
                    award_id,
                    1,
                    batch.pk,
                    program.pk,
                    person_id,
                    scope[line_id],
                    amount,
                    currency,
                    code_hash,
                    hash_version,
                    derive_version,
                    last4,
                    Voucher.State.ISSUED,
                    valid_from,
                    valid_until,
                    now,
                )
            )


def _batch_fail(batch_id: int, message: str) -> None:
    with transaction.atomic():
        changed = VoucherBatch.objects.filter(
            pk=batch_id, status=VoucherBatch.Status.RUNNING
        ).update(status=VoucherBatch.Status.FAILED, error=message)
        if changed:
            audit_record(
                action="voucher_batch.fail",
                object_type="vouchers.voucherbatch",
                object_id=str(batch_id),
                actor_label="job:voucher_issuance",
                after={"error": message},
            )
    logger.warning("voucher run %s failed: %s", batch_id, message)


def _batch_finish_if_complete(batch_id: int) -> None:
    with transaction.atomic():
        finished = VoucherBatch.objects.filter(
            pk=batch_id, status=VoucherBatch.Status.RUNNING, chunks_total__gt=0
        ).exclude(chunks__status=IssuanceChunk.Status.PENDING)
        if not finished.update(status=VoucherBatch.Status.DONE, finished_at=timezone.now()):
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(vouchers_issued), 0), coalesce(sum(amount_minor), 0) "
                "FROM vouchers_issuancechunk WHERE batch_id = %s",
                [batch_id],
            )
            vouchers, amount = cursor.fetchone()
        audit_record(
            action="voucher_batch.finish",
            object_type="vouchers.voucherbatch",
            object_id=str(batch_id),
            actor_label="job:voucher_issuance",
            after={"vouchers": vouchers, "amount_minor": amount},
        )


def voucher_batch_cancel(
    *, batch: VoucherBatch, actor=None, actor_label: str = "", ip_address: str | None = None
) -> VoucherBatch:
    """Stop a run: workers finish the chunk in hand and take no other. What is issued stays
    issued (freeze the run to stop its vouchers being used)."""
    with transaction.atomic(durable=True):
        changed = VoucherBatch.objects.filter(
            pk=batch.pk, status__in=[VoucherBatch.Status.RUNNING, VoucherBatch.Status.FAILED]
        ).update(status=VoucherBatch.Status.CANCELLED, finished_at=timezone.now())
        if not changed:
            raise IssuanceRefused("Only a running or failed run can be cancelled.")
        audit_record(
            action="voucher_batch.cancel",
            obj=batch,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
        )
    batch.refresh_from_db()
    return batch


def voucher_batches_redispatch(*, stale_seconds: int = 120) -> list[int]:
    """Wake the runs no worker has touched for `stale_seconds` (a killed worker, a lost
    message). Called by beat; the database decides what is left."""
    cutoff = timezone.now() - dt.timedelta(seconds=stale_seconds)
    stale = list(
        VoucherBatch.objects.filter(status=VoucherBatch.Status.RUNNING)
        .exclude(heartbeat_at__gt=cutoff)
        .exclude(created_at__gt=cutoff, heartbeat_at__isnull=True)
        .values_list("pk", flat=True)
    )
    for batch_id in stale:
        voucher_batch_dispatch(batch_id=batch_id, workers=1)
    return stale
