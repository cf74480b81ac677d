import pytest

from claims.models import Claim
from claims.services.pool import claims_pool_settle
from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from compensation.models import Award, DryRun, Program
from compensation.registry import CLAIM_DRY_RUNNERS, POOL_ENTITLEMENTS
from compensation.services.forecast import program_forecast
from compensation.services.policy import dry_run_execute, policy_draft_create
from tests.claims.helpers import file_claim
from tests.factories import ClaimantPersonFactory

pytestmark = pytest.mark.django_db


def test_claims_registers_its_dry_runner_and_pool_provider():
    assert "claims" in CLAIM_DRY_RUNNERS
    assert "claims" in POOL_ENTITLEMENTS


def test_a_draft_policy_dry_run_decides_the_open_claims_without_changing_them(
    program, documented, claimant
):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    draft = policy_draft_create(
        program=program,
        rules={
            "scoring": {"weights": {"documents": 0, "record_match": 80, "no_fraud_signals": 20}}
        },
        actor_label="test",
    )
    dry_run = dry_run_execute(dry_run_id=DryRun.objects.create(policy=draft).pk)
    counts = dry_run.outcome_counts["claims"]
    assert counts["review"] == 1  # the receipt is still missing under the draft
    assert dry_run.claims_cost_minor == 50_000
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.policy.status == "published"


def test_pro_rata_pool_is_projected_then_settled_into_awards_for_each_claim(program, documented):
    Program.objects.filter(pk=program.pk).update(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=60_000
    )
    program.refresh_from_db()
    claims = []
    for i in range(3):
        person = ClaimantPersonFactory.create(program=program)
        who = Claimant(person=person, email_hash=email_hash(person.email))
        claim, _ = file_claim(
            program=program, claim_type=documented, claimant=who, key=f"p{i}", amount=40_000
        )
        claims.append(claim)
    forecast = program_forecast(program=program)
    assert forecast.pool_entitled_minor == 120_000
    assert str(forecast.projected_factor) == "0.5000"
    assert claims_pool_settle(program=program, actor_label="test") == 3
    assert sum(Award.objects.values_list("amount_minor", flat=True)) == 60_000
    for claim in claims:
        claim.refresh_from_db()
        assert claim.award.amount_minor == 20_000
        assert claim.amount_decided_minor == 20_000
    program.refresh_from_db()
    assert program_forecast(program=program).pool_entitled_minor == 0


def test_uploads_of_drafts_never_submitted_are_purged_with_their_files(
    claimant, program, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from claims.models import ClaimDocument
    from claims.services import claim_document_add
    from claims.services.drafts import claims_drafts_purge
    from claims.storage import document_open
    from tests.claims.conftest import pdf

    old = claim_document_add(claimant=claimant, draft_key="old", kind="receipt", upload=pdf())
    fresh = claim_document_add(claimant=claimant, draft_key="new", kind="receipt", upload=pdf())
    ClaimDocument.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert claims_drafts_purge() == 1
    assert document_open(old.storage_name) is None
    stored_file = document_open(fresh.storage_name)
    assert stored_file is not None
    with stored_file as stored:
        assert stored.read()
    assert claims_drafts_purge() == 0


def test_pool_settle_command_reports_what_was_paid(program, documented, claimant):
    from io import StringIO

    from django.core.management import call_command

    Program.objects.filter(pk=program.pk).update(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=1_000_000
    )
    program.refresh_from_db()
    file_claim(program=program, claim_type=documented, claimant=claimant)
    out = StringIO()
    call_command("claims_pool_settle", program.slug, stdout=out)
    assert "1 claims paid" in out.getvalue()
