"""A freeze takes effect when it commits; its per-voucher marks follow in small chunks.

A freeze of a run or of an issue-time window can cover a million vouchers: one statement
marking them all held every redemption of the run for a minute. Instead the freeze row names
its scope (the run, or the window, up to the highest voucher id that existed), and redemption
checks it: `voucher_usable_sql` is the condition the redeem statement puts on the voucher row,
an EXISTS on the few active scope freezes of the voucher's program (freeze_active_scope_idx)
and, for a voucher still marked by a freeze, a look-up of that freeze by primary key. A scope
freeze refuses its vouchers from its commit, without touching their rows, so a redeem never
waits on it: its condition is already false on the committed freeze, before it would wait
for a row that a chunk of marks holds.

The marks (state 'frozen', freeze_id), which the admin, the wallet, the reports and a
refund's reversal read, are written behind the scope by `voucher_freeze_marks_write` in
chunks of FREEZE_MARK_CHUNK voucher ids, each chunk its own short transaction; the freeze row
holds the cursor, so a killed worker loses nothing: the task `vouchers.freeze_marks` resumes
it, and beat's `vouchers.freeze_marks_resume` re-queues marks nobody touched for a while.

A lift works the same way: `lifted_at` makes every voucher of the freeze usable at once (a
voucher still marked by a lifted freeze counts as issued), and the marks are cleared behind it.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from config.queueing import task_send
from vouchers.models import Voucher, VoucherFreeze

FREEZE_MARKS_TASK = "vouchers.freeze_marks"
# Voucher ids per chunk of marks: one chunk holds at most this many rows, for some tens of
# milliseconds. A scope with no more usable vouchers than this is marked in the freeze's own
# statement, as before (exact counts at once, nothing left behind).
FREEZE_MARK_CHUNK = 5_000
# Marks nobody has written for this long lost their worker (or their message): beat re-queues.
FREEZE_MARKS_STALE_SECONDS = 60


# `voucher` below is always an alias written in this code, never input.
def _lifted_sql(voucher: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM vouchers_voucherfreeze lf "  # noqa: S608 (an alias of ours)
        f"WHERE lf.id = {voucher}.freeze_id AND lf.lifted_at IS NOT NULL)"
    )


def freeze_holds_sql(voucher: str) -> str:
    """SQL, true when an active scope freeze covers the voucher row called `voucher`."""
    return (
        f"EXISTS (SELECT 1 FROM vouchers_voucherfreeze sf "  # noqa: S608 (an alias of ours)
        f"WHERE sf.program_id = {voucher}.program_id AND sf.lifted_at IS NULL "
        f"AND sf.scope_voucher_id_max >= {voucher}.id "
        f"AND (sf.scope_batch_id = {voucher}.batch_id "
        f"OR ({voucher}.issued_at >= sf.scope_issued_from "
        f"AND {voucher}.issued_at < sf.scope_issued_until)))"
    )


def voucher_usable_sql(voucher: str) -> str:
    """SQL, true when the voucher row called `voucher` may be spent as far as freezes go:
    issued (or marked only by a lifted freeze) and covered by no active scope freeze."""
    return (
        f"({voucher}.state = 'issued' OR ({voucher}.state = 'frozen' "
        f"AND {_lifted_sql(voucher)})) AND NOT {freeze_holds_sql(voucher)}"
    )


def voucher_state_now(voucher: Voucher) -> str:
    """The voucher's state as redemption sees it: 'frozen' while an active freeze holds it
    (before its mark is written too), 'issued' while only a lifted freeze still marks it."""
    if voucher.state not in (Voucher.State.ISSUED, Voucher.State.FROZEN):
        return voucher.state
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {voucher_usable_sql('v')} FROM vouchers_voucher v WHERE v.id = %s",  # noqa: S608 (an alias of ours)
            [voucher.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return voucher.state
    return Voucher.State.ISSUED if row[0] else Voucher.State.FROZEN


# Marks `condition`'s vouchers (alias v) for the freeze: usable ones become frozen, redeemed
# ones are tagged (a refund's reversal then makes them frozen). A voucher an active freeze
# already marks keeps its first freeze; one marked by a lifted freeze is free.
MARK_SQL = """
WITH hit AS (
    UPDATE vouchers_voucher v
    SET freeze_id = %(freeze)s,
        state = CASE WHEN v.state = 'redeemed' THEN v.state ELSE 'frozen' END,
        state_changed_at = CASE WHEN v.state = 'redeemed' THEN v.state_changed_at ELSE now() END
    WHERE v.program_id = %(program)s AND v.state IN ('issued', 'redeemed', 'frozen')
      AND (v.freeze_id IS NULL OR {lifted}) AND {condition}
    RETURNING v.state
)
SELECT count(*) FILTER (WHERE state = 'frozen'), count(*) FROM hit
"""

# The vouchers a scope covers now: the id range to mark, and how many it holds (usable, and
# redeemed to be tagged). A read: it locks nothing.
SCOPE_SQL = """
SELECT min(v.id), max(v.id),
       count(*) FILTER (WHERE v.state <> 'redeemed'
                        AND (v.freeze_id IS NULL OR {lifted})),
       count(*) FILTER (WHERE v.freeze_id IS NULL OR {lifted})
