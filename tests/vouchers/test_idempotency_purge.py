import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from vouchers.models import IdempotencyRecord
from vouchers.services.idempotency import idempotency_records_purge
from vouchers.tasks import idempotency_purge_task

pytestmark = pytest.mark.django_db


def _record(service_key, key: str, age: dt.timedelta) -> IdempotencyRecord:
    record = IdempotencyRecord.objects.create(
        service_key=service_key,
        key=key,
        operation="redeem",
        request_hash=b"\0" * 32,
        response_status=201,
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def test_answers_past_their_retention_are_deleted_in_batches_and_recent_ones_kept(eats_key):
    days = settings.VOUCHERS_IDEMPOTENCY_DAYS
    old = [_record(eats_key, f"old-{i}", dt.timedelta(days=days, hours=1 + i)) for i in range(5)]
    recent = [_record(eats_key, f"new-{i}", dt.timedelta(days=days - 1)) for i in range(3)]
    assert idempotency_records_purge(batch=2) == 5  # three batches: 2, 2, 1
    left = set(IdempotencyRecord.objects.values_list("pk", flat=True))
    assert left == {r.pk for r in recent}
    assert not left & {r.pk for r in old}
    assert idempotency_purge_task() == 0  # the beat task: nothing more to do


def test_the_purge_runs_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["vouchers-idempotency-purge"]
    assert entry["task"] == idempotency_purge_task.name
