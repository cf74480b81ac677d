"""Sending a released batch: a bank-transfer batch gets its file's digest recorded; a provider
batch (account credit, voucher) is split into chunks of payout ids that workers send to the
method's sender (payouts/methods.py SENDERS) and settle from its answers.

The shape is the issuance run's (vouchers/services/issuance.py, runs.py): the chunk table is
the truth of what is left, Celery only the wake-up; workers take chunks with FOR UPDATE SKIP
LOCKED; a task works chunks for a bounded time and hands over to a fresh one; beat's
`payouts.redispatch` wakes batches whose workers went quiet.

Exactly once, after a kill -9 at any point. One chunk is one transaction: the chunk row is
locked (SKIP LOCKED), its released payouts are read and sent, their answers are written to a
temporary table and settled (payouts_settle: paid, failed; the award delivered, the notice
queued), and the chunk is marked done, all in that transaction. The provider calls happen
while it is open, on purpose:
- while a worker holds the chunk, no other worker can send it (the row lock; a killed
  worker's connection closes and PostgreSQL releases the lock and rolls the chunk back);
- a worker killed after the provider credited some payouts but before the commit leaves the
  chunk pending and its payouts released: nothing of that chunk is recorded as sent;
- the resumed send (the next task, or the sweep) sends the same payouts again with the SAME
  idempotency key, each payout's `reference`, fixed when the batch was built. The provider
  answers a key it has already credited by replaying its first answer, so each payout is
  credited once and the database ends with exactly one paid row per payout;
- a re-delivered message or a second worker finds the chunk done or locked and sends nothing.
What this rests on: the provider honours Idempotency-Key for at least as long as a batch can
take to be resumed (days, not minutes), and a payout's reference never changes. A payout that
failed is paid again only by a new payout in a later batch, with a new reference.

The price: a chunk's transaction stays open while its payouts are sent (a few seconds for
PAYOUTS_SEND_CHUNK payouts); the batch row is locked only at the end, by the settle.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from audit.services import audit_record
from config import queueing
from payouts.crypto import details_decrypt
from payouts.errors import PayoutError
from payouts.methods import METHODS, SENDERS, SendItem, SendResult
from payouts.models import PayoutBatch, PayoutChunk, PayoutResultFile
from payouts.services.settle import PROVIDER_UNAVAILABLE

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

logger = logging.getLogger(__name__)

CHUNK_SEND_TASK = "payouts.chunk_send"
BATCH_RELEASED_TASK = "payouts.batch_released"
BATCH_BUILD_TASK = "payouts.batch_build"
RESULT_APPLY_TASK = "payouts.result_apply"
RESULTS_TABLE = "payouts_send_results"
ACTOR_LABEL = "job:payouts"

# Chunks over the batch's payout ids, PAYOUTS_SEND_CHUNK each, in one statement. Planned
# once per batch (under the batch's row lock, and unique (batch, number) behind it).
_CHUNKS_PLAN = """
INSERT INTO payouts_payoutchunk
    (batch_id, number, payout_id_from, payout_id_to, status, attempts, last_error)
SELECT %(batch)s, bucket + 1, min(id), max(id), 'pending', 0, ''
FROM (
    SELECT id, (row_number() OVER (ORDER BY id) - 1) / %(size)s AS bucket
    FROM payouts_payout WHERE batch_id = %(batch)s AND status = 'released'
) payouts
GROUP BY bucket
ON CONFLICT (batch_id, number) DO NOTHING
"""

_CHUNK_CLAIM = """
SELECT id, number, payout_id_from, payout_id_to, attempts FROM payouts_payoutchunk
WHERE batch_id = %s AND status = 'pending' AND (retry_after IS NULL OR retry_after <= %s)
ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED
"""

_CHUNK_PAYOUTS = """
SELECT p.id, p.reference, p.award_id, p.amount_minor, p.currency, i.details_encrypted
FROM payouts_payout p JOIN payouts_payoutinstruction i ON i.id = p.instruction_id
WHERE p.batch_id = %s AND p.id BETWEEN %s AND %s AND p.status = 'released'
ORDER BY p.id
"""

_RESULTS_CREATE = f"""
CREATE TEMPORARY TABLE {RESULTS_TABLE} (
    payout_id bigint, outcome text, failure_code text, provider_reference text,
    settled_at timestamptz
) ON COMMIT DROP
"""


class SendRefused(PayoutError):
    """A sender cannot send at all (not configured, the provider refused our credentials):
    the chunk waits and retries, nothing is marked failed. Its message names the cause and
    never a person's details."""

    code = "payout_send_refused"


@dataclass(frozen=True)
class _Claimed:
    chunk_id: int
    number: int
    attempts: int  # before this one


