import pytest
from django.db import DatabaseError, transaction

from audit.models import AuditEvent
from compensation.errors import PolicyInvalid
from compensation.models import DryRun, PolicyVersion
from compensation.services.policy import dry_run_execute, policy_draft_create, policy_publish
from tests.factories import AffectedPersonFactory, AwardLineFactory, ProgramFactory

pytestmark = pytest.mark.django_db

COUPANG = {"proactive": {"award_lines": ["store", "eats", "travel", "rlux"]}}


@pytest.fixture
def program():
    program = ProgramFactory.create(budget_minor=1_000_000)
    for position, (code, amount) in enumerate(
        [("store", 5_000), ("eats", 5_000), ("travel", 20_000), ("rlux", 20_000)]
    ):
        AwardLineFactory.create(
            program=program, code=code, service_scope=code, amount_minor=amount, position=position
        )
    for i in range(12):
        AffectedPersonFactory.create(
            program=program,
            account_status="closed" if i < 2 else "active",
            region="busan" if i % 2 else "seoul",
        )
    return program


def _dry_run(policy):
    dry_run = DryRun.objects.create(policy=policy, budget_minor=policy.program.budget_minor)
    return dry_run_execute(dry_run_id=dry_run.pk)


def test_dry_run_counts_every_person_and_costs_the_policy(program):
    policy = policy_draft_create(program=program, rules=COUPANG, actor_label="test")
    dry_run = _dry_run(policy)
    assert dry_run.status == DryRun.Status.DONE
    assert (dry_run.people_total, dry_run.people_eligible, dry_run.people_ineligible) == (12, 10, 2)
    assert dry_run.cost_minor == dry_run.proactive_cost_minor == 10 * 50_000
    assert dry_run.outcome_counts["ineligible:account_status"] == 2
    assert dry_run.sample
    assert all(s["reasons"] for s in dry_run.sample)


def test_publishing_needs_a_dry_run_and_retires_the_previous_version(program):
    first = policy_draft_create(program=program, rules=COUPANG, actor_label="test")
    with pytest.raises(PolicyInvalid, match="dry run"):
        policy_publish(policy=first, actor_label="test")
    _dry_run(first)
    policy_publish(policy=first, actor_label="test")
    second = policy_draft_create(
        program=program,
        rules={**COUPANG, "eligibility": {"regions": ["seoul"]}},
        actor_label="test",
    )
    assert second.number == 2
    _dry_run(second)
    policy_publish(policy=second, actor_label="test")
    first.refresh_from_db()
    assert first.status == PolicyVersion.Status.RETIRED
    assert AuditEvent.objects.filter(action="policy.publish").count() == 2


def test_a_policy_that_costs_more_than_the_budget_is_not_published(program):
    program.budget_minor = 100_000
    program.save(update_fields=["budget_minor"])
    policy = policy_draft_create(program=program, rules=COUPANG, actor_label="test")
    _dry_run(policy)
    with pytest.raises(PolicyInvalid, match="more than the budget"):
        policy_publish(policy=policy, actor_label="test")
    policy.refresh_from_db()
    assert policy.status == PolicyVersion.Status.DRAFT


def test_invalid_rules_are_refused_with_the_path_of_the_problem(program):
    with pytest.raises(PolicyInvalid, match=r"proactive\.award_lines: no such award line"):
        policy_draft_create(
            program=program, rules={"proactive": {"award_lines": ["spa"]}}, actor_label="test"
        )
    assert not PolicyVersion.objects.exists()


def test_a_published_version_cannot_be_changed_even_bypassing_the_code(program):
    policy = policy_draft_create(program=program, rules=COUPANG, actor_label="test")
    _dry_run(policy)
    policy_publish(policy=policy, actor_label="test")
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        PolicyVersion.objects.filter(pk=policy.pk).update(rules={})
    with pytest.raises(DatabaseError, match="cannot be deleted"), transaction.atomic():
        PolicyVersion.objects.filter(pk=policy.pk).delete()
    policy.refresh_from_db()
    assert policy.rules["proactive"]["award_lines"] == COUPANG["proactive"]["award_lines"]
