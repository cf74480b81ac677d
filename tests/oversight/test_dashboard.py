import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import AUDITOR, PROGRAM_OPERATOR, SENIOR_REVIEWER, SUPPORT_AGENT
from audit.models import AuditEvent
from compensation.models.choices import AwardKind
from compensation.services.ledger import award_grant
from oversight.dashboard import PAYOUT_COLUMNS
from oversight.services import snapshot_refresh
from payouts.models import Payout
from payouts.services.batches import payout_batch_create, payout_batch_release
from payouts.services.settle import payouts_settle
from tests.factories import ClaimFactory, ClaimTypeFactory, ProgramFactory, UserFactory
from tests.payouts.factories import claim_award
from tests.vouchers.conftest import (  # noqa: F401  (no_dispatch is a fixture)
    no_dispatch,
    people_make,
    run_issue,
    voucher_program_make,
)

pytestmark = pytest.mark.django_db

PAYOUT_CELLS = ("granted", *PAYOUT_COLUMNS)


@pytest.fixture
def program(no_dispatch):  # noqa: F811
    program = voucher_program_make(name="Dashboard demo", account_statuses=["active"])
    people_make(program, 30)
    run_issue(program)
    return program


def _claims(program, n: int):
    claim_type = ClaimTypeFactory.create(program=program)
    now = timezone.now()
    for i in range(n):
        decided = i % 2 == 0
        ClaimFactory.create(
            program=program,
            claim_type=claim_type,
            status="approved" if decided else "submitted",
            decided_at=now if decided else None,
            feedback_rating=4 if decided else None,
            feedback_comment="Quick and fair" if i == 0 else "",
        )


def _dashboard(client, program):
    return client.get(reverse("admin:oversight_programdashboard_change", args=[program.pk]))


def test_dashboard_shows_live_and_snapshot_figures(staff_client, program):
    _claims(program, 4)
    snapshot_refresh(program=program)
    page = _dashboard(staff_client(PROGRAM_OPERATOR), program)
    assert page.status_code == 200
    text = page.text
    assert "120" in text  # 30 people x 4 vouchers issued
    assert "₩1,500,000" in text  # committed: 30 x 50,000
    assert "Quick and fair" in text
    assert "<svg" in text
    assert "Claims received per day" in text
    assert page.context["timing"]["decided"] == 2
    assert page.context["voucher_totals"]["total"] == 120


