"""Real worker processes, real Redis, a real SMTP server: nothing lost, nothing sent twice.

Each test prints what it measured (run with -s to see it); none asserts a wall time."""

import subprocess
import sys
import time

import pytest
from django.utils import timezone

from notifications.models import Campaign, Notice
from notifications.services import campaign_build, campaign_create, campaign_schedule
from tests.factories import ProgramFactory, UserFactory
from tests.notifications.factories import population_make
from tests.notifications.smtp import SmtpServer
from tests.notifications.workers import ROOT, PrivateRedis, Workers, workers_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VOUCHERS = {"voucher_total": "50,000 KRW", "valid_from": "2026-01-15"}


@pytest.fixture
def smtp():
    with SmtpServer(keep_messages=False) as server:
        yield server


@pytest.fixture
def workers(tmp_path, smtp, settings):
    pool = Workers(tmp_path, smtp_port=smtp.port)
    settings.NOTIFICATIONS_QUEUE = pool.queue
    yield pool
    pool.stop_all()


def _wait(condition, *, timeout: float, workers: Workers, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}\n{workers.logs()}")


def _all_sent(count: int):
    return lambda: Notice.objects.filter(status=Notice.Status.SENT).count() == count


def _campaign(size: int) -> Campaign:
    program = ProgramFactory()
    population_make(program, size)
    return campaign_create(
        name="Vouchers issued",
        program=program,
        kind="voucher_issued",
        channel="email",
        audience="population",
        context=VOUCHERS,
        actor=UserFactory(),
    )


def test_ten_thousand_notices_through_two_workers_arrive_exactly_once(workers, smtp):
    workers.start("a")
    workers.start("b")
    campaign = _campaign(10_000)
    started = time.monotonic()
    # What an operator does in the admin: schedule for now. The build and the sending run in
    # the workers.
    campaign_schedule(campaign=campaign, scheduled_for=timezone.now(), actor=UserFactory())
    _wait(_all_sent(10_000), timeout=150, workers=workers, what="10,000 notices sent")
    elapsed = time.monotonic() - started
    handler = smtp.handler
    references = set(Notice.objects.values_list("reference", flat=True))
    assert set(handler.by_reference) == references
    assert handler.total == 10_000 and handler.duplicates() == 0
    # Everyone got the message in their own language.
    expected = {"en": "compensation vouchers", "ko": "보상 이용권", "zh-hans": "补偿券"}
    for reference, language in Notice.objects.values_list("reference", "person__language"):
        assert expected[language] in handler.subject(reference)
    _wait(
        lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DONE,
        timeout=10,
        workers=workers,
        what="the campaign to be done",
    )
    campaign.refresh_from_db()
    assert (campaign.notices_created, campaign.sent_count, campaign.failed_count) == (
        10_000,
        10_000,
        0,
    )
    print(
        f"\n10,000 notices, build and send with 2 workers: {elapsed:.1f}s "
        f"({10_000 / elapsed:.0f}/s), duplicates 0"
    )


def test_a_worker_killed_mid_run_loses_nothing_and_duplicates_stay_within_its_chunk(
    tmp_path, smtp, settings
):
    pool = Workers(
        tmp_path,
        smtp_port=smtp.port,
        NOTIFICATIONS_SENDING_TIMEOUT="8",
        NOTIFICATIONS_REDISPATCH_EVERY="1",
    )
    settings.NOTIFICATIONS_QUEUE = pool.queue
    try:
        campaign = _campaign(4_000)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.BUILDING, scheduled_for=timezone.now()
        )
        pool.start("victim")
        pool.start("survivor", beat=True)
        campaign_build(campaign_id=campaign.pk)  # kicks the dispatch after each range commits
        _wait(lambda: smtp.handler.total >= 1_200, timeout=60, workers=pool, what="1,200 sent")
        pool.kill9("victim")
        in_flight = Notice.objects.filter(status=Notice.Status.SENDING).count()
        pool.start("replacement")
        _wait(_all_sent(4_000), timeout=90, workers=pool, what="every notice sent")
        handler = smtp.handler
        assert set(handler.by_reference) == set(Notice.objects.values_list("reference", flat=True))
        duplicates = handler.duplicates()
        print(
            f"\nkill -9 mid-run: {handler.total} messages for 4,000 notices, "
            f"{duplicates} duplicates, {in_flight} notices were 'sending' at the kill"
        )
        assert duplicates <= in_flight <= 2 * settings.NOTIFICATIONS_CHUNK_SIZE
    finally:
        pool.stop_all()


def test_notices_created_while_redis_is_down_wait_in_the_outbox_and_go_out_once_it_is_back(
    tmp_path, smtp, settings
):
    redis = PrivateRedis(tmp_path)
    redis.start()
    pool = Workers(
        tmp_path,
        smtp_port=smtp.port,
        REDIS_URL=redis.url,
        NOTIFICATIONS_REDISPATCH_EVERY="1",
    )
    try:
        pool.start("worker", beat=True)
        producer = subprocess.Popen(
            [sys.executable, "-m", "tests.notifications.producer", "300", "outage", "0.02"],
            cwd=ROOT,
            env={**pool.env, "DATABASE_URL": workers_database_url()},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        _wait(lambda: Notice.objects.count() >= 60, timeout=30, workers=pool, what="events")
        redis.stop()
        created_before_outage = Notice.objects.count()
        time.sleep(2.5)
        created_during_outage = Notice.objects.count() - created_before_outage
        waiting = Notice.objects.filter(status=Notice.Status.PENDING).count()
        redis.start()  # empty: whatever was queued is gone; the outbox still knows
        output, _ = producer.communicate(timeout=60)
        assert producer.returncode == 0, output
        assert "not queued" in output  # the producer went on while the broker was down
        _wait(_all_sent(300), timeout=60, workers=pool, what="all 300 sent after the outage")
        handler = smtp.handler
        assert handler.total == 300 and handler.duplicates() == 0
        print(
            f"\nRedis down for 2.5s: {created_during_outage} events created meanwhile, "
            f"{waiting} notices waiting in the outbox; all 300 sent once after"
        )
        assert created_during_outage > 0
    finally:
        pool.stop_all()
        redis.stop()
