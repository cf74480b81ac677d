"""The desk's journey in a browser, in the staff member's own language (their setting wins
over the browser's): an agent signed in with a second factor finds a person by phone, opens
their page and files a time-spent claim for them by phone; the claimant is acknowledged by
email; the person signs in, asks a question from /me/ and is told its reference and when the
answer comes (and gets that by email); the agent answers it from the inquiry queue with a
standard reply in Korean, which arrives by email; the filing agent cannot approve the claim; a
senior reviewer works it from the queue; an operator reads the dashboard and an issuance run.
Every page has zero axe violations, and a Korean or Chinese staff page shows no English word
but the data's own (names, addresses, references, units).

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h4-<page>-<language>.png."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from claims.models import Claim
from compensation.models import ClaimType
from notifications.models import Notice
from notifications.services import notices_dispatch
from support.models import Inquiry
from tests.desk.conftest import person_make
from tests.e2e.flows import language_cookie, sign_in, staff_signed_in
from tests.factories import CannedResponseFactory, ClaimTypeFactory
from tests.support import notice_templates_seed
from vouchers.models import VoucherBatch

pytestmark = pytest.mark.django_db(transaction=True)

# A word of each language the pages must show (the admin's own "Log out", translated).
LOG_OUT = {"ko": "로그아웃", "en": "Log out", "zh-hans": "注销"}

ANSWER = "상품권은 1월 15일부터 모든 서비스에서 사용하실 수 있습니다."

# What a Korean or Chinese staff page may show in Latin letters: the data's own words (the
# person's region and segment codes), units, file formats, and the search box's example of a
# voucher's four letters. Addresses and references are taken out before the words are counted.
DATA_WORDS = {"KRW", "PDF", "JPEG", "PNG", "CSV", "SHA", "application", "pdf", "seoul",
              "member", "ABCD"}  # fmt: skip
_NOT_WORDS = re.compile(
    r"\S*@[\w.-]+"  # an address, masked or not
    r"|\b[A-Z]{1,2}-[0-9A-Z-]{6,}"  # a claim or inquiry reference
    r"|\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}\b"  # a notice reference
    r"|\bCU\d+"  # an account id
    r"|\bSHA-256 [0-9a-f]+"  # a document's checksum
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"  # an award's id
)


def english_left(page) -> set[str]:
    """The Latin words of the page's breadcrumbs, content and buttons that are not data."""
    text = (
        page.locator(".breadcrumbs").all_inner_texts() + page.locator("#content").all_inner_texts()
    )
    text += [b.get_attribute("value") or "" for b in page.locator("input[type=submit]").all()]
    words = set(re.findall(r"[A-Za-z]{3,}", _NOT_WORDS.sub(" ", " ".join(text))))
    return words - DATA_WORDS


