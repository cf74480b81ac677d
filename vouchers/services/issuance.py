"""Bulk issuance: a run is split into chunks of people; each chunk is one transaction that
inserts the awards set-based, writes the vouchers with COPY, reserves the budget and marks
the chunk done. The chunk table is the truth of what is done; Celery is only the wake-up.

Re-running a chunk adds nothing (award_proactive_once + ON CONFLICT DO NOTHING: only awards
inserted now get a voucher). Workers take chunks with FOR UPDATE SKIP LOCKED, so any number
of them, a re-dispatch, or the periodic sweep after a killed worker, finish a run exactly.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from psycopg import sql

from audit.services import audit_record
from compensation.models import AwardLine
from compensation.services.ledger import awards_proactive_insert, program_budget_reserve
from vouchers.errors import BudgetExhausted
from vouchers.models import IssuanceChunk, Voucher, VoucherBatch
from vouchers.services.codes import CodeMaker
from vouchers.services.delivery import run_holders_notify
from vouchers.services.planning import voucher_window_refusal

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

logger = logging.getLogger(__name__)

# The run's plan, in the shape compensation's ledger joins people to.
_PROFILE_LINES = sql.SQL(
    "(SELECT account_status, region, segment, data_categories, award_line_id "
    "FROM vouchers_batchprofileline WHERE batch_id = {batch})"
)

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

MAX_CHUNK_ATTEMPTS = 3
# Each column of a voucher row and its PostgreSQL type, in the order _vouchers_copy writes
# them. Binary COPY: PostgreSQL parses it about 40% faster than text for these rows (bytea
# and timestamps above all), measured on this machine.
VOUCHER_COPY_FIELDS = (
    ("award_id", "bigint"),
    ("generation", "smallint"),
    ("batch_id", "bigint"),
    ("program_id", "bigint"),
    ("person_id", "bigint"),
    ("service_scope", "varchar"),
    ("amount_minor", "bigint"),
    ("currency", "varchar"),
    ("code_hash", "bytea"),
    ("hash_key_version", "smallint"),
    ("derive_key_version", "smallint"),
    ("last4", "varchar"),
    ("state", "varchar"),
    ("valid_from", "timestamptz"),
    ("valid_until", "timestamptz"),
    ("issued_at", "timestamptz"),
)
VOUCHER_COPY_SQL = (
    f"COPY vouchers_voucher ({', '.join(column for column, _ in VOUCHER_COPY_FIELDS)}) "
    "FROM STDIN (FORMAT BINARY)"
)
_VOUCHER_COPY_TYPES = [type_ for _, type_ in VOUCHER_COPY_FIELDS]


def voucher_batch_execute(*, batch_id: int, time_budget_seconds: float = 240.0) -> bool:
    """Work the run's pending chunks until none is left or the time budget is spent.
    Returns True when pending chunks remain (the caller wakes a worker again).

    Guarantees: a chunk is done exactly once (its awards, vouchers, budget reservation and
    done mark commit together); a worker killed at any point leaves its chunk pending; the
    budget is never exceeded: a chunk it cannot cover rolls back and fails the run with
    the reason, and nothing of that chunk stays; no chunk starts once the program's
    validity window has ended (the run fails saying so; finished chunks stay issued)."""
    _chunks_ensure(batch_id)
    deadline = time.monotonic() + time_budget_seconds
    maker = CodeMaker()
    while time.monotonic() < deadline:
        batch = VoucherBatch.objects.select_related("program").get(pk=batch_id)
        if batch.status != VoucherBatch.Status.RUNNING:
            return False
        if refusal := voucher_window_refusal(batch.program):  # the window ended mid-run
            _batch_fail(batch_id, refusal)
            return False
        try:
            worked = _chunk_run_next(batch, maker)
        except BudgetExhausted as exc:
            _batch_fail(batch_id, str(exc.message))
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
    """Do the next pending chunk nobody else holds. False when there is none. A chunk that
    raises is rolled back, its error recorded; after MAX_CHUNK_ATTEMPTS the run fails."""
    claimed: list[tuple[int, int]] = []
    try:
        return _chunk_do(batch, maker, claimed)
    except BudgetExhausted:
        raise
    except Exception as exc:
        if not claimed:
            raise
        chunk_id, number = claimed[0]
        IssuanceChunk.objects.filter(pk=chunk_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:1000]
        )
        attempts = IssuanceChunk.objects.values_list("attempts", flat=True).get(pk=chunk_id)
        logger.exception("voucher run %s chunk %s failed", batch.pk, number)
        if attempts >= MAX_CHUNK_ATTEMPTS:
            _batch_fail(
                batch.pk,
                f"Chunk {number} failed {attempts} times ({type(exc).__name__}); see the "
                "logs, fix the cause, then resume the run.",
            )
        raise


def _chunk_do(batch: VoucherBatch, maker: CodeMaker, claimed: list) -> bool:
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
        claimed.append((chunk_id, number))
        now = timezone.now()
        awards = awards_proactive_insert(
            program=program,
            policy_id=batch.policy_id,
            explanation={"voucher_batch": batch.pk},
            now=now,
            person_id_from=lo,
            person_id_to=hi,
            profile_lines=_PROFILE_LINES.format(batch=sql.Literal(batch.pk)),
        )
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


def _vouchers_copy(
    cursor: CursorWrapper,
    batch: VoucherBatch,
    awards: list[tuple[int, int, int, int]],
    lines: dict[int, AwardLine],
    maker: CodeMaker,
    now: dt.datetime,
) -> None:
    if not awards:
        return
    program = batch.program
    scope = {line_id: line.service_scope or line.code for line_id, line in lines.items()}
    make = maker.make
    # Everything but the award, person, line and code is the same for the whole chunk:
    # looked up once here, not per row (a million rows a minute).
    batch_id, program_id, issued = batch.pk, program.pk, str(Voucher.State.ISSUED)
    valid_from, valid_until = program.voucher_valid_from, program.voucher_valid_until
    currency, hash_version, derive_version = (
        program.currency,
        maker.hash_version,
        maker.derive_version,
    )
    with cursor.copy(VOUCHER_COPY_SQL) as copy:
        copy.set_types(_VOUCHER_COPY_TYPES)
        write = copy.write_row
        for award_id, person_id, line_id, amount in awards:
            code_hash, last4 = make(award_id)
            write(
                (
                    award_id,
                    1,
                    batch_id,
                    program_id,
                    person_id,
                    scope[line_id],
                    amount,
                    currency,
                    code_hash,
                    hash_version,
                    derive_version,
                    last4,
                    issued,
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
        # The holders are told in the finish's transaction: the campaigns exist if and only
        # if the run is done, and their builds are queued after commit.
        run_holders_notify(batch_id=batch_id)
