import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from audit.models import AuditEvent
from notifications.models import Campaign, Notice
from notifications.services import notices_redispatch, notices_retry
from tests.factories import UserFactory
from tests.notifications.factories import CampaignFactory, NoticeFactory

pytestmark = pytest.mark.django_db


def _stuck(minutes_ago: int, **fields) -> Notice:
    return NoticeFactory.create(
        status=Notice.Status.SENDING,
        claimed_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        attempts=fields.pop("attempts", 1),
        **fields,
    )


def test_a_notice_stuck_in_sending_past_the_timeout_goes_back_to_pending(settings, queued):
    settings.NOTIFICATIONS_SENDING_TIMEOUT = 600
    stuck = _stuck(minutes_ago=11)
    in_progress = _stuck(minutes_ago=1)
    result = notices_redispatch()
    stuck.refresh_from_db()
    in_progress.refresh_from_db()
    assert stuck.status == Notice.Status.PENDING
    assert stuck.claimed_at is None
    assert in_progress.status == Notice.Status.SENDING
    assert result["reset"] == 1
    assert ("notifications.dispatch", {"channel": "email"}) in queued
    event = AuditEvent.objects.get(action="notice.redispatch")
    assert event.after == {"reset": 1, "failed": 0}


def test_a_stuck_notice_with_no_attempts_left_fails_and_counts_for_its_campaign(settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    campaign = CampaignFactory.create(
        status=Campaign.Status.SENDING, scheduled_for=timezone.now(), notices_created=1
    )
    stuck = _stuck(minutes_ago=60, attempts=3, campaign=campaign)
    notices_redispatch()
    stuck.refresh_from_db()
    campaign.refresh_from_db()
    assert stuck.status == Notice.Status.FAILED
    assert campaign.failed_count == 1
    assert campaign.status == Campaign.Status.DONE


def test_nothing_due_means_nothing_queued(queued):
    NoticeFactory.create(next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    NoticeFactory.create(status=Notice.Status.SENT, sent_at=timezone.now(), attempts=1)
    assert notices_redispatch()["kicked"] == 0
    assert queued == []
    assert not AuditEvent.objects.filter(action="notice.redispatch").exists()


def test_staff_retry_moves_only_failed_notices_and_is_audited(
    queued, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory.create(
        status=Campaign.Status.DONE,
        scheduled_for=timezone.now(),
        notices_created=2,
        sent_count=1,
        failed_count=1,
    )
    failed = NoticeFactory.create(status=Notice.Status.FAILED, attempts=8, campaign=campaign)
    sent = NoticeFactory.create(status=Notice.Status.SENT, sent_at=timezone.now(), attempts=1)
    user = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        moved = notices_retry(notice_ids=[failed.pk, sent.pk], actor=user)
    assert moved == 1
    failed.refresh_from_db()
    sent.refresh_from_db()
    campaign.refresh_from_db()
    assert failed.status == Notice.Status.PENDING
    assert failed.attempts == 0
    assert sent.status == Notice.Status.SENT
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.failed_count == 0
    assert AuditEvent.objects.get(action="notice.retry").actor == user
    assert queued == [("notifications.dispatch", {"channel": "email"})]


def test_a_sending_row_is_never_taken_back_while_its_task_may_still_run():
    assert django_settings.NOTIFICATIONS_SENDING_TIMEOUT > django_settings.CELERY_TASK_TIME_LIMIT
    assert django_settings.NOTIFICATIONS_BUILD_STALE > django_settings.CELERY_TASK_TIME_LIMIT
    assert django_settings.NOTIFICATIONS_BUILD_TIME_BUDGET < (
        django_settings.CELERY_TASK_SOFT_TIME_LIMIT
    )


def test_beat_runs_the_redispatch_on_the_notifications_queue():
    entry = django_settings.CELERY_BEAT_SCHEDULE["notifications-redispatch"]
    assert entry["task"] == "notifications.redispatch"
    assert entry["options"]["queue"] == django_settings.NOTIFICATIONS_QUEUE
    from config.celery import app

    app.loader.import_default_modules()
    assert "notifications.redispatch" in app.tasks
