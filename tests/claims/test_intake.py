import pytest
from django.db import IntegrityError

from audit.models import AuditEvent
from claims.errors import ClaimError
from claims.models import Claim, ClaimDocument
from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from compensation.models import Award, Program
from notifications.models import Notice
from tests.claims.helpers import file_claim
from tests.factories import ClaimantPersonFactory, ClaimFactory

pytestmark = pytest.mark.django_db


def test_clear_documented_claim_is_approved_with_an_award_and_two_notices(
    program, documented, claimant
):
    claim, created = file_claim(program=program, claim_type=documented, claimant=claimant)
    assert created
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert claim.screening_outcome == "approve"
    assert claim.score >= 80
    assert claim.amount_decided_minor == 50_000
    assert claim.award.amount_minor == 50_000
    assert claim.award.claim_reference == claim.reference
    program.refresh_from_db()
    assert program.committed_minor == 50_000
    assert claim.policy.status == "published"
    assert {r["code"] for r in claim.decision_reasons} >= {"on_affected_list", "documents"}
    kinds = set(Notice.objects.filter(person=claim.person).values_list("kind", flat=True))
    assert kinds == {"claim_acknowledged", "decision"}
    assert AuditEvent.objects.filter(action="claim.submit", object_id=str(claim.pk)).exists()
    assert claim.documents.count() == 1


def test_missing_document_sends_the_claim_to_the_queue_with_its_sla(program, documented, claimant):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.due_at is not None
    assert claim.award is None
    failed = [r["code"] for r in claim.decision_reasons if not r["passed"]]
    assert failed == ["documents"]
    assert Award.objects.count() == 0


def test_retried_submit_with_the_same_key_creates_one_claim(program, documented, claimant):
    first, created = file_claim(program=program, claim_type=documented, claimant=claimant)
    again, created_again = file_claim(
        program=program, claim_type=documented, claimant=claimant, documents=()
    )
    assert created
    assert not created_again
    assert again.pk == first.pk
    assert Claim.objects.count() == 1
    assert Award.objects.count() == 1


def test_second_claim_of_a_type_is_refused_and_the_database_backs_it(program, documented, claimant):
    file_claim(program=program, claim_type=documented, claimant=claimant, key="a")
    with pytest.raises(ClaimError) as exc:
        file_claim(program=program, claim_type=documented, claimant=claimant, key="b")
    assert exc.value.code == "already_filed"
    assert Claim.objects.count() == 1
    claim = Claim.objects.get()
    with pytest.raises(IntegrityError):
        ClaimFactory.create(
            program=program,
            claim_type=documented,
            person=claim.person,
            slot=1,
            claimant_email_hash=claim.claimant_email_hash,
        )


