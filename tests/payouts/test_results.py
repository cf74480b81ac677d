import datetime as dt
import hashlib
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

import payouts.admin_files  # noqa: F401 (registers the pages until payouts/admin.py imports it)
from accounts.roles import PAYMENTS_OFFICER
from audit.models import AuditEvent
from compensation.models import Award
from notifications.models import Notice
from payouts.models import Payout, PayoutInstruction, PayoutResultFile
from payouts.services.results import ResultRefused, result_file_apply, result_file_upload
from payouts.services.sending import payout_batch_dispatch, payout_batches_redispatch
from tests.factories import ProgramFactory, UserFactory
from tests.payouts.released import released_batch
from tests.payouts.test_settle import settle

pytestmark = pytest.mark.django_db

HEADER = "payout_reference,status,amount_minor,currency,failure_code,settled_on"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NOTIFICATIONS_SITE_URL = "https://compensation.example.com"


def _line(payout, status="paid", code="", amount=None, currency="KRW", day="2026-03-02"):
    amount = payout.amount_minor if amount is None else amount
    return f"{payout.reference},{status},{amount},{currency},{code},{day}"


def _upload(batch, lines: list[str], *, header: str = HEADER, raw: bytes | None = None):
    content = raw if raw is not None else ("\r\n".join([header, *lines]) + "\r\n").encode()
    upload = SimpleUploadedFile("result.csv", content, content_type="text/csv")
    return result_file_upload(batch=batch, upload=upload, actor=UserFactory.create())


