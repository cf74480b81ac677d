"""Thin Celery tasks over payouts' services (queues: CELERY_TASK_ROUTES)."""

from celery import shared_task

from payouts.services.batches import payout_batch_build


@shared_task(name="payouts.batch_build", acks_late=True)
def batch_build(batch_id: int) -> None:
    payout_batch_build(batch_id=batch_id)
