"""Publishing tasks by name, against the real Redis broker (and a dead one)."""

import time
import uuid

import pytest
from celery import Celery
from django.db import transaction

from compensation.models import DryRun
from compensation.services.policy import DRY_RUN_TASK, dry_run_request, policy_draft_create
from compensation.services.population_import import IMPORT_TASK
from config import queueing
from config.celery import app
from notifications.services.campaigns import BUILD_TASK
from notifications.services.enqueue import DISPATCH_TASK
from tests.factories import ProgramFactory
from vouchers.services.runs import BATCH_RUN_TASK


def _received(queue: str) -> list[tuple[str, dict]]:
    """The (task name, kwargs) of every message waiting on `queue`, taken off it."""
    messages = []
    with app.connection_for_read() as conn:
        waiting = conn.SimpleQueue(queue, no_ack=True)
        try:
            while True:
                try:
                    message = waiting.get(timeout=0.5)
                except waiting.Empty:
                    break
                _args, kwargs, _embed = message.decode()
                messages.append((message.headers["task"], kwargs))
        finally:
            waiting.queue.delete()
            waiting.close()
    return messages


@pytest.fixture
def queue():
    return f"test-queueing-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def broker_down():
    """The current Celery app points at a port nothing listens on, for this test."""
    Celery("dead-broker", broker="redis://127.0.0.1:1/0", set_as_current=True)
    yield
    app.set_current()


def test_every_task_a_service_publishes_is_registered():
    app.loader.import_default_modules()
    assert {DRY_RUN_TASK, IMPORT_TASK, BATCH_RUN_TASK, DISPATCH_TASK, BUILD_TASK} <= set(app.tasks)


def test_a_task_is_published_by_name_on_the_queue_asked_for(queue):
    assert queueing.task_send("vouchers.batch_run", {"batch_id": 7}, queue=queue) is True
    assert _received(queue) == [("vouchers.batch_run", {"batch_id": 7})]


def test_an_unreachable_broker_fails_fast_with_false_and_a_warning(broker_down, queue, caplog):
    started = time.monotonic()
    assert queueing.task_send("vouchers.batch_run", {"batch_id": 7}, queue=queue) is False
    assert time.monotonic() - started < 5
    assert "not queued vouchers.batch_run" in caplog.text


def test_an_unreachable_broker_raises_when_the_task_is_required(broker_down, queue):
    with pytest.raises(queueing.TaskNotQueued):
        queueing.task_send("vouchers.batch_run", {"batch_id": 7}, queue=queue, required=True)


@pytest.mark.django_db(transaction=True)
def test_on_commit_publishes_after_the_commit_and_nothing_on_a_rollback(queue):
    with transaction.atomic():
        queueing.task_send_on_commit("vouchers.batch_run", {"batch_id": 1}, queue=queue)
        assert _received(queue) == []
    with pytest.raises(RuntimeError, match="the event failed"):
        _send_then_fail(queue)
    assert _received(queue) == [("vouchers.batch_run", {"batch_id": 1})]


def _send_then_fail(queue):
    with transaction.atomic():
        queueing.task_send_on_commit("vouchers.batch_run", {"batch_id": 2}, queue=queue)
        raise RuntimeError("the event failed")


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_that_cannot_be_queued_is_committed_pending_for_the_sweep(broker_down):
    # Beat's sweep (dry_runs_resume_stale) starts it once the broker is back, so the request
    # does not fail (issue 12: it used to raise TaskNotQueued after the commit).
    policy = policy_draft_create(program=ProgramFactory.create(), rules={}, actor_label="test")
    dry_run = dry_run_request(policy=policy, actor_label="test")
    assert DryRun.objects.get(policy=policy) == dry_run
    assert dry_run.status == DryRun.Status.PENDING
