"""Sending released provider batches in chunks: planning, the answers settled, retries with
backoff, refusals that fail nobody, two workers on SKIP LOCKED, the sweep, and a real Celery
worker killed with SIGKILL mid-send that resumes to the exact count."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
import uuid

import pytest
from django.utils import timezone

from compensation.models import Award
from notifications.models import Notice
from payouts.methods import Method
from payouts.models import Payout, PayoutBatch, PayoutChunk, PayoutInstruction
from payouts.services import sending
from payouts.services.batches import (
    payout_batch_create,
    payout_batch_preview,
    payout_batch_release,
)
from payouts.services.sending import (
    payout_batch_dispatch,
    payout_batches_redispatch,
    payout_chunks_plan,
    payout_chunks_send,
)
from tests.factories import ProgramFactory, UserFactory
from tests.payouts.factories import claim_award
from tests.payouts.provider import CreditProvider, credit_provider
from tests.payouts.sending_support import credit_awards_bulk, offer, released_batch
from tests.support import celery_worker_start, notice_templates_seed, process_stop, race

CREDIT = Method.ACCOUNT_CREDIT


@pytest.fixture
def queued(monkeypatch):
    """Tasks the services queue, recorded instead of sent to the broker."""
    calls: list[tuple[str, dict, str | None]] = []

    def send(name, kwargs, *, queue=None, required=False):
        calls.append((name, kwargs, queue))
        return True

    monkeypatch.setattr("config.queueing.task_send", send)
    return calls


@pytest.fixture
def credit_settings(settings):
    def use(provider: CreditProvider, *, chunk: int = 200) -> None:
        settings.PAYOUTS_CREDIT_HTTP_URL = provider.url
        settings.PAYOUTS_CREDIT_HTTP_TOKEN = "test-token"
        settings.PAYOUTS_SEND_CHUNK = chunk
        settings.PAYOUTS_SEND_RETRY_BASE_SECONDS = 0

    return use


def _credit_program(count: int):
    program = ProgramFactory.create(currency="KRW")
    offer(program, Method.BANK_TRANSFER, CREDIT)
    awards = [
        claim_award(program, method=CREDIT, amount_minor=1_000 * (n + 1))[0] for n in range(count)
    ]
    return program, awards


def _statuses(batch) -> dict[str, int]:
    rows = Payout.objects.filter(batch=batch).values_list("status", flat=True)
    counts: dict[str, int] = {}
    for status in rows:
        counts[status] = counts.get(status, 0) + 1
    return counts


@pytest.mark.django_db
def test_planning_splits_the_batch_once(settings, queued):
    settings.PAYOUTS_SEND_CHUNK = 200
    program = ProgramFactory.create(currency="KRW")
    offer(program, CREDIT)
    credit_awards_bulk(program, 450)
    batch = released_batch(program, CREDIT)
    assert payout_chunks_plan(batch_id=batch.pk) == 3
    assert payout_chunks_plan(batch_id=batch.pk) == 0  # planning twice adds nothing
    chunks = list(PayoutChunk.objects.filter(batch=batch).order_by("number"))
    ids = sorted(Payout.objects.filter(batch=batch).values_list("id", flat=True))
    assert [(c.payout_id_from, c.payout_id_to) for c in chunks] == [
        (ids[0], ids[199]),
        (ids[200], ids[399]),
        (ids[400], ids[449]),
    ]
    # The release's dispatch plans nothing more and wakes PAYOUTS_SEND_WORKERS senders.
    settings.PAYOUTS_SEND_WORKERS = 2
    assert payout_batch_dispatch(batch_id=batch.pk) == 2
    assert [name for name, *_ in queued] == ["payouts.chunk_send"] * 2
    assert PayoutChunk.objects.filter(batch=batch).count() == 3


@pytest.mark.django_db
def test_a_released_batch_with_nothing_left_to_send_is_settled_at_once(queued):
    program, _awards = _credit_program(1)
    batch = payout_batch_create(
        program=program, method=CREDIT, actor=UserFactory.create(), build_now=True
    )
    Payout.objects.filter(batch=batch).update(status="cancelled")  # taken out before release
    batch = payout_batch_release(batch=batch, actor=UserFactory.create())
    assert payout_batch_dispatch(batch_id=batch.pk) == 0
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.SETTLED
    assert not PayoutChunk.objects.filter(batch=batch).exists()
    assert payout_batches_redispatch(stale_seconds=0) == {}  # nothing for the sweep


@pytest.mark.django_db
def test_a_file_batch_records_its_digest_instead(monkeypatch, queued):
    import payouts.services.bank_files as bank_files

    program = ProgramFactory.create(currency="KRW")
    claim_award(program)
    batch = released_batch(program, Method.BANK_TRANSFER)
    recorded = []
    monkeypatch.setattr(bank_files, "bank_file_digest_record", lambda **kw: recorded.append(kw))
    assert payout_batch_dispatch(batch_id=batch.pk) == 0
    assert recorded == [{"batch_id": batch.pk}]
    assert not PayoutChunk.objects.filter(batch=batch).exists()


@pytest.mark.django_db
def test_a_sent_batch_is_paid_once_per_key_and_settled(credit_settings, queued):
    program, awards = _credit_program(5)
    batch = released_batch(program, CREDIT)
    with credit_provider() as provider:
        credit_settings(provider, chunk=2)
        payout_chunks_plan(batch_id=batch.pk)
        assert payout_chunks_send(batch_id=batch.pk) is False
    payouts = list(Payout.objects.filter(batch=batch))
    assert {p.status for p in payouts} == {"paid"}
    assert sorted(provider.keys) == sorted(p.reference for p in payouts)
    assert all(n == 1 for n in provider.credits.values())
    assert all(p.provider_reference.startswith("cr-") for p in payouts)
    assert provider.authorizations == {"Bearer test-token"}
    assert set(PayoutChunk.objects.filter(batch=batch).values_list("status", flat=True)) == {"done"}
    assert set(
        Award.objects.filter(pk__in=[a.pk for a in awards]).values_list("status", flat=True)
    ) == {"delivered"}
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.SETTLED


@pytest.mark.django_db
def test_a_500_is_retried_with_the_same_key_and_credited_once(credit_settings, queued):
    program, _awards = _credit_program(3)
    batch = released_batch(program, CREDIT)
    first = Payout.objects.filter(batch=batch).order_by("id").first()
    assert first is not None
    with credit_provider() as provider:
        credit_settings(provider)
        provider.fail_first[first.reference] = [500]
        payout_chunks_plan(batch_id=batch.pk)
        payout_chunks_send(batch_id=batch.pk)
    assert provider.keys.count(first.reference) == 2  # the retry reused the key
    assert provider.credits[first.reference] == 1
    assert _statuses(batch) == {"paid": 3}
    chunk = PayoutChunk.objects.get(batch=batch)
    assert (chunk.status, chunk.attempts) == ("done", 2)


@pytest.mark.django_db
def test_a_retry_waits_its_backoff_and_leaves_the_payouts_released(
    credit_settings, settings, queued
):
    program, _awards = _credit_program(3)
    batch = released_batch(program, CREDIT)
    with credit_provider() as provider:
        credit_settings(provider)
        settings.PAYOUTS_SEND_RETRY_BASE_SECONDS = 30
        provider.status_always = 503
        payout_chunks_plan(batch_id=batch.pk)
        assert payout_chunks_send(batch_id=batch.pk) is False  # nothing due until the backoff
    # The first answer 503 stopped the chunk's calls: one request, not three.
    assert provider.requests == 1
    chunk = PayoutChunk.objects.get(batch=batch)
    assert (chunk.status, chunk.attempts) == ("pending", 1)
    assert "retry" in chunk.last_error
    assert chunk.retry_after is not None
    assert chunk.retry_after > timezone.now() + dt.timedelta(seconds=25)
    assert _statuses(batch) == {"released": 3}
    assert Payout.objects.filter(batch=batch, attempts=1).count() == 3


@pytest.mark.django_db
def test_after_the_last_attempt_unanswered_payouts_fail_with_a_code(
    credit_settings, settings, queued
):
    program, _awards = _credit_program(2)
    batch = released_batch(program, CREDIT)
    with credit_provider() as provider:
        credit_settings(provider)
        settings.PAYOUTS_SEND_MAX_ATTEMPTS = 3
        provider.status_always = 500
        payout_chunks_plan(batch_id=batch.pk)
        payout_chunks_send(batch_id=batch.pk)
    assert provider.requests == 3  # one call per attempt: the first 500 stops the chunk
    assert set(Payout.objects.filter(batch=batch).values_list("failure_code", flat=True)) == {
        "provider_unavailable"
    }
    assert _statuses(batch) == {"failed": 2}
    chunk = PayoutChunk.objects.get(batch=batch)
    assert (chunk.status, chunk.attempts) == ("done", 3)
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.SETTLED
    # Not the person's fault: no hold, no "correct your details" notice, and the next batch
    # takes the awards again.
    assert set(PayoutInstruction.objects.values_list("hold_code", flat=True)) == {""}
    assert not Notice.objects.filter(kind="payout_failed").exists()
    assert payout_batch_preview(program=program, method=CREDIT)[0] == 2


@pytest.mark.django_db
def test_a_422_fails_that_payout_only(credit_settings, queued):
    program, _awards = _credit_program(3)
    batch = released_batch(program, CREDIT)
    refused = Payout.objects.filter(batch=batch).select_related("instruction").order_by("id")[1]
    with credit_provider() as provider:
        credit_settings(provider)
        provider.refuse_customers.add(f"CUST-{refused.instruction.claim_reference}")
        payout_chunks_plan(batch_id=batch.pk)
        payout_chunks_send(batch_id=batch.pk)
    refused.refresh_from_db()
    assert (refused.status, refused.failure_code) == ("failed", "credit_refused_422")
    refused.instruction.refresh_from_db()
    assert refused.instruction.hold_code == "credit_refused_422"
    assert _statuses(batch) == {"paid": 2, "failed": 1}


@pytest.mark.django_db
def test_without_a_url_the_chunk_waits_saying_so_and_nobody_fails(settings, queued):
    settings.PAYOUTS_CREDIT_HTTP_URL = ""
    settings.PAYOUTS_SEND_MAX_ATTEMPTS = 1
    program, _awards = _credit_program(2)
    batch = released_batch(program, CREDIT)
    payout_chunks_plan(batch_id=batch.pk)
    assert payout_chunks_send(batch_id=batch.pk) is False
    chunk = PayoutChunk.objects.get(batch=batch)
    assert chunk.status == "pending"
    assert "PAYOUTS_CREDIT_HTTP_URL" in chunk.last_error
    assert _statuses(batch) == {"released": 2}
    batch.refresh_from_db()
    assert "PAYOUTS_CREDIT_HTTP_URL" in batch.last_error


@pytest.mark.django_db
def test_an_error_rolls_the_chunk_back_and_keeps_the_account_out_of_the_logs(
    credit_settings, monkeypatch, caplog, queued
):
    program, _awards = _credit_program(2)
    batch = released_batch(program, CREDIT)

    def broken(program_id, items):
        raise ValueError(f"bad value {items[0].details['customer_ref']}")

    monkeypatch.setitem(sending.SENDERS, CREDIT, broken)
    payout_chunks_plan(batch_id=batch.pk)
    payout_chunks_send(batch_id=batch.pk)
    chunk = PayoutChunk.objects.get(batch=batch)
    assert (chunk.status, chunk.attempts, chunk.last_error) == ("pending", 1, "ValueError")
    assert "CUST-" not in caplog.text
    assert _statuses(batch) == {"released": 2}


@pytest.mark.django_db
def test_a_send_killed_after_the_provider_credited_resends_the_same_keys(
    credit_settings, monkeypatch, queued
):
    """In-process version of the kill: the provider credited the chunk, the worker dies
    before its transaction commits; the resend replays, nobody is credited twice."""
    program, _awards = _credit_program(4)
    batch = released_batch(program, CREDIT)
    real = sending.SENDERS[CREDIT]

    def dies_after_sending(program_id, items):
        real(program_id, items)
        raise SystemExit("killed")  # not an Exception: nothing records the attempt

    with credit_provider() as provider:
        credit_settings(provider)
        payout_chunks_plan(batch_id=batch.pk)
        monkeypatch.setitem(sending.SENDERS, CREDIT, dies_after_sending)
        with pytest.raises(SystemExit):
            payout_chunks_send(batch_id=batch.pk)
        assert _statuses(batch) == {"released": 4}
        assert PayoutChunk.objects.get(batch=batch).status == "pending"
        monkeypatch.setitem(sending.SENDERS, CREDIT, real)
        payout_chunks_send(batch_id=batch.pk)
    assert _statuses(batch) == {"paid": 4}
    assert provider.requests == 8
    assert provider.replays == 4
    assert provider.credited_total == 4
    assert provider.double_credits == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_take_different_chunks_skip_locked(credit_settings, settings, monkeypatch):
    notice_templates_seed()
    program = ProgramFactory.create(currency="KRW")
    offer(program, CREDIT)
    credit_awards_bulk(program, 400)
    settings.PAYOUTS_SEND_WORKERS = 2
    batch = released_batch(program, CREDIT)
    real = sending.SENDERS[CREDIT]
    senders: list[int] = []

    def recording(program_id, items):
        senders.append(threading.get_ident())
        return real(program_id, items)

    monkeypatch.setitem(sending.SENDERS, CREDIT, recording)
    with credit_provider(delay=0.002) as provider:
        credit_settings(provider, chunk=20)
        payout_chunks_plan(batch_id=batch.pk)
        results = race(lambda i: payout_chunks_send(batch_id=batch.pk), 2)
    assert results == [False, False]
    assert len(senders) == 20
    assert len(set(senders)) == 2  # both workers sent chunks, at the same time
    # Every payout was sent exactly once: no chunk was taken by both workers.
    assert len(provider.keys) == 400
    assert len(set(provider.keys)) == 400
    assert provider.replays == 0
    assert _statuses(batch) == {"paid": 400}
    chunks = PayoutChunk.objects.filter(batch=batch)
    assert set(chunks.values_list("status", "attempts")) == {("done", 1)}


@pytest.mark.django_db
def test_the_sweep_queues_what_was_left(settings, queued):
    settings.PAYOUTS_SEND_WORKERS = 2
    long_ago = timezone.now() - dt.timedelta(hours=1)
    program = ProgramFactory.create(currency="KRW")
    offer(program, Method.BANK_TRANSFER, CREDIT)
    claim_award(program)
    [claim_award(program, method=CREDIT) for _ in range(3)]
    building = PayoutBatch.objects.create(
        program=program, method=CREDIT, currency="KRW", built_by=UserFactory.create()
    )
    file_batch = released_batch(program, Method.BANK_TRANSFER)
    unplanned = released_batch(program, CREDIT)
    PayoutBatch.objects.filter(pk__in=[building.pk]).update(created_at=long_ago)
    PayoutBatch.objects.filter(pk__in=[file_batch.pk, unplanned.pk]).update(released_at=long_ago)
    queued.clear()
    assert payout_batches_redispatch() == {
        building.pk: "build",
        file_batch.pk: "digest",
        unplanned.pk: "plan",
    }
    # Planned, and its workers went quiet: woken with as many senders as chunks are due.
    settings.PAYOUTS_SEND_CHUNK = 2
    payout_chunks_plan(batch_id=unplanned.pk)
    PayoutChunk.objects.filter(batch=unplanned).update(attempted_at=long_ago)
    PayoutBatch.objects.filter(pk=building.pk).update(status="discarded")
    PayoutBatch.objects.filter(pk=file_batch.pk).update(file_sha256="0" * 64)
    queued.clear()
    assert payout_batches_redispatch() == {unplanned.pk: "send"}
    assert queued == [("payouts.chunk_send", {"batch_id": unplanned.pk}, None)] * 2
    # Recently worked: left alone; a chunk waiting out its backoff is not due.
    PayoutChunk.objects.filter(batch=unplanned).update(attempted_at=timezone.now())
    assert payout_batches_redispatch() == {}
    PayoutChunk.objects.filter(batch=unplanned).update(
        retry_after=timezone.now() + dt.timedelta(minutes=5), attempted_at=long_ago
    )
    assert payout_batches_redispatch() == {}
    # Its backoff over: woken at once, whatever the last attempt's time.
    PayoutChunk.objects.filter(batch=unplanned).update(
        retry_after=timezone.now() - dt.timedelta(seconds=1), attempted_at=timezone.now()
    )
    assert payout_batches_redispatch() == {unplanned.pk: "send"}


# --- A real worker killed with SIGKILL mid-send ------------------------------------------------

KILLED_AWARDS = 3_000
KILLED_CHUNK = 100
HOLD_AT = 1_250  # the 50th payout of chunk 13: twelve chunks done, one in flight


def _paid(batch) -> int:
    return Payout.objects.filter(batch=batch, status="paid").count()


def _wait(condition, *, timeout: float, log, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout}s; worker log:\n{log.read_text()[-4000:]}")


def _kill_mid_send_then_resume(tmp_path, monkeypatch, *, honour_keys: bool):
    """Release a batch of KILLED_AWARDS account-credit payouts, let a real Celery worker send
    it to a slow provider, SIGKILL the worker while the provider holds request HOLD_AT (chunk
    13 half sent), start a new worker, let the sweep wake the batch, and wait for the end."""
    from config.queueing import task_send
    from tests.support import test_database_url

    notice_templates_seed()
    monkeypatch.setattr("payouts.services.batches.task_send_on_commit", lambda *a, **k: None)
    program = ProgramFactory.create(currency="KRW")
    offer(program, CREDIT)
    credit_awards_bulk(program, KILLED_AWARDS)
    batch = released_batch(program, CREDIT)
    queue = f"test-payouts-{uuid.uuid4().hex[:8]}"
    with credit_provider(delay=0.001, honour_keys=honour_keys) as provider:
        provider.hold_at = HOLD_AT
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "PAYOUTS_CREDIT_HTTP_URL": provider.url,
            "PAYOUTS_CREDIT_HTTP_TOKEN": "test-token",
            "PAYOUTS_SEND_CHUNK": str(KILLED_CHUNK),
            "PAYOUTS_SEND_WORKERS": "2",
        }
        log = tmp_path / "worker.log"
        first = celery_worker_start(queue, env=env, stdout=log.open("w"))
        try:
            assert task_send("payouts.batch_released", {"batch_id": batch.pk}, queue=queue)
            if not provider.held.wait(120):
                raise AssertionError(f"the worker never got going:\n{log.read_text()[-4000:]}")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        provider.release.set()
        # Twelve whole chunks were committed; the thirteenth rolled back with the worker.
        assert _paid(batch) == 12 * KILLED_CHUNK
        assert PayoutChunk.objects.filter(batch=batch, status="done").count() == 12
        assert provider.requests == HOLD_AT
        second = celery_worker_start(queue, env=env, stdout=log.open("a"))
        try:
            # What beat's sweep sends for a batch whose workers went quiet.
            assert payout_batches_redispatch(stale_seconds=0, queue=queue) == {batch.pk: "send"}
            _wait(
                lambda: _paid(batch) == KILLED_AWARDS,
                timeout=180,
                log=log,
                what="the resumed send did not pay every payout",
            )
        finally:
            process_stop(second)
    references = set(Payout.objects.filter(batch=batch).values_list("reference", flat=True))
    return batch, provider, references


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kill_9_mid_send_resumes_to_the_exact_count_and_credits_each_payout_once(
    tmp_path, monkeypatch
):
    batch, provider, references = _kill_mid_send_then_resume(
        tmp_path, monkeypatch, honour_keys=True
    )
    assert _statuses(batch) == {"paid": KILLED_AWARDS}
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.SETTLED
    assert Award.objects.filter(program=batch.program, status="delivered").count() == KILLED_AWARDS
    # The provider credited every payout exactly once.
    assert set(provider.credits) == references
    assert provider.credited_total == KILLED_AWARDS
    assert provider.double_credits == 0
    # The chunk in flight at the kill was sent again with the same keys: replays, not credits.
    resent = {key for key in provider.keys if provider.keys.count(key) > 1}
    assert len(resent) == HOLD_AT - 12 * KILLED_CHUNK
    assert provider.replays == len(resent)
    assert provider.requests == KILLED_AWARDS + len(resent)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_control_a_provider_ignoring_the_key_is_seen_crediting_twice(tmp_path, monkeypatch):
    """The same kill against a provider that ignores Idempotency-Key: the harness sees the
    chunk in flight credited twice, so the test above would see a double credit."""
    batch, provider, references = _kill_mid_send_then_resume(
        tmp_path, monkeypatch, honour_keys=False
    )
    assert _statuses(batch) == {"paid": KILLED_AWARDS}  # the database cannot tell
    assert set(provider.credits) == references
    assert provider.credited_total > KILLED_AWARDS
    assert provider.double_credits == HOLD_AT - 12 * KILLED_CHUNK
