import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from claims.errors import ClaimError
from claims.models import Claim
from claims.services import (
    claim_appeal,
    claim_approve,
    claim_deny,
    claim_feedback,
    claim_info_respond,
    claim_refer,
    claim_request_info,
    claims_flag_overdue,
)
from compensation.models import Award
from demo.documents import PDF
from notifications.models import Notice, NoticeTemplate
from tests.claims.conftest import days_ago
from tests.claims.helpers import file_claim
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_claim(program, documented, claimant):
    claim, _ = file_claim(
        program=program, claim_type=documented, claimant=claimant, documents=(), amount=400_000
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    return claim


@pytest.fixture
def agent(db):
    return UserFactory.create(role="Support agent")


@pytest.fixture
def senior(db):
    return UserFactory.create(role="Senior reviewer")


def test_agent_approves_within_the_line_and_the_award_and_notice_follow(queued_claim, agent):
    claim = claim_approve(claim=queued_claim, amount_minor=100_000, actor=agent)
    assert claim.status == Claim.Status.APPROVED
    assert claim.decided_by == agent
    assert Award.objects.get(claim_reference=claim.reference).amount_minor == 100_000
    assert Notice.objects.filter(kind="decision", person=claim.person).count() == 1
    assert AuditEvent.objects.filter(action="claim.approved", object_id=str(claim.pk)).exists()


def test_amount_above_the_claims_limit_is_refused_and_nothing_changes(queued_claim, agent):
    with pytest.raises(ClaimError) as exc:
        claim_approve(claim=queued_claim, amount_minor=400_001, actor=agent)
    assert exc.value.code == "amount"
    queued_claim.refresh_from_db()
    assert queued_claim.status == Claim.Status.SUBMITTED
    assert Award.objects.count() == 0


def test_high_amount_needs_a_second_approver_who_is_not_the_first(
    queued_claim, agent, senior, settings
):
    settings.CLAIMS_SECOND_APPROVER_MINOR = 300_000
    claim = claim_approve(claim=queued_claim, amount_minor=350_000, actor=senior)
    assert claim.status == Claim.Status.PENDING_APPROVAL
    assert Award.objects.count() == 0
    with pytest.raises(ClaimError) as same:
        claim_approve(claim=claim, amount_minor=350_000, actor=senior)
    assert same.value.code == "same_approver"
    with pytest.raises(ClaimError) as not_senior:
        claim_approve(claim=claim, amount_minor=350_000, actor=agent)
    assert not_senior.value.code == "forbidden"
    other_senior = UserFactory.create(role="Senior reviewer")
    claim = claim_approve(claim=claim, amount_minor=350_000, actor=other_senior)
    assert claim.status == Claim.Status.APPROVED
    assert Award.objects.get().amount_minor == 350_000


def test_denial_then_one_appeal_decided_by_another_senior_reviewer(
    queued_claim, agent, senior, claimant
):
    claim = claim_deny(claim=queued_claim, reason_codes=["loss_not_shown"], actor=senior)
    assert claim.status == Claim.Status.DENIED
    upload = SimpleUploadedFile("bank.pdf", PDF + b"x", content_type="application/pdf")
    claim = claim_appeal(
        claim=claim, claimant=claimant, statement="Here is my statement.", upload=upload
    )
    assert claim.status == Claim.Status.APPEALED
    assert claim.documents.filter(purpose="appeal")
    with pytest.raises(ClaimError) as by_agent:
        claim_approve(claim=claim, amount_minor=50_000, actor=agent)
    assert by_agent.value.code == "forbidden"
    with pytest.raises(ClaimError) as by_first:
        claim_approve(claim=claim, amount_minor=50_000, actor=senior)
    assert by_first.value.code == "same_reviewer"
    claim = claim_approve(
        claim=claim, amount_minor=50_000, actor=UserFactory.create(role="Senior reviewer")
    )
    assert claim.status == Claim.Status.APPROVED
    assert Notice.objects.filter(kind="appeal_outcome", person=claim.person).count() == 1
    with pytest.raises(ClaimError):
        claim_appeal(claim=claim, claimant=claimant, statement="again")


def test_appeal_after_the_period_is_refused(queued_claim, senior, claimant, settings):
    claim = claim_deny(claim=queued_claim, reason_codes=["not_affected"], actor=senior)
    Claim.objects.filter(pk=claim.pk).update(decided_at=days_ago(settings.CLAIMS_APPEAL_DAYS + 1))
    claim.refresh_from_db()
    with pytest.raises(ClaimError) as exc:
        claim_appeal(claim=claim, claimant=claimant, statement="late")
    assert exc.value.code == "deadline"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DENIED


def test_request_for_information_opens_one_thing_to_fix_and_the_answer_returns_to_review(
    queued_claim, agent, claimant
):
    claim = claim_request_info(
        claim=queued_claim, message="Please send the receipt.", document_kind="receipt", actor=agent
    )
    assert claim.status == Claim.Status.INFO_REQUESTED
    assert claim.info_due_at is not None
    assert claim.info_due_at > timezone.now()
    notice = Notice.objects.get(kind="info_requested")
    answer_path = f"/programs/{claim.program.slug}/claims/{claim.reference}/answer/"
    assert notice.context["claim_url"].endswith(answer_path)
    template = NoticeTemplate.objects.get(kind="info_requested", channel="email", language="en")
    assert "{{ claim_url }}" in template.body
    upload = SimpleUploadedFile("r.pdf", PDF + b"y", content_type="application/pdf")
    claim = claim_info_respond(claim=claim, claimant=claimant, answer="Attached.", upload=upload)
    assert claim.status == Claim.Status.IN_REVIEW
    assert claim.documents.filter(kind="receipt", purpose="info").count() == 1


def test_two_reviewers_deciding_at_once_cannot_both_win(queued_claim, agent):
    stale = Claim.objects.get(pk=queued_claim.pk)
    claim_deny(claim=queued_claim, reason_codes=["not_affected"], actor=agent)
    with pytest.raises(ClaimError) as exc:
        claim_approve(claim=stale, amount_minor=10_000, actor=agent)
    assert exc.value.code == "conflict"
    assert Award.objects.count() == 0


def test_referral_goes_to_an_expert_who_sees_only_that_claim(
    queued_claim, agent, program, documented
):
    from claims.selectors import queue_for
    from tests.factories import ClaimFactory

    expert = UserFactory.create(role="Outside expert")
    ClaimFactory.create(program=program, claim_type=documented)
    claim = claim_refer(claim=queued_claim, expert=expert, actor=agent, note="Is this real?")
    assert claim.status == Claim.Status.REFERRED
    assert list(queue_for(expert)) == [claim]
    assert queue_for(agent).count() == 2


def test_feedback_is_taken_once_after_a_decision(queued_claim, agent):
    with pytest.raises(ClaimError):
        claim_feedback(claim=queued_claim, rating=5)
    claim = claim_approve(claim=queued_claim, amount_minor=10_000, actor=agent)
    assert claim_feedback(claim=claim, rating=4, comment="Quick.") is True
    assert claim_feedback(claim=claim, rating=1) is False
    claim.refresh_from_db()
    assert claim.feedback_rating == 4


def test_overdue_claims_are_flagged_once(queued_claim):
    Claim.objects.filter(pk=queued_claim.pk).update(due_at=days_ago(1))
    assert claims_flag_overdue() == 1
    assert claims_flag_overdue() == 0
