import pytest
from django.urls import reverse

from claims.models import Claim, ClaimEvent
from compensation.models import Award
from tests.claims.conftest import days_ago
from tests.factories import ClaimFactory, ClaimTypeFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:claims_claim_changelist")


def _many_claims(program, count=30):
    types = [ClaimTypeFactory.create(program=program) for _ in range(3)]
    for i in range(count):
        ClaimFactory.create(
            program=program,
            claim_type=types[i % 3],
            signals=[{"code": "network_burst", "count": 6}] if i % 4 == 0 else [],
            risk="high" if i % 4 == 0 else "low",
            score=40 if i % 4 == 0 else 90,
            due_at=days_ago(1) if i % 5 == 0 else None,
        )


def test_queue_page_costs_the_same_queries_for_10_or_40_claims(
    staff_client, program, django_assert_max_num_queries
):
    client = staff_client("Support agent")
    _many_claims(program, 10)
    with django_assert_max_num_queries(14):
        assert client.get(QUEUE).status_code == 200
    _many_claims(program, 30)
    with django_assert_max_num_queries(14):
        response = client.get(QUEUE + "?o=-5")
    assert response.status_code == 200


def test_queue_filters_overdue_high_risk_and_mine(staff_client, program):
    client = staff_client("Support agent")
    _many_claims(program, 20)
    mine = Claim.objects.filter(risk="low").first()
    assert mine is not None
    Claim.objects.filter(pk=mine.pk).update(assigned_to=client.user)
    overdue = client.get(QUEUE + "?sla=overdue")
    assert overdue.context["cl"].result_count == 4
    high = client.get(QUEUE + "?risk__exact=high")
    assert high.context["cl"].result_count == 5
    assigned = client.get(QUEUE + "?assigned=me")
    assert [c.pk for c in assigned.context["cl"].result_list] == [mine.pk]


def test_bulk_assign_gives_the_selected_claims_to_a_colleague(staff_client, program):
    client = staff_client("Support agent")
    colleague = UserFactory.create(role="Support agent")
    _many_claims(program, 5)
    ids = list(Claim.objects.values_list("pk", flat=True)[:3])
    response = client.post(
        QUEUE,
        {"action": "assign_selected", "_selected_action": ids, "assignee": colleague.pk},
    )
    assert response.status_code == 302
    assert Claim.objects.filter(assigned_to=colleague).count() == 3
    assert ClaimEvent.objects.filter(kind="assigned", internal=True).count() == 3


def test_case_page_shows_everything_and_approves(staff_client, program, documented, claimant):
    from tests.claims.helpers import file_claim

    claim, _ = file_claim(
        program=program, claim_type=documented, claimant=claimant, documents=(), amount=80_000
    )
    client = staff_client("Support agent")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert claim.reference in text
    assert "Matched" in text
    assert "documents" in text
    assert "Missing receipt" in text  # the canned responses of the claim's language
    response = client.post(url, {"action": "approve", "amount": "80000"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert Award.objects.get(claim_reference=claim.reference).amount_minor == 80_000


def test_case_page_reports_a_refused_decision_without_changing_anything(
    staff_client, program, documented, claimant
):
    from tests.claims.helpers import file_claim

    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    client = staff_client("Support agent")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    response = client.post(url, {"action": "approve", "amount": "999999999"}, follow=True)
    assert "at most" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert Award.objects.count() == 0


def test_auditor_reads_the_case_but_cannot_decide(staff_client, program, documented, claimant):
    from tests.claims.helpers import file_claim

    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    client = staff_client("Auditor")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"action": "approve", "amount": "1000"})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


def test_expert_sees_only_referred_claims_in_the_admin(staff_client, program, documented):
    client = staff_client("Outside expert")
    other = ClaimFactory.create(program=program, claim_type=documented)
    referred = ClaimFactory.create(
        program=program, claim_type=documented, status="referred", referred_to=client.user
    )
    listing = client.get(QUEUE)
    assert [c.pk for c in listing.context["cl"].result_list] == [referred.pk]
    assert client.get(reverse("admin:claims_claim_change", args=[other.pk])).status_code == 404


def test_case_page_costs_the_same_queries_with_more_documents_and_history(
    staff_client, program, documented, claimant, django_assert_max_num_queries
):
    from claims.services import claim_document_add, claim_note_add
    from tests.claims.conftest import pdf
    from tests.claims.helpers import file_claim

    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    client = staff_client("Support agent")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    with django_assert_max_num_queries(16) as few:
        assert client.get(url).status_code == 200
    for i in range(5):
        claim_document_add(
            claimant=claimant, draft_key="more", kind="receipt", upload=pdf(), claim=claim
        )
        claim_note_add(claim=claim, note=f"note {i}", actor=client.user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
