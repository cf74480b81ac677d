"""Four eyes on money: each action refuses a single person (the proposer cannot approve; the
database CHECK backs it) and is done only when a second one approves; a rejected or
withdrawn proposal changes nothing; two approvals at once do the action once."""

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR, SUPPORT_AGENT
from audit.models import AuditEvent, Proposal
from audit.proposals import (
    FourEyes,
    ProposalRefused,
    proposal_approve,
    proposal_create,
    proposal_reject,
    proposal_withdraw,
)
from claims.models import Claim
from claims.proposals import POOL_SETTLE, pool_settle_figures
from compensation.models import Award, DryRun, PolicyVersion, Program
from compensation.proposals import (
    BUDGET_CHANGE,
    POLICY_PUBLISH,
    budget_change_figures,
    policy_publish_figures,
)
from compensation.services.budget import BudgetChangeRefused, program_budget_change
from tests.factories import (
    ClaimFactory,
    ClaimTypeFactory,
    ProgramFactory,
    UserFactory,
)
from tests.support import race
from tests.vouchers.conftest import people_make, voucher_program_make
from vouchers.models import VoucherBatch
from vouchers.proposals import BATCH_START, batch_start_figures
from vouchers.services.planning import batch_plan


def _operator(**extra):
    return UserFactory.create(role=PROGRAM_OPERATOR, **extra)


def _budget_holder():
    """An operator by permission, not by role: a transactional test's flush removes groups."""
    user = UserFactory.create()
    user.user_permissions.add(Permission.objects.get(codename="change_program"))
    return user


def _propose_budget(program, budget_minor, by):
    params, figures = budget_change_figures(program, budget_minor)
    return proposal_create(
        action=BUDGET_CHANGE, target=program, params=params, figures=figures, actor=by
    )


def _budget(program) -> int:
    return Program.objects.values_list("budget_minor", flat=True).get(pk=program.pk)


# --- Budget change ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_budget_change_waits_for_a_second_person_and_the_proposer_cannot_approve_it():
    program = ProgramFactory.create(budget_minor=1_000_000)
    proposer, approver = _operator(), _operator()
    proposal = _propose_budget(program, 1_500_000, proposer)
    assert proposal.status == Proposal.Status.PROPOSED
    assert _budget(program) == 1_000_000

    with pytest.raises(FourEyes):
        proposal_approve(proposal=proposal, actor=proposer)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PROPOSED
    assert _budget(program) == 1_000_000
    assert not AuditEvent.objects.filter(action="program.budget_change").exists()

    done = proposal_approve(proposal=proposal, actor=approver)
    assert done.status == Proposal.Status.EXECUTED
    assert done.decided_by == approver
    assert _budget(program) == 1_500_000
    change = AuditEvent.objects.get(action="program.budget_change")
    assert change.actor == approver
    assert change.before == {"budget_minor": 1_000_000}
    approval = AuditEvent.objects.get(action="proposal.approve")
    assert (approval.after or {})["params"] == {
        "budget_minor": 1_500_000,
        "from_budget_minor": 1_000_000,
    }
    assert approval.program_id == program.pk
    assert AuditEvent.objects.get(action="proposal.create").actor == proposer


@pytest.mark.django_db
def test_the_database_refuses_a_proposal_decided_by_its_proposer():
    program = ProgramFactory.create()
    proposer = _operator()
    proposal = _propose_budget(program, 2_000_000_000, proposer)
    with pytest.raises(IntegrityError, match="proposal_four_eyes"), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(
            status=Proposal.Status.EXECUTED, decided_by=proposer, decided_at=timezone.now()
        )
    with pytest.raises(IntegrityError, match="proposal_decided_by_someone"), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(
            status=Proposal.Status.EXECUTED, decided_at=timezone.now()
        )


