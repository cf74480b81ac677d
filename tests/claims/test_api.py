import pytest
from django.urls import reverse

from tests.claims.conftest import claimant_session
from tests.claims.helpers import file_claim
from tests.factories import ClaimantPersonFactory, ClaimFactory

pytestmark = pytest.mark.django_db


def test_claimant_lists_only_their_own_claims_with_reasons_in_their_language(
    client, program, documented, claimant, person
):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant)
    ClaimFactory.create(program=program, claim_type=documented)
    claimant_session(client, person=person, email=person.email)
    response = client.get(reverse("claims-api:my-claims"), HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["reference"] for r in rows] == [claim.reference]
    assert rows[0]["status"] == "approved"
    assert any("자동 승인" in reason for reason in rows[0]["reasons"])


def test_without_a_claimant_session_the_api_answers_a_problem(client):
    response = client.get(reverse("claims-api:my-claims"))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"


def test_someone_elses_claim_is_404_in_the_api(client, program, documented):
    claim = ClaimFactory.create(program=program, claim_type=documented)
    other = ClaimantPersonFactory.create(program=program)
    claimant_session(client, person=other, email=other.email)
    response = client.get(reverse("claims-api:my-claim", args=[claim.reference]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_staff_queue_needs_the_second_factor_and_filters(staff_client, client, program, documented):
    ClaimFactory.create(program=program, claim_type=documented, risk="high")
    ClaimFactory.create(program=program, claim_type=documented, risk="low")
    assert client.get(reverse("claims-api:queue")).status_code == 401
    agent = staff_client("Support agent")
    response = agent.get(reverse("claims-api:queue") + "?risk=high&ordering=-risk")
    assert response.status_code == 200
    assert [r["risk"] for r in response.json()["results"]] == ["high"]
    assert "email" not in str(response.json())


def test_openapi_schema_describes_the_claims_endpoints(staff_client):
    client = staff_client("Support agent")
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/claims/" in body
    assert "/api/v1/staff/claims/" in body