def payout_batch_dispatch(*, batch_id: int, queue: str | None = None) -> int:
    """What a batch's release starts (task `payouts.batch_released`): for a file method the
    bank file's digest is recorded; for a provider method the batch is split into chunks
    (once) and PAYOUTS_SEND_WORKERS send tasks are queued (on `queue`; None: the route).
    Harmless to call any number of times. Returns the send tasks queued."""
    batch = PayoutBatch.objects.filter(pk=batch_id).only("status", "method").first()
    if batch is None or batch.status != PayoutBatch.Status.RELEASED:
        return 0
    if METHODS[batch.method].delivery == "file":
        # Imported here: bank files are their own module, and this one must not need it to load.
        from payouts.services.bank_files import bank_file_digest_record

        bank_file_digest_record(batch_id=batch_id)
        return 0
    payout_chunks_plan(batch_id=batch_id)
    return payout_chunks_wake(batch_id=batch_id, queue=queue)


def payout_chunks_plan(*, batch_id: int) -> int:
    """Split a released provider batch's payouts into chunks of PAYOUTS_SEND_CHUNK ids, in one
    INSERT ... SELECT. Idempotent: a batch that has chunks gets none more (concurrent callers
    wait on the batch row; the second finds them). Returns the chunks made now."""
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != PayoutBatch.Status.RELEASED:
            return 0
        if PayoutChunk.objects.filter(batch_id=batch_id).exists():
            return 0
        with connection.cursor() as cursor:
            cursor.execute(_CHUNKS_PLAN, {"batch": batch_id, "size": settings.PAYOUTS_SEND_CHUNK})
            made = cursor.rowcount
            if not made:  # nothing left to send (every payout was taken out): settled now
                _settle(cursor, batch, [], timezone.now())
        audit_record(
            action="payout.batch_send_plan",
            obj=batch,
            program_id=batch.program_id,
            actor_label=ACTOR_LABEL,
            after={"chunks": made, "chunk_size": settings.PAYOUTS_SEND_CHUNK},
        )
    return made


def payout_chunks_wake(
    *, batch_id: int, workers: int | None = None, queue: str | None = None
) -> int:
    """Queue up to `workers` (None: PAYOUTS_SEND_WORKERS) send tasks for a batch, never more
    than it has chunks due. Best effort: the chunk table holds what is left, and the sweep
    wakes a batch nobody works on. Returns the tasks queued."""
    wanted = settings.PAYOUTS_SEND_WORKERS if workers is None else workers
    due = _chunks_due(batch_id).count()
    queued = 0
    for _ in range(min(wanted, due)):
        if not queueing.task_send(CHUNK_SEND_TASK, {"batch_id": batch_id}, queue=queue):
            break  # the broker is down: the next attempt would only wait as long again
        queued += 1
    return queued


def _chunks_due(batch_id: int) -> QuerySet[PayoutChunk]:
    return PayoutChunk.objects.filter(batch_id=batch_id, status=PayoutChunk.Status.PENDING).filter(
        Q(retry_after__isnull=True) | Q(retry_after__lte=timezone.now())
    )


def payout_chunks_send(*, batch_id: int, time_budget_seconds: float = 240.0) -> bool:
    """Send the batch's due chunks one after another until none is left or the time budget is
    spent. Returns True when due chunks remain (the caller queues a fresh task); chunks
    waiting for a retry are woken by the sweep when due.

    Guarantees (see the module's docstring for why): a chunk's answers, settlement and done
    mark commit together; a worker killed at any point leaves its chunk pending and resending
    it reuses each payout's idempotency key; an answer "retry" leaves its payouts released and
    the chunk pending with attempts + 1 and a backoff, until PAYOUTS_SEND_MAX_ATTEMPTS, after
    which they fail with `provider_unavailable`; a sender that cannot send at all (SendRefused,
    any error) rolls its chunk back and the chunk waits with the error, failing nobody."""
    deadline = time.monotonic() + time_budget_seconds
    while time.monotonic() < deadline:
        batch = PayoutBatch.objects.filter(pk=batch_id).first()
        if batch is None or batch.status != PayoutBatch.Status.RELEASED:
            return False
        if not _chunk_send_next(batch):
            break
    return PayoutBatch.objects.filter(
        pk=batch_id, status=PayoutBatch.Status.RELEASED
    ).exists() and _chunk_due_unheld(batch_id)