@pytest.mark.django_db
def test_lowering_a_budget_below_what_is_committed_is_refused_in_the_service_and_the_proposal():
    program = ProgramFactory.create(budget_minor=1_000_000)
    Program.objects.filter(pk=program.pk).update(committed_minor=600_000)
    program.refresh_from_db()
    with pytest.raises(BudgetChangeRefused, match="already committed ₩600,000"):
        program_budget_change(program=program, budget_minor=599_999, actor_label="test")
    with pytest.raises(BudgetChangeRefused, match="already committed"):
        _propose_budget(program, 500_000, _operator())
    assert not Proposal.objects.exists()
    assert _budget(program) == 1_000_000
    # Down to exactly what is committed is allowed.
    program_budget_change(program=program, budget_minor=600_000, actor_label="test")
    assert _budget(program) == 600_000


@pytest.mark.django_db
def test_a_budget_changed_since_the_proposal_fails_the_approval_and_changes_nothing():
    program = ProgramFactory.create(budget_minor=1_000_000)
    proposal = _propose_budget(program, 1_500_000, _operator())
    program_budget_change(program=program, budget_minor=1_200_000, actor_label="test")
    failed = proposal_approve(proposal=proposal, actor=_operator())
    assert failed.status == Proposal.Status.FAILED
    assert "not the ₩1,000,000" in (failed.result or {})["refused"]
    assert _budget(program) == 1_200_000
    assert AuditEvent.objects.filter(action="proposal.fail").exists()


@pytest.mark.django_db
def test_a_budget_change_under_the_threshold_is_done_by_one_person(settings):
    settings.FOUR_EYES_BUDGET_CHANGE_MINOR = 100_000
    program = ProgramFactory.create(budget_minor=1_000_000)
    operator = _operator()
    small = _propose_budget(program, 1_099_999, operator)
    assert small.status == Proposal.Status.EXECUTED
    assert small.alone
    assert small.decided_by is None
    assert _budget(program) == 1_099_999
    at_threshold = _propose_budget(program, 999_999, operator)
    assert at_threshold.status == Proposal.Status.PROPOSED
    assert _budget(program) == 1_099_999


@pytest.mark.django_db
def test_a_rejected_or_withdrawn_proposal_changes_nothing():
    program = ProgramFactory.create(budget_minor=1_000_000)
    proposer, other = _operator(), _operator()
    proposal = _propose_budget(program, 5_000_000, proposer)
    with pytest.raises(FourEyes):
        proposal_reject(proposal=proposal, actor=proposer)
    rejected = proposal_reject(proposal=proposal, actor=other, note="too much")
    assert rejected.status == Proposal.Status.REJECTED
    assert _budget(program) == 1_000_000
    with pytest.raises(ProposalRefused, match="no longer waiting"):
        proposal_approve(proposal=proposal, actor=other)
    assert _budget(program) == 1_000_000

    again = _propose_budget(program, 5_000_000, proposer)
    with pytest.raises(ProposalRefused, match="Only its proposer"):
        proposal_withdraw(proposal=again, actor=other)
    assert proposal_withdraw(proposal=again, actor=proposer).status == Proposal.Status.WITHDRAWN
    with pytest.raises(ProposalRefused):
        proposal_approve(proposal=again, actor=other)
    assert _budget(program) == 1_000_000
    assert not AuditEvent.objects.filter(action="program.budget_change").exists()


@pytest.mark.django_db
def test_one_open_proposal_per_action_and_object():
    program = ProgramFactory.create(budget_minor=1_000_000)
    _propose_budget(program, 2_000_000, _operator())
    with pytest.raises(ProposalRefused, match="already proposed"):
        _propose_budget(program, 3_000_000, _operator())
    assert Proposal.objects.count() == 1


