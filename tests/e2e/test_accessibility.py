"""Every claimant page, in each language, has zero axe violations; filing works (and is timed)
in each language; a file that lies about its type is refused in the browser."""

import re
import time

import pytest

from claims.models import Claim
from claims.services import claim_deny, claim_request_info
from tests.e2e.flows import file_documented, language_cookie, sign_in
from tests.factories import ClaimantPersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {"en": "Your claim", "ko": "내 청구", "zh-hans": "您的申请"}


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_every_claimant_page_is_accessible_in_each_language(
    language, browser, live_server, e2e_program, receipt, tmp_path, check_a11y
):
    base = live_server.url
    slug = e2e_program.slug
    person = ClaimantPersonFactory.create(program=e2e_program, language=language)
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    language_cookie(context, base, language)
    page = context.new_page()

    for path in ("/", "/verify/"):
        page.goto(base + path)
        check_a11y(page)
    page.fill("#id_reference", "ABCD-EFGH-JKMN-PQRS")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("main .notice.bad").count() == 1
    check_a11y(page)

    started = time.monotonic()
    sign_in(page, base, e2e_program, person.email, check=check_a11y)

    # A file that lies about its type is refused on the form, accessibly.
    page.locator("a[href$='/claim/documented-loss/']").click()
    fake = tmp_path / "lying.pdf"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    page.fill("#id_amount", "150000")
    page.set_input_files("#id_doc_receipt", str(fake))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#form-errors").count() == 1
    check_a11y(page)
    page.goto(f"{base}/programs/{slug}/claim/")

    reference = file_documented(page, "150000", receipt, check=check_a11y)
    print(f"\n[{language}] filing in the browser: {time.monotonic() - started:.1f}s")
    assert WORDS[language] in page.content()
    page.goto(f"{base}/programs/{slug}/claims/")
    check_a11y(page)

    claim = Claim.objects.get(reference=reference)
    agent = UserFactory.create(role="Support agent")
    claim_request_info(
        claim=claim, message="Please send the taxi receipt.", actor=agent, document_kind="receipt"
    )
    page.goto(f"{base}/programs/{slug}/claims/{reference}/")
    check_a11y(page)
    page.set_input_files("#id_document", str(receipt))
    page.locator("form[action$='/answer/'] button").click()
    page.wait_for_url(re.compile(rf"/claims/{reference}/$"))
    check_a11y(page)

    claim.refresh_from_db()
    claim_deny(claim=claim, reason_codes=["loss_not_shown"], actor=agent)
    page.goto(f"{base}/programs/{slug}/claims/{reference}/")
    check_a11y(page)
    page.locator(f"a[href$='/claims/{reference}/appeal/']").click()
    page.wait_for_url(re.compile(r"/appeal/$"))
    check_a11y(page)
    page.fill("#id_statement", "The receipt shows the taxi to the bank to change my card.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/claims/{reference}/$"))
    check_a11y(page)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPEALED
    context.close()


def test_a_burst_of_sign_in_requests_from_one_network_is_throttled(
    browser, live_server, e2e_program, settings
):
    settings.CLAIMS_THROTTLES = {**settings.CLAIMS_THROTTLES, "signin_network": (3, 3600)}
    page = browser.new_page()
    url = f"{live_server.url}/programs/{e2e_program.slug}/sign-in/"
    for i in range(4):
        page.goto(url)
        page.fill("#id_email", f"bot{i}@example.com")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
    assert "/sign-in/code/" not in page.url
    assert page.locator("#form-errors").count() == 1
    page.close()
