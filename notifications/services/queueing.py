"""Putting work on the broker, best effort. The outbox (and a campaign's build cursor) is the
truth: a message lost here, or never sent because Redis is down, only delays the work until
the periodic re-dispatch (notifications.redispatch, celery beat) finds it."""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)


def task_send(task_name: str, **kwargs) -> bool:
    """Queue one task on the notifications queue; False (and a warning) if the broker cannot be
    reached. Fails within about a second: a web request or an import must not hang on Redis."""
    try:
        with current_app.pool.acquire(block=True, timeout=2) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=2
            )
            current_app.send_task(
                task_name,
                kwargs=kwargs,
                queue=settings.NOTIFICATIONS_QUEUE,
                connection=conn,
                retry=False,
                ignore_result=True,
            )
    except Exception as exc:  # the broker is down or refused: the database still has the work
        logger.warning(
            "not queued %s (%s); the periodic re-dispatch will pick it up",
            task_name,
            type(exc).__name__,
        )
        return False
    return True
