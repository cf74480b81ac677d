"""The claimant's payment choice (issue 13): given while filing, kept only encrypted (never in
the database in plain text, the session or the logs), changed on the claim's payment page
until the payment is released, and told truthfully on the claim's page at each step."""

import datetime as dt
import json
import logging

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from claims.models import Claim, ClaimDocument
from claims.services.intake import payout_account_fingerprint
from compensation.hashing import email_hash
from compensation.models import Award
from notifications.models import Notice
from payouts.crypto import details_decrypt
from payouts.models import Payout, PayoutInstruction
from payouts.services.batches import payout_batch_create, payout_batch_release
from tests.claims.conftest import claimant_session, pdf
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT = "1234-5678-9012"
DIGITS = "123456789012"
HOLDER = "Gildong Hongtester"
KB = "004"


def _details_url(program, claim_type):
    return reverse("claims:details", args=[program.slug, claim_type.code])


def _bank(bank=KB, account=ACCOUNT, holder=HOLDER):
    return {
        "payout_method": "bank_transfer",
        "bank_code": bank,
        "account_number": account,
        "holder": holder,
    }


def _session_text(client) -> str:
    """Everything the claimant's session holds, decoded, as one string."""
    return json.dumps(dict(client.session), default=str)


def _sign_in(client, person, language="en"):
    claimant_session(client, person=person, email=person.email)
    client.cookies["django_language"] = language


def _file(client, program, claim_type, payment, *, steps=None):
    """Details, summary, send: the claim filed through the views. `steps` collects the
    session after each one."""
    response = client.post(
        _details_url(program, claim_type), {"amount": "45000", "doc_receipt": pdf(), **payment}
    )
    assert response.status_code == 302, response.context["form"].errors
    review_url = response["Location"]
    if steps is not None:
        steps.append(_session_text(client))
    summary = client.get(review_url)
    if steps is not None:
        steps.append(_session_text(client))
    sent = client.post(review_url)
    assert sent.status_code == 302
    if steps is not None:
        steps.append(_session_text(client))
    return summary, Claim.objects.get(idempotency_key=review_url.rstrip("/").rsplit("/", 1)[-1])


def _rows_containing(needle: str) -> list[str]:
    """Every text, JSON and binary column of every table that holds `needle`, plus the decoded
    session data: 'table.column' for each hit."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name, c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'character varying', 'character', 'bytea', 'json',
                                  'jsonb', 'ARRAY')
            """
        )
        columns = cursor.fetchall()
        hits = []
        for table, column, data_type in columns:
            if data_type == "bytea":
                condition = f"position(convert_to(%s, 'UTF8') in \"{column}\") > 0"
            else:
                condition = f"\"{column}\"::text LIKE '%%' || %s || '%%'"
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE {condition}', [needle])
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    assert len(columns) > 100  # the search saw the whole schema
    for session in Session.objects.all():
        if needle in json.dumps(SessionStore().decode(session.session_data), default=str):
            hits.append(f"django_session {session.session_key} (decoded)")
    return hits


