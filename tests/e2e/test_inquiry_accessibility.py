"""Inquiries in a browser, in Korean, English and Chinese: a person who cannot sign in asks
from the program page, a signed-in claimant asks from /me/, each sees the confirmation with
the reference; an agent works the queue, answers with a standard reply, opens an inquiry for
a caller from the person's page, and writes to a claimant about a claim. Every page has zero
axe violations.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h3-<page>-<language>.png."""

import os
import re
from pathlib import Path

import pytest

from support.models import Inquiry
from tests.desk.conftest import person_make
from tests.e2e.flows import language_cookie, sign_in, staff_signed_in
from tests.factories import CannedResponseFactory, ClaimFactory

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = {
    "en": "When can I use my vouchers?",
    "ko": "상품권은 언제부터 쓸 수 있나요?",
    "zh-hans": "代金券什么时候可以使用？",
}


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_people_ask_and_an_agent_answers(language, browser, live_server, e2e_program, check_a11y):
    shots = os.environ.get("E2E_SHOTS")

    def check(page, name: str) -> None:
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/h3-{name}-{language}.png", full_page=True)

    base = live_server.url
    program = e2e_program
    person = person_make(
        program,
        name="김민지",
        email="minji.kim@example.com",
        phone="010-2345-6789",
        language=language,
    )
    CannedResponseFactory.create(
        code="voucher-start",
        language=language,
        purpose="inquiry",
        title={"en": "Voucher start date", "ko": "상품권 사용 시작일", "zh-hans": "代金券开始日期"}[
            language
        ],
        body={
            "en": "Your vouchers can be used from January 15.",
            "ko": "상품권은 1월 15일부터 사용하실 수 있습니다.",
            "zh-hans": "代金券自1月15日起可以使用。",
        }[language],
    )

    # Someone who cannot sign in asks from the program's page.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    language_cookie(context, base, language)
    page = context.new_page()
    page.goto(f"{base}/programs/{program.slug}/")
    page.locator(f"a[href='/programs/{program.slug}/ask/']").click()
    page.wait_for_url(re.compile(r"/ask/$"))
    check(page, "ask-anonymous")
    page.select_option("#id_category", "eligibility")
    page.fill("#id_body", QUESTION[language])
    page.locator("input[name=contact_channel][value=sms]").check()
    page.fill("#id_contact", "010-9876-5432")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ask/sent/Q-"))
    anonymous = Inquiry.objects.get(person__isnull=True)
    assert anonymous.reference in page.locator("main").inner_text()
    check(page, "ask-sent")
    context.close()

    # A claimant signs in and asks from their page.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    language_cookie(context, base, language)
    page = context.new_page()
    sign_in(page, base, program, person.email)
    page.goto(f"{base}/me/")
    page.locator(f"a[href='/programs/{program.slug}/ask/']").click()
    page.wait_for_url(re.compile(r"/ask/$"))
    assert page.locator("#id_contact").count() == 0  # answered at the address they signed in with
    check(page, "ask-signed-in")
    page.select_option("#id_category", "voucher")
    page.fill("#id_body", QUESTION[language])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ask/sent/Q-"))
    context.close()
    inquiry = Inquiry.objects.get(person=person)

    # An agent works the queue and answers with the standard reply.
    context, page = staff_signed_in(base_url=base, browser=browser, role="Support agent",
                                    language=language)  # fmt: skip
    page.goto(f"{base}/admin/support/inquiry/")
    assert page.locator("#result_list tbody tr").count() == 2
    check(page, "queue")
    page.get_by_role("link", name=inquiry.reference).click()
    page.wait_for_url(re.compile(rf"/admin/support/inquiry/{inquiry.pk}/$"))
    check(page, "inquiry")
    page.select_option("#id_canned", "voucher-start")
    assert "1" in page.input_value("#id_body")  # the standard reply's text, ready to edit
    page.locator("#h-reply ~ form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/admin/support/inquiry/{inquiry.pk}/$"))
    assert page.locator(".messagelist .success").count() == 1
    check(page, "inquiry-answered")

    # From the person's page: open an inquiry for a caller.
    page.goto(f"{base}/admin/support/person/{person.pk}/")
    page.locator(f"a[href='/admin/support/inquiry/open/{person.pk}/']").click()
    page.wait_for_url(re.compile(r"/inquiry/open/"))
    check(page, "inquiry-open")
    page.fill("#id_body", QUESTION[language])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/support/inquiry/\d+/$"))

    # Write to a claimant about their claim.
    claim = ClaimFactory.create(program=program, person=person, language=language)
    page.goto(f"{base}/admin/support/inquiry/claim/{claim.pk}/message/")
    check(page, "claim-message")
    page.fill("#id_text", QUESTION[language])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/admin/claims/claim/{claim.pk}/"))
    context.close()
