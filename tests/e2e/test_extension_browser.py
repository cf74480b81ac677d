"""Extending vouchers' validity window in a browser, in Korean, English and Chinese: an operator
counts what would move and proposes the extension; its proposal page offers only to withdraw.
Every page has zero axe violations.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h2-<page>-<language>.png."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR
from audit.models import Proposal
from compensation.engine.money import money_format
from tests.e2e.flows import staff_signed_in
from tests.vouchers.conftest import (  # noqa: F401  (no_dispatch is a fixture)
    no_dispatch,
    people_make,
    run_issue,
    voucher_program_make,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_counts_and_proposes_an_extension_in_each_language(
    browser,
    live_server,
    check_a11y,
    no_dispatch,  # noqa: F811
):
    """One test for the three languages: a transactional test's flush removes the role groups."""
    shots = os.environ.get("E2E_SHOTS")
    base = live_server.url
    for language in ("ko", "en", "zh-hans"):

        def check(page, name: str) -> None:
            check_a11y(page)
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{shots}/h2-{name}-{language}.png", full_page=True)

        program = voucher_program_make(name=f"Extension {language}", account_statuses=["active"])
        people_make(program, 12, start=100 * len(language))
        run = run_issue(program, chunk_size=6)
        context, page = staff_signed_in(
            browser,
            base,
            role=PROGRAM_OPERATOR,
            language=language,
            email=f"operator.{language}@example.com",
        )
        page.goto(f"{base}/admin/vouchers/validityextension/propose/")
        check(page, "extension-form")
        page.select_option("#id_program", str(program.pk))
        page.select_option("#id_batch", str(run.pk))
        last_day = timezone.localdate() + dt.timedelta(days=180)
        page.fill("#id_last_day", last_day.isoformat())
        page.fill("#id_reason", "The services opened late")
        page.locator("input[name=preview]").click()
        page.wait_for_selector("#extension-figures")
        assert money_format(600_000, "KRW", language) in page.content()  # 12 x 50,000
        check(page, "extension-count")
        page.locator("input[name=confirm]").click()
        page.wait_for_url(re.compile(r"/admin/audit/proposal/\d+/change/"))
        assert page.locator("#approve-button").count() == 0
        check(page, "extension-proposed")
        context.close()
        proposal = Proposal.objects.get(object_id=str(program.pk))
        assert proposal.action == "vouchers.validity_extend"
        assert proposal.figures["vouchers"] == 48
