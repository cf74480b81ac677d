"""Thin tasks: each takes ids (or a channel name), calls one service and is safe to run
twice. Sending retries live in the outbox (next_attempt_at), not in Celery's retry."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from notifications.services import (
    campaign_build,
    notices_dispatch,
    notices_redispatch,
)
from notifications.services.campaigns import BUILD_TASK, campaign_build_enqueue
from notifications.services.enqueue import DISPATCH_TASK, PRIORITY_DISPATCH_TASK


@shared_task(name=DISPATCH_TASK, acks_late=True, ignore_result=True)
def notices_dispatch_task(channel: str) -> int:
    """Send one chunk of the channel's due notices (the outbox decides which)."""
    return notices_dispatch(channel=channel)


@shared_task(name=PRIORITY_DISPATCH_TASK, acks_late=True, ignore_result=True)
def notices_dispatch_priority_task(channel: str) -> int:
    """The priority lane: send one chunk of the channel's due transactional notices."""
    return notices_dispatch(channel=channel, priority_lane=True)


@shared_task(
    name=BUILD_TASK,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=settings.CELERY_RETRY_BACKOFF_MAX,
    max_retries=5,
)
def campaign_build_task(campaign_id: int) -> None:
    """Build a campaign's notices for a while; queue the rest of the build if not finished."""
    if not campaign_build(campaign_id=campaign_id):
        campaign_build_enqueue(campaign_id=campaign_id)


@shared_task(name="notifications.redispatch", acks_late=True, ignore_result=True)
def notices_redispatch_task() -> dict:
    """Periodic (celery beat): re-dispatch what the broker lost; start due campaigns."""
    return notices_redispatch()