def test_person_not_on_the_list_is_denied_on_a_route_that_needs_the_record(program, documented):
    stranger = Claimant(person=None, email_hash=email_hash("stranger@example.com"))
    claim, _ = file_claim(
        program=program,
        claim_type=documented,
        claimant=stranger,
        contact_email="stranger@example.com",
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DENIED
    assert claim.amount_decided_minor == 0
    assert Notice.objects.filter(kind="decision", to_address="stranger@example.com").exists()


def test_good_faith_buyer_off_the_list_files_on_the_documented_route(program, good_faith):
    buyer = Claimant(person=None, email_hash=email_hash("buyer@example.com"))
    claim, _ = file_claim(
        program=program,
        claim_type=good_faith,
        claimant=buyer,
        documents=("proof_of_purchase",),
        contact_email="buyer@example.com",
        amount=30_000,
    )
    claim.refresh_from_db()
    # Off the list scores lower on record match: a person looks at it, nothing is denied.
    assert claim.status in (Claim.Status.SUBMITTED, Claim.Status.APPROVED)
    assert claim.person is None
    assert claim.contact_email == "buyer@example.com"
    assert not [r for r in claim.decision_reasons if not r["passed"] and r["effect"] == "deny"]


def _bank_account_hash(number: str) -> bytes | None:
    """The keyed hash the details step computes for a KB Kookmin account as typed."""
    from claims.services.intake import payout_account_fingerprint

    return payout_account_fingerprint(
        currency="KRW", method="bank_transfer", bank_code="004", fields={"account_number": number}
    )


def test_reused_document_and_shared_payout_are_signals_that_send_to_review(
    program, documented, claimant
):
    from demo.documents import PDF

    other = ClaimantPersonFactory.create(program=program, email="other@example.com")
    other_claimant = Claimant(person=other, email_hash=email_hash(other.email))
    from django.core.files.uploadedfile import SimpleUploadedFile

    from claims.services import claim_document_add

    for who, key in ((claimant, "k1"), (other_claimant, "k2")):
        claim_document_add(
            claimant=who,
            draft_key=key,
            kind="receipt",
            upload=SimpleUploadedFile("r.pdf", PDF, content_type="application/pdf"),
        )
    file_claim(
        program=program,
        claim_type=documented,
        claimant=claimant,
        key="k1",
        documents=(),
        payout_account_hash=_bank_account_hash("1234-5678-9012"),
    )
    second, _ = file_claim(
        program=program,
        claim_type=documented,
        claimant=other_claimant,
        key="k2",
        documents=(),
        payout_account_hash=_bank_account_hash("123456 789012"),
    )
    second.refresh_from_db()
    codes = {s["code"] for s in second.signals}
    assert codes == {"reused_document", "shared_payout"}
    assert second.status == Claim.Status.SUBMITTED
    assert second.risk == Claim.Risk.HIGH
    assert Award.objects.filter(claim_reference=second.reference).count() == 0


def test_many_claims_from_one_network_carry_the_burst_signal(program, documented, settings):
    settings.CLAIMS_NETWORK_SIGNAL_COUNT = 3
    claims = []
    for i in range(3):
        person = ClaimantPersonFactory.create(program=program)
        who = Claimant(person=person, email_hash=email_hash(person.email))
        claim, _ = file_claim(
            program=program,
            claim_type=documented,
            claimant=who,
            key=f"n{i}",
            ip=f"198.51.100.{10 + i}",
        )
        claims.append(claim)
    claims[-1].refresh_from_db()
    assert "network_burst" in {s["code"] for s in claims[-1].signals}
    claims[0].refresh_from_db()
    assert claims[0].signals == []


def test_a_burst_of_submissions_from_one_network_is_throttled(program, documented, settings):
    settings.CLAIMS_THROTTLES = {**settings.CLAIMS_THROTTLES, "submit_network": (2, 3600)}
    for i in range(2):
        person = ClaimantPersonFactory.create(program=program)
        who = Claimant(person=person, email_hash=email_hash(person.email))
        file_claim(program=program, claim_type=documented, claimant=who, key=f"t{i}")
    person = ClaimantPersonFactory.create(program=program)
    who = Claimant(person=person, email_hash=email_hash(person.email))
    with pytest.raises(ClaimError) as exc:
        file_claim(program=program, claim_type=documented, claimant=who, key="t9")
    assert exc.value.code == "throttled"
    assert exc.value.status == 429
    assert Claim.objects.count() == 2


def test_budget_that_cannot_pay_sends_the_claim_to_review_and_grants_nothing(
    program, documented, claimant
):
    Program.objects.filter(pk=program.pk).update(budget_minor=10_000)
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert Award.objects.count() == 0
    program.refresh_from_db()
    assert program.committed_minor == 0


def test_pro_rata_program_records_the_entitlement_and_pays_nothing_yet(
    program, documented, claimant
):
    from claims.services.pool import pool_entitled_minor, pool_entitlements

    Program.objects.filter(pk=program.pk).update(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=1_000_000
    )
    program.refresh_from_db()
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert claim.entitlement_minor == 50_000
    assert claim.award is None
    assert Award.objects.count() == 0
    assert pool_entitled_minor(program) == 50_000
    assert [e.claim_reference for e in pool_entitlements(program)] == [claim.reference]


def test_closed_program_takes_no_claim(program, documented, claimant):
    Program.objects.filter(pk=program.pk).update(status=Program.Status.CLOSED)
    program.refresh_from_db()
    with pytest.raises(ClaimError):
        file_claim(program=program, claim_type=documented, claimant=claimant)
    assert Claim.objects.count() == 0
    # The uploaded draft stays a draft: it is attached to nothing.
    assert ClaimDocument.objects.filter(claim__isnull=False).count() == 0
