"""Putting work on the broker: the one way services reach Celery tasks.

Tasks are published by name, so no service imports a tasks module (and no import circle
forms through one). The database is the truth of what is left to do; a message is only a
wake-up. Where something in the database re-sends lost wake-ups (the notifications outbox and
its periodic re-dispatch, an issuance run's chunk table and the beat sweep of quiet runs), a
message that cannot be queued is logged and dropped. Where nothing would, the caller asks for
`required=True` and learns of the failure instead of leaving work that nobody starts."""

from __future__ import annotations

import logging
from typing import Any, cast

from celery import current_app
from django.db import transaction
from kombu.connection import ConnectionPool

logger = logging.getLogger(__name__)


class TaskNotQueued(Exception):
    """The broker could not be reached, or refused the message."""


def task_send(
    task_name: str,
    kwargs: dict[str, Any],
    *,
    queue: str | None = None,
    required: bool = False,
) -> bool:
    """Queue the task `task_name` with `kwargs`, on `queue` (None: where Celery routes it,
    the default queue unless CELERY_TASK_ROUTES says otherwise).

    Fails within about a second (a web request or an import must not hang on Redis): False
    and a warning if the broker cannot be reached, or TaskNotQueued with `required`."""
    options: dict[str, Any] = {} if queue is None else {"queue": queue}
    # The app's broker connection pool (celery-types calls it a producer pool).
    pool = cast(ConnectionPool, current_app.pool)
    try:
        with pool.acquire(block=True, timeout=2) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=2
            )
            current_app.send_task(
                task_name,
                kwargs=kwargs,
                connection=conn,
                retry=False,
                ignore_result=True,
                **options,
            )
    except Exception as exc:  # the broker is down or refused: the database still has the work
        if required:
            raise TaskNotQueued(f"{task_name} could not be queued ({type(exc).__name__})") from exc
        logger.warning(
            "not queued %s (%s); what the database holds will send it again",
            task_name,
            type(exc).__name__,
        )
        return False
    return True


def task_send_on_commit(
    task_name: str,
    kwargs: dict[str, Any],
    *,
    queue: str | None = None,
    required: bool = False,
) -> None:
    """`task_send` once the current transaction commits (at once outside one); nothing if it
    rolls back. With `required`, TaskNotQueued is raised after the commit, from the outermost
    atomic block: what the transaction wrote stays."""
    transaction.on_commit(lambda: task_send(task_name, kwargs, queue=queue, required=required))
