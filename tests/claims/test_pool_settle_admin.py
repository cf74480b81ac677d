"""Settling a pro-rata pool in the admin: a confirmation page with the pool, the entitlements
and the factor, for those who may settle pools; the settlement is proposed there and done
when a second one approves it, and then every claimant is told."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import PROGRAM_OPERATOR, SUPPORT_AGENT
from audit.models import Proposal
from claims.models import Claim
from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from compensation.models import Award, Program
from notifications.models import Notice
from tests.claims.helpers import file_claim
from tests.conftest import otp_login
from tests.factories import ClaimantPersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(program, documented):
    """Three approved claims of ₩40,000 against a pool of ₩100,000."""
    Program.objects.filter(pk=program.pk).update(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=100_000
    )
    program.refresh_from_db()
    for i in range(3):
        person = ClaimantPersonFactory.create(program=program)
        who = Claimant(person=person, email_hash=email_hash(person.email))
        file_claim(program=program, claim_type=documented, claimant=who, key=f"p{i}", amount=40_000)
    assert Claim.objects.filter(status="approved", entitlement_minor=40_000).count() == 3
    return program


def _staff(role=PROGRAM_OPERATOR):
    return otp_login(Client(), UserFactory.create(role=role))


def test_the_confirmation_page_shows_the_pool_the_entitlements_and_the_factor(pool):
    operator = _staff()
    program_page = operator.get(reverse("admin:compensation_program_change", args=[pool.pk]))
    url = reverse("admin:claims_pool_settle", args=[pool.pk])
    assert url in program_page.text
    page = operator.get(url)
    assert page.status_code == 200
    text = page.text
    assert "₩100,000" in text  # the pool
    assert "₩120,000" in text  # the approved amounts waiting
    assert "0.833333 (83.33%)" in text
    assert text.count("₩40,000") == 3  # each entitlement
    assert "₩33,334" in text  # the leftover unit goes to the earliest claim
    assert text.count("₩33,333") == 2
    assert not Award.objects.filter(program=pool).exists()


def test_only_those_who_may_settle_pools_see_the_page(pool):
    agent = _staff(SUPPORT_AGENT)
    assert agent.get(reverse("admin:claims_pool_settle", args=[pool.pk])).status_code == 403
    assert agent.post(reverse("admin:claims_pool_settle", args=[pool.pk])).status_code == 403
    assert not Proposal.objects.exists()


def test_proposed_by_one_operator_settled_when_another_approves_and_everyone_is_told(pool):
    proposer, approver = _staff(), _staff()
    url = reverse("admin:claims_pool_settle", args=[pool.pk])
    response = proposer.post(url, {"reason": "the claim period closed"})
    proposal = Proposal.objects.get(action="program.pool_settle")
    assert response["Location"] == reverse("admin:audit_proposal_change", args=[proposal.pk])
    assert "already proposed" in proposer.get(url).text
    proposer.post(reverse("admin:audit_proposal_approve", args=[proposal.pk]))
    assert not Award.objects.filter(program=pool).exists()  # not by the proposer

    approver.post(reverse("admin:audit_proposal_approve", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.EXECUTED
    assert sorted(Award.objects.filter(program=pool).values_list("amount_minor", flat=True)) == [
        33_333,
        33_333,
        33_334,
    ]
    notices = Notice.objects.filter(kind="pool_settled")
    assert notices.count() == 3
    assert {n.context["pool_share"] for n in notices} == {"83.33%"}
    settled = proposer.get(url).text
    assert "has been settled" in settled
    assert "Propose the settlement" not in settled


def test_a_program_without_a_pool_has_no_settle_page(program):
    assert _staff().get(reverse("admin:claims_pool_settle", args=[program.pk])).status_code == 404
