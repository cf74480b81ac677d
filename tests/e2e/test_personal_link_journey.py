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
