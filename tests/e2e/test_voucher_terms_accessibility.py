"""A voucher's terms on the person's page and the wallet: read before use, 0 axe violations
in each language (screenshots in E2E_SHOTS when set)."""

import os

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from compensation.engine.money import money_format
from compensation.hashing import email_hash
from compensation.models import AwardLine
from tests.e2e.flows import language_cookie
from tests.factories import ClaimantPersonFactory
from tests.vouchers.conftest import run_issue, voucher_program_make
from tests.vouchers.helpers import code_of
from vouchers.models import Voucher
from vouchers.services.keys import service_key_create
from vouchers.services.redemption import voucher_redeem

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_voucher_terms_are_readable_and_accessible_in_each_language(
    live_server, browser, check_a11y, monkeypatch, language
):
    monkeypatch.setattr("vouchers.services.runs.voucher_batch_dispatch", lambda **kw: None)
    program = voucher_program_make(name="Coupang 2025", account_statuses=["active"])
    AwardLine.objects.filter(program=program, code="eats").update(
        redemption_mode="partial",
        bound_to_account=True,
        excluded_categories=["gift_card"],
        excluded_categories_text={
            "ko": "상품권 구매",
            "en": "buying gift cards",
            "zh-hans": "购买礼品卡",
        },
    )
    AwardLine.objects.filter(program=program, code="travel").update(
        min_order_minor=50_000, min_order_by_segment={"member": 0}
    )
    person = ClaimantPersonFactory.create(
        program=program, email="me@example.com", segment="guest", external_id="A-1001"
    )
    run_issue(program)
    eats = Voucher.objects.get(person=person, service_scope="eats")
    key, _raw = service_key_create(name="Eats", service_scope="eats", actor_label="test")
    answer = voucher_redeem(
        service_key=key,
        code=code_of(eats),
        order_reference="E-1",
        customer_ref="A-1001",
        order_amount_minor=1_200,
    )
    assert answer.status == 201
    session = SessionStore()
    session["claimant_person_id"] = person.pk
    digest = email_hash("me@example.com")
    assert digest is not None
    session["claimant_email_hash"] = digest.hex()
    session.create()
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
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
    shots = os.environ.get("E2E_SHOTS")
    for path in ("/me/", "/wallet/"):
        page.goto(f"{live_server.url}{path}")
        text = page.locator("main").inner_text()
        assert money_format(3_800, "KRW", language) in text  # what is left of the eats voucher
        assert "gift_card" not in text  # the codes are for services, not for people
        assert (
            money_format(50_000, "KRW", language) in text
        )  # the travel line's minimum for a guest
        check_a11y(page)
        if shots:
            name = path.strip("/") or "root"
            page.screenshot(path=f"{shots}/{name}-{language}.png", full_page=True)
    context.close()
