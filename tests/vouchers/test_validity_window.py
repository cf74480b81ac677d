"""Vouchers are never issued already expired: a run is refused once the program's validity
window has ended (at start, resume and before every chunk), and the start page warns when the
window has ended or would end before the run could finish."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR
from audit.models import AuditEvent
from compensation.models import Award, Program
from tests.vouchers.conftest import people_make, run_issue
from vouchers.errors import IssuanceRefused
from vouchers.models import IssuanceChunk, Voucher, VoucherBatch
from vouchers.selectors import issuance_rate_last_run
from vouchers.services.issuance import voucher_batch_execute
from vouchers.services.planning import batch_plan, voucher_window_warning
from vouchers.services.runs import voucher_batch_resume, voucher_batch_start

pytestmark = pytest.mark.django_db


def _window_ends(program, until):
    start = min(program.voucher_valid_from, until - dt.timedelta(days=30))
    Program.objects.filter(pk=program.pk).update(
        voucher_valid_from=start, voucher_valid_until=until
    )
    program.refresh_from_db()


def _shown(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _start(program, **extra):
    return voucher_batch_start(
        program=program,
        award_lines=list(program.award_lines.all()),
        confirm_name=program.name,
        chunk_size=100,
        actor_label="test",
        **extra,
    )


def test_a_run_for_a_window_that_has_ended_is_refused_naming_the_date(coupang, no_dispatch):
    people_make(coupang, 10)
    ended = timezone.now() - dt.timedelta(hours=1)
    _window_ends(coupang, ended)
    with pytest.raises(IssuanceRefused) as refused:
        _start(coupang)
    message = str(refused.value.message)
    assert _shown(ended) in message
    assert "expired" in message
    assert not VoucherBatch.objects.exists()
    assert not Award.objects.exists()
    assert not Voucher.objects.exists()
    assert no_dispatch == []
    assert not AuditEvent.objects.filter(action="voucher_batch.start").exists()
    coupang.refresh_from_db()
    assert coupang.committed_minor == 0


def test_a_window_that_ends_mid_run_fails_the_run_before_its_next_chunk(coupang, no_dispatch):
    people_make(coupang, 300)
    batch = _start(coupang)  # the window is open when the operator starts
    ended = timezone.now() - dt.timedelta(seconds=1)
    _window_ends(coupang, ended)
    assert voucher_batch_execute(batch_id=batch.pk) is False
    batch.refresh_from_db()
    assert batch.status == VoucherBatch.Status.FAILED
    assert _shown(ended) in batch.error
    assert not Voucher.objects.exists()
    assert not Award.objects.exists()
    assert not IssuanceChunk.objects.filter(status=IssuanceChunk.Status.DONE).exists()
    coupang.refresh_from_db()
    assert coupang.committed_minor == 0
    # Resuming cannot bring it back while the window stays ended.
    with pytest.raises(IssuanceRefused, match=_shown(ended)):
        voucher_batch_resume(batch=batch, actor_label="test")
    batch.refresh_from_db()
    assert batch.status == VoucherBatch.Status.FAILED
    assert not AuditEvent.objects.filter(action="voucher_batch.resume").exists()


def test_the_warning_uses_the_last_finished_runs_measured_rate(coupang, no_dispatch):
    people_make(coupang, 30)
    assert issuance_rate_last_run() is None
    run_issue(coupang)
    rate = issuance_rate_last_run()
    assert rate is not None
    assert rate > 0
    plan = batch_plan(program=coupang, award_lines=list(coupang.award_lines.all()))
    until = coupang.voucher_valid_until
    # Just before the end of the window: 120 vouchers at the measured rate take longer.
    warning = voucher_window_warning(plan, now=until - dt.timedelta(microseconds=1))
    assert warning
    assert "measured on the last finished run" in warning
    assert f"{rate:,.0f} vouchers a second" in warning
    assert _shown(until) in warning
    assert voucher_window_warning(plan, now=until - dt.timedelta(days=1)) is None


def _preview(client, program):
    url = reverse("admin:vouchers_voucherbatch_start")
    form = {
        "program": program.pk,
        "award_lines": [line.pk for line in program.award_lines.all()],
        "segments": "",
        "chunk_size": 100,
        "preview": "1",
    }
    return client.post(url, form).content.decode()


def test_the_start_page_warns_when_the_window_has_ended(staff_client, coupang, no_dispatch):
    people_make(coupang, 30)
    client = staff_client(PROGRAM_OPERATOR)
    assert "validity window" not in _preview(client, coupang)  # 90 days left: no warning
    ended = timezone.now() - dt.timedelta(days=2)
    _window_ends(coupang, ended)
    html = _preview(client, coupang)
    assert "Dry run" in html
    assert 'class="warning"' in html
    assert _shown(ended) in html
    assert "Starting the run will be refused" in html


def test_the_start_page_warns_when_the_run_would_outlast_the_window(
    staff_client, coupang, no_dispatch, settings
):
    settings.VOUCHERS_ISSUANCE_RATE_PER_SECOND = 1  # no run has finished: the setting counts
    people_make(coupang, 30)  # 120 vouchers: two minutes at one a second
    _window_ends(coupang, timezone.now() + dt.timedelta(seconds=60))
    html = _preview(client := staff_client(PROGRAM_OPERATOR), coupang)
    assert 'class="warning"' in html
    assert "the configured estimate" in html
    assert "after the validity window ends" in html
    settings.VOUCHERS_ISSUANCE_RATE_PER_SECOND = 100  # about a second: it fits
    assert 'class="warning"' not in _preview(client, coupang)
