"""In a real browser, the strict Content-Security-Policy breaks nothing and is broken by nothing:
a claimant's pages (the review page's script included) and the staff case page (its canned
response picker) run with no violation reported."""

import re

import pytest
from django_otp.plugins.otp_static.models import StaticDevice

from claims.models import Claim
from tests.e2e.flows import file_documented, language_cookie, sign_in
from tests.factories import CannedResponseFactory, ClaimantPersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Playwright's init scripts are not subject to the page's policy: this one records every
# violation the page reports, beside the browser's own console messages.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def _watched_page(context):
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.console_messages_seen = []
    page.on(
        "console",
        lambda message: (
            page.console_messages_seen.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return page


def _assert_no_violation(page) -> None:
    assert page.evaluate("window.__cspViolations") == [], page.url
    assert page.console_messages_seen == [], page.url


def test_claimant_pages_and_the_staff_case_page_report_no_csp_violation(
    browser, live_server, e2e_program, receipt
):
    person = ClaimantPersonFactory.create(
        program=e2e_program, email="jiwoo@example.com", language="en"
    )
    context = browser.new_context()
    language_cookie(context, live_server.url, "en")
    page = _watched_page(context)
    response = page.goto(f"{live_server.url}/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    _assert_no_violation(page)
    sign_in(page, live_server.url, e2e_program, person.email, check=_assert_no_violation)
    # The review page's double-click guard is a script file: the double click files one claim.
    reference = file_documented(page, "150000", receipt, check=_assert_no_violation)
    assert Claim.objects.count() == 1
    # The stylesheet is a file and applies: the skip link sits off-screen until focused.
    assert page.evaluate("getComputedStyle(document.querySelector('.skip')).left") == "-999px"

    CannedResponseFactory.create(
        code="receipt", language="en", title="Ask for a receipt", body="Please send a receipt."
    )
    reviewer = UserFactory.create(role="Senior reviewer", email="reviewer@example.com")
    device = StaticDevice.objects.create(user=reviewer, name="backup")
    device.token_set.create(token="k7m2q9x4")
    staff = _watched_page(browser.new_context())
    staff.goto(f"{live_server.url}/admin/")
    _assert_no_violation(staff)
    staff.fill("#id_username", reviewer.email)
    staff.fill("#id_password", "correct horse battery")
    staff.fill("#id_otp_token", "k7m2q9x4")
    staff.locator("input[type=submit]").click()
    staff.wait_for_url(re.compile(r"/admin/$"))
    _assert_no_violation(staff)
    staff.goto(f"{live_server.url}/admin/claims/claim/{Claim.objects.get().pk}/change/")
    assert reference in staff.content()
    # The canned response picker works without its old inline handler.
    staff.select_option("#canned", label="Ask for a receipt")
    assert staff.input_value("#info-message") == "Please send a receipt."
    _assert_no_violation(staff)


def test_the_api_docs_page_renders_under_its_policy(browser, live_server):
    page = _watched_page(browser.new_context())
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Breach compensation API" in page.locator(".swagger-ui .info .title").inner_text()
    _assert_no_violation(page)
