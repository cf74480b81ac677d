"""The person's own page has zero axe violations in each language."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from compensation.hashing import email_hash
from tests.e2e.flows import language_cookie
from tests.factories import ClaimantPersonFactory, ClaimFactory, ClaimTypeFactory
from tests.vouchers.conftest import run_issue, voucher_program_make

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_me_is_accessible_in_each_language(live_server, browser, check_a11y, monkeypatch, language):
    monkeypatch.setattr("vouchers.services.runs.voucher_batch_dispatch", lambda **kw: None)
    program = voucher_program_make(name="Coupang 2025", account_statuses=["active"])
    person = ClaimantPersonFactory.create(program=program, email="me@example.com")
    run_issue(program)
    ClaimFactory.create(
        program=program, person=person, claim_type=ClaimTypeFactory.create(program=program)
    )
    closed = voucher_program_make(name="Closed accounts", account_statuses=["active"])
    ClaimantPersonFactory.create(program=closed, email="me@example.com", account_status="closed")
    session = SessionStore()
    session["claimant_person_id"] = person.pk
    digest = email_hash("me@example.com")
    assert digest is not None
    session["claimant_email_hash"] = digest.hex()
    session.create()
    context = browser.new_context()
    language_cookie(context, live_server.url, language)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/me/")
    assert page.locator("h1").count() == 1
    check_a11y(page)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/code/")
    check_a11y(page)
    context.close()