@pytest.mark.django_db
def test_someone_without_the_permission_can_neither_propose_nor_approve():
    program = ProgramFactory.create(budget_minor=1_000_000)
    agent = UserFactory.create(role=SUPPORT_AGENT)
    with pytest.raises(ProposalRefused, match="permission"):
        _propose_budget(program, 2_000_000, agent)
    proposal = _propose_budget(program, 2_000_000, _operator())
    with pytest.raises(ProposalRefused, match="permission"):
        proposal_approve(proposal=proposal, actor=agent)
    assert _budget(program) == 1_000_000


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_do_the_action_once():
    program = ProgramFactory.create(budget_minor=1_000_000)
    proposal = _propose_budget(program, 1_500_000, _budget_holder())
    approvers = [_budget_holder(), _budget_holder()]

    results = race(lambda i: proposal_approve(proposal=proposal, actor=approvers[i]), 2)

    done = [r for r in results if isinstance(r, Proposal)]
    refused = [r for r in results if isinstance(r, ProposalRefused)]
    assert len(done) == 1, results
    assert len(refused) == 1, results
    assert done[0].status == Proposal.Status.EXECUTED
    assert refused[0].code == "not_open"
    assert AuditEvent.objects.filter(action="program.budget_change").count() == 1
    assert AuditEvent.objects.filter(action="proposal.approve").count() == 1
    assert _budget(program) == 1_500_000


# --- Policy publish -----------------------------------------------------------------------------


def _draft_with_dry_run(program, cost_minor=100_000):
    policy = PolicyVersion.objects.create(program=program, number=1, rules={})
    DryRun.objects.create(
        policy=policy,
        status=DryRun.Status.DONE,
        people_total=10,
        people_eligible=8,
        cost_minor=cost_minor,
        budget_minor=program.budget_minor,
    )
    return policy


def _propose_publish(policy, by):
    params, figures = policy_publish_figures(policy)
    return proposal_create(
        action=POLICY_PUBLISH, target=policy, params=params, figures=figures, actor=by
    )


@pytest.mark.django_db
def test_publishing_a_policy_needs_a_second_person():
    program = ProgramFactory.create()
    policy = _draft_with_dry_run(program)
    proposer, approver = _operator(), _operator()
    proposal = _propose_publish(policy, proposer)
    assert proposal.figures["cost_minor"] == 100_000
    with pytest.raises(FourEyes):
        proposal_approve(proposal=proposal, actor=proposer)
    policy.refresh_from_db()
    assert policy.status == PolicyVersion.Status.DRAFT

    assert proposal_approve(proposal=proposal, actor=approver).status == "executed"
    policy.refresh_from_db()
    assert policy.status == PolicyVersion.Status.PUBLISHED
    assert policy.published_by == approver


@pytest.mark.django_db
def test_a_publication_proposed_on_an_older_dry_run_fails_and_publishes_nothing():
    program = ProgramFactory.create()
    policy = _draft_with_dry_run(program)
    proposal = _propose_publish(policy, _operator())
    DryRun.objects.create(policy=policy, status=DryRun.Status.DONE, cost_minor=5)
    failed = proposal_approve(proposal=proposal, actor=_operator())
    assert failed.status == Proposal.Status.FAILED
    assert "newer dry run" in (failed.result or {})["refused"]
    policy.refresh_from_db()
    assert policy.status == PolicyVersion.Status.DRAFT


@pytest.mark.django_db
def test_a_rejected_publication_publishes_nothing():
    policy = _draft_with_dry_run(ProgramFactory.create())
    proposal = _propose_publish(policy, _operator())
    proposal_reject(proposal=proposal, actor=_operator())
    policy.refresh_from_db()
    assert policy.status == PolicyVersion.Status.DRAFT
    assert not AuditEvent.objects.filter(action="policy.publish").exists()


# --- Issuance run -------------------------------------------------------------------------------


def _propose_run(program, by):
    plan = batch_plan(program=program, award_lines=list(program.award_lines.all()))
    params, figures = batch_start_figures(plan, chunk_size=100, confirm_name=program.name)
    return proposal_create(
        action=BATCH_START, target=program, params=params, figures=figures, actor=by
    )


@pytest.fixture
def runs_not_dispatched(monkeypatch):
    monkeypatch.setattr("vouchers.services.runs.voucher_batch_dispatch", lambda **kw: None)


