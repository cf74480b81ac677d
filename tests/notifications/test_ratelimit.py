import threading
import time
import uuid
from collections import Counter

import pytest

from config.ratelimit import RateLimitUnavailable
from notifications.models import Notice
from notifications.ratelimit import rate_acquire
from notifications.services import notices_dispatch
from tests.notifications.factories import NoticeFactory
from tests.notifications.smtp import free_port


@pytest.fixture
def own_keys(settings):
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}"}
    }


def test_the_rate_holds_across_concurrent_workers(settings, own_keys):
    settings.NOTIFICATIONS_RATE_PER_SECOND = {"email": 40, "sms": 0}
    granted_per_second: Counter[int] = Counter()
    lock = threading.Lock()

    def worker() -> None:
        # The limiter counts a grant in the second its clock last read: bucket by that
        # reading, not by the test's own clock after the call (a grant made at 0.999 would
        # land in the next second and overfill it).
        seen = threading.local()

        def clock() -> float:
            seen.now = time.time()
            return seen.now

        left = 30
        while left:
            granted = rate_acquire(channel="email", wanted=min(left, 15), clock=clock)
            with lock:
                granted_per_second[int(seen.now)] += granted
            left -= granted

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(granted_per_second.values()) == 120
    assert max(granted_per_second.values()) <= 40


def test_zero_means_no_limit(settings):
    settings.NOTIFICATIONS_RATE_PER_SECOND = {"email": 0}
    assert rate_acquire(channel="email", wanted=10_000) == 10_000


@pytest.mark.django_db
def test_without_redis_nothing_is_sent_and_the_chunk_waits_uncounted(settings, smtp_server):
    settings.NOTIFICATIONS_RATE_PER_SECOND = {"email": 100, "sms": 0}
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens
    notice = NoticeFactory.create()
    with pytest.raises(RateLimitUnavailable):
        rate_acquire(channel="email", wanted=1)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    notices_dispatch(channel="email")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PENDING
    assert notice.attempts == 0
    assert smtp_server.total == 0
