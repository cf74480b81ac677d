"""Issue 13's journey end to end, through the pages each person uses: two claimants file
with a bank account and are approved; an operator builds a batch in the admin; a payments
officer (not the builder) releases it, downloads the bank file and uploads the bank's result
file; one claimant's page then says paid, the other's payment failed: they are told by a
notice whose link opens their payment page, correct the account, and a second batch pays
them. Workers' steps are called as the worker would (build, dispatch)."""

import csv
import hashlib
import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.roles import PAYMENTS_OFFICER, PROGRAM_OPERATOR
from claims.models import Claim
from compensation.models import Award
from notifications.models import Notice
from notifications.services import notices_dispatch
from payouts.models import Payout, PayoutBatch
from payouts.services.batches import payout_batch_build
from payouts.services.sending import payout_batch_dispatch
from tests.claims.conftest import claimant_session, pdf
from tests.conftest import otp_login
from tests.factories import ClaimantPersonFactory, UserFactory
from tests.support import notice_templates_seed

pytestmark = pytest.mark.django_db


def _claimant(program, email: str) -> Client:
    person = ClaimantPersonFactory(program=program, email=email, language="en")
    client = Client()
    claimant_session(client, person=person, email=email)
    client.cookies["django_language"] = "en"
    return client


def _file(client, program, claim_type, bank_code: str, account: str) -> Claim:
    details = reverse("claims:details", args=[program.slug, claim_type.code])
    answer = client.post(
        details,
        {
            "amount": "45000",
            "doc_receipt": pdf(),
            "payout_method": "bank_transfer",
            "bank_code": bank_code,
            "account_number": account,
            "holder": "Hong Gildong",
        },
    )
    assert answer.status_code == 302, answer.context["form"].errors
    assert client.post(answer["Location"]).status_code == 302
    claim = Claim.objects.get(idempotency_key=answer["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert claim.status == Claim.Status.APPROVED
    return claim


def _staff(role: str) -> Client:
    client = Client()
    client.user = UserFactory.create(role=role)  # type: ignore[attr-defined]
    return otp_login(client, client.user)  # type: ignore[attr-defined]


def _build_and_release(program, operator: Client, officer: Client, count: int) -> PayoutBatch:
    build = reverse("admin:payouts_payoutbatch_build")
    selection = {"program": program.pk, "method": "bank_transfer"}
    preview = operator.post(build, {**selection, "preview": "1"})
    assert preview.context["preview"]["count"] == count
    seen = preview.context["preview"]
    created = operator.post(
        build,
        {
            **selection,
            "confirm": "1",
            "seen_count": str(seen["count"]),
            "seen_total": str(seen["total_minor"]),
        },
    )
    assert created.status_code == 302, created.content[:2000]
    batch = PayoutBatch.objects.latest("created_at")
    payout_batch_build(batch_id=batch.pk)  # the worker
    refused = operator.post(reverse("admin:payouts_payoutbatch_release", args=[batch.pk]))
    assert refused.status_code in (302, 403)
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.BUILT  # the builder could not release it
    officer.post(reverse("admin:payouts_payoutbatch_release", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.RELEASED
    assert batch.released_by == officer.user  # type: ignore[attr-defined]
    payout_batch_dispatch(batch_id=batch.pk)  # the worker: the file's digest
    return batch


def _bank_file(officer: Client, batch: PayoutBatch) -> list[dict]:
    response = officer.get(reverse("admin:payouts_payoutbatch_download", args=[batch.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    batch.refresh_from_db()
    assert hashlib.sha256(content).hexdigest() == batch.file_sha256
    return list(csv.DictReader(io.StringIO(content.decode())))


def _result(officer: Client, batch: PayoutBatch, lines: list[str]) -> None:
    body = "payout_reference,status,amount_minor,currency,failure_code,settled_on\r\n"
    body += "".join(f"{line}\r\n" for line in lines)
    url = reverse("admin:payouts_payoutresultfile_upload", args=[batch.pk])
    officer.post(url, {"file": SimpleUploadedFile("result.csv", body.encode())})


def _status(client, program, claim) -> str:
    return client.get(reverse("claims:status", args=[program.slug, claim.reference])).text


def test_from_filing_to_paid_and_a_failed_payment_corrected_and_paid_again(
    program, documented, settings
):
    settings.NOTIFICATIONS_SITE_URL = "https://compensation.example.com"
    notice_templates_seed()
    minji = _claimant(program, "minji@example.com")
    jun = _claimant(program, "jun@example.com")
    paid_claim = _file(minji, program, documented, "004", "1234-5678-9012")
    failed_claim = _file(jun, program, documented, "088", "110-123-456788")
    operator, officer = _staff(PROGRAM_OPERATOR), _staff(PAYMENTS_OFFICER)

    batch = _build_and_release(program, operator, officer, count=2)
    assert "Payment scheduled" in _status(minji, program, paid_claim)
    lines = {row["claim_reference"]: row for row in _bank_file(officer, batch)}
    assert lines[paid_claim.reference]["account_number"] == "123456789012"
    assert lines[failed_claim.reference]["bank_code"] == "088"
    first = lines[paid_claim.reference]["payout_reference"]
    second = lines[failed_claim.reference]["payout_reference"]
    _result(
        officer,
        batch,
        [
            f"{first},paid,45000,KRW,,2026-03-14",
            f"{second},failed,45000,KRW,account_closed,2026-03-14",
        ],
    )

    page = _status(minji, program, paid_claim)
    assert "Paid on 14 March 2026: ₩45,000" in page
    assert Award.objects.get(claim_reference=paid_claim.reference).status == "delivered"
    assert "The payment did not go through" in _status(jun, program, failed_claim)

    # The failed notice, sent as the worker sends it: its link opens the claimant's payment
    # page, where they correct the account.
    assert Notice.objects.filter(kind="payout_failed", to_address="jun@example.com").count() == 1
    mail.outbox.clear()
    while notices_dispatch(channel="email"):
        pass
    (failed_mail,) = [
        m for m in mail.outbox if m.to == ["jun@example.com"] and "/payment/" in m.body
    ]
    fix_url = re.search(r"https://compensation\.example\.com(/\S+/payment/)", str(failed_mail.body))
    assert fix_url is not None, failed_mail.body
    path = fix_url.group(1)
    assert path == reverse("claims:payment", args=[program.slug, failed_claim.reference])
    assert jun.get(path).status_code == 200
    corrected = jun.post(
        path,
        {
            "payout_method": "bank_transfer",
            "bank_code": "088",
            "account_number": "110-123-456789",
            "holder": "Hong Gildong",
        },
    )
    assert corrected.status_code == 302

    again = _build_and_release(program, operator, officer, count=1)
    (line,) = _bank_file(officer, again)
    assert (line["claim_reference"], line["account_number"]) == (
        failed_claim.reference,
        "110123456789",
    )
    _result(officer, again, [f"{line['payout_reference']},paid,45000,KRW,,2026-03-21"])
    assert "Paid on 21 March 2026: ₩45,000" in _status(jun, program, failed_claim)
    assert set(Award.objects.values_list("status", flat=True)) == {"delivered"}
    # Two payouts for the corrected claim, one failed and one paid: never two live at once.
    assert sorted(
        Payout.objects.filter(award__claim_reference=failed_claim.reference).values_list(
            "status", flat=True
        )
    ) == ["failed", "paid"]