def _signed_in(browser, base_url, role: str, language: str, name: str):
    """Signed in with the browser asking for English; the staff member's setting decides."""
    context, page = staff_signed_in(browser, base_url, role=role, language="en", full_name=name)
    User.objects.filter(full_name=name).update(language=language)
    page.reload()
    return context, page


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_an_agent_files_a_time_spent_claim_by_phone_in_their_language(
    language, browser, live_server, e2e_program, check_a11y, receipt, monkeypatch
):
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    shots = os.environ.get("E2E_SHOTS")
    notice_templates_seed()  # a transactional test's flush emptied them

    untranslated: dict[str, set[str]] = {}  # page -> its English words, reported at the end

    def check(page, name: str) -> None:
        check_a11y(page)
        assert LOG_OUT[language] in page.content(), (name, page.url)
        if language != "en" and (words := english_left(page)):
            untranslated[name] = words
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/h4-{name}-{language}.png", full_page=True)

    ClaimTypeFactory.create(
        program=e2e_program,
        code="time-spent",
        calculation=ClaimType.Calculation.TIME_SPENT,
        hourly_rate_minor=20_000,
        max_hours_documented=Decimal("10"),
        max_hours_undocumented=Decimal("10"),
        cap_per_claim_minor=None,
        required_documents=["time_log"],
        title={"en": "Time spent", "ko": "피해 대응에 쓴 시간", "zh-hans": "处理所花的时间"},
    )
    # A Korean program's operators name it, and its incident, in Korean and Chinese.
    e2e_program.name_i18n = {"ko": "계정 정보 유출 보상", "zh-hans": "账户信息泄露补偿"}
    e2e_program.save(update_fields=["name_i18n"])
    e2e_program.incident.__class__.objects.filter(pk=e2e_program.incident_id).update(
        title="계정 정보 유출 사고"
    )
    CannedResponseFactory.create(
        code="voucher-start", language="ko", purpose="inquiry", title="상품권 사용 시작일",
        body=ANSWER,
    )  # fmt: skip
    person = person_make(
        e2e_program,
        external_id="CU00012345",
        name="김민지",
        email="minji.kim@example.com",
        phone="010-2345-6789",
        language="ko",
        data_categories=["name", "email", "phone", "address"],
    )

    context, page = _signed_in(browser, live_server.url, "Support agent", language, "이지은")
    check(page, "index")
    page.goto(f"{live_server.url}/admin/support/person/")
    page.fill("#id_q", "010 2345 6789")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#people tbody tr").count() == 1
    check(page, "search-results")
    page.locator("#people tbody tr").first.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/admin/support/person/{person.pk}/$"))
    check(page, "person")
    page.locator("#file-claim").click()
    page.wait_for_url(re.compile(rf"/admin/support/person/{person.pk}/file/$"))
    check(page, "file-types")
    page.locator("#claim-types a[href$='/file/time-spent/']").click()
    page.wait_for_url(re.compile(r"/file/time-spent/$"))
    check(page, "file-form")
    page.locator("input[name=channel][value=phone]").check()
    page.fill("#id_hours", "2.5")
    page.set_input_files("#id_doc_time_log", str(receipt))
    page.locator("#assisted-claim button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/admin/support/person/{person.pk}/$"))
    claim = Claim.objects.get(person=person)
    assert (claim.channel, claim.hours_claimed) == ("phone", Decimal("2.5"))
    assert claim.filed_by is not None
    assert claim.filed_by.full_name == "이지은"
    assert claim.reference in page.locator(".messagelist .success").inner_text()
    check(page, "person-filed")
    ack = Notice.objects.get(kind="claim_acknowledged", person=person)
    assert (ack.to_address, ack.language) == ("minji.kim@example.com", "ko")
    # The outbox's worker sends it (the browser tests run none): it arrives by email.
    mail.outbox.clear()
    assert notices_dispatch(channel="email") == 1
    (acknowledged,) = mail.outbox
    assert claim.reference in acknowledged.subject
    assert acknowledged.to == ["minji.kim@example.com"]

    # The person signs in, asks from /me/ and reads its reference and when the answer comes.
    person_context = browser.new_context(viewport={"width": 1280, "height": 900})
    language_cookie(person_context, live_server.url, "ko")
    person_page = person_context.new_page()
    sign_in(person_page, live_server.url, e2e_program, person.email)
    person_page.goto(f"{live_server.url}/me/")
    person_page.locator(f"a[href='/programs/{e2e_program.slug}/ask/']").click()
    person_page.wait_for_url(re.compile(r"/ask/$"))
    person_page.select_option("#id_category", "voucher")
    person_page.fill("#id_body", "상품권은 언제부터 쓸 수 있나요?")
    person_page.locator("main form button[type=submit]").click()
    person_page.wait_for_url(re.compile(r"/ask/sent/Q-"))
    check_a11y(person_page)
    inquiry = Inquiry.objects.get(person=person)
    received = Notice.objects.get(kind="inquiry_received", person=person)
    assert person_page.locator("#inquiry-reference").inner_text() == inquiry.reference
    assert person_page.locator("#notice-reference").inner_text() == received.reference_display
    assert "48시간" in person_page.locator("#next-steps").inner_text()
    if shots:
        person_page.screenshot(path=f"{shots}/h4-inquiry-sent-ko.png", full_page=True)
    person_context.close()

    # The agent answers it from the inquiry queue with the standard reply in Korean.
    page.goto(f"{live_server.url}/admin/support/inquiry/")
    check(page, "inquiries")
    page.get_by_role("link", name=inquiry.reference).click()
    page.wait_for_url(re.compile(rf"/admin/support/inquiry/{inquiry.pk}/$"))
    check(page, "inquiry")
    page.select_option("#id_canned", "voucher-start")
    assert page.input_value("#id_body") == ANSWER
    page.locator("#h-reply ~ form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/admin/support/inquiry/{inquiry.pk}/$"))
    assert inquiry.reference in page.locator(".messagelist .success").inner_text()
    check(page, "inquiry-answered")
    mail.outbox.clear()
    assert notices_dispatch(channel="email") == 2  # the acknowledgement and the answer
    by_kind = {
        notice.kind: notice
        for notice in Notice.objects.filter(person=person, kind__startswith="inquiry_")
    }
    assert {n.status for n in by_kind.values()} == {Notice.Status.SENT}
    messages = {m.subject: m for m in mail.outbox}
    assert all(m.to == ["minji.kim@example.com"] for m in mail.outbox)
    (answer,) = [m for subject, m in messages.items() if "답변" in subject]
    assert inquiry.reference in answer.subject
    assert ANSWER in answer.body
    assert by_kind["inquiry_reply"].reference_display in answer.body
    (receipt,) = [m for subject, m in messages.items() if "접수" in subject]
    assert received.reference_display in receipt.body

    # The filing agent opens the case and tries to approve: refused, nothing changes.
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    check(page, "case-filer")
    if page.locator("#approve-button").count():
        page.fill("#amount", "50000")
        page.locator("#approve-button").click()
        page.wait_for_load_state()
        assert page.locator(".messagelist .error").count() == 1
        check(page, "case-filer-refused")
    claim.refresh_from_db()
    assert claim.status != Claim.Status.APPROVED
    context.close()

    # A senior reviewer: the queue (open claims), the case page, approval.
    context, page = _signed_in(browser, live_server.url, "Senior reviewer", language, "박서준")
    page.goto(f"{live_server.url}/admin/claims/claim/")
    assert claim.reference in page.locator("#result_list").inner_text()
    check(page, "queue")
    page.locator(f"#result_list a:text('{claim.reference}')").click()
    page.wait_for_url(re.compile(rf"/admin/claims/claim/{claim.pk}/change/$"))
    check(page, "case")
    page.fill("#amount", "50000")
    page.locator("#approve-button").click()
    page.wait_for_load_state()
    assert page.locator(".messagelist .success").count() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    check(page, "case-approved")
    context.close()

    # An operator: the dashboard and an issuance run's page.
    batch = VoucherBatch.objects.create(
        program=e2e_program,
        policy=e2e_program.policies.get(),
        award_line_ids=[],
        status=VoucherBatch.Status.DONE,  # a running run's page reloads itself
        finished_at=timezone.now(),
    )
    context, page = _signed_in(browser, live_server.url, "Program operator", language, "최유나")
    page.goto(f"{live_server.url}/admin/oversight/programdashboard/{e2e_program.pk}/change/")
    check(page, "dashboard")
    page.goto(f"{live_server.url}/admin/vouchers/voucherbatch/")
    assert page.locator("#result_list tbody tr").count() == 1
    check(page, "issuance-runs")
    page.locator("#result_list tbody tr a").first.click()
    page.wait_for_url(re.compile(rf"/admin/vouchers/voucherbatch/{batch.pk}/change/$"))
    check(page, "issuance")
    context.close()
    assert untranslated == {}