def test_dashboard_costs_a_fixed_number_of_queries(
    staff_client, program, django_assert_max_num_queries
):
    client = staff_client(PROGRAM_OPERATOR)
    _claims(program, 3)
    snapshot_refresh(program=program)
    with django_assert_max_num_queries(40) as small:
        _dashboard(client, program)
    _claims(program, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        _dashboard(client, program)


def test_auditor_exports_claims_and_the_audit_trail_without_personal_data(staff_client, program):
    _claims(program, 3)
    client = staff_client(AUDITOR)
    response = client.get(
        reverse("admin:oversight_programdashboard_export", args=[program.pk, "claims"])
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    lines = body.splitlines()
    assert lines[0].startswith("reference,claim_type,status")
    assert len(lines) == 4
    assert "@example.com" not in body
    trail = client.get(
        reverse("admin:oversight_programdashboard_export", args=[program.pk, "audit"])
    )
    assert b"export.claims" in b"".join(trail.streaming_content)
    assert AuditEvent.objects.filter(action="export.claims", actor=client.user).exists()


def test_voucher_export_never_contains_codes_or_hashes(staff_client, program):
    client = staff_client(PROGRAM_OPERATOR)
    response = client.get(
        reverse("admin:oversight_programdashboard_export", args=[program.pk, "vouchers"])
    )
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0] == (
        "voucher_id,service_scope,amount_minor,currency,state,"
        "valid_from,valid_until,issued_at,state_changed_at,"
        "person_external_id"
    )
    assert len(body.splitlines()) == 121


def test_support_agent_cannot_export_and_senior_reviewer_cannot_either(
    staff_client, program, client
):
    url = reverse("admin:oversight_programdashboard_export", args=[program.pk, "claims"])
    assert staff_client(SUPPORT_AGENT).get(url).status_code == 403
    client.logout()
    reviewer = staff_client(SENIOR_REVIEWER)
    assert reviewer.get(url).status_code == 403
    assert _dashboard(reviewer, program).status_code == 200
    assert not AuditEvent.objects.filter(action="export.claims").exists()


def test_regulator_summary_is_produced_and_audited(staff_client, program):
    _claims(program, 2)
    client = staff_client(PROGRAM_OPERATOR)
    page = client.get(reverse("admin:oversight_programdashboard_report", args=[program.pk]))
    assert page.status_code == 200
    assert "How decisions were made" in page.text
    assert f"{program.population.count()} people on the affected list" in page.text
    assert AuditEvent.objects.filter(action="report.regulator_summary").exists()


def test_the_dashboard_names_claim_types_statuses_and_services_not_their_codes(staff_client):
    claim_type = ClaimTypeFactory.create(code="documented-loss", title={"en": "Documented losses"})
    ClaimFactory.create(program=claim_type.program, claim_type=claim_type, status="in_review")
    client = staff_client(PROGRAM_OPERATOR)
    url = reverse("admin:oversight_programdashboard_change", args=[claim_type.program.pk])
    body = client.get(url).content.decode()
    assert "Documented losses" in body
    assert "In review" in body
    assert "documented-loss" not in body
    assert "in_review" not in body


def _settle(batch, outcomes: dict[int, str]) -> None:
    """A bank's answers for some payouts of a released batch, applied as the result file is."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE h4_results (payout_id bigint, outcome text, "
            "failure_code text, provider_reference text, settled_at timestamptz) ON COMMIT DROP"
        )
        for payout_id, outcome in outcomes.items():
            cursor.execute(
                "INSERT INTO h4_results VALUES (%s, %s, '', '', now())", [payout_id, outcome]
            )
        payouts_settle(batch=batch, results_table="h4_results", actor_label="test")


@pytest.fixture
def paid_out():
    """Four bank-transfer claim awards in a released batch: two paid, one failed, one still
    waiting; and one approved claim whose claimant has not chosen how to be paid."""
    program = ProgramFactory.create(currency="KRW", name="Payouts dashboard")
    awards = [claim_award(program, amount_minor=a)[0] for a in (10_000, 20_000, 30_000, 40_000)]
    award_grant(
        program=program,
        kind=AwardKind.CASH,
        amount_minor=5_000,
        source="claim",
        claim_reference="C-NOCHOICE",
        actor_label="test",
    )
    built = payout_batch_create(
        program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
    )
    batch = payout_batch_release(batch=built, actor=UserFactory.create())
    payout_of = dict(Payout.objects.values_list("award_id", "id"))
    _settle(
        batch,
        {
            payout_of[awards[0].pk]: "paid",
            payout_of[awards[1].pk]: "paid",
            payout_of[awards[2].pk]: "failed",
        },
    )
    snapshot_refresh(program=program)
    return program


def test_the_money_section_shows_payouts_per_method(staff_client, paid_out):
    page = _dashboard(staff_client(PROGRAM_OPERATOR), paid_out)
    bank, not_chosen = page.context["payouts_by_method"]
    assert bank["method"] == "Bank transfer"
    figures = {c: (bank[c]["count"], bank[c]["amount"]) for c in PAYOUT_CELLS}
    assert figures == {
        "granted": (2, "₩70,000"),  # the failed one and the one waiting: still to pay
        "in_batch": (1, "₩40,000"),
        "paid": (2, "₩30,000"),
        "failed": (1, "₩30,000"),
        "returned": (0, "₩0"),
    }
    assert not_chosen["method"] == "Not chosen yet"
    assert (not_chosen["granted"]["count"], not_chosen["granted"]["amount"]) == (1, "₩5,000")
    assert "Payouts by method" in page.text
    assert "₩70,000" in page.text
    assert "bank_transfer" not in page.text
    assert page.context["money"]["delivered"] == "₩30,000"


def test_the_regulator_summary_reports_delivered_amounts_and_payouts_by_method(
    staff_client, paid_out
):
    client = staff_client(PROGRAM_OPERATOR)
    page = client.get(reverse("admin:oversight_programdashboard_report", args=[paid_out.pk]))
    assert page.status_code == 200
    text = page.text
    assert "of which claims paid out" in text
    assert "₩30,000 (2 awards)" in text
    assert "Claims paid out, by method" in text
    assert "Bank transfer" in text
