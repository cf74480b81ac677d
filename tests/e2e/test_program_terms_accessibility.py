"""The program page with its published terms (texts, contact, questions, the dated list of
what changed) and "Am I covered?" for a signed-in person: zero axe violations in each
language.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h6-program-<language>.png."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from compensation.hashing import email_hash
from compensation.models import ProgramTermsText
from compensation.services.terms import program_terms_draft, program_terms_publish
from demo.terms_seed import terms_seed
from tests.e2e.flows import language_cookie
from tests.factories import ClaimantPersonFactory

pytestmark = pytest.mark.django_db(transaction=True)

CHANGES = {
    "ko": "상품권 사용 방법을 더 자세히 설명했습니다.",
    "en": "How to use the vouchers, explained in more detail.",
    "zh-hans": "更详细地说明了代金券的使用方法。",
}


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_the_program_page_is_accessible_in_each_language(
    live_server, browser, check_a11y, e2e_program, language
):
    terms_seed(e2e_program)
    draft = program_terms_draft(program=e2e_program, actor=None)
    for code, summary in CHANGES.items():
        ProgramTermsText.objects.filter(terms=draft, language=code).update(change_summary=summary)
    program_terms_publish(terms=draft, actor=None)
    person = ClaimantPersonFactory.create(program=e2e_program, email="terms@example.com")
    session = SessionStore()
    session["claimant_person_id"] = person.pk
    digest = email_hash(person.email)
    assert digest is not None
    session["claimant_email_hash"] = digest.hex()
    session.create()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
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
    page.goto(f"{live_server.url}/programs/{e2e_program.slug}/")
    assert page.locator("h1").count() == 1
    assert page.locator("#am-i-covered").count() == 1
    assert page.locator(".changes li").count() == 2
    assert CHANGES[language] in page.locator(".changes").inner_text()
    check_a11y(page)
    shots = os.environ.get("E2E_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/h6-program-{language}.png", full_page=True)
    context.close()
