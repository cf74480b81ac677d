"""The desk's journey in a browser, in the staff member's own language (their setting wins
over the browser's): an agent signed in with a second factor finds a person by phone, opens
their page and files a time-spent claim for them by phone; the claimant is acknowledged; the
filing agent cannot approve it; a senior reviewer works it from the queue; an operator reads
the dashboard and an issuance run. Every page has zero axe violations.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h4-<page>-<language>.png."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import User
from claims.models import Claim
from compensation.models import ClaimType
from notifications.models import Notice
from tests.desk.conftest import person_make
from tests.e2e.flows import staff_signed_in
from tests.factories import ClaimTypeFactory
from vouchers.models import VoucherBatch

pytestmark = pytest.mark.django_db(transaction=True)

# A word of each language the pages must show (the admin's own "Log out", translated).
LOG_OUT = {"ko": "로그아웃", "en": "Log out", "zh-hans": "注销"}


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

    def check(page, name: str) -> None:
        check_a11y(page)
        assert LOG_OUT[language] in page.content(), (name, page.url)
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
    page.goto(f"{live_server.url}/admin/vouchers/voucherbatch/{batch.pk}/change/")
    check(page, "issuance")
    context.close()
