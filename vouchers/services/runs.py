"""Issuance runs: started by an operator after the dry run, resumed, cancelled, and woken
again by beat when their workers went quiet. The chunks themselves are worked in
vouchers.services.issuance."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, actor_user, audit_record
from compensation.models import AwardLine, Program
from config import queueing
from vouchers.errors import IssuanceRefused
from vouchers.models import BatchProfileLine, IssuanceChunk, VoucherBatch
from vouchers.services.planning import BatchPlan, batch_plan, voucher_window_refusal

BATCH_RUN_TASK = "vouchers.batch_run"


def voucher_batch_start(
    *,
    program: Program,
    award_lines: list[AwardLine],
    segments: list[str] | None = None,
    confirm_name: str,
    chunk_size: int = 2_000,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> VoucherBatch:
    """Record an issuance run the operator confirmed by typing the program's name, with the
    eligible profiles decided now, and start workers after commit. Refused (IssuanceRefused,
    nothing written) on a wrong confirmation, a validity window that has ended (the vouchers
    would be born expired), nothing to issue, or a cost above the remaining budget."""
    if confirm_name.strip() != program.name:
        raise IssuanceRefused("Type the program's name exactly to confirm the run.")
    program.refresh_from_db(fields=["voucher_valid_until"])
    if refusal := voucher_window_refusal(program):
        raise IssuanceRefused(refusal)
    plan = batch_plan(program=program, award_lines=award_lines, segments=segments)
    if not plan.vouchers:
        raise IssuanceRefused("Nobody is eligible for these award lines under the policy.")
    program.refresh_from_db(fields=["budget_minor", "committed_minor"])
    if plan.new_cost_minor > program.remaining_minor:
        raise IssuanceRefused(
            f"The run would commit {plan.new_cost_minor:,} {program.currency} and only "
            f"{program.remaining_minor:,} is left in the budget."
        )
    # Not durable: an approved proposal (audit.proposals) starts the run in its transaction.
    with transaction.atomic():
        batch = VoucherBatch.objects.create(
            program=program,
            policy=plan.policy,
            award_line_ids=[line.pk for line in plan.award_lines],
            segments=plan.segments,
            chunk_size=chunk_size,
            people_planned=plan.people,
            vouchers_planned=plan.vouchers,
            cost_planned_minor=plan.cost_minor,
            created_by=actor_user(actor),
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


def voucher_batch_dispatch(
    *, batch_id: int, workers: int | None = None, queue: str | None = None
) -> None:
    """Wake `workers` Celery workers for a run (on `queue`; None: the default queue).
    Harmless to call any number of times. Best effort: the chunk table holds what is left,
    and beat's sweep (voucher_batches_redispatch) wakes a run no worker has touched."""
    from django.conf import settings

    for _ in range(workers or settings.VOUCHERS_ISSUANCE_WORKERS):
        if not queueing.task_send(BATCH_RUN_TASK, {"batch_id": batch_id}, queue=queue):
            break  # the broker is down: the next attempt would only wait as long again


def voucher_batch_resume(
    *,
    batch: VoucherBatch,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> VoucherBatch:
    """Put a failed run back to running (after, say, the budget was raised) and wake
    workers; a running run is only woken. Chunks already done are never redone. Refused
    once the program's validity window has ended."""
    if refusal := voucher_window_refusal(Program.objects.get(pk=batch.program_id)):
        raise IssuanceRefused(refusal)
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


def voucher_batch_cancel(
    *,
    batch: VoucherBatch,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
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


def voucher_batches_redispatch(
    *, stale_seconds: int | None = None, queue: str | None = None
) -> dict[int, int]:
    """Wake the runs no worker has finished a chunk of for `stale_seconds` (None:
    VOUCHERS_REDISPATCH_STALE_SECONDS): their workers were killed or their messages lost. Each
    gets as many workers as a run is started with (VOUCHERS_ISSUANCE_WORKERS), or one per
    chunk left if fewer. Called by beat; the database decides what is left, and a wake-up for
    a run still being worked only finds its chunks taken (SKIP LOCKED). Returns {run: workers
    woken}."""
    from django.conf import settings
    from django.db.models import Count, Q

    seconds = settings.VOUCHERS_REDISPATCH_STALE_SECONDS if stale_seconds is None else stale_seconds
    cutoff = timezone.now() - dt.timedelta(seconds=seconds)
    stale = (
        VoucherBatch.objects.filter(status=VoucherBatch.Status.RUNNING)
        .exclude(heartbeat_at__gt=cutoff)
        .exclude(created_at__gt=cutoff, heartbeat_at__isnull=True)
        .annotate(left=Count("chunks", filter=Q(chunks__status=IssuanceChunk.Status.PENDING)))
        .values_list("pk", "chunks_total", "left")
    )
    woken: dict[int, int] = {}
    for batch_id, chunks_total, left in stale:
        # Not yet split into chunks: the first worker splits it, the others wait for that.
        wanted = settings.VOUCHERS_ISSUANCE_WORKERS if not chunks_total else left
        workers = min(settings.VOUCHERS_ISSUANCE_WORKERS, wanted)
        if workers:
            voucher_batch_dispatch(batch_id=batch_id, workers=workers, queue=queue)
            woken[batch_id] = workers
    return woken
