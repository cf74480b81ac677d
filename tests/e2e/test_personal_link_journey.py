"""From a notice's personal link to the acknowledgement of a documented claim, in each
language: the screens counted (at most 5) and the time printed, each screen checked with axe
and, with E2E_SHOTS=<folder>, photographed."""

import os
import re
import time
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from claims.models import Claim, PersonalLink
from claims.services.personal_links import personal_link_send
from notifications.services import notices_dispatch
from tests.e2e.flows import language_cookie
from tests.factories import ClaimantPersonFactory

pytestmark = pytest.mark.django_db(transaction=True)

MAX_SCREENS = 5


@pytest.fixture(autouse=True)
def _templates(transactional_db):
    from tests.support import notice_templates_seed

    notice_templates_seed()  # the flush emptied them


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_from_the_personal_link_to_the_acknowledgement_in_five_screens(
    language, browser, live_server, e2e_program, receipt, check_a11y, settings
):
    settings.NOTIFICATIONS_SITE_URL = live_server.url
    shots = os.environ.get("E2E_SHOTS")
    # The program's name in each language, as an operator enters it.
    e2e_program.name_i18n = {"ko": "계정 정보 유출 보상", "zh-hans": "账户信息泄露补偿"}
    e2e_program.save(update_fields=["name_i18n"])
    person = ClaimantPersonFactory.create(
        program=e2e_program, email=f"link-{language}@example.com", language=language
    )
    personal_link_send(
        program=e2e_program,
        person=person,
        channel="email",
        next_path=reverse("claims:start", args=[e2e_program.slug]),
    )
    notices_dispatch(channel="email", priority_lane=True)
    body = str(mail.outbox[-1].body)
    link = next(u for u in re.findall(r"https?://\S+", body) if "/go/" in u)

    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    language_cookie(context, live_server.url, language)
    page = context.new_page()
    screens: list[str] = []

    def screen(name: str) -> None:
        screens.append(name)
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/h7-{len(screens)}-{name}-{language}.png", full_page=True)

    started = time.monotonic()
    page.goto(link)
    screen("personal-link")
    page.locator("#continue").click()
    page.wait_for_url(re.compile(r"/claim/$"))
    screen("choose-claim")
    page.locator("a[href$='/claim/documented-loss/']").click()
    page.wait_for_url(re.compile(r"/claim/documented-loss/$"))
    screen("details")
    page.fill("#id_amount", "150000")
    page.set_input_files("#id_doc_receipt", str(receipt))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/review/"))
    screen("review")
    page.locator("#submit-claim").click()
    page.wait_for_url(re.compile(r"/claims/C-"))
    screen("acknowledgement")
    seconds = time.monotonic() - started

    reference = page.locator("#claim-reference").inner_text().strip()
    claim = Claim.objects.get(reference=reference)
    assert claim.person == person
    assert PersonalLink.objects.get().used_at is not None
    print(
        f"\n[{language}] personal link to acknowledgement: {len(screens)} screens "
        f"({', '.join(screens)}), {seconds:.1f}s in the browser"
    )
    assert len(screens) <= MAX_SCREENS

    # Once used, the same link opens the code sign-in with the reason, in the language.
    other = browser.new_context()
    language_cookie(other, live_server.url, language)
    again = other.new_page()
    again.goto(link)
    assert again.locator("#link-message").count() == 1
    assert again.locator("#id_email").count() == 1
    check_a11y(again)
    if shots:
        again.screenshot(path=f"{shots}/h7-6-link-used-{language}.png", full_page=True)
    # From there, by SMS instead: the phone page and the code page, in the language.
    again.locator("#by-sms").click()
    again.wait_for_url(re.compile(r"by=sms"))
    check_a11y(again)
    if shots:
        again.screenshot(path=f"{shots}/h7-7-sms-sign-in-{language}.png", full_page=True)
    again.fill("#id_phone", "010-2345-6789")
    again.locator("main form button[type=submit]").click()
    again.wait_for_url(re.compile(r"/sign-in/code/"))
    check_a11y(again)
    if shots:
        again.screenshot(path=f"{shots}/h7-8-sms-code-{language}.png", full_page=True)
    other.close()
    context.close()


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_from_the_information_requests_link_to_the_answer_sent(
    language, browser, live_server, e2e_program, receipt, check_a11y, settings
):
    """The notice a reviewer's request sends carries the personal link: it opens the answer
    page signed in, and the answer is sent in three screens."""
    from django.contrib.auth.models import Permission

    from claims.services import claim_request_info
    from compensation.claimant_session import Claimant
    from compensation.hashing import email_hash
    from tests.claims.helpers import file_claim
    from tests.factories import UserFactory

    settings.NOTIFICATIONS_SITE_URL = live_server.url
    shots = os.environ.get("E2E_SHOTS")
    person = ClaimantPersonFactory.create(
        program=e2e_program, email=f"asked-{language}@example.com", language=language
    )
    claim, _ = file_claim(
        program=e2e_program,
        claim_type=e2e_program.claim_types.get(code="documented-loss"),
        claimant=Claimant(person=person, email_hash=email_hash(person.email)),
        documents=(),
    )
    Claim.objects.filter(pk=claim.pk).update(language=language)
    claim.refresh_from_db()
    agent = UserFactory.create()
    agent.user_permissions.add(
        Permission.objects.get(content_type__app_label="claims", codename="change_claim")
    )
    claim_request_info(
        claim=claim,
        message="Please send the receipt for the taxi.",
        document_kind="receipt",
        days=14,
        actor=agent,
    )
    notices_dispatch(channel="email")
    (body,) = [str(m.body) for m in mail.outbox if claim.reference in str(m.body)][-1:]
    link = next(u for u in re.findall(r"https?://\S+", body) if "/go/" in u)

    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    language_cookie(context, live_server.url, language)
    page = context.new_page()
    screens: list[str] = []

    def screen(name: str) -> None:
        screens.append(name)
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=f"{shots}/h18-{len(screens)}-{name}-{language}.png", full_page=True
            )

    started = time.monotonic()
    page.goto(link)
    screen("personal-link")
    page.locator("#continue").click()
    page.wait_for_url(re.compile(r"/answer/$"))
    screen("answer")
    page.fill("#id_answer", "Here is the taxi receipt.")
    page.set_input_files("#id_document", str(receipt))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/claims/{claim.reference}/$"))
    screen("status")
    seconds = time.monotonic() - started

    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW
    assert claim.documents.filter(purpose="info").count() == 1
    assert PersonalLink.objects.get().used_at is not None
    print(
        f"\n[{language}] information request's link to the answer sent: {len(screens)} "
        f"screens ({', '.join(screens)}), {seconds:.1f}s in the browser"
    )
    assert len(screens) <= 3

    # Opened again (a second tap, a forwarded message), it falls back to the code sign-in,
    # which comes back to the answer page.
    other = browser.new_context()
    language_cookie(other, live_server.url, language)
    again = other.new_page()
    again.goto(link)
    assert again.locator("#link-message").count() == 1
    assert again.locator("#id_email").count() == 1
    path = reverse("claims:answer", args=[e2e_program.slug, claim.reference])
    assert again.locator("main input[name=next]").first.get_attribute("value") == path
    check_a11y(again)
    if shots:
        again.screenshot(path=f"{shots}/h18-4-link-used-{language}.png", full_page=True)
    other.close()
    context.close()
