"""The good-faith buyer's claim form in a browser (Banu): a number not on the frozen list gets
the specific answer on its field, the right one reaches the summary with only its last four.
Lifting a freeze: an operator selects two cards, gives the reason and lands on the proposal,
another approves, and a buyer who types a lifted number is told its freeze was lifted. Zero
axe violations on each page of ours, in each language.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h5-banu-<page>-<language>.png
(and unfreeze-<page>-<language>.png)."""

import os
import re
from pathlib import Path

import pytest

from accounts.models import User
from accounts.roles import PROGRAM_OPERATOR
from audit.models import Proposal
from audit.proposals import proposal_approve
from compensation.models import ClaimType
from instruments.models import CompromisedInstrument, PurchaseRoute
from payouts.methods import Method
from tests.e2e.flows import language_cookie, sign_in, staff_signed_in
from tests.factories import ClaimTypeFactory, ProgramFactory, UserFactory, published_policy
from tests.instruments.factories import card_number, frozen_cards
from tests.payouts.sending_support import offer

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER = {
    "en": "not on the program's list of frozen cards",
    "ko": "동결 카드 목록에 없습니다",
    "zh-hans": "不在本计划的冻结卡名单上",
}


@pytest.fixture
def shoot(check_a11y):
    shots = os.environ.get("E2E_SHOTS")

    def check(page, name: str, language: str) -> None:
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/h5-banu-{name}-{language}.png", full_page=True)

    return check


@pytest.fixture
def banu(transactional_db):
    program = ProgramFactory.create(
        name="Banu stored-value cards",
        name_i18n={"ko": "바누 충전식 카드", "zh-hans": "巴奴储值卡"},
        slug="banu-cards",
        currency="CNY",
        claim_pool_minor=None,
    )
    published_policy(program)
    offer(program, Method.ACCOUNT_CREDIT)
    claim_type = ClaimTypeFactory.create(
        program=program,
        code="good-faith-card",
        calculation=ClaimType.Calculation.PURCHASE_REFUND,
        required_documents=["proof_of_purchase"],
        requires_affected_record=False,
        cap_per_claim_minor=100_000,
        title={
            "en": "I bought a card that was frozen",
            "ko": "동결된 카드를 구매했습니다",
            "zh-hans": "我买到了被冻结的储值卡",
        },
        instructions={
            "en": "Enter the card's number and upload the proof of purchase.",
            "ko": "카드 번호를 입력하고 구매 증빙을 올려 주세요.",
            "zh-hans": "请输入卡号并上传购买凭证。",
        },
    )
    PurchaseRoute.objects.create(claim_type=claim_type, kind="card")
    frozen_cards(program, 50)
    return program


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_the_buyers_form_answers_a_number_off_the_list_and_takes_the_right_one(
    language, browser, live_server, banu, receipt, shoot
):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    language_cookie(context, live_server.url, language)
    page = context.new_page()
    sign_in(page, live_server.url, banu, f"buyer-{language}@example.com")
    page.goto(f"{live_server.url}/programs/{banu.slug}/claim/good-faith-card/")
    shoot(page, "form", language)

    page.fill("#id_instrument_number", "6299 1111 2222 3333")
    page.fill("#id_purchased_on", "2025-02-20")
    page.fill("#id_amount", "240.00")
    page.fill("#id_bought_where", "闲鱼 Idle Fish")
    page.fill("#id_seller_handle", "@cheapcards88")
    page.set_input_files("#id_doc_proof_of_purchase", str(receipt))
    page.check("input[value='account_credit']")
    page.fill("#id_customer_ref", "BANU-0042")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert ANSWER[language] in page.content()
    shoot(page, "not-on-list", language)

    page.fill("#id_instrument_number", card_number(17))
    page.set_input_files("#id_doc_proof_of_purchase", str(receipt))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/review/"))
    assert "0017" in page.locator("#purchase-number").inner_text()
    assert card_number(17) not in page.content()
    shoot(page, "summary", language)
    context.close()


CONFIRM = {
    "ko": "동결 해제를 제안합니다",
    "en": "Propose lifting the freeze",
    "zh-hans": "提议解除",
}
LIFTED = {
    "ko": "동결이 해제되었습니다",
    "en": "its freeze has since been lifted",
    "zh-hans": "已解除冻结",
}


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_an_operator_proposes_a_lift_another_approves_and_the_buyer_is_told(
    language,
    browser,
    live_server,
    banu,
    receipt,
    check_a11y,
):
    shots = os.environ.get("E2E_SHOTS")

    def check(page, name: str) -> None:
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/unfreeze-{name}-{language}.png", full_page=True)

    email = f"operator.{language}@example.com"
    context, page = staff_signed_in(
        browser, live_server.url, role=PROGRAM_OPERATOR, language=language, email=email
    )
    User.objects.filter(email=email).update(language=language)  # the staff pages follow it
    lifted = list(CompromisedInstrument.objects.filter(last4__in=["0017", "0018"]))
    page.goto(f"{live_server.url}/admin/instruments/compromisedinstrument/?q=001")
    for instrument in lifted:
        page.check(f"input.action-select[value='{instrument.pk}']")
    page.select_option("select[name=action]", "unfreeze_selected")
    page.locator("button[name=index]").click()
    page.wait_for_selector("#id_reason")
    assert CONFIRM[language] in page.content()
    check(page, "confirm")
    page.fill("#id_reason", "Issuer reissued these cards")
    page.locator("#content form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/audit/proposal/\d+/change/"))
    check(page, "proposal")
    context.close()

    proposal = Proposal.objects.get(action="instruments.unfreeze")
    proposal_approve(proposal=proposal, actor=UserFactory.create(role=PROGRAM_OPERATOR))
    assert CompromisedInstrument.objects.filter(frozen_at__isnull=True).count() == 2

    buyer = browser.new_context(viewport={"width": 1100, "height": 900})
    language_cookie(buyer, live_server.url, language)
    form = buyer.new_page()
    sign_in(form, live_server.url, banu, f"buyer-{language}@example.com")
    form.goto(f"{live_server.url}/programs/{banu.slug}/claim/good-faith-card/")
    form.fill("#id_instrument_number", card_number(17))
    form.fill("#id_purchased_on", "2025-02-20")
    form.fill("#id_amount", "240.00")
    form.fill("#id_bought_where", "Idle Fish")
    form.set_input_files("#id_doc_proof_of_purchase", str(receipt))
    form.check("input[value='account_credit']")
    form.fill("#id_customer_ref", "BANU-0042")
    form.locator("main form button[type=submit]").click()
    form.wait_for_load_state()
    assert LIFTED[language] in form.content()
    check(form, "buyer-answer")
    buyer.close()
