import hashlib

import pytest
from django.urls import reverse

import payouts.admin_files  # noqa: F401 (registers the pages until payouts/admin.py imports it)
from accounts.roles import PAYMENTS_OFFICER, PROGRAM_OPERATOR
from audit.models import AuditEvent
from payouts.models import PayoutBatch, PayoutInstruction
from payouts.services import bank_files
from payouts.services.bank_files import (
    bank_file_digest,
    bank_file_digest_record,
    bank_file_offered,
    bank_file_stream,
)
from tests.factories import ProgramFactory
from tests.payouts.released import released_batch
from tests.payouts.test_settle import settle

pytestmark = pytest.mark.django_db

HEADER = (
    b"payout_reference,bank_code,account_number,account_holder,amount_minor,currency,"
    b"claim_reference\r\n"
)


def _content(batch) -> bytes:
    return b"".join(bank_file_stream(batch))


def test_the_file_has_a_line_per_payout_in_id_order_with_the_decrypted_details():
    program = ProgramFactory.create(currency="KRW")
    batch, payouts = released_batch(program, count=2, holder="Kim Minji, Jr.")
    claims = dict(PayoutInstruction.objects.values_list("pk", "claim_reference"))

    content = _content(batch)

    expected = HEADER + b"".join(
        f'{p.reference},004,123456789012,"Kim Minji, Jr.",{p.amount_minor},KRW,'
        f"{claims[p.instruction_id]}\r\n".encode()
        for p in payouts
    )
    assert content == expected


def test_the_stream_reads_in_chunks_and_is_the_same_bytes_each_time(monkeypatch):
    monkeypatch.setattr(bank_files, "STREAM_CHUNK", 2)
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=5)
    chunks = list(bank_file_stream(batch))
    assert len(chunks) == 1 + 3  # the header, then 2 + 2 + 1 lines
    assert b"".join(chunks) == _content(batch)
    assert _content(batch).count(b"\r\n") == 6


def test_formula_cells_are_neutralised():
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=1, holder='=HYPERLINK("http://x")')
    line = _content(batch).split(b"\r\n")[1]
    assert b"'=HYPERLINK" in line
    assert b',"=HYPERLINK' not in line


def test_the_digest_is_recorded_once_with_an_audit_row():
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=3)

    recorded = bank_file_digest_record(batch_id=batch.pk)

    assert recorded is not None
    assert recorded.file_sha256 == hashlib.sha256(_content(batch)).hexdigest()
    assert recorded.file_lines == 3
    assert recorded.exported_at is not None
    audit = AuditEvent.objects.get(action="payout.bank_file_digest")
    assert audit.after == {"sha256": recorded.file_sha256, "lines": 3}
    # Again (a retried dispatch): nothing written twice.
    again = bank_file_digest_record(batch_id=batch.pk)
    assert again is not None
    assert again.exported_at == recorded.exported_at
    assert AuditEvent.objects.filter(action="payout.bank_file_digest").count() == 1


def test_no_digest_for_a_batch_not_released():
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=1)
    PayoutBatch.objects.filter(pk=batch.pk).update(status=PayoutBatch.Status.SETTLED)
    assert bank_file_digest_record(batch_id=batch.pk) is None
    batch.refresh_from_db()
    assert batch.file_sha256 == ""


def test_the_account_never_reaches_the_audit_trail():
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=1, account_number="987654321098")
    bank_file_digest_record(batch_id=batch.pk)
    for event in AuditEvent.objects.all():
        assert "987654321098" not in str(event.after) + str(event.before)


def _officer(staff_client):
    return staff_client(PAYMENTS_OFFICER)


def test_a_download_is_byte_identical_each_time_matches_the_digest_and_is_audited(staff_client):
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=4)
    recorded = bank_file_digest_record(batch_id=batch.pk)
    assert recorded is not None
    client = _officer(staff_client)
    url = reverse("admin:payouts_payoutbatch_download", args=[batch.pk])

    first = client.get(url)
    first_bytes = b"".join(first.streaming_content)
    second_bytes = b"".join(client.get(url).streaming_content)

    assert first.status_code == 200
    assert first["Content-Type"] == "text/csv; charset=utf-8"
    assert first_bytes == second_bytes
    assert hashlib.sha256(first_bytes).hexdigest() == recorded.file_sha256
    downloads = AuditEvent.objects.filter(action="payout.bank_file_download")
    assert downloads.count() == 2
    for event in downloads:
        assert event.actor_label == f"user:{client.user.pk}"
        assert event.object_id == str(batch.pk)
        assert event.after is not None
        assert event.after["sha256"] == recorded.file_sha256
        assert event.after["matches_recorded"] is True


def test_a_download_needs_the_export_permission(staff_client):
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=1)
    bank_file_digest_record(batch_id=batch.pk)
    client = staff_client(PROGRAM_OPERATOR)
    response = client.get(reverse("admin:payouts_payoutbatch_download", args=[batch.pk]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="payout.bank_file_download").exists()


def test_the_file_is_no_longer_offered_once_a_result_came_back(staff_client):
    program = ProgramFactory.create(currency="KRW")
    batch, (first, _second) = released_batch(program, count=2)
    bank_file_digest_record(batch_id=batch.pk)
    batch.refresh_from_db()
    assert bank_file_offered(batch)

    settle(batch, [(first.pk, "failed", "AC01")])

    assert not bank_file_offered(batch)
    client = _officer(staff_client)
    response = client.get(reverse("admin:payouts_payoutbatch_download", args=[batch.pk]))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="payout.bank_file_download").exists()


def test_the_digest_counts_lines_not_bytes():
    program = ProgramFactory.create(currency="KRW")
    batch, _payouts = released_batch(program, count=2, holder="Lee\r\nSeo")
    digest = bank_file_digest(batch)
    # A holder's line break is quoted inside its cell: still two payout lines, one CRLF each.
    assert digest.lines == 2
