"""Real worker processes, real Redis, a real SMTP server: nothing lost, nothing sent twice.

Each test prints what it measured (run with -s to see it); none asserts a wall time."""

import queue
import subprocess
import sys
import threading
import time

import pytest
from django.utils import timezone

from notifications.models import Campaign, Notice
from notifications.services import campaign_build, campaign_create, campaign_schedule
from tests.factories import ProgramFactory, UserFactory
from tests.notifications.factories import population_make
from tests.notifications.smtp import SmtpServer
from tests.notifications.workers import (
    ROOT,
    PrivateRedis,
    Workers,
    wait_for,
    workers_database_url,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VOUCHERS = {"voucher_total": "₩50,000", "valid_from": "2026-01-15"}


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


def _all_sent(count: int):
    return lambda: Notice.objects.filter(status=Notice.Status.SENT).count() == count


def _campaign(size: int) -> Campaign:
    program = ProgramFactory.create()
    population_make(program, size)
    return campaign_create(
        name="Vouchers issued",
        program=program,
        kind="voucher_issued",
        channel="email",
        audience="population",
        context=VOUCHERS,
        actor=UserFactory.create(),
    )


def test_ten_thousand_notices_through_two_workers_arrive_exactly_once(workers, smtp):
    workers.start("a")
    workers.start("b")
    campaign = _campaign(10_000)
    started = time.monotonic()
    # What an operator does in the admin: schedule for now. The build and the sending run in
    # the workers.
    campaign_schedule(campaign=campaign, scheduled_for=timezone.now(), actor=UserFactory.create())
    wait_for(_all_sent(10_000), timeout=150, workers=workers, what="10,000 notices sent")
    elapsed = time.monotonic() - started
    handler = smtp.handler
    references = set(Notice.objects.values_list("reference", flat=True))
    assert set(handler.by_reference) == references
    assert handler.total == 10_000
    assert handler.duplicates() == 0
    # Everyone got the message in their own language.
    expected = {"en": "compensation vouchers", "ko": "보상 상품권", "zh-hans": "补偿券"}
    for reference, language in Notice.objects.values_list("reference", "person__language"):
        assert expected[language] in handler.subject(reference)
    wait_for(
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
        wait_for(lambda: smtp.handler.total >= 1_200, timeout=60, workers=pool, what="1,200 sent")
        pool.kill9("victim")
        in_flight = Notice.objects.filter(status=Notice.Status.SENDING).count()
        pool.start("replacement")
        wait_for(_all_sent(4_000), timeout=90, workers=pool, what="every notice sent")
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
    producer = None
    try:
        pool.start("worker", beat=True)
        # The outage follows the producer's progress: it holds after 60 events (Redis is
        # stopped then) and after 100 (Redis is started again), so 40 events meet a dead broker
        # however fast or slow the machine is.
        producer = _Producer(pool, "300", "outage", "0", "60", "100")
        producer.wait_for("held at 60")
        redis.stop()
        created_before_outage = Notice.objects.count()
        producer.go()
        producer.wait_for("held at 100")
        created_during_outage = Notice.objects.count() - created_before_outage
        waiting = Notice.objects.filter(status=Notice.Status.PENDING).count()
        redis.start()  # empty: whatever was queued is gone; the outbox still knows
        producer.go()
        output = producer.finish()
        assert producer.returncode == 0, output
        assert "not queued" in output  # the producer went on while the broker was down
        wait_for(_all_sent(300), timeout=60, workers=pool, what="all 300 sent after the outage")
        handler = smtp.handler
        assert handler.total == 300
        assert handler.duplicates() == 0
        print(
            f"\nRedis down: {created_during_outage} events created meanwhile, "
            f"{waiting} notices waiting in the outbox; all 300 sent once after"
        )
        assert created_during_outage > 0
    finally:
        if producer is not None:
            producer.kill()
        pool.stop_all()
        redis.stop()


class _Producer:
    """tests.notifications.producer in a subprocess, its output read by a thread so the test
    can wait for a line with a timeout and still see everything it printed."""

    def __init__(self, pool: Workers, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.notifications.producer", *args],
            cwd=ROOT,
            env={**pool.env, "DATABASE_URL": workers_database_url()},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self._new.put(line.rstrip("\n"))
        self._new.put(None)

    def wait_for(self, wanted: str | None, timeout: float = 120) -> None:
        """Until the producer prints the line `wanted` (None: until its output ends). Generous:
        on a loaded machine Django's start alone takes seconds; a hang ends here or at the
        suite's timeout, with the producer's output."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._new.get(timeout=left)
            except queue.Empty:
                break
            if line == wanted:
                return
            if line is None:
                break
        pytest.fail(f"the producer never printed {wanted!r}:\n{''.join(self.lines)}")

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def finish(self, timeout: float = 120) -> str:
        """Wait for the producer to exit; everything it printed."""
        self.wait_for(None, timeout)
        self.process.wait(timeout)
        return "".join(self.lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    @property
    def returncode(self) -> int | None:
        return self.process.returncode
