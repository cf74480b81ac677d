"""Sending released provider batches in chunks: planning, the answers settled, retries with
backoff, refusals that fail nobody, two workers on SKIP LOCKED, the sweep, and a real Celery
worker killed with SIGKILL mid-send that resumes to the exact count."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from compensation.models import Award
from payouts.methods import Method
from payouts.models import Payout, PayoutBatch, PayoutChunk
from payouts.services import sending
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
from tests.support import notice_templates_seed, race

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
