"""Issue 18's loops in a browser: the information request's link opens the answer page after
signing in, and it answers; an operator opens a pool's settlement page and proposes it. Every
page has zero axe violations, in each language.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h5-<page>-<language>.png."""

import os
import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from accounts.roles import PROGRAM_OPERATOR
from audit.models import Proposal
from claims.models import Claim
from claims.services import claim_request_info
from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from compensation.models import Program
from notifications.services import notices_dispatch
from tests.claims.helpers import file_claim
from tests.e2e.flows import language_cookie, staff_signed_in
from tests.factories import ClaimantPersonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shoot(check_a11y):
    shots = os.environ.get("E2E_SHOTS")

    def check(page, name: str, language: str) -> None:
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/h5-{name}-{language}.png", full_page=True)

    return check


@pytest.fixture(autouse=True)
def _sender(settings, live_server):
    from notifications.services import sending
    from tests.support import notice_templates_seed

    settings.NOTIFICATIONS_SITE_URL = live_server.url
    settings.NOTIFICATIONS_RATE_PER_SECOND = {"email": 0, "sms": 0}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sending._floors.clear()
    sending._floors_reset_at.clear()
    notice_templates_seed()  # the flush emptied them


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_the_notices_link_opens_the_answer_page_and_it_answers(
    language, browser, live_server, e2e_program, receipt, shoot
):
    person = ClaimantPersonFactory.create(program=e2e_program, language=language)
    who = Claimant(person=person, email_hash=email_hash(person.email))
    documented = e2e_program.claim_types.get(code="documented-loss")
    claim, _ = file_claim(
        program=e2e_program, claim_type=documented, claimant=who, documents=(), amount=150_000
    )
    Claim.objects.filter(pk=claim.pk).update(language=language)
    claim.refresh_from_db()
    claim_request_info(
        claim=claim,
        message="Please send the receipt for the taxi to the bank.",
        document_kind="receipt",
        actor=UserFactory.create(role="Support agent"),
    )
    notices_dispatch(channel="email")
    # The notice carries the claimant's personal link (it opens the answer page signed in,
    # once); the code sign-in behind a used link is tests/e2e/test_personal_link_journey.py's.
    body = next(m.body for m in mail.outbox if "/go/" in m.body)
    link = next(u for u in re.findall(r"https?://\S+", str(body)) if "/go/" in u)

    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    language_cookie(context, live_server.url, language)
    page = context.new_page()
    page.goto(link)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/answer/$"))
    assert "receipt for the taxi" in page.content()
    shoot(page, "answer", language)

    page.fill("#id_answer", "Here is the receipt.")
    page.set_input_files("#id_document", str(receipt))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/claims/{claim.reference}/$"))
    shoot(page, "answered", language)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW
    context.close()


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_an_operator_reads_the_pools_settlement_page_and_proposes_it(
    language, browser, live_server, e2e_program, shoot
):
    Program.objects.filter(pk=e2e_program.pk).update(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=100_000
    )
    e2e_program.refresh_from_db()
    documented = e2e_program.claim_types.get(code="documented-loss")
    for i, amount in enumerate([40_000, 45_000, 35_000]):
        person = ClaimantPersonFactory.create(program=e2e_program)
        who = Claimant(person=person, email_hash=email_hash(person.email))
        file_claim(
            program=e2e_program, claim_type=documented, claimant=who, key=f"p{i}", amount=amount
        )
    context, page = staff_signed_in(
        browser, live_server.url, role=PROGRAM_OPERATOR, language=language
    )
    page.goto(f"{live_server.url}/admin/compensation/program/{e2e_program.pk}/change/")
    settle = reverse("admin:claims_pool_settle", args=[e2e_program.pk])
    page.locator(f"a[href='{settle}']").click()
    page.wait_for_url(re.compile(r"/pool/\d+/settle/$"))
    assert "0.833333" in page.content()
    shoot(page, "pool-settle", language)
    page.locator("input[type=submit].default").click()
    page.wait_for_url(re.compile(r"/admin/audit/proposal/\d+/change/"))
    shoot(page, "pool-proposed", language)
    assert Proposal.objects.filter(action="program.pool_settle").count() == 1
    context.close()
