"""The sending lease with real worker processes, real Redis and a real SMTP server: a killed
worker's notices go out again within about a lease, exactly once; a slow live sender keeps
its lease and nobody sends its notices twice.

Each test prints what it measured (run with -s to see it); none asserts a wall time beyond
"well within the old 15-minute wait"."""

import asyncio
import socket
import time

import pytest
from django.conf import settings as django_settings

from config import queueing
from notifications.models import Notice
from notifications.services.enqueue import DISPATCH_TASK
from tests.notifications.factories import NoticeFactory
from tests.notifications.smtp import CountingHandler, SmtpServer
from tests.notifications.workers import Workers, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEASE = "4"


def _count(status: str) -> int:
    return Notice.objects.filter(status=status).count()


class _SlowHandler(CountingHandler):
    """Takes `delay` seconds to accept each message, as a slow provider does."""

    def __init__(self, delay: float) -> None:
        super().__init__(keep_messages=False)
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def test_the_settings_keep_one_send_within_the_lease():
    assert django_settings.EMAIL_TIMEOUT < django_settings.NOTIFICATIONS_SENDING_LEASE
    assert django_settings.NOTIFICATIONS_SENDING_LEASE <= 120


def test_a_worker_killed_holding_a_chunk_has_it_sent_once_by_another_within_the_lease(
    tmp_path, settings
):
    # The victim's mail server takes the connection and never greets: the victim claims the
    # chunk and hangs before sending anything, as a worker killed mid-chunk leaves it.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    with SmtpServer(keep_messages=False) as smtp:
        victim = Workers(
            tmp_path / "victim",
            smtp_port=silent.getsockname()[1],
            NOTIFICATIONS_SENDING_LEASE=LEASE,
            EMAIL_TIMEOUT="60",
        )
        survivor = Workers(
            tmp_path,
            smtp_port=smtp.port,
            NOTIFICATIONS_SENDING_LEASE=LEASE,
            NOTIFICATIONS_REDISPATCH_EVERY="1",
        )
        (tmp_path / "victim").mkdir()
        survivor.queue = victim.queue
        survivor.env["NOTIFICATIONS_QUEUE"] = victim.queue
        settings.NOTIFICATIONS_QUEUE = victim.queue
        try:
            notices = NoticeFactory.create_batch(30)
            victim.start("victim")
            queueing.task_send(DISPATCH_TASK, {"channel": "email"}, queue=victim.queue)
            wait_for(
                lambda: _count("sending") == 30,
                timeout=60,
                workers=victim,
                what="the victim to claim the chunk",
            )
            victim.kill9("victim")
            killed_at = time.monotonic()
            survivor.start("survivor", beat=True)
            wait_for(
                lambda: _count("sent") == 30, timeout=90, workers=survivor, what="30 sent again"
            )
            elapsed = time.monotonic() - killed_at
            handler = smtp.handler
            references = {n.reference for n in notices}
            assert set(handler.by_reference) == references
            assert handler.total == 30
            assert handler.duplicates() == 0
            print(
                f"\nkilled holding 30 notices: all sent once by another worker {elapsed:.1f}s later"
            )
            # The old lease was NOTIFICATIONS_SENDING_TIMEOUT (15 minutes) whatever the worker did.
            assert elapsed < django_settings.NOTIFICATIONS_SENDING_TIMEOUT / 10
        finally:
            victim.stop_all()
            survivor.stop_all()
            silent.close()


def test_a_slow_live_sender_keeps_its_lease_and_nothing_is_sent_twice(tmp_path, settings):
    with SmtpServer(keep_messages=False) as smtp:
        smtp.handler = smtp.controller.handler = _SlowHandler(delay=0.4)
        pool = Workers(
            tmp_path,
            smtp_port=smtp.port,
            NOTIFICATIONS_SENDING_LEASE="3",
            NOTIFICATIONS_REDISPATCH_EVERY="1",
        )
        settings.NOTIFICATIONS_QUEUE = pool.queue
        try:
            NoticeFactory.create_batch(25)  # ~10 s of sending in one chunk: three leases
            pool.start("sender")
            pool.start("sweeper", beat=True)  # sweeps every second, and would send too
            queueing.task_send(DISPATCH_TASK, {"channel": "email"}, queue=pool.queue)
            wait_for(lambda: _count("sent") == 25, timeout=120, workers=pool, what="25 sent")
            handler = smtp.handler
            assert handler.total == 25
            assert handler.duplicates() == 0
            assert not Notice.objects.exclude(last_error="").exists()  # never taken back
        finally:
            pool.stop_all()
