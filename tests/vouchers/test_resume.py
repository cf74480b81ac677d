"""A run killed midway finishes exactly when resumed: the exact count, no duplicates, no gaps.
The chunk table in PostgreSQL is the truth; workers and messages are disposable."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from compensation.models import Award
from tests.support import celery_worker_start, process_stop, test_database_url
from tests.vouchers.conftest import people_make
from vouchers.models import IssuanceChunk, Voucher, VoucherBatch
from vouchers.services import issuance
from vouchers.services.issuance import voucher_batch_execute
from vouchers.services.runs import voucher_batch_start

ROOT = Path(__file__).resolve().parents[2]


def _assert_exact(program, people: int, per_person: int = 4) -> None:
    """Every eligible person has each voucher exactly once, and the ledger agrees."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT award_id), count(DISTINCT (person_id, service_scope)),"
            " count(DISTINCT person_id) FROM vouchers_voucher WHERE program_id = %s",
            [program.pk],
        )
        total, awards, pairs, persons = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM compensation_award a WHERE a.program_id = %s AND NOT EXISTS "
            "(SELECT 1 FROM vouchers_voucher v WHERE v.award_id = a.id)",
            [program.pk],
        )
        (awards_without_voucher,) = cursor.fetchone()
    assert total == awards == pairs == people * per_person  # no duplicates
    assert persons == people  # no gaps
    assert awards_without_voucher == 0
    assert Award.objects.filter(program=program).count() == people * per_person
    program.refresh_from_db()
    assert program.committed_minor == people * 50_000


def _start(program, chunk_size):
    return voucher_batch_start(
        program=program,
        award_lines=list(program.award_lines.all()),
        confirm_name=program.name,
        chunk_size=chunk_size,
        actor_label="test",
    )


@pytest.mark.django_db(transaction=True)
def test_a_chunk_that_dies_midway_leaves_nothing_and_the_resumed_run_is_exact(
    coupang, no_dispatch, monkeypatch
):
    people_make(coupang, 500)
    batch = _start(coupang, chunk_size=50)
    real_copy = issuance._vouchers_copy
    calls = {"n": 0}

    def dying_copy(*args, **kwargs):
        calls["n"] += 1
        real_copy(*args, **kwargs)
        if calls["n"] == 4:  # the vouchers are written, the chunk has not committed
            raise SystemExit("worker killed")

    monkeypatch.setattr(issuance, "_vouchers_copy", dying_copy)
    with pytest.raises(SystemExit):
        voucher_batch_execute(batch_id=batch.pk)
    assert IssuanceChunk.objects.filter(batch=batch, status="done").count() == 3
    assert Voucher.objects.count() == 3 * 50 * 4  # the fourth chunk left nothing behind
    monkeypatch.setattr(issuance, "_vouchers_copy", real_copy)
    assert voucher_batch_execute(batch_id=batch.pk) is False
    batch.refresh_from_db()
    assert batch.status == VoucherBatch.Status.DONE
    _assert_exact(coupang, 500)


def _test_database_env() -> dict:
    return {**os.environ, "DATABASE_URL": test_database_url()}


def _wait_for_chunks(batch, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = IssuanceChunk.objects.filter(batch=batch, status="done").count()
        if done >= at_least:
            return done
        time.sleep(0.02)
    raise AssertionError("the worker did not get going")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kill_9_of_a_worker_process_mid_run_then_resume_is_exact(coupang, no_dispatch):
    people_make(coupang, 20_000)
    batch = _start(coupang, chunk_size=100)
    script = (
        "import django; django.setup(); "
        "from vouchers.services.issuance import voucher_batch_execute as run; "
        f"run(batch_id={batch.pk})"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_test_database_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_chunks(batch, 10)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    done_at_kill = IssuanceChunk.objects.filter(batch=batch, status="done").count()
    batch.refresh_from_db()
    assert done_at_kill < batch.chunks_total, "the worker finished before it was killed"
    assert batch.status == VoucherBatch.Status.RUNNING
    assert (
        Voucher.objects.count()
        == IssuanceChunk.objects.filter(batch=batch, status="done").count() * 400
    )  # only whole chunks: the killed one rolled back
    while voucher_batch_execute(batch_id=batch.pk):
        pass
    batch.refresh_from_db()
    assert batch.status == VoucherBatch.Status.DONE
    _assert_exact(coupang, 20_000)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_killed_mid_run_and_a_redispatch_finish_the_run(coupang, no_dispatch):
    from vouchers.tasks import voucher_batch_run_task

    people_make(coupang, 20_000)
    batch = _start(coupang, chunk_size=100)
    queue = f"test-vouchers-{uuid.uuid4().hex[:8]}"
    first = celery_worker_start(queue)
    try:
        voucher_batch_run_task.apply_async(args=(batch.pk,), queue=queue)
        _wait_for_chunks(batch, 10, timeout=90)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    batch.refresh_from_db()
    assert batch.status == VoucherBatch.Status.RUNNING
    second = celery_worker_start(queue)
    try:
        # What the admin's "resume" button or beat's sweep sends: only a wake-up.
        voucher_batch_run_task.apply_async(args=(batch.pk,), queue=queue)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            if batch.status == VoucherBatch.Status.DONE:
                break
            time.sleep(0.2)
    finally:
        process_stop(second)
    assert batch.status == VoucherBatch.Status.DONE
    _assert_exact(coupang, 20_000)