def test_filing_with_a_bank_account_keeps_it_encrypted_and_nowhere_in_plain_text(
    client, program, documented, person, caplog
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # Django's own loggers stop at INFO
    _sign_in(client, person)
    steps: list[str] = []
    with CaptureQueriesContext(connection) as queries:  # every statement's SQL is logged too
        page = client.get(_details_url(program, documented))
        assert 'name="account_number"' in page.text
        assert "KB Kookmin Bank" in page.text
        summary, claim = _file(client, program, documented, _bank(), steps=steps)
        status_page = client.get(reverse("claims:status", args=[program.slug, claim.reference]))

    assert "Bank transfer, KB Kookmin Bank ****9012" in summary.text
    instruction = PayoutInstruction.objects.get(claim_reference=claim.reference)
    assert instruction.program_id == program.pk
    assert instruction.draft_key is None
    assert instruction.notify_email == person.email
    assert (instruction.method, instruction.bank_code, instruction.masked) == (
        "bank_transfer",
        KB,
        "****9012",
    )
    assert details_decrypt(bytes(instruction.details_encrypted or b"")) == {
        "account_number": DIGITS,
        "holder": HOLDER,
    }
    # The shared-account signal still works, from the keyed hash the draft carried.
    assert bytes(claim.payout_hash or b"") == payout_account_fingerprint(
        currency="KRW", method="bank_transfer", bank_code=KB, fields={"account_number": DIGITS}
    )
    assert claim.status == Claim.Status.APPROVED
    assert "KB Kookmin Bank ****9012" in status_page.text
    assert AuditEvent.objects.filter(action="payout.instruction_set").count() == 1

    # The search finds what is there: a text column, a binary one, the decoded session.
    assert "payouts_payoutinstruction.claim_reference" in _rows_containing(claim.reference)
    token = bytes(instruction.details_encrypted or b"").decode()[:40]
    assert _rows_containing(token) == ["payouts_payoutinstruction.details_encrypted"]
    digest = email_hash(person.email)
    assert digest is not None
    assert any("(decoded)" in hit for hit in _rows_containing(digest.hex()))
    for secret in (DIGITS, ACCOUNT, "12345678", HOLDER):
        assert _rows_containing(secret) == [], secret
        assert not any(secret in step for step in steps), secret
        assert secret not in caplog.text
        assert not any(secret in str(record.args) for record in caplog.records)
        assert not any(secret in query["sql"] for query in queries.captured_queries)
    assert any("payouts_payoutinstruction" in q["sql"] for q in queries.captured_queries)
    assert any(r.name == "django.db.backends" for r in caplog.records)  # the SQL was logged


@pytest.mark.parametrize(
    ("payment", "field", "message"),
    [
        (_bank(bank="999"), "bank_code", "Choose your bank from the list."),
        (_bank(account="1234-5678"), "account_number", "this one has 8."),
        (_bank(account="1234-5678-901X"), "account_number", "digits only"),
        (_bank(holder=" "), "holder", "Enter the account holder"),
        (_bank(account=""), "account_number", "Enter your account number."),
    ],
)
def test_wrong_bank_or_account_is_shown_on_its_field_and_nothing_is_kept(
    client, program, documented, person, payment, field, message
):
    _sign_in(client, person)
    response = client.post(
        _details_url(program, documented), {"amount": "45000", "doc_receipt": pdf(), **payment}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert message in response.text.replace("&#x27;", "'")
    assert PayoutInstruction.objects.count() == 0
    assert ClaimDocument.objects.count() == 0
    assert "claims_drafts" not in client.session


def test_the_payment_choice_is_asked_for_every_claim_type(client, program, person):
    from compensation.models import ClaimType
    from tests.factories import ClaimTypeFactory

    fixed = ClaimTypeFactory(program=program, calculation=ClaimType.Calculation.FIXED)
    _sign_in(client, person)
    page = client.get(_details_url(program, fixed)).text
    assert 'name="payout_method"' in page
    assert 'name="payout_account"' not in page


def test_tell_you_later_files_without_a_choice_and_the_claim_page_asks_for_one(
    client, program, documented, person
):
    _sign_in(client, person)
    # A bank choice first, then the form again with "later": the old choice is not used.
    response = client.post(
        _details_url(program, documented), {"amount": "45000", "doc_receipt": pdf(), **_bank()}
    )
    assert response.status_code == 302
    summary, claim = _file(client, program, documented, {"payout_method": "later"})
    assert "You will tell us later" in summary.text
    assert not PayoutInstruction.objects.filter(claim_reference=claim.reference).exists()
    assert claim.payout_hash is None
    page = client.get(reverse("claims:status", args=[program.slug, claim.reference])).text
    assert "Tell us how you want to be paid" in page
    assert reverse("claims:payment", args=[program.slug, claim.reference]) in page


def _approved_with_bank(client, program, documented, person):
    _sign_in(client, person)
    _summary, claim = _file(client, program, documented, _bank())
    assert claim.status == Claim.Status.APPROVED
    assert Award.objects.filter(claim_reference=claim.reference).exists()
    return claim


def _payment_url(program, claim):
    return reverse("claims:payment", args=[program.slug, claim.reference])


def _status(client, program, claim, language="en") -> str:
    url = reverse("claims:status", args=[program.slug, claim.reference])
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).text


def test_the_payment_page_changes_the_choice_and_takes_a_batched_payout_out(
    client, program, documented, person
):
    claim = _approved_with_bank(client, program, documented, person)
    batch = payout_batch_create(
        program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
    )
    payout = Payout.objects.get(batch=batch)
    assert payout.status == Payout.Status.BATCHED
    page = _status(client, program, claim)
    assert "How we will pay you: Bank transfer, KB Kookmin Bank ****9012." in page
    assert _payment_url(program, claim) in page  # still changeable

    form = client.get(_payment_url(program, claim))
    assert form.status_code == 200
    assert "KB Kookmin Bank ****9012" in form.text
    assert DIGITS not in form.text
    response = client.post(
        _payment_url(program, claim), _bank(bank="088", account="110-123-456789")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:status", args=[program.slug, claim.reference])
    payout.refresh_from_db()
    assert payout.status == Payout.Status.CANCELLED
    instruction = PayoutInstruction.objects.get(claim_reference=claim.reference)
    assert (instruction.bank_code, instruction.masked) == ("088", "****6789")
    assert "Shinhan Bank ****6789" in _status(client, program, claim)
    assert _rows_containing("110123456789") == []
    # The shared-account signal follows the new account; the history says it changed.
    claim.refresh_from_db()
    assert bytes(claim.payout_hash or b"") == payout_account_fingerprint(
        currency="KRW",
        method="bank_transfer",
        bank_code="088",
        fields={"account_number": "110-123-456789"},
    )
    assert claim.events.filter(kind="payment_changed", note="bank_transfer ****6789").exists()


def test_a_wrong_account_on_the_payment_page_is_shown_on_its_field(
    client, program, documented, person
):
    claim = _approved_with_bank(client, program, documented, person)
    response = client.post(_payment_url(program, claim), _bank(bank="088", account="12"))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["account_number"]
    assert PayoutInstruction.objects.get(claim_reference=claim.reference).bank_code == KB


def _release(program):
    builder, releaser = UserFactory.create(), UserFactory.create()
    batch = payout_batch_create(
        program=program, method="bank_transfer", actor=builder, build_now=True
    )
    return payout_batch_release(batch=batch, actor=releaser)


def test_once_released_the_payment_page_refuses_a_change(client, program, documented, person):
    claim = _approved_with_bank(client, program, documented, person)
    _release(program)
    page = _status(client, program, claim)
    assert "Payment scheduled: Bank transfer, KB Kookmin Bank ****9012." in page
    assert _payment_url(program, claim) not in page
    form = client.get(_payment_url(program, claim))
    assert form.status_code == 200
    assert "the details can no longer change" in form.text
    assert 'name="account_number"' not in form.text
    before = PayoutInstruction.objects.get(claim_reference=claim.reference).updated_at
    response = client.post(_payment_url(program, claim), _bank(bank="088", account="11012345678"))
    assert response.status_code == 409
    assert "the details can no longer change" in response.text
    instruction = PayoutInstruction.objects.get(claim_reference=claim.reference)
    assert (instruction.bank_code, instruction.updated_at) == (KB, before)
    assert Payout.objects.get().status == Payout.Status.RELEASED


def test_another_claimant_gets_404_on_the_payment_page(client, program, documented, person):
    from tests.factories import ClaimantPersonFactory

    claim = _approved_with_bank(client, program, documented, person)
    other = ClaimantPersonFactory(program=program, email="other@example.com")
    claimant_session(client, person=other, email=other.email)
    assert client.get(_payment_url(program, claim)).status_code == 404
    assert client.post(_payment_url(program, claim), _bank(bank="088")).status_code == 404
    assert PayoutInstruction.objects.get(claim_reference=claim.reference).bank_code == KB
    client.logout()
    assert client.get(_payment_url(program, claim)).status_code == 302  # to the sign-in


def _settle(claim, status: str) -> Payout:
    """What the settle service leaves: the payout settled, a failed one's choice on hold."""
    payout = Payout.objects.get(award__claim_reference=claim.reference)
    settled_at = dt.datetime(2026, 3, 14, 10, 0, tzinfo=timezone.get_current_timezone())
    Payout.objects.filter(pk=payout.pk).update(status=status, settled_at=settled_at)
    if status != "paid":
        PayoutInstruction.objects.filter(pk=payout.instruction_id).update(hold_code=status)
    return payout


# What the claim's page says at each step, in each language.
WORDING = {
    "chosen": {
        "en": "How we will pay you: Bank transfer, KB Kookmin Bank ****9012.",
        "ko": "지급 방법: 계좌 이체, KB국민은행 ****9012.",
        "zh-hans": "我们的付款方式：银行转账，KB国民银行 ****9012。",
    },
    "scheduled": {
        "en": "Payment scheduled: Bank transfer, KB Kookmin Bank ****9012.",
        "ko": "지급 예정: 계좌 이체, KB국민은행 ****9012.",
        "zh-hans": "付款已安排：银行转账，KB国民银行 ****9012。",
    },
    "paid": {
        "en": "Paid on 14 March 2026: ₩45,000 (Bank transfer, KB Kookmin Bank ****9012).",
        "ko": "2026년 3월 14일 지급: 45,000원 (계좌 이체, KB국민은행 ****9012).",
        "zh-hans": "已于2026年3月14日付款：₩45,000（银行转账，KB国民银行 ****9012）。",
    },
    "failed": {
        "en": "The payment did not go through (Bank transfer, KB Kookmin Bank ****9012).",
        "ko": "지급이 처리되지 않았습니다(계좌 이체, KB국민은행 ****9012).",
        "zh-hans": "付款未能完成（银行转账，KB国民银行 ****9012）。",
    },
    "returned": {
        "en": "The bank sent the payment back (Bank transfer, KB Kookmin Bank ****9012).",
        "ko": "은행이 보상금을 돌려보냈습니다(계좌 이체, KB국민은행 ****9012).",
        "zh-hans": "银行退回了这笔付款（银行转账，KB国民银行 ****9012）。",
    },
}
FIX = {"en": "Correct my payment details", "ko": "지급 정보 고치기", "zh-hans": "更正我的收款信息"}


@pytest.mark.parametrize("language", ["en", "ko", "zh-hans"])
def test_the_claim_page_tells_each_payment_step_in_the_claimants_language(
    client, program, documented, person, language
):
    claim = _approved_with_bank(client, program, documented, person)
    payment_link = _payment_url(program, claim)

    def page() -> str:
        return client.get(
            reverse("claims:status", args=[program.slug, claim.reference]),
            HTTP_ACCEPT_LANGUAGE=language,
        ).text

    client.cookies["django_language"] = language
    text = page()
    assert WORDING["chosen"][language] in text
    assert payment_link in text
    _release(program)
    text = page()
    assert WORDING["scheduled"][language] in text
    assert payment_link not in text
    _settle(claim, "paid")
    text = page()
    assert WORDING["paid"][language] in text
    assert payment_link not in text
    paid_page = client.get(payment_link, HTTP_ACCEPT_LANGUAGE=language).text
    assert WORDING["paid"][language] in paid_page
    assert 'name="payout_method"' not in paid_page
    assert 'id="payment-refused"' not in paid_page  # paid: nothing left to refuse
    assert 'id="payment-offline"' not in paid_page
    if language != "en":
        assert "Paid on" not in text
        assert "Bank transfer" not in text


@pytest.mark.parametrize("status", ["failed", "returned"])
@pytest.mark.parametrize("language", ["en", "ko", "zh-hans"])
def test_a_failed_payment_says_what_to_do_with_the_link(
    client, program, documented, person, language, status
):
    claim = _approved_with_bank(client, program, documented, person)
    _release(program)
    _settle(claim, status)
    client.cookies["django_language"] = language
    text = client.get(reverse("claims:status", args=[program.slug, claim.reference])).text
    assert WORDING[status][language] in text
    assert FIX[language] in text
    assert _payment_url(program, claim) in text
    # Corrected: the hold is cleared, and the page says how the next payment goes.
    response = client.post(_payment_url(program, claim), _bank(bank="088", account="11012345678"))
    assert response.status_code == 302
    text = client.get(reverse("claims:status", args=[program.slug, claim.reference])).text
    assert FIX[language] not in text
    assert "****5678" in text
    assert PayoutInstruction.objects.get(claim_reference=claim.reference).hold_code == ""


def test_a_pro_rata_claim_says_the_amount_comes_after_settlement(client, documented, person):
    from compensation.models import Program

    program = documented.program
    Program.objects.filter(pk=program.pk).update(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=10_000_000
    )
    program.refresh_from_db()
    _sign_in(client, person)
    _summary, claim = _file(client, program, documented, _bank())
    assert claim.status == Claim.Status.APPROVED
    assert claim.award_id is None
    text = _status(client, program, claim)
    assert "pay it after the fund is settled" in text
    assert "How we will pay you: Bank transfer, KB Kookmin Bank ****9012." in text


def test_the_failed_notice_links_to_the_payment_page():
    """payouts/notices.py builds fix_url as <site>/programs/<slug>/claims/<reference>/payment/."""
    from django.urls import resolve

    match = resolve("/programs/account-breach/claims/C-ABCD1234/payment/")
    assert match.view_name == "claims:payment"
    assert match.kwargs == {"slug": "account-breach", "reference": "C-ABCD1234"}


def test_an_account_credit_asks_for_the_customer_number_and_shows_it_masked(
    client, program, documented, person
):
    from payouts.models import PayoutOffer

    PayoutOffer.objects.create(program=program, methods=["account_credit", "bank_transfer"])
    _sign_in(client, person)
    page = client.get(_details_url(program, documented)).text
    assert page.index('value="account_credit"') < page.index('value="bank_transfer"')
    refused = client.post(
        _details_url(program, documented),
        {"amount": "45000", "doc_receipt": pdf(), "payout_method": "account_credit"},
    )
    assert list(refused.context["form"].errors) == ["customer_ref"]
    summary, claim = _file(
        client,
        program,
        documented,
        {"payout_method": "account_credit", "customer_ref": "CUST-77001234"},
    )
    assert "Credit to my account at the service, ****1234" in summary.text
    instruction = PayoutInstruction.objects.get(claim_reference=claim.reference)
    assert instruction.method == "account_credit"
    assert bytes(claim.payout_hash or b"") == payout_account_fingerprint(
        currency="KRW",
        method="account_credit",
        bank_code="",
        fields={"customer_ref": "CUST-77001234"},
    )
    assert _rows_containing("CUST-77001234") == []


def test_a_method_the_program_does_not_offer_is_refused(client, program, documented, person):
    _sign_in(client, person)
    response = client.post(
        _details_url(program, documented),
        {"amount": "45000", "doc_receipt": pdf(), "payout_method": "voucher"},
    )
    assert response.status_code == 200
    assert "payout_method" in response.context["form"].errors
    assert PayoutInstruction.objects.count() == 0


def test_a_voucher_is_offered_only_to_a_claimant_on_the_affected_list(
    client, program, documented, good_faith, person
):
    from payouts.models import PayoutOffer

    PayoutOffer.objects.create(program=program, methods=["bank_transfer", "voucher"])
    _sign_in(client, person)
    assert 'value="voucher"' in client.get(_details_url(program, documented)).text

    client.logout()
    claimant_session(client, person=None, email="buyer@example.com")
    page = client.get(_details_url(program, good_faith)).text
    assert 'value="bank_transfer"' in page
    assert 'value="voucher"' not in page
    refused = client.post(
        _details_url(program, good_faith),
        {"amount": "45000", "doc_proof_of_purchase": pdf(), "payout_method": "voucher"},
    )
    assert "payout_method" in refused.context["form"].errors
    assert PayoutInstruction.objects.count() == 0


def test_every_change_of_the_payment_choice_warns_the_claim_address_with_the_account_masked(
    client, program, documented, person
):
    """A stolen sign-in used to redirect the payment is seen by the account's owner: each
    change sends PAYMENT_CHANGED in the claimant's language, with the account masked and the
    link to the payment page."""
    _sign_in(client, person, "ko")
    _summary, claim = _file(client, program, documented, _bank())
    assert claim.language == "ko"
    assert not Notice.objects.filter(kind="payment_changed").exists()  # filing: acknowledged
    for account in ("110-123-456789", "110-123-456700"):
        response = client.post(_payment_url(program, claim), _bank(bank="088", account=account))
        assert response.status_code == 302
    warnings = list(Notice.objects.filter(kind="payment_changed").order_by("pk"))
    assert len(warnings) == 2
    last = warnings[-1]
    assert (last.language, last.to_address, last.person_id) == ("ko", person.email, person.pk)
    assert last.context["claim_reference"] == claim.reference
    assert last.context["method"].endswith("****6700")
    assert "신한" in last.context["method"]  # the bank's Korean name
    assert last.context["claim_url"].endswith(_payment_url(program, claim))
    assert last.context["changed_at"]
    assert _rows_containing("110123456700") == []  # nor in the notice