@pytest.mark.django_db
def test_an_issuance_run_starts_only_when_a_second_person_approves(runs_not_dispatched):
    program = voucher_program_make(name="Coupang 2025", account_statuses=["active"])
    people_make(program, 30)
    proposer, approver = _operator(), _operator()
    proposal = _propose_run(program, proposer)
    assert proposal.figures["vouchers"] == 120
    assert proposal.figures["cost_minor"] == 1_500_000
    with pytest.raises(FourEyes):
        proposal_approve(proposal=proposal, actor=proposer)
    assert not VoucherBatch.objects.exists()

    done = proposal_approve(proposal=proposal, actor=approver)
    batch = VoucherBatch.objects.get()
    assert (done.result or {})["batch_id"] == batch.pk
    assert batch.created_by == approver
    assert batch.vouchers_planned == 120


@pytest.mark.django_db
def test_a_rejected_run_issues_nothing(runs_not_dispatched):
    program = voucher_program_make(name="Coupang 2025", account_statuses=["active"])
    people_make(program, 5)
    proposal = _propose_run(program, _operator())
    proposal_reject(proposal=proposal, actor=_operator())
    assert not VoucherBatch.objects.exists()
    assert not Award.objects.exists()


@pytest.mark.django_db
def test_a_run_needs_the_programs_name_typed_by_its_proposer(runs_not_dispatched):
    program = voucher_program_make(name="Coupang 2025", account_statuses=["active"])
    people_make(program, 5)
    plan = batch_plan(program=program, award_lines=list(program.award_lines.all()))
    params, figures = batch_start_figures(plan, chunk_size=100, confirm_name="coupang")
    with pytest.raises(Exception, match="Type the program's name"):
        proposal_create(
            action=BATCH_START, target=program, params=params, figures=figures, actor=_operator()
        )
    assert not Proposal.objects.exists()


# --- Pool settle --------------------------------------------------------------------------------


def _settler():
    user = _operator()
    user.user_permissions.add(Permission.objects.get(codename="settle_program"))
    return user


@pytest.fixture
def pool_program():
    program = ProgramFactory.create(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=100_000, budget_minor=1_000_000
    )
    claim_type = ClaimTypeFactory.create(program=program)
    for _ in range(3):  # 150,000 approved against a pool of 100,000
        ClaimFactory.create(
            program=program, claim_type=claim_type, status="approved", entitlement_minor=50_000
        )
    return program


def _propose_settle(program, by):
    params, figures = pool_settle_figures(program)
    return proposal_create(
        action=POOL_SETTLE, target=program, params=params, figures=figures, actor=by
    )


@pytest.mark.django_db
def test_settling_a_pool_needs_a_second_person_with_the_settle_permission(pool_program):
    proposer = _settler()
    proposal = _propose_settle(pool_program, proposer)
    assert proposal.figures["factor"] == "0.6666"
    with pytest.raises(FourEyes):
        proposal_approve(proposal=proposal, actor=proposer)
    with pytest.raises(ProposalRefused, match="permission"):
        proposal_approve(  # an agent without it (operators hold it: accounts/roles.py)
            proposal=proposal, actor=UserFactory.create(role=SUPPORT_AGENT)
        )
    assert not Award.objects.exists()

    done = proposal_approve(proposal=proposal, actor=_settler())
    assert (done.result or {})["claims_paid"] == 3
    assert sum(Award.objects.values_list("amount_minor", flat=True)) == 100_000
    assert not Claim.objects.filter(award__isnull=True).exists()


@pytest.mark.django_db
def test_a_rejected_settlement_pays_nothing(pool_program):
    proposal = _propose_settle(pool_program, _settler())
    proposal_reject(proposal=proposal, actor=_settler())
    pool_program.refresh_from_db()
    assert pool_program.pool_factor is None
    assert not Award.objects.exists()


@pytest.mark.django_db
def test_a_settlement_proposed_before_more_claims_were_approved_fails(pool_program):
    proposal = _propose_settle(pool_program, _settler())
    ClaimFactory.create(
        program=pool_program,
        claim_type=pool_program.claim_types.first(),
        status="approved",
        entitlement_minor=1_000,
    )
    failed = proposal_approve(proposal=proposal, actor=_settler())
    assert failed.status == Proposal.Status.FAILED
    assert not Award.objects.exists()
