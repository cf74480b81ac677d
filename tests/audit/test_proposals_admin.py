"""The admin path of four eyes: the budget page proposes (and refuses a budget below what is
committed on its field), the proposal page lets another operator approve or reject and
offers the proposer only to withdraw."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import PROGRAM_OPERATOR, SUPPORT_AGENT
from audit.models import Proposal
from compensation.models import Program
from tests.conftest import otp_login
from tests.factories import ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    program = ProgramFactory.create(budget_minor=1_000_000)
    Program.objects.filter(pk=program.pk).update(committed_minor=400_000)
    program.refresh_from_db()
    return program


def _operator_client():
    return otp_login(Client(), UserFactory.create(role=PROGRAM_OPERATOR))


def _budget(program) -> int:
    return Program.objects.values_list("budget_minor", flat=True).get(pk=program.pk)


def test_a_budget_below_what_is_committed_is_refused_on_the_field(program):
    client = _operator_client()
    url = reverse("admin:compensation_program_budget", args=[program.pk])
    page = client.post(url, {"budget_minor": 399_999})
    assert page.status_code == 200
    assert "already committed ₩400,000" in str(page.context["form"].errors["budget_minor"])
    assert not Proposal.objects.exists()
    assert _budget(program) == 1_000_000


def test_a_budget_change_is_proposed_then_approved_by_another_operator(program):
    proposer = _operator_client()
    url = reverse("admin:compensation_program_budget", args=[program.pk])
    assert "Committed now" in proposer.get(url).text
    response = proposer.post(url, {"budget_minor": 2_000_000, "reason": "more claims"})
    proposal = Proposal.objects.get()
    assert response["Location"] == reverse("admin:audit_proposal_change", args=[proposal.pk])
    assert _budget(program) == 1_000_000

    own = proposer.get(response["Location"]).text
    assert "You proposed this" in own
    assert "approve-button" not in own
    assert "withdraw-button" in own
    assert "₩2,000,000" in own
    proposer.post(reverse("admin:audit_proposal_approve", args=[proposal.pk]))
    assert _budget(program) == 1_000_000  # refused: the proposer

    second = _operator_client()
    page = second.get(response["Location"]).text
    assert "approve-button" in page
    assert "withdraw-button" not in page
    second.post(reverse("admin:audit_proposal_approve", args=[proposal.pk]))
    assert _budget(program) == 2_000_000
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.EXECUTED
    assert proposal.reason == "more claims"


def test_a_rejection_in_the_admin_changes_nothing(program):
    _operator_client().post(
        reverse("admin:compensation_program_budget", args=[program.pk]), {"budget_minor": 9}
    )
    assert not Proposal.objects.exists()  # 9 is below what is committed
    _operator_client().post(
        reverse("admin:compensation_program_budget", args=[program.pk]),
        {"budget_minor": 3_000_000},
    )
    proposal = Proposal.objects.get()
    _operator_client().post(
        reverse("admin:audit_proposal_reject", args=[proposal.pk]), {"note": "not now"}
    )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.REJECTED
    assert proposal.decision_note == "not now"
    assert _budget(program) == 1_000_000


def test_the_program_form_no_longer_changes_the_budget(program, staff_client):
    client = staff_client(PROGRAM_OPERATOR)
    page = client.get(reverse("admin:compensation_program_change", args=[program.pk])).text
    assert "Change the budget" in page
    assert 'name="budget_minor"' not in page


def test_a_support_agent_cannot_propose_a_budget(program, staff_client):
    client = staff_client(SUPPORT_AGENT)
    url = reverse("admin:compensation_program_budget", args=[program.pk])
    assert client.post(url, {"budget_minor": 2_000_000}).status_code == 403
    assert not Proposal.objects.exists()