def _chunk_due_unheld(batch_id: int) -> bool:
    """A due chunk no worker holds right now (one being sent is its worker's business)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CHUNK_CLAIM, [batch_id, timezone.now()])
        return cursor.fetchone() is not None


def _chunk_send_next(batch: PayoutBatch) -> bool:
    """Send the next due chunk nobody else holds; False when there is none."""
    claimed: list[_Claimed] = []
    try:
        return _chunk_send(batch, claimed)
    except Exception as exc:
        if not claimed:
            raise
        _chunk_attempt_failed(batch, claimed[0], exc)
        # This task stops here (the same cause would likely stop the next chunk too); the
        # caller hands over to a fresh task if other chunks are due.
        return False


def _chunk_send(batch: PayoutBatch, claimed: list[_Claimed]) -> bool:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CHUNK_CLAIM, [batch.pk, timezone.now()])
        row = cursor.fetchone()
        if row is None:
            return False
        chunk_id, number, lo, hi, attempts = row
        chunk = _Claimed(chunk_id=chunk_id, number=number, attempts=attempts)
        claimed.append(chunk)
        sender = SENDERS.get(batch.method)
        if sender is None:
            raise SendRefused(f"No sender is registered for the method {batch.method!r}.")
        cursor.execute(_CHUNK_PAYOUTS, [batch.pk, lo, hi])
        items = [
            SendItem(
                payout_id=payout_id,
                reference=reference,
                award_id=award_id,
                amount_minor=amount_minor,
                currency=currency,
                details=details_decrypt(token) if token is not None else {},
            )
            for payout_id, reference, award_id, amount_minor, currency, token in cursor.fetchall()
        ]
        results = sender(batch.program_id, items) if items else []
        _results_check(items, results)
        now = timezone.now()
        retry = [r for r in results if r.outcome == "retry"]
        if retry and attempts + 1 >= settings.PAYOUTS_SEND_MAX_ATTEMPTS:
            # Bounded: the provider never answered these; they fail and can be paid again by
            # a later batch (a new payout with a new key).
            results = [
                SendResult(r.payout_id, "failed", failure_code=PROVIDER_UNAVAILABLE)
                if r.outcome == "retry"
                else r
                for r in results
            ]
            retry = []
        answered = [r for r in results if r.outcome != "retry"]
        if items:
            cursor.execute(
                "UPDATE payouts_payout SET attempts = attempts + 1, updated_at = %s "
                "WHERE id = ANY(%s)",
                [now, [item.payout_id for item in items]],
            )
        if answered:
            _settle(cursor, batch, answered, now)
        if retry:
            cursor.execute(
                "UPDATE payouts_payoutchunk SET attempts = attempts + 1, last_error = %s, "
                "retry_after = %s, attempted_at = %s WHERE id = %s",
                [
                    f"{len(retry)} payouts to retry: the provider was unavailable",
                    now + _backoff(attempts + 1),
                    now,
                    chunk_id,
                ],
            )
        else:
            cursor.execute(
                "UPDATE payouts_payoutchunk SET status = 'done', attempts = attempts + 1, "
                "retry_after = NULL, attempted_at = %s, done_at = %s WHERE id = %s",
                [now, now, chunk_id],
            )
    return True


def _results_check(items: Sequence[SendItem], results: Sequence[SendResult]) -> None:
    """A sender answers each payout it was given exactly once, with a known outcome."""
    given = sorted(item.payout_id for item in items)
    answered = sorted(result.payout_id for result in results)
    if given != answered:
        raise RuntimeError(f"the sender answered {len(answered)} of {len(given)} payouts")
    if any(result.outcome not in ("paid", "failed", "retry") for result in results):
        raise RuntimeError("the sender gave an unknown outcome")


def _settle(
    cursor: CursorWrapper, batch: PayoutBatch, results: Sequence[SendResult], now: dt.datetime
) -> None:
    from payouts.services.settle import payouts_settle

    cursor.execute(_RESULTS_CREATE)
    with cursor.copy(
        f"COPY {RESULTS_TABLE} (payout_id, outcome, failure_code, provider_reference, "
        "settled_at) FROM STDIN"
    ) as copy:
        for result in results:
            copy.write_row(
                (
                    result.payout_id,
                    result.outcome,
                    result.failure_code[:40],
                    result.provider_reference[:80],
                    now,
                )
            )
    payouts_settle(batch=batch, results_table=RESULTS_TABLE, actor_label=ACTOR_LABEL)
    # Dropped now, not only at commit: inside an outer transaction (a test, a caller's
    # atomic block) the next chunk makes it again.
    cursor.execute(f"DROP TABLE {RESULTS_TABLE}")


def _backoff(attempt: int) -> dt.timedelta:
    seconds = settings.PAYOUTS_SEND_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.CELERY_RETRY_BACKOFF_MAX))


def _error_text(exc: BaseException) -> str:
    """What is kept and logged of an error: our own refusals' messages (they name causes,
    never a person's details); of anything else only its type, since a message may quote the
    value it choked on (an account number)."""
    if isinstance(exc, (PayoutError, ImproperlyConfigured)):
        return f"{type(exc).__name__}: {exc}"[:1000]
    return type(exc).__name__


def _chunk_attempt_failed(batch: PayoutBatch, chunk: _Claimed, exc: BaseException) -> None:
    """The chunk rolled back: record the attempt and wait before the next one. Nobody is
    failed for our side's error; after PAYOUTS_SEND_MAX_ATTEMPTS the batch says so."""
    text = _error_text(exc)
    now = timezone.now()
    with transaction.atomic():
        attempts = chunk.attempts + 1
        PayoutChunk.objects.filter(pk=chunk.chunk_id, status=PayoutChunk.Status.PENDING).update(
            attempts=attempts,
            last_error=text,
            retry_after=now + _backoff(attempts),
            attempted_at=now,
        )
        if attempts >= settings.PAYOUTS_SEND_MAX_ATTEMPTS:
            message = (
                f"Chunk {chunk.number} could not be sent {attempts} times ({text}); it is "
                "tried again every few minutes. Fix the cause; nothing was paid twice."
            )
            PayoutBatch.objects.filter(pk=batch.pk).update(last_error=message)
    logger.warning("payout batch %s chunk %s not sent: %s", batch.pk, chunk.number, text)


