"""Thin tasks: take ids, call a service. The database holds what is left to do."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from vouchers.services.issuance import voucher_batch_execute
from vouchers.services.runs import (
    BATCH_RUN_TASK,
    voucher_batch_dispatch,
    voucher_batches_redispatch,
)


@shared_task(bind=True, name=BATCH_RUN_TASK, acks_late=True, max_retries=6)
def voucher_batch_run_task(self, batch_id: int) -> None:
    """Work a run's pending chunks for a few minutes, then hand over to a fresh task if any
    are left. Idempotent: chunks are claimed in the database, done ones are never redone."""
    try:
        more = voucher_batch_execute(batch_id=batch_id)
    except (OperationalError, InterfaceError) as exc:  # the database blinked: retry later
        countdown = min(5 * 2**self.request.retries, settings.CELERY_RETRY_BACKOFF_MAX)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if more:  # carry on where this task was queued (a test's private queue, a split worker)
        queue = (self.request.delivery_info or {}).get("routing_key")
        voucher_batch_dispatch(batch_id=batch_id, workers=1, queue=queue)


@shared_task(name="vouchers.redispatch", acks_late=True)
def vouchers_redispatch_task() -> list[int]:
    """Wake runs whose workers went quiet (killed, or their message lost)."""
    return list(voucher_batches_redispatch())


@shared_task(name="vouchers.idempotency_purge", acks_late=True)
def idempotency_purge_task() -> int:
    """Delete Idempotency-Key answers past their retention (VOUCHERS_IDEMPOTENCY_DAYS)."""
    from vouchers.services.idempotency import idempotency_records_purge

    return idempotency_records_purge()


@shared_task(bind=True, name="vouchers.freeze_marks", acks_late=True, max_retries=6)
def voucher_freeze_marks_task(self, freeze_id: int) -> None:
    """Write (or, after a lift, clear) a freeze's per-voucher marks, chunk by chunk, for a few
    minutes, then hand over to a fresh task if some are left. Idempotent: the freeze row
    holds the cursor, and each chunk marks only what is not marked yet."""
    from vouchers.services.freeze_marks import (
        voucher_freeze_marks_queue,
        voucher_freeze_marks_write,
    )

    try:
        more = voucher_freeze_marks_write(freeze_id=freeze_id)
    except (OperationalError, InterfaceError) as exc:  # the database blinked: retry later
        countdown = min(5 * 2**self.request.retries, settings.CELERY_RETRY_BACKOFF_MAX)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if more:
        voucher_freeze_marks_queue(freeze_id=freeze_id)


@shared_task(name="vouchers.freeze_marks_resume", acks_late=True)
def voucher_freezes_marks_resume_task() -> list[int]:
    """Re-queue freezes whose marks stalled (a killed worker, a lost message)."""
    from vouchers.services.freeze_marks import voucher_freezes_marks_resume

    return voucher_freezes_marks_resume()


@shared_task(name="vouchers.expiry_reminders", acks_late=True)
def voucher_expiry_reminders_task() -> int:
    """Start the expiry reminders due (30 and 7 days before); each starts once, so an hourly
    beat and a retry start nothing twice."""
    from vouchers.services.expiry import voucher_expiry_reminders_start

    return voucher_expiry_reminders_start()


@shared_task(bind=True, name="vouchers.extension_work", acks_late=True, max_retries=6)
def validity_extension_work_task(self, extension_id: int) -> None:
    """Move an extension's vouchers chunk by chunk for a few minutes, then hand over to a
    fresh task if some are left. Idempotent: the extension row holds the cursor."""
    from vouchers.services.expiry import EXTENSION_TASK, validity_extension_work

    try:
        more = validity_extension_work(extension_id=extension_id)
    except (OperationalError, InterfaceError) as exc:  # the database blinked: retry later
        countdown = min(5 * 2**self.request.retries, settings.CELERY_RETRY_BACKOFF_MAX)
        raise self.retry(exc=exc, countdown=countdown) from exc
    if more:  # carry on where this task was queued (a test's private queue, a split worker)
        from config.queueing import task_send

        queue = (self.request.delivery_info or {}).get("routing_key")
        task_send(EXTENSION_TASK, {"extension_id": extension_id}, queue=queue)


@shared_task(name="vouchers.extensions_resume", acks_late=True)
def validity_extensions_resume_task() -> list[int]:
    """Re-queue extensions whose worker stopped (killed, or its message lost)."""
    from vouchers.services.expiry import validity_extensions_resume

    return validity_extensions_resume()
