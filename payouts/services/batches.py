"""Payout batches: preview, build (set-based, in chunks, resumable), release (four eyes),
discard.

A batch takes the program's granted claim awards whose claimant chose the batch's method, have
no live payout and no hold (a failed payout waiting for corrected details), optionally within
an amount range and approved before a date. Building walks the selection's instructions in id
order, one `INSERT ... SELECT ... ON CONFLICT DO NOTHING` per chunk, each chunk committed with
the batch's cursor (its last instruction id): a killed build resumes after the last committed
chunk and a chunk done twice adds nothing (payout_one_live_per_award)."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import Actor, actor_user, audit_record
from compensation.models import Program
from config.queueing import task_send_on_commit
from payouts.errors import FourEyes, PayoutError
from payouts.methods import METHODS
from payouts.models import Payout, PayoutBatch
from payouts.selectors import program_methods

# Payable instructions per build statement: one short transaction each.
BUILD_CHUNK = 20_000

# The award an instruction would pay in a selection: the granted claim award of its claim
# reference (unique: award_claim_once), in the amount range and approved before the date,
# with no live payout. A LATERAL look-up per instruction; the build fences it ({fence}:
# OFFSET 0, which the planner cannot pull up into a join), so a chunk of instructions costs
# index look-ups for its own rows. As a plain join the planner hashed the program's granted
# awards, all of them, for every chunk: a million awards read fifty times over for a batch of
# a million. The preview, which reads the whole selection once, joins as the planner likes.
_AWARD = """
CROSS JOIN LATERAL (
    SELECT a.id, a.amount_minor, a.currency
    FROM compensation_award a
    WHERE a.claim_reference = i.claim_reference AND a.source = 'claim' AND a.status = 'granted'
      AND a.program_id = %(program)s
      AND (%(amount_min)s::bigint IS NULL OR a.amount_minor >= %(amount_min)s)
      AND (%(amount_max)s::bigint IS NULL OR a.amount_minor <= %(amount_max)s)
      AND (%(before)s::timestamptz IS NULL OR a.created_at < %(before)s)
      AND NOT EXISTS (
          SELECT 1 FROM payouts_payout p
          WHERE p.award_id = a.id AND p.status IN ('batched', 'released', 'paid')
      )
    {fence}
) a
"""

# (count, total) of a selection: the program's instructions of the method, bound to a claim
# and not held, with the award each would pay.
_PREVIEW = (
    "SELECT count(*), coalesce(sum(a.amount_minor), 0) FROM payouts_payoutinstruction i"  # noqa: S608
    + _AWARD.format(fence="")
    + """WHERE i.program_id = %(program)s AND i.method = %(method)s
  AND i.claim_reference <> '' AND i.hold_code = ''"""
)

# One chunk of the build: the next BUILD_CHUNK instructions of the same selection after the
# cursor, in id order, and their payouts; returns the chunk's last instruction id (the next
# cursor; none when the build is done). The instructions are read from
# payout_instr_payable_idx (program, method, id), which holds exactly the instructions bound
# to a claim and not held, in the chunk's order: the row comparisons are a range of it.
# (Written as `program_id = ... AND id > ...`, the planner walked the primary key past every
# other program's instructions; as ranges of ids, chunks came out empty or sparse where other
# programs' instructions lie. The statement runs without incremental sort: see
# payout_batch_build.)
#
# A payout's reference is its id in hex (10 digits) and 40 random bits (10 hex digits): unique
# by its id, and ever increasing, so each new payout's reference goes at the end of the
# reference index. Twenty random digits put every one on a random page of that index: at a
# million payouts most of its pages were read and written again by every chunk.
_BUILD = (
    """