def payout_batches_redispatch(
    *, stale_seconds: int | None = None, queue: str | None = None
) -> dict[int, str]:
    """Beat's sweep: queue again what the database says was left by a lost message or a
    killed worker. Returns {batch id: what was queued}.

    - a batch still `building` after `stale_seconds` (None: PAYOUTS_REDISPATCH_STALE_SECONDS):
      its build again (it resumes at its cursor; a build still running makes it wait);
    - a released batch released longer ago than that with no chunks (provider) or no file
      digest (bank transfer): its release task again (planning and the digest are idempotent);
    - a released provider batch with chunks due and no chunk attempted or done in that time:
      PAYOUTS_SEND_WORKERS send tasks (fewer if fewer chunks are due); a wake-up for a batch
      still being sent only finds its chunks locked (SKIP LOCKED);
    - a bank's result file still `checking` after that time and not being applied now (its
      row is not locked): its apply task again (a lost message, a killed worker, or a request
      that died while applying a small file; applying is idempotent)."""
    seconds = settings.PAYOUTS_REDISPATCH_STALE_SECONDS if stale_seconds is None else stale_seconds
    now = timezone.now()
    cutoff = now - dt.timedelta(seconds=seconds)
    woken: dict[int, str] = {}
    building = PayoutBatch.objects.filter(
        status=PayoutBatch.Status.BUILDING, created_at__lt=cutoff
    ).values_list("pk", flat=True)
    for batch_id in building:
        if queueing.task_send(BATCH_BUILD_TASK, {"batch_id": batch_id}, queue=queue):
            woken[batch_id] = "build"
    file_methods = [code for code, spec in METHODS.items() if spec.delivery == "file"]
    released = (
        PayoutBatch.objects.filter(status=PayoutBatch.Status.RELEASED, released_at__lt=cutoff)
        .annotate(
            chunks_total=Count("chunks"),
            due=Count(
                "chunks",
                filter=Q(chunks__status=PayoutChunk.Status.PENDING)
                & (Q(chunks__retry_after__isnull=True) | Q(chunks__retry_after__lte=now)),
            ),
            # Waited out a retry: no worker is looking for it (they stop when none is due).
            retry_due=Count(
                "chunks",
                filter=Q(chunks__status=PayoutChunk.Status.PENDING, chunks__retry_after__lte=now),
            ),
            touched=Max("chunks__attempted_at"),
        )
        .values_list("pk", "method", "file_sha256", "chunks_total", "due", "retry_due", "touched")
    )
    for batch_id, method, file_sha256, chunks_total, due, retry_due, touched in released:
        if method in file_methods:
            if not file_sha256 and queueing.task_send(
                BATCH_RELEASED_TASK, {"batch_id": batch_id}, queue=queue
            ):
                woken[batch_id] = "digest"
        elif not chunks_total:
            if queueing.task_send(BATCH_RELEASED_TASK, {"batch_id": batch_id}, queue=queue):
                woken[batch_id] = "plan"
        elif (
            due
            and (retry_due or touched is None or touched < cutoff)
            and payout_chunks_wake(batch_id=batch_id, queue=queue)
        ):
            woken[batch_id] = "send"
    with transaction.atomic():
        # A file being applied is locked by its apply (SKIP LOCKED leaves it alone).
        stuck = list(
            PayoutResultFile.objects.select_for_update(skip_locked=True)
            .filter(status=PayoutResultFile.Status.CHECKING, created_at__lt=cutoff)
            .values_list("pk", "batch_id")
        )
    for result_file_id, batch_id in stuck:
        if queueing.task_send(RESULT_APPLY_TASK, {"result_file_id": result_file_id}, queue=queue):
            woken[batch_id] = "results"
    return woken
