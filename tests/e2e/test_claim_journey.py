"""A claimant files a documented claim from the program page to the acknowledgement; a
reviewer signs in with a second factor and approves it; the claimant sees the decision."""

import re
import time

import pytest
from django_otp.plugins.otp_static.models import StaticDevice

from claims.models import Claim
from compensation.models import Award
from notifications.models import Notice
from tests.e2e.flows import file_documented, language_cookie, sign_in
from tests.factories import ClaimantPersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_claimant_files_reviewer_approves_claimant_sees_the_decision(
    browser, live_server, e2e_program, receipt, check_a11y
):
    person = ClaimantPersonFactory.create(
        program=e2e_program, email="jiwoo@example.com", language="en"
    )
    context = browser.new_context()
    language_cookie(context, live_server.url, "en")
    page = context.new_page()

    started = time.monotonic()
    sign_in(page, live_server.url, e2e_program, person.email, check=check_a11y)
    reference = file_documented(page, "150000", receipt, check=check_a11y)
    filing_seconds = time.monotonic() - started
    print(f"\nfiling in the browser (sign-in to acknowledgement): {filing_seconds:.1f}s")

    claim = Claim.objects.get(reference=reference)
    assert Claim.objects.count() == 1  # the double click filed one claim
    assert claim.status == Claim.Status.SUBMITTED  # above the automatic line: a person decides
    assert Notice.objects.filter(kind="claim_acknowledged", to_address=person.email).exists()
    page.goto(f"{live_server.url}/programs/{e2e_program.slug}/claims/")
    check_a11y(page)

    # The reviewer: password and a one-time backup code.
    reviewer = UserFactory.create(role="Senior reviewer", email="reviewer@example.com")
    device = StaticDevice.objects.create(user=reviewer, name="backup")
    device.token_set.create(token="k7m2q9x4")
    staff = browser.new_context().new_page()
    staff.goto(f"{live_server.url}/admin/")
    staff.fill("#id_username", reviewer.email)
    staff.fill("#id_password", "correct horse battery")
    staff.fill("#id_otp_token", "k7m2q9x4")
    staff.locator("input[type=submit]").click()
    staff.wait_for_url(re.compile(r"/admin/$"))
    staff.goto(f"{live_server.url}/admin/claims/claim/?status__exact=submitted")
    staff.get_by_role("link", name=reference).click()
    staff.wait_for_url(re.compile(r"/admin/claims/claim/\d+/change/"))
    assert "Matched" in staff.content()
    assert staff.input_value("#amount") == "150000"
    staff.locator("#approve-button").click()
    staff.wait_for_load_state()
    assert f"Claim {reference} is approved for ₩150,000; the claimant is told." in (staff.content())

    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert claim.decided_by == reviewer
    assert Award.objects.get(claim_reference=reference).amount_minor == 150_000
    assert Notice.objects.filter(kind="decision", to_address=person.email).exists()

    page.goto(f"{live_server.url}/programs/{e2e_program.slug}/claims/{reference}/")
    assert "150,000" in page.locator("#decision-heading + p").inner_text()
    check_a11y(page)
    page.get_by_label("Satisfied", exact=True).check()
    page.locator("form[action$='/feedback/'] button").click()
    page.wait_for_load_state()
    claim.refresh_from_db()
    assert claim.feedback_rating == 4
    check_a11y(page)