WITH chunk AS MATERIALIZED (
    SELECT i.id, i.claim_reference
    FROM payouts_payoutinstruction i
    WHERE (i.program_id, i.method, i.id) > (%(program)s, %(method)s, %(lo)s)
      AND (i.program_id, i.method) <= (%(program)s, %(method)s)
      AND i.claim_reference <> '' AND i.hold_code = ''
    ORDER BY i.program_id, i.method, i.id
    LIMIT %(chunk)s
),
inserted AS (
    INSERT INTO payouts_payout
        (id, reference, batch_id, award_id, instruction_id, program_id, method, amount_minor,
         currency, status, failure_code, provider_reference, attempts, created_at, updated_at)
    SELECT n.id,
           upper(lpad(to_hex(n.id), 10, '0')
                 || encode(substr(uuid_send(gen_random_uuid()), 1, 5), 'hex')),
           %(batch)s, n.award_id, n.instruction_id, %(program)s, %(method)s, n.amount_minor,
           n.currency, 'batched', '', '', 0, now(), now()
    FROM (
        SELECT nextval('payouts_payout_id_seq') AS id, a.id AS award_id, i.id AS instruction_id,
               a.amount_minor, a.currency
        FROM chunk i"""  # noqa: S608 (this module's constants; every value is a parameter)
    + _AWARD.format(fence="OFFSET 0")
    + """    ) n
    ON CONFLICT (award_id) WHERE status IN ('batched', 'released', 'paid') DO NOTHING
)
SELECT max(id) FROM chunk
"""
)


def _params(
    program: Program,
    method: str,
    amount_min_minor: int | None,
    amount_max_minor: int | None,
    approved_before: dt.datetime | None,
) -> dict:
    return {
        "program": program.pk,
        "method": method,
        "amount_min": amount_min_minor,
        "amount_max": amount_max_minor,
        "before": approved_before,
    }


def _selection_check(
    program: Program,
    method: str,
    amount_min: int | None,
    amount_max: int | None,
    before: dt.datetime | None,
) -> None:
    if method not in METHODS or method not in program_methods(program):
        raise PayoutError(_("This program does not offer this payout method."), code="method")
    if amount_min is not None and amount_max is not None and amount_min > amount_max:
        raise PayoutError(_("The smallest amount is above the largest."), code="amount_range")
    if before is not None and timezone.is_naive(before):
        raise ValueError("approved_before must be timezone-aware")


def payout_batch_preview(
    *,
    program: Program,
    method: str,
    amount_min_minor: int | None = None,
    amount_max_minor: int | None = None,
    approved_before: dt.datetime | None = None,
) -> tuple[int, int]:
    """(count, total in minor units) a batch of this selection would hold now."""
    _selection_check(program, method, amount_min_minor, amount_max_minor, approved_before)
    with connection.cursor() as cursor:
        cursor.execute(
            _PREVIEW,
            _params(program, method, amount_min_minor, amount_max_minor, approved_before),
        )
        count, total = cursor.fetchone()
    return int(count), int(total)


def payout_batch_create(
    *,
    program: Program,
    method: str,
    actor: Actor,
    amount_min_minor: int | None = None,
    amount_max_minor: int | None = None,
    approved_before: dt.datetime | None = None,
    build_now: bool = False,
) -> PayoutBatch:
    """Create a batch of this selection and have a worker build it (`payouts.batch_build`);
    with `build_now`, build it in this process (a test, a shell)."""
    _selection_check(program, method, amount_min_minor, amount_max_minor, approved_before)
    user = actor_user(actor)
    if user is None:
        raise PayoutError(_("A batch is built by a staff member."), code="no_builder")
    with transaction.atomic():
        batch = PayoutBatch.objects.create(
            program=program,
            method=method,
            currency=program.currency,
            amount_min_minor=amount_min_minor,
            amount_max_minor=amount_max_minor,
            approved_before=approved_before,
            built_by=user,
        )
        audit_record(
            action="payout.batch_create",
            obj=batch,
            actor=actor,
            program_id=program.pk,
            after={
                "method": method,
                "amount_min_minor": amount_min_minor,
                "amount_max_minor": amount_max_minor,
                "approved_before": approved_before.isoformat() if approved_before else None,
            },
        )
        if not build_now:
            task_send_on_commit("payouts.batch_build", {"batch_id": batch.pk})
    if build_now:
        payout_batch_build(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch


def payout_batch_build(*, batch_id: int) -> None:
    """Build the batch from its cursor to the end, one committed chunk at a time. Safe to run
    twice at once (the second waits on the batch row, then finds the cursor moved) and after
    a kill (it resumes after the last committed chunk)."""
    while True:
        with transaction.atomic():
            batch = PayoutBatch.objects.select_for_update().filter(pk=batch_id).first()
            if batch is None or batch.status != PayoutBatch.Status.BUILDING:
                return
            program = batch.program
            params = _params(
                program,
                batch.method,
                batch.amount_min_minor,
                batch.amount_max_minor,
                batch.approved_before,
            )
            with connection.cursor() as cursor:
                # The chunk's look-ups are estimated above the JIT threshold; compiling them
                # took longer than running them (50-90 ms a chunk). And no incremental sort:
                # with it the planner may read the chunk from the program's index and sort the
                # whole program's instructions (all of them, for every chunk: 130 ms a chunk
                # at 200,000, O(the program) each) rather than take the next rows of
                # payout_instr_payable_idx, which is already in the chunk's order.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL enable_incremental_sort = off")
                cursor.execute(
                    _BUILD,
                    {**params, "batch": batch.pk, "lo": batch.build_cursor, "chunk": BUILD_CHUNK},
                )
                last = cursor.fetchone()[0]
            if last is None:
                _build_finish(batch)
                return
            batch.build_cursor = last
            batch.save(update_fields=["build_cursor"])


def _build_finish(batch: PayoutBatch) -> None:
    count, total = _figures(batch, Payout.Status.BATCHED)
    batch.payouts_count, batch.total_minor = count, total
    batch.status = PayoutBatch.Status.BUILT
    batch.built_at = timezone.now()
    batch.save(update_fields=["payouts_count", "total_minor", "status", "built_at"])
    audit_record(
        action="payout.batch_built",
        obj=batch,
        program_id=batch.program_id,
        actor_label="job:payouts",
        after={"payouts": count, "total_minor": total},
    )


def _figures(batch: PayoutBatch, status: str) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(amount_minor), 0) FROM payouts_payout "
            "WHERE batch_id = %s AND status = %s",
            [batch.pk, status],
        )
        count, total = cursor.fetchone()
    return int(count), int(total)


def payout_batch_release(*, batch: PayoutBatch, actor: Actor) -> PayoutBatch:
    """Release a built batch: its payouts' methods and details are then fixed, and the batch
    is exported (bank transfer) or sent (provider methods) by workers.

    FourEyes (nothing written) if the releaser built it; the CHECK payout_batch_four_eyes
    backs this in the database. The figures are recounted, since claimants may have taken
    payouts out (a changed method) since it was built."""
    user = actor_user(actor)
    if user is None:
        raise PayoutError(_("A batch is released by a staff member."), code="no_releaser")
    with transaction.atomic():
        locked = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.built_by_id == user.pk:
            raise FourEyes(_("A batch must be released by someone other than its builder."))
        if locked.status != PayoutBatch.Status.BUILT:
            raise PayoutError(
                _("Only a built batch waiting for release can be released."), code="not_built"
            )
        Payout.objects.filter(batch=locked, status=Payout.Status.BATCHED).update(
            status=Payout.Status.RELEASED, updated_at=timezone.now()
        )
        count, total = _figures(locked, Payout.Status.RELEASED)
        locked.status = PayoutBatch.Status.RELEASED
        locked.released_by = user
        locked.released_at = timezone.now()
        locked.payouts_count, locked.total_minor = count, total
        locked.save(
            update_fields=["status", "released_by", "released_at", "payouts_count", "total_minor"]
        )
        audit_record(
            action="payout.batch_release",
            obj=locked,
            actor=actor,
            program_id=locked.program_id,
            after={"payouts": count, "total_minor": total, "method": locked.method},
        )
        task_send_on_commit("payouts.batch_released", {"batch_id": locked.pk})
    return locked


def payout_batch_discard(*, batch: PayoutBatch, actor: Actor) -> PayoutBatch:
    """Drop a batch not yet released: its payouts are cancelled, so their awards can go into
    another batch."""
    with transaction.atomic():
        locked = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in (PayoutBatch.Status.BUILDING, PayoutBatch.Status.BUILT):
            raise PayoutError(_("A released batch cannot be discarded."), code="released")
        cancelled = Payout.objects.filter(batch=locked, status=Payout.Status.BATCHED).update(
            status=Payout.Status.CANCELLED, updated_at=timezone.now()
        )
        locked.status = PayoutBatch.Status.DISCARDED
        locked.save(update_fields=["status"])
        audit_record(
            action="payout.batch_discard",
            obj=locked,
            actor=actor,
            program_id=locked.program_id,
            after={"payouts_cancelled": cancelled},
        )
    return locked
