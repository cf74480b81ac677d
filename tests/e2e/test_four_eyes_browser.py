"""Four eyes in a browser: an operator proposes a new budget (a budget below what is committed
is refused on the field first) and a policy's publication; their own proposal page offers
only to withdraw; a second operator reads the figures, approves the budget and rejects the
publication. Every page has zero axe violations.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/h6-<page>.png."""

import os
import re
from pathlib import Path

import pytest

from accounts.roles import PROGRAM_OPERATOR
from audit.models import Proposal
from compensation.models import DryRun, PolicyVersion, Program
from tests.e2e.flows import staff_signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_budget_and_a_publication_are_proposed_by_one_operator_and_decided_by_another(
    browser, live_server, e2e_program, check_a11y
):
    shots = os.environ.get("E2E_SHOTS")

    def check(page, name: str) -> None:
        check_a11y(page)
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/h6-{name}.png", full_page=True)

    program = e2e_program
    Program.objects.filter(pk=program.pk).update(
        budget_minor=50_000_000, committed_minor=12_500_000
    )
    draft = PolicyVersion.objects.create(program=program, number=2, rules={}, notes="wider")
    DryRun.objects.create(
        policy=draft,
        status=DryRun.Status.DONE,
        people_total=33_700,
        people_eligible=31_204,
        cost_minor=42_000_000,
        proactive_cost_minor=40_000_000,
        claims_cost_minor=2_000_000,
        budget_minor=50_000_000,
    )
    base = live_server.url
    first_context, first = staff_signed_in(
        browser, base, role=PROGRAM_OPERATOR, email="first.operator@example.com"
    )

    first.goto(f"{base}/admin/compensation/program/{program.pk}/budget/")
    first.fill("#id_budget_minor", "10000000")
    first.locator("input[type=submit]").click()
    assert "already committed ₩12,500,000" in first.content()
    check(first, "budget-refused")
    first.fill("#id_budget_minor", "60000000")
    first.fill("#id_reason", "Claims run above the forecast")
    first.locator("input[type=submit]").click()
    first.wait_for_url(re.compile(r"/admin/audit/proposal/\d+/change/"))
    assert "You proposed this" in first.content()
    assert first.locator("#approve-button").count() == 0
    check(first, "budget-proposed-own")

    first.goto(f"{base}/admin/compensation/policyversion/{draft.pk}/publish/")
    check(first, "publish-confirm")
    first.locator("input[type=submit]").click()
    first.wait_for_url(re.compile(r"/admin/audit/proposal/\d+/change/"))
    first_context.close()

    second_context, second = staff_signed_in(
        browser, base, role=PROGRAM_OPERATOR, email="second.operator@example.com"
    )
    second.goto(f"{base}/admin/audit/proposal/?status__exact=proposed")
    check(second, "proposals-list")
    budget = Proposal.objects.get(action="program.budget_change")
    second.goto(f"{base}/admin/audit/proposal/{budget.pk}/change/")
    assert "₩60,000,000" in second.content()
    check(second, "budget-to-approve")
    second.locator("#approve-button").click()
    second.wait_for_load_state()
    assert "Approved and done." in second.content()
    check(second, "budget-approved")
    assert Program.objects.get(pk=program.pk).budget_minor == 60_000_000

    publish = Proposal.objects.get(action="policy.publish")
    second.goto(f"{base}/admin/audit/proposal/{publish.pk}/change/")
    assert "31,204" in second.content()
    check(second, "publish-to-approve")
    second.fill("#reject-note", "Wait for the regulator's answer")
    second.locator("#reject-button").click()
    second.wait_for_load_state()
    assert "Rejected: nothing was done." in second.content()
    check(second, "publish-rejected")
    draft.refresh_from_db()
    assert draft.status == PolicyVersion.Status.DRAFT
    second_context.close()
