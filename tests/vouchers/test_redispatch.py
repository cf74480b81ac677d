"""Beat's wake-up of issuance runs whose workers died: soon, and with as many workers as a
run is started with."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.vouchers.conftest import people_make
from vouchers.models import IssuanceChunk, VoucherBatch
from vouchers.services.issuance import voucher_batch_execute
from vouchers.services.runs import voucher_batch_start, voucher_batches_redispatch

pytestmark = pytest.mark.django_db


def _split_run(program, people: int) -> VoucherBatch:
    people_make(program, people)
    batch = voucher_batch_start(
        program=program,
        award_lines=list(program.award_lines.all()),
        confirm_name=program.name,
        chunk_size=100,
        actor_label="test",
    )
    voucher_batch_execute(batch_id=batch.pk, time_budget_seconds=0)  # splits, works nothing
    return batch


def _quiet_for(batch: VoucherBatch, seconds: int) -> None:
    VoucherBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


def test_a_run_whose_workers_died_is_woken_within_a_minute_with_all_its_workers(
    coupang, no_dispatch, settings
):
    settings.VOUCHERS_ISSUANCE_WORKERS = 3
    batch = _split_run(coupang, 1_000)
    assert IssuanceChunk.objects.filter(batch=batch, status="pending").count() == 10
    no_dispatch.clear()
    _quiet_for(batch, 20)  # a live run between two chunks: left alone
    assert not voucher_batches_redispatch()
    _quiet_for(batch, 60)  # under the old two minutes
    assert voucher_batches_redispatch() == {batch.pk: 3}
    assert no_dispatch == [{"batch_id": batch.pk, "workers": 3, "queue": None}]


def test_a_run_with_one_chunk_left_wakes_one_worker_and_a_finished_one_none(
    coupang, no_dispatch, settings
):
    settings.VOUCHERS_ISSUANCE_WORKERS = 3
    batch = _split_run(coupang, 1_000)
    last = IssuanceChunk.objects.filter(batch=batch).order_by("-number").first()
    assert last is not None
    IssuanceChunk.objects.filter(batch=batch).exclude(pk=last.pk).update(status="done")
    no_dispatch.clear()
    _quiet_for(batch, 60)
    assert voucher_batches_redispatch() == {batch.pk: 1}
    IssuanceChunk.objects.filter(pk=last.pk).update(status="done")
    assert not voucher_batches_redispatch()
