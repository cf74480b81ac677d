"""Thin Celery tasks over payouts' services (queues: CELERY_TASK_ROUTES). They take ids; the
database holds what is left to do, so each is idempotent and a lost message only delays."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from payouts.services.batches import payout_batch_build
from payouts.services.sending import (
    BATCH_RELEASED_TASK,
    CHUNK_SEND_TASK,
    payout_batch_dispatch,
    payout_batches_redispatch,
    payout_chunks_send,
    payout_chunks_wake,
)


def _queue_of(task) -> str | None:
    """The queue this task came from: follow-up work stays there (a test's private queue)."""
    return (task.request.delivery_info or {}).get("routing_key")


def _countdown(task) -> int:
    return min(5 * 2**task.request.retries, settings.CELERY_RETRY_BACKOFF_MAX)


@shared_task(name="payouts.batch_build", acks_late=True)
def batch_build(batch_id: int) -> None:
    payout_batch_build(batch_id=batch_id)


@shared_task(bind=True, name=BATCH_RELEASED_TASK, acks_late=True, max_retries=6)
def batch_released(self, batch_id: int) -> None:
    """A batch was released: record its file's digest, or plan its chunks and wake senders."""
    try:
        payout_batch_dispatch(batch_id=batch_id, queue=_queue_of(self))
    except (OperationalError, InterfaceError) as exc:  # the database blinked: retry later
        raise self.retry(exc=exc, countdown=_countdown(self)) from exc


@shared_task(bind=True, name=CHUNK_SEND_TASK, acks_late=True, max_retries=6)
def chunk_send(self, batch_id: int) -> None:
    """Send a batch's due chunks for a few minutes, then hand over to a fresh task if some
    are left. Idempotent: chunks are claimed in the database, done ones are never resent."""
    try:
        more = payout_chunks_send(batch_id=batch_id)
    except (OperationalError, InterfaceError) as exc:  # the database blinked: retry later
        raise self.retry(exc=exc, countdown=_countdown(self)) from exc
    if more:
        payout_chunks_wake(batch_id=batch_id, workers=1, queue=_queue_of(self))


@shared_task(name="payouts.redispatch", acks_late=True)
def redispatch() -> dict[int, str]:
    """Beat: queue again builds, releases and sends whose workers went quiet."""
    return payout_batches_redispatch()


@shared_task(bind=True, name="payouts.result_apply", acks_late=True, max_retries=6)
def result_apply(self, result_file_id: int) -> None:
    """Check a bank's result file and apply it, or refuse it (payouts/services/results.py).
    Idempotent: a file already applied or refused is left as it is; a killed worker rolled
    back everything, and the file is still checking for the retry."""
    from payouts.services.results import result_file_apply

    try:
        result_file_apply(result_file_id=result_file_id)
    except (OperationalError, InterfaceError) as exc:  # the database blinked: retry later
        raise self.retry(exc=exc, countdown=_countdown(self)) from exc