def _state():
    """Everything a result file could change."""
    return (
        list(
            Payout.objects.order_by("pk").values_list("pk", "status", "failure_code", "updated_at")
        ),
        list(Award.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        list(PayoutInstruction.objects.order_by("pk").values_list("pk", "hold_code", "updated_at")),
        list(Notice.objects.order_by("pk").values_list("pk", "dedupe_key")),
        AuditEvent.objects.filter(action__in=["payout.settle", "award.deliver"]).count(),
    )


def test_a_good_file_marks_paid_and_failed_delivers_holds_and_notifies():
    program = ProgramFactory.create(currency="KRW")
    batch, (paid, failed, returned) = released_batch(program)

    result = _upload(
        batch, [_line(paid), _line(failed, "failed", "AC01"), _line(returned, "returned", "")]
    )

    assert result.status == PayoutResultFile.Status.APPLIED
    assert (result.lines, result.paid, result.failed, result.returned) == (3, 1, 1, 1)
    assert result.errors == []
    assert result.error_count == 0
    assert result.applied_at is not None
    assert dict(Payout.objects.values_list("pk", "status")) == {
        paid.pk: "paid",
        failed.pk: "failed",
        returned.pk: "returned",
    }
    assert Award.objects.get(pk=paid.award_id).status == Award.Status.DELIVERED
    assert Award.objects.get(pk=failed.award_id).status == Award.Status.GRANTED
    assert PayoutInstruction.objects.get(pk=failed.instruction_id).hold_code == "AC01"
    assert PayoutInstruction.objects.get(pk=returned.instruction_id).hold_code == "returned"
    failed_notice = Notice.objects.get(dedupe_key=f"payout:{failed.reference}:failed")
    assert failed_notice.kind == "payout_failed"
    assert failed_notice.context["fix_url"].endswith("/payment/")
    paid.refresh_from_db()
    assert paid.settled_at is not None
    assert paid.settled_at.date().isoformat() == "2026-03-01"  # midnight in Seoul, in UTC
    batch.refresh_from_db()
    assert batch.status == "settled"
    assert AuditEvent.objects.filter(action="payout.result_apply").count() == 1


def test_a_bad_file_is_refused_by_line_and_column_with_nothing_applied():
    program = ProgramFactory.create(currency="KRW")
    batch, payouts = released_batch(program, count=7)
    settle(batch, [(payouts[6].pk, "paid", "")])  # settled before the file came
    before = _state()
    lines = [
        _line(payouts[0]),  # line 2: good
        "0123456789ABCDEF0123,paid,10000,KRW,,2026-03-02",  # 3: no such payout
        _line(payouts[1], amount=999),  # 4: wrong amount
        _line(payouts[2], currency="USD"),  # 5: wrong currency
        _line(payouts[3], status="bounced"),  # 6: bad status
        _line(payouts[4], day="2026-02-30"),  # 7: no such day
        _line(payouts[0]),  # 8: the reference again
        _line(payouts[6]),  # 9: settled already
        _line(payouts[5], amount="12.5"),  # 10: not a whole number
    ]

    result = _upload(batch, lines)

    assert result.status == PayoutResultFile.Status.REFUSED
    found = [(e["line"], e["column"]) for e in result.errors]
    assert found == [
        (3, "payout_reference"),
        (4, "amount_minor"),
        (5, "currency"),
        (6, "status"),
        (7, "settled_on"),
        (8, "payout_reference"),
        (9, "status"),
        (10, "amount_minor"),
    ]
    assert result.error_count == 8
    assert result.lines == 9
    messages = {e["line"]: e["message"] for e in result.errors}
    assert messages[4] == f"is 999; the payout is {payouts[1].amount_minor}"
    assert messages[8] == f"{payouts[0].reference} appears again (first on line 2)"
    assert messages[9] == "the payout was settled already (paid)"
    assert _state() == before  # payouts, awards, instructions, notices: all unchanged
    assert AuditEvent.objects.filter(action="payout.result_refuse").count() == 1


def test_a_line_with_the_wrong_number_of_fields_is_reported_and_nothing_applied():
    program = ProgramFactory.create(currency="KRW")
    batch, (first, second) = released_batch(program, count=2)
    before = _state()
    result = _upload(batch, [_line(first), _line(second) + ",extra"])
    assert result.status == PayoutResultFile.Status.REFUSED
    assert [(e["line"], e["column"]) for e in result.errors] == [(3, "column 7 (after settled_on)")]
    assert _state() == before


def test_lines_are_the_files_own_when_a_quoted_cell_spans_lines():
    program = ProgramFactory.create(currency="KRW")
    batch, (first, second) = released_batch(program, count=2)
    lines = [_line(first, "failed", '"AC\r\n01"'), _line(second, amount=1)]
    result = _upload(batch, lines)
    assert result.status == PayoutResultFile.Status.REFUSED
    assert [(e["line"], e["column"]) for e in result.errors] == [(4, "amount_minor")]


def test_a_line_that_is_not_utf8_is_reported():
    program = ProgramFactory.create(currency="KRW")
    batch, (first, second) = released_batch(program, count=2)
    raw = (HEADER + "\r\n" + _line(first) + "\r\n").encode() + b"\xff\xfe,paid\r\n"
    result = _upload(batch, [], raw=raw)
    assert result.status == PayoutResultFile.Status.REFUSED
    assert result.errors[0]["line"] == 3
    second.refresh_from_db()
    assert second.status == "released"
    first.refresh_from_db()
    assert first.status == "released"


def test_the_same_file_twice_is_refused_the_second_time():
    program = ProgramFactory.create(currency="KRW")
    batch, (first, _second) = released_batch(program, count=2)
    lines = [_line(first)]
    assert _upload(batch, lines).status == PayoutResultFile.Status.APPLIED
    before = _state()

    again = _upload(batch, lines)

    assert again.status == PayoutResultFile.Status.REFUSED
    assert again.errors[0]["message"] == "This same file was applied to this batch already."
    assert _state() == before


def test_the_database_refuses_a_file_applied_twice():
    program = ProgramFactory.create(currency="KRW")
    batch, (first, _second) = released_batch(program, count=2)
    applied = _upload(batch, [_line(first)])
    with pytest.raises(IntegrityError, match="payout_result_applied_once"), transaction.atomic():
        PayoutResultFile.objects.create(
            batch=batch,
            sha256=applied.sha256,
            status=PayoutResultFile.Status.APPLIED,
            uploaded_by=applied.uploaded_by,
        )


def test_a_wrong_header_is_refused_before_anything_is_stored(tmp_path):
    program = ProgramFactory.create(currency="KRW")
    batch, (_first,) = released_batch(program, count=1)
    with pytest.raises(ResultRefused, match="missing: settled_on"):
        _upload(batch, [], header="payout_reference,status,amount_minor,currency,failure_code")
    assert not PayoutResultFile.objects.exists()
    assert not any(tmp_path.rglob("*.csv"))


def test_a_large_file_is_applied_by_a_worker(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.PAYOUTS_RESULT_SYNC_BYTES = 10
    queued = []
    monkeypatch.setattr(
        "config.queueing.task_send", lambda name, kwargs, **options: queued.append((name, kwargs))
    )
    program = ProgramFactory.create(currency="KRW")
    batch, (first,) = released_batch(program, count=1)
    with django_capture_on_commit_callbacks(execute=True):
        result = _upload(batch, [_line(first)])
    assert result.status == PayoutResultFile.Status.CHECKING
    assert queued == [("payouts.result_apply", {"result_file_id": result.pk})]
    # What the worker does (and a second delivery of the task changes nothing).
    for _delivery in range(2):
        applied = result_file_apply(result_file_id=result.pk)
        assert applied is not None
        assert applied.status == PayoutResultFile.Status.APPLIED
    assert AuditEvent.objects.filter(action="payout.settle").count() == 1


def test_the_stored_file_is_the_upload_with_its_sha256(tmp_path):
    program = ProgramFactory.create(currency="KRW")
    batch, (first,) = released_batch(program, count=1)
    result = _upload(batch, [_line(first)])
    stored = tmp_path / "payouts" / "results" / result.storage_name
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == result.sha256
    assert stored.stat().st_mode & 0o777 == 0o600


def test_the_admin_upload_shows_the_errors_by_line_and_column(staff_client):
    program = ProgramFactory.create(currency="KRW")
    batch, (first, second) = released_batch(program, count=2)
    client = staff_client(PAYMENTS_OFFICER)
    url = reverse("admin:payouts_payoutresultfile_upload", args=[batch.pk])
    assert client.get(url).status_code == 200
    content = f"{HEADER}\r\n{_line(first)}\r\n{_line(second, currency='EUR')}\r\n".encode()

    response = client.post(url, {"file": SimpleUploadedFile("bank.csv", content)}, follow=True)

    result = PayoutResultFile.objects.get()
    assert result.status == PayoutResultFile.Status.REFUSED
    page = response.content.decode()
    assert 'id="result-errors"' in page
    assert "<td>currency</td>" in page
    assert "is “EUR”; the payout is in KRW" in page
    first.refresh_from_db()
    assert first.status == "released"


def test_the_admin_upload_needs_the_import_permission(staff_client):
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=1)
    client = staff_client("Program operator")
    url = reverse("admin:payouts_payoutresultfile_upload", args=[batch.pk])
    assert client.get(url).status_code == 403


def test_odd_amounts_and_dates_are_errors_not_crashes():
    program = ProgramFactory.create(currency="KRW")
    batch, payouts = released_batch(program, count=6)
    odd = [
        ("", "2026-13-01"),
        ("1e3", "0000-01-01"),
        ("99999999999999999999", "20260302"),
        ("-5", ""),
        (" 10000 ", "2026-02-29"),  # 2026 is not a leap year
        ("60000", "2099-01-01"),
    ]
    lines = [_line(p, amount=a, day=d) for p, (a, d) in zip(payouts, odd, strict=True)]
    result = _upload(batch, lines)
    assert result.status == PayoutResultFile.Status.REFUSED
    found = {(e["line"], e["column"]) for e in result.errors}
    assert found == {
        (2, "amount_minor"),
        (2, "settled_on"),
        (3, "amount_minor"),
        (3, "settled_on"),
        (4, "amount_minor"),
        (4, "settled_on"),
        (5, "amount_minor"),
        (5, "settled_on"),
        (6, "amount_minor"),
        (6, "settled_on"),  # 10,000 is the first payout's, not this one's
        (7, "settled_on"),  # the right amount; the day is in the future
    }


@pytest.mark.django_db(transaction=True)
def test_the_sweep_applies_a_file_left_checking_but_not_one_being_applied(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    """A file left `checking` (its message lost, its worker killed, the request that applied
    it died) is queued again by beat's sweep once stale; one whose apply holds its row now is
    not queued a second time."""
    settings.PAYOUTS_RESULT_SYNC_BYTES = 10
    queued: list[tuple[str, dict]] = []

    def send(name, kwargs, **options):
        queued.append((name, kwargs))
        return True

    monkeypatch.setattr("config.queueing.task_send", send)
    program = ProgramFactory.create(currency="KRW")
    with transaction.atomic():  # the helper locks rows as the services do
        batch, (first, second) = released_batch(program, count=2)
    left = _upload(batch, [_line(first)])
    busy = _upload(batch, [_line(second)])
    queued.clear()  # the upload's own message: lost
    assert payout_batches_redispatch() == {}  # not stale yet
    PayoutResultFile.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))

    held, release = threading.Event(), threading.Event()

    def apply_in_progress():
        with transaction.atomic():
            PayoutResultFile.objects.select_for_update().get(pk=busy.pk)
            held.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=apply_in_progress)
    worker.start()
    try:
        assert held.wait(10)
        assert payout_batches_redispatch() == {batch.pk: "results"}
        assert queued == [("payouts.result_apply", {"result_file_id": left.pk})]
    finally:
        release.set()
        worker.join()
    applied = result_file_apply(result_file_id=left.pk)
    assert applied is not None
    assert applied.status == PayoutResultFile.Status.APPLIED


def test_after_the_first_result_the_batch_page_no_longer_offers_the_bank_file(staff_client):
    program = ProgramFactory.create(currency="KRW")
    batch, (first, second) = released_batch(program, count=2)
    client = staff_client(PAYMENTS_OFFICER)
    page = reverse("admin:payouts_payoutbatch_change", args=[batch.pk])
    download = reverse("admin:payouts_payoutbatch_download", args=[batch.pk])
    assert "The bank file is being prepared" in client.get(page).text
    assert download not in client.get(page).text
    payout_batch_dispatch(batch_id=batch.pk)  # what the worker does once released: the digest
    assert download in client.get(page).text
    _upload(batch, [_line(first), _line(second, "failed", "AC01")])
    shown = client.get(page).text
    assert download not in shown  # a second copy could reach the bank and pay twice
    assert "the bank file is no longer offered" in shown
    assert client.get(download).status_code == 302  # back to the batch, saying why
