"""The payment pages in a browser, in each language: the details step with the bank form (and
a refused account number), the summary, the claim's page at each payment step (chosen,
scheduled, paid, failed) and the payment page, each with zero axe violations.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h3-<page>-<language>.png."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from claims.models import Claim
from compensation.engine.money import money_format
from compensation.hashing import email_hash
from payouts.models import Payout, PayoutInstruction
from payouts.services.batches import payout_batch_create, payout_batch_release
from tests.e2e.flows import language_cookie
from tests.factories import ClaimantPersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BANK_NAMES = {"en": "KB Kookmin Bank", "ko": "KB국민은행", "zh-hans": "KB国民银行"}


def _signed_in_context(browser, base_url: str, person, language: str):
    session = SessionStore()
    session["claimant_person_id"] = person.pk
    digest = email_hash(person.email)
    assert digest is not None
    session["claimant_email_hash"] = digest.hex()
    session["claims_contact_email"] = person.email
    session.create()
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    language_cookie(context, base_url, language)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}]
    )
    return context


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_the_payment_pages_are_accessible_and_speak_each_language(
    language, browser, live_server, e2e_program, receipt, check_a11y
):
    shots = os.environ.get("E2E_SHOTS")

    def check(page, name: str) -> None:
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/h3-{name}-{language}.png", full_page=True)

    base = live_server.url
    slug = e2e_program.slug
    person = ClaimantPersonFactory.create(program=e2e_program, language=language)
    context = _signed_in_context(browser, base, person, language)
    page = context.new_page()

    page.goto(f"{base}/programs/{slug}/claim/documented-loss/")
    assert not page.locator("#id_account_number").is_visible()  # no method chosen yet
    page.fill("#id_amount", "45000")
    page.set_input_files("#id_doc_receipt", str(receipt))
    page.locator("input[name=payout_method][value=bank_transfer]").check()
    assert page.locator("#id_account_number").is_visible()
    assert not page.locator("#id_customer_ref").is_visible()  # another method's details
    page.select_option("#id_bank_code", "004")
    assert BANK_NAMES[language] in page.locator("#id_bank_code").inner_text()
    page.fill("#id_account_number", "1234-5678-9012")
    page.fill("#id_holder", "Kim Minji")
    check(page, "details")
    page.fill("#id_account_number", "1234-5678")  # too short for this bank
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#id_account_number_error").count() == 1
    check(page, "details-error")

    page.set_input_files("#id_doc_receipt", str(receipt))
    page.fill("#id_account_number", "1234-5678-9012")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/review/"))
    assert f"{BANK_NAMES[language]} ****9012" in page.locator("#payment-choice").inner_text()
    check(page, "review")
    page.locator("#submit-claim").click()
    page.wait_for_url(re.compile(r"/claims/C-"))
    reference = page.locator("#claim-reference").inner_text().strip()
    claim = Claim.objects.get(reference=reference)
    assert claim.status == Claim.Status.APPROVED
    check(page, "status-chosen")

    page.locator(f"a[href$='/claims/{reference}/payment/']").first.click()
    page.wait_for_url(re.compile(r"/payment/$"))
    check(page, "payment")

    builder, releaser = UserFactory.create(), UserFactory.create()
    batch = payout_batch_create(
        program=e2e_program, method="bank_transfer", actor=builder, build_now=True
    )
    payout_batch_release(batch=batch, actor=releaser)
    page.goto(f"{base}/programs/{slug}/claims/{reference}/")
    assert page.locator("#payout-state").get_attribute("data-state") == "scheduled"
    check(page, "status-scheduled")
    page.goto(f"{base}/programs/{slug}/claims/{reference}/payment/")
    assert page.locator("#payment-refused").count() == 1
    check(page, "payment-locked")

    payout = Payout.objects.get(batch=batch)
    settled_at = dt.datetime(2026, 3, 14, 10, 0, tzinfo=timezone.get_current_timezone())
    Payout.objects.filter(pk=payout.pk).update(status="failed", settled_at=settled_at)
    PayoutInstruction.objects.filter(pk=payout.instruction_id).update(hold_code="failed")
    page.goto(f"{base}/programs/{slug}/claims/{reference}/")
    assert page.locator("#payout-state").get_attribute("data-state") == "failed"
    check(page, "status-failed")
    page.goto(f"{base}/programs/{slug}/claims/{reference}/payment/")
    check(page, "payment-failed")

    Payout.objects.filter(pk=payout.pk).update(status="paid")
    page.goto(f"{base}/programs/{slug}/claims/{reference}/")
    state = page.locator("#payout-state")
    assert state.get_attribute("data-state") == "paid"
    assert money_format(45_000, "KRW", language) in state.inner_text()
    check(page, "status-paid")
    page.goto(f"{base}/me/")
    check(page, "me")
    context.close()