FROM vouchers_voucher v
WHERE v.program_id = %(program)s AND v.state IN ('issued', 'redeemed', 'frozen') AND {condition}
"""

SCOPE_CONDITIONS: dict[str, str] = {
    VoucherFreeze.Method.RUN: "v.batch_id = %(batch)s",
    VoucherFreeze.Method.WINDOW: "v.issued_at >= %(start)s AND v.issued_at < %(end)s",
}


def mark_sql(condition: str) -> str:
    return MARK_SQL.format(lifted=_lifted_sql("v"), condition=condition)


def scope_sql(condition: str) -> str:
    return SCOPE_SQL.format(lifted=_lifted_sql("v"), condition=condition)


def _scope_params(freeze: VoucherFreeze) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"program": freeze.program_id, "freeze": freeze.pk}
    if freeze.scope_batch_id is not None:
        params["batch"] = freeze.scope_batch_id
        return SCOPE_CONDITIONS[VoucherFreeze.Method.RUN], params
    params["start"], params["end"] = freeze.scope_issued_from, freeze.scope_issued_until
    return SCOPE_CONDITIONS[VoucherFreeze.Method.WINDOW], params


def voucher_freeze_marks_write(*, freeze_id: int, time_budget_seconds: float = 240.0) -> bool:
    """Write the freeze's per-voucher marks (or, once it is lifted, clear them), one chunk
    per transaction, until they are done or the time budget is spent. Returns True when
    chunks remain and this call could go on (the caller queues the task again).

    Idempotent and safe to run twice at once: each chunk locks the freeze row (SKIP LOCKED:
    a second worker returns), marks only vouchers not yet marked and moves the cursor in the
    same transaction. Redemptions are never held: the freeze's scope already refuses them."""
    deadline = time.monotonic() + time_budget_seconds
    while time.monotonic() < deadline:
        with transaction.atomic(durable=True):
            progressed, finished = _marks_chunk(freeze_id)
        if finished or not progressed:
            return False
    return True


def _marks_chunk(freeze_id: int) -> tuple[bool, bool]:
    """One chunk of marks, in the caller's transaction. Returns (made progress, finished)."""
    freeze = (
        VoucherFreeze.objects.select_for_update(no_key=True, skip_locked=True)
        .filter(pk=freeze_id)
        .first()
    )
    if freeze is None or freeze.marks_done_at is not None:
        return False, True  # worked by someone else right now, or done
    now = timezone.now()
    if freeze.lifted_at is not None:
        progressed, finished = _unmarks_chunk(freeze)
    elif freeze.scope_voucher_id_max is None or freeze.marks_cursor >= freeze.scope_voucher_id_max:
        progressed, finished = True, True
    else:
        upto = min(freeze.marks_cursor + FREEZE_MARK_CHUNK, freeze.scope_voucher_id_max)
        condition, params = _scope_params(freeze)
        params.update(after=freeze.marks_cursor, upto=upto)
        with connection.cursor() as cursor:
            cursor.execute(
                mark_sql(f"{condition} AND v.id > %(after)s AND v.id <= %(upto)s"), params
            )
            frozen, tagged = cursor.fetchone()
        freeze.marks_cursor = upto
        freeze.vouchers_frozen += frozen
        redeemed_tagged = int(freeze.parameters.get("redeemed_tagged", 0)) + tagged - frozen
        freeze.parameters = {**freeze.parameters, "redeemed_tagged": redeemed_tagged}
        progressed, finished = True, upto >= freeze.scope_voucher_id_max
    freeze.marks_touched_at = now
    if finished:
        freeze.marks_done_at = now
    freeze.save(
        update_fields=[
            "marks_cursor",
            "vouchers_frozen",
            "vouchers_unfrozen",
            "parameters",
            "marks_touched_at",
            "marks_done_at",
        ]
    )
    return progressed, finished


def _unmarks_chunk(freeze: VoucherFreeze) -> tuple[bool, bool]:
    """Clear up to FREEZE_MARK_CHUNK marks of a lifted freeze. Rows locked right now (a
    redemption in flight) are skipped and taken by a later chunk, or by the sweep."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH hit AS (UPDATE vouchers_voucher SET freeze_id = NULL, "
            "state = CASE WHEN state = 'frozen' THEN 'issued' ELSE state END, "
            "state_changed_at = now() WHERE id IN (SELECT id FROM vouchers_voucher "
            "WHERE freeze_id = %(freeze)s ORDER BY id LIMIT %(chunk)s FOR UPDATE SKIP LOCKED) "
            "RETURNING 1) SELECT count(*) FROM hit",
            {"freeze": freeze.pk, "chunk": FREEZE_MARK_CHUNK},
        )
        (cleared,) = cursor.fetchone()
    freeze.vouchers_unfrozen += cleared
    if cleared == FREEZE_MARK_CHUNK:
        return True, False
    left = Voucher.objects.filter(freeze_id=freeze.pk).exists()
    return cleared > 0, not left


def voucher_freeze_marks_queue(*, freeze_id: int) -> None:
    """Queue the marks' task (a best-effort wake-up: the sweep re-queues a lost one)."""
    task_send(FREEZE_MARKS_TASK, {"freeze_id": freeze_id})


def voucher_freezes_marks_resume(*, stale_seconds: int = FREEZE_MARKS_STALE_SECONDS) -> list[int]:
    """Re-queue the marks nobody has written for `stale_seconds` (a killed worker, a lost
    message, a chunk that met locked rows). Called by beat. Returns the freezes queued."""
    cutoff = timezone.now() - dt.timedelta(seconds=stale_seconds)
    stale = list(
        VoucherFreeze.objects.filter(marks_done_at__isnull=True)
        .exclude(marks_touched_at__gt=cutoff)
        .values_list("pk", flat=True)
    )
    for freeze_id in stale:
        voucher_freeze_marks_queue(freeze_id=freeze_id)
    return stale
