"""The support desk in a browser: a support agent signs in with a second factor, finds a
person by phone number and opens their page; a program operator sees the same page with its
actions. Every page has zero axe violations.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h7-<page>-<language>.png."""

import os
import re
from pathlib import Path

import pytest

from tests.desk.conftest import person_make, voucher_make
from tests.desk.test_person_page import claim_paid_by_bank, notice_make
from tests.e2e.flows import staff_signed_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_agent_finds_a_person_by_phone_and_reads_their_page(
    language, browser, live_server, e2e_program, check_a11y, monkeypatch
):
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    shots = os.environ.get("E2E_SHOTS")

    def check(page, name: str) -> None:
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/h7-{name}-{language}.png", full_page=True)

    person = person_make(
        e2e_program,
        external_id="CU00012345",
        name="김민지",
        email="minji.kim@example.com",
        phone="010-2345-6789",
        data_categories=["name", "email", "phone", "address"],
    )
    person_make(e2e_program, name="김민준", phone="010-2345-6780")
    voucher_make(person, "7K3P", scope="eats")
    voucher_make(person, "AB2C", scope="store", state="redeemed")
    claim, _ = claim_paid_by_bank(person)
    notice_make(person, claim_reference=claim.reference)
    notice_make(person, kind="decision", status="failed", claim_reference=claim.reference,
                decision_summary="Approved: 30,000 KRW", claim_url="https://example.com/c/",
                appeal_by="")  # fmt: skip

    context, page = staff_signed_in(
        browser, live_server.url, role="Support agent", language=language
    )
    page.goto(f"{live_server.url}/admin/support/person/")
    check(page, "search")
    page.fill("#id_q", "+82 10-2345-6789")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    rows = page.locator("#people tbody tr")
    assert rows.count() == 1
    assert "•••6789" in rows.first.inner_text()
    check(page, "results")
    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/admin/support/person/{person.pk}/$"))
    assert page.locator("#vouchers tbody tr").count() == 2
    assert claim.reference in page.locator("#claims").inner_text()
    check(page, "person")
    page.locator("#notices button").first.click()
    page.wait_for_load_state()
    assert page.locator(".messagelist .success").count() == 1
    check(page, "person-resent")
    context.close()

    context, page = staff_signed_in(
        browser, live_server.url, role="Program operator", language=language
    )
    page.goto(f"{live_server.url}/admin/support/person/{person.pk}/")
    assert page.locator("#vouchers form").count() == 1  # the usable voucher only
    check(page, "person-operator")
    page.fill("#vouchers form input[name=reason]", "Seen by someone else")
    page.locator("#vouchers form button").click()
    page.wait_for_load_state()
    assert page.locator(".messagelist .success").count() == 1
    check(page, "person-reissued")
    context.close()
