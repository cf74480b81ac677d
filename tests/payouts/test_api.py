"""The staff payouts API: a staff session with the second factor, allowed by role; figures and
references only, never a payment detail beyond the masked last four; in the OpenAPI schema."""

import pytest
from django.urls import reverse

from accounts.roles import AUDITOR, PAYMENTS_OFFICER, PROGRAM_OPERATOR, SUPPORT_AGENT
from payouts.models import Payout
from payouts.services.batches import payout_batch_create, payout_batch_release
from tests.conftest import otp_login
from tests.factories import ProgramFactory, UserFactory
from tests.payouts.factories import claim_award

pytestmark = pytest.mark.django_db

ACCOUNT, HOLDER = "110987654321", "Park Seoyeon"


@pytest.fixture
def batch():
    program = ProgramFactory.create(currency="KRW", slug="breach-2025")
    for amount in (10_000, 20_000):
        claim_award(program, amount_minor=amount, account_number=ACCOUNT, holder=HOLDER)
    built = payout_batch_create(
        program=program, method="bank_transfer", actor=UserFactory.create(), build_now=True
    )
    return payout_batch_release(batch=built, actor=UserFactory.create())


def _urls(batch) -> list[str]:
    return [
        reverse("payouts-api:batches"),
        reverse("payouts-api:batch", args=[batch.public_id]),
        reverse("payouts-api:payouts"),
    ]


def test_without_a_verified_staff_session_every_endpoint_answers_401(client, batch):
    for url in _urls(batch):
        response = client.get(url)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_authenticated"
    client.force_login(UserFactory.create(role=PAYMENTS_OFFICER))  # password, no second factor
    assert all(client.get(url).status_code == 401 for url in _urls(batch))


def test_a_support_agent_sees_payouts_but_not_batches(staff_client, batch):
    client = staff_client(SUPPORT_AGENT)
    assert client.get(reverse("payouts-api:payouts")).status_code == 200
    refused = client.get(reverse("payouts-api:batches"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    detail = reverse("payouts-api:batch", args=[batch.public_id])
    assert client.get(detail).status_code == 403


def test_staff_without_a_payouts_role_are_refused(client, batch):
    otp_login(client, UserFactory.create())  # staff, second factor, no role
    assert all(client.get(url).status_code == 403 for url in _urls(batch))


@pytest.mark.parametrize("role", [PAYMENTS_OFFICER, PROGRAM_OPERATOR, AUDITOR])
def test_a_batch_is_listed_with_its_figures_and_progress(staff_client, batch, role):
    client = staff_client(role)
    [row] = client.get(reverse("payouts-api:batches")).json()["results"]
    assert row["public_id"] == str(batch.public_id)
    assert row["status"] == "released"
    assert (row["payouts_count"], row["total_minor"], row["currency"]) == (2, 30_000, "KRW")
    assert row["program"] == "breach-2025"
    detail = client.get(reverse("payouts-api:batch", args=[batch.public_id])).json()
    assert detail["progress"]["by_status"] == [
        {"status": "released", "count": 2, "amount_minor": 30_000}
    ]
    assert client.get(reverse("payouts-api:batches"), {"status": "built"}).json()["results"] == []


def test_payouts_filter_by_batch_and_status(staff_client, batch):
    client = staff_client(PAYMENTS_OFFICER)
    url = reverse("payouts-api:payouts")
    rows = client.get(url, {"batch": str(batch.public_id), "status": "released"}).json()
    assert sorted(r["amount_minor"] for r in rows["results"]) == [10_000, 20_000]
    assert {r["batch"] for r in rows["results"]} == {str(batch.public_id)}
    assert client.get(url, {"status": "paid"}).json()["results"] == []
    for bad in ({"batch": "not-a-uuid"}, {"batch": ""}, {"status": "AAA"}, {"status": ""}):
        refused = client.get(url, bad)
        assert refused.status_code == 400
        assert refused.json()["code"] == "invalid_request"
    assert client.get(reverse("payouts-api:batches"), {"status": "AAA"}).status_code == 400
    assert client.get(url, {"cursor": "not-ours"}).status_code == 404
    other = "00000000-0000-4000-8000-000000000000"
    assert client.get(url, {"batch": other}).json()["results"] == []


def test_no_answer_carries_account_data_beyond_the_last_four(staff_client, batch):
    client = staff_client(PAYMENTS_OFFICER)
    bodies = [client.get(url).content.decode() for url in _urls(batch)]
    for body in bodies:
        assert ACCOUNT not in body
        assert HOLDER not in body
        assert "details" not in body
        assert "bank_code" not in body
    payouts = client.get(reverse("payouts-api:payouts")).json()["results"]
    assert {p["account"] for p in payouts} == {"****4321"}
    claim_references = set(Payout.objects.values_list("instruction__claim_reference", flat=True))
    assert {p["claim_reference"] for p in payouts} == claim_references


def test_a_batch_that_does_not_exist_answers_404(staff_client):
    client = staff_client(PAYMENTS_OFFICER)
    missing = client.get("/api/v1/staff/payouts/batches/00000000-0000-4000-8000-000000000000/")
    assert missing.status_code == 404
    assert client.get("/api/v1/staff/payouts/batches/abc/").status_code == 404


def test_the_list_is_paged_by_cursor(staff_client, batch, monkeypatch):
    monkeypatch.setattr("payouts.api._ById.page_size", 1)
    client = staff_client(PAYMENTS_OFFICER)
    first = client.get(reverse("payouts-api:payouts")).json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == len(second["results"]) == 1
    assert first["results"][0]["reference"] != second["results"][0]["reference"]
    assert second["next"] is None


def test_the_openapi_schema_describes_the_payouts_endpoints(staff_client):
    schema = staff_client(SUPPORT_AGENT).get(reverse("api-schema")).content.decode()
    for path in (
        "/api/v1/staff/payouts/:",
        "/api/v1/staff/payouts/batches/:",
        "/api/v1/staff/payouts/batches/{public_id}/:",
    ):
        assert path in schema
    assert "PayoutStatusEnum" in schema
    assert "PayoutBatchStatusEnum" in schema
    assert "The last four digits only" in schema
