import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Notice
from notifications.services import notices_dispatch
from notifications.services.outcomes import ChunkResults, results_write
from notifications.services.sending import _claim, retry_delay
from tests.factories import ProgramFactory
from tests.notifications.factories import NoticeFactory
from tests.notifications.smtp import free_port

pytestmark = pytest.mark.django_db


def _due(**fields):
    Notice.objects.filter(**fields).update(next_attempt_at=timezone.now())


def test_dispatch_sends_each_notice_once_in_its_language_and_marks_it_sent(smtp_server):
    notices = [NoticeFactory.create(language=language) for language in ("ko", "en", "zh-hans")]
    assert notices_dispatch(channel="email") == 3
    assert list(Notice.objects.values_list("status", "last_error")) == [("sent", "")] * 3
    assert smtp_server.total == 3
    assert smtp_server.duplicates() == 0
    by_reference = {m["X-Notice-Reference"]: m for m in smtp_server.messages}
    for notice in notices:
        notice.refresh_from_db()
        assert notice.status == Notice.Status.SENT
        assert notice.attempts == 1
        assert notice.provider_message_id.startswith(f"<notice-{notice.pk}.")
        message = by_reference[notice.reference]
        body = message.get_content()
        assert notice.reference_display in body
        assert "/verify/" in body
        assert "C-TEST-0001" in message["Subject"]
    assert "결정" in by_reference[notices[0].reference].get_content()
    assert "决定" in by_reference[notices[2].reference].get_content()
    assert notices_dispatch(channel="email") == 0  # nothing is sent twice
    assert smtp_server.total == 3


def test_a_refused_address_fails_at_once_and_is_not_tried_again(smtp_server):
    notice = NoticeFactory.create(to_address="nobody@bad.example")
    notices_dispatch(channel="email")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.FAILED
    assert notice.attempts == 1
    assert "550" in notice.last_error
    assert smtp_server.total == 0


def test_a_malformed_address_fails_without_reaching_the_server(smtp_server):
    notice = NoticeFactory.create(to_address="not an address")
    notices_dispatch(channel="email")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.FAILED
    assert "valid email" in notice.last_error


def test_a_deferred_address_is_retried_with_backoff_then_given_up(smtp_server, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    notice = NoticeFactory.create(to_address="someone@busy.example")
    for attempt in (1, 2):
        before = timezone.now()
        notices_dispatch(channel="email")
        notice.refresh_from_db()
        assert notice.status == Notice.Status.PENDING
        assert notice.attempts == attempt
        assert "451" in notice.last_error
        assert notice.next_attempt_at > before + dt.timedelta(seconds=20)
        assert notices_dispatch(channel="email") == 0  # not due yet
        _due(pk=notice.pk)
    notices_dispatch(channel="email")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.FAILED
    assert notice.attempts == 3
    assert notice.last_error.startswith("gave up after 3 attempts")
    assert smtp_server.total == 0


def test_retry_delay_doubles_and_stops_at_the_cap(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    settings.CELERY_RETRY_BACKOFF_MAX = 600
    delays = [retry_delay(n).total_seconds() for n in range(1, 9)]
    assert 24 <= delays[0] <= 30
    assert 48 <= delays[1] <= 60
    assert max(delays) <= 600
    assert delays[-1] >= 480


def test_a_mail_server_that_is_down_puts_the_chunk_back_for_later(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    notices = NoticeFactory.create_batch(3)
    assert notices_dispatch(channel="email") == 3
    for notice in notices:
        notice.refresh_from_db()
        assert notice.status == Notice.Status.PENDING
        assert notice.attempts == 1
        assert "cannot connect" in notice.last_error


def test_a_full_chunk_queues_the_next_dispatch_before_sending(smtp_server, queued):
    NoticeFactory.create_batch(3)
    assert notices_dispatch(channel="email", chunk_size=2) == 2
    assert queued == [("notifications.dispatch", {"channel": "email"})]
    assert notices_dispatch(channel="email", chunk_size=2) == 1
    assert len(queued) == 1  # a partial chunk is the end of the queue


def test_a_decision_goes_before_a_campaign_backlog(smtp_server):
    NoticeFactory.create_batch(5, priority=Notice.Priority.BULK)
    decision = NoticeFactory.create(priority=Notice.Priority.TRANSACTIONAL)
    notices_dispatch(channel="email", chunk_size=1)
    decision.refresh_from_db()
    assert decision.status == Notice.Status.SENT


def test_a_late_result_never_overwrites_a_row_that_was_claimed_again(smtp_server):
    notice = NoticeFactory.create()
    _claimed, first_claim = _claim("email", 10)
    assert first_claim is not None
    Notice.objects.filter(pk=notice.pk).update(claimed_at=first_claim + dt.timedelta(seconds=1))
    results = ChunkResults(claimed_at=first_claim)
    results.sent[notice.pk] = "late"
    results_write(results)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENDING
    assert notice.provider_message_id == ""


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_the_same_time_never_take_the_same_notice():
    NoticeFactory.create_batch(400, program=ProgramFactory.create())
    barrier = threading.Barrier(4)
    taken: list[list[int]] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            mine: list[int] = []
            while True:
                claimed, _ = _claim("email", 25)
                if not claimed:
                    break
                mine.extend(n.id for n in claimed)
            taken.append(mine)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [pk for mine in taken for pk in mine]
    assert len(every) == 400
    assert len(set(every)) == 400
    assert sum(1 for mine in taken if mine) >= 2  # they really ran side by side


def test_other_email_backends_get_a_django_email_message(settings, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notice = NoticeFactory.create(language="ko")
    notices_dispatch(channel="email")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    [message] = mailoutbox
    assert message.extra_headers["X-Notice-Reference"] == notice.reference
    assert notice.reference_display in message.body
    assert "결정" in message.subject


def test_retries_stay_above_the_claim_floor_and_a_late_commit_below_it_is_found(
    smtp_server, settings
):
    settings.NOTIFICATIONS_REDISPATCH_EVERY = 30
    program = ProgramFactory.create()
    deferred = NoticeFactory.create(program=program, to_address="x@busy.example")
    NoticeFactory.create_batch(4, program=program)
    assert notices_dispatch(channel="email", chunk_size=2) == 2  # full: the floor moves up
    assert notices_dispatch(channel="email", chunk_size=2) == 2
    Notice.objects.filter(pk=deferred.pk).update(to_address="x@example.com")
    _due(pk=deferred.pk)  # its retry falls due: later than the floor
    late = NoticeFactory.create(program=program)
    # A transaction that wrote its notice long ago and committed only now: below the floor.
    Notice.objects.filter(pk=late.pk).update(next_attempt_at=timezone.now() - dt.timedelta(hours=1))
    notices_dispatch(channel="email", chunk_size=10)
    deferred.refresh_from_db()
    late.refresh_from_db()
    assert deferred.status == Notice.Status.SENT
    assert late.status == Notice.Status.PENDING  # not looked at yet
    settings.NOTIFICATIONS_REDISPATCH_EVERY = 0  # the floor's periodic reset
    notices_dispatch(channel="email", chunk_size=10)
    late.refresh_from_db()
    assert late.status == Notice.Status.SENT
