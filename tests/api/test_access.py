"""Every API endpoint, walked as every kind of caller: nobody gets data that is not theirs.

The endpoint list comes from the OpenAPI schema itself, so a new endpoint is walked too (and
fails here until it is placed in the access table below)."""

import json
import uuid

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from compensation.hashing import email_hash
from tests.conftest import otp_login
from tests.factories import (
    ClaimantPersonFactory,
    ClaimFactory,
    ClaimTypeFactory,
    ProgramFactory,
    UserFactory,
)
from vouchers.services.keys import service_key_create

pytestmark = pytest.mark.django_db

CALLERS = ["anonymous", "claimant", "service_key", "password_only_staff", "verified_staff"]

# path -> the callers that may get a 2xx. Everyone else must get 401, 403 or 404.
ACCESS = {
    "/api/v1/claims/": {"claimant"},
    "/api/v1/claims/{reference}/": set(),  # the path holds someone else's claim
    "/api/v1/staff/claims/": {"verified_staff"},
    "/api/v1/staff/claims/{reference}/": {"verified_staff"},
    "/api/v1/staff/payouts/": {"verified_staff"},
    "/api/v1/staff/payouts/batches/": {"verified_staff"},
    "/api/v1/staff/payouts/batches/{public_id}/": set(),  # no such batch
    "/api/v1/vouchers/validate": set(),  # an unknown code: refused even with a key
    "/api/v1/vouchers/redeem": set(),
    "/api/v1/vouchers/redemptions/{redemption_id}/reverse": set(),
    "/api/v1/customers/{customer_ref}/vouchers": set(),  # a customer nobody knows: 404
}


def _endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method in operations:
            yield path, method


@pytest.fixture
def world():
    program = ProgramFactory.create()
    claim_type = ClaimTypeFactory.create(program=program)
    mine = ClaimantPersonFactory.create(program=program, email="mine@example.com")
    theirs = ClaimantPersonFactory.create(program=program, email="theirs@example.com")
    my_claim = ClaimFactory.create(program=program, claim_type=claim_type, person=mine)
    their_claim = ClaimFactory.create(
        program=program, claim_type=claim_type, person=theirs, statement="THEIR-PRIVATE-STATEMENT"
    )
    _, raw_key = service_key_create(name="walk", service_scope="eats", actor_label="test")
    return {"mine": mine, "my_claim": my_claim, "their_claim": their_claim, "key": raw_key}


def _client(caller: str, world) -> tuple[Client, dict]:
    client, headers = Client(), {}
    if caller == "claimant":
        session = client.session
        session["claimant_person_id"] = world["mine"].pk
        digest = email_hash("mine@example.com")
        assert digest is not None
        session["claimant_email_hash"] = digest.hex()
        session.save()
    elif caller == "service_key":
        headers["HTTP_AUTHORIZATION"] = f"ServiceKey {world['key']}"
    elif caller == "password_only_staff":
        client.force_login(UserFactory.create(is_superuser=True))
    elif caller == "verified_staff":
        otp_login(client, UserFactory.create(is_superuser=True))
    return client, headers


def _call(client, headers, method, path, world):
    url = path.format(
        reference=world["their_claim"].reference,
        redemption_id="00000000-0000-4000-8000-000000000000",
        public_id="00000000-0000-4000-8000-000000000000",
        customer_ref="nobody-we-know",
    )
    body = {"code": "ABCD-EFGH-JKLM-NPQR-S", "order_reference": "o-1", "reason": "walk"}
    if method == "get":
        return client.get(url, **headers)
    return client.generic(
        method.upper(),
        url,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        **headers,
    )


def test_every_endpoint_is_in_the_access_table():
    assert {path for path, _ in _endpoints()} == set(ACCESS)


@pytest.mark.parametrize("caller", CALLERS)
def test_no_caller_gets_data_that_is_not_theirs(caller, world):
    client, headers = _client(caller, world)
    for path, method in _endpoints():
        response = _call(client, headers, method, path, world)
        allowed = caller in ACCESS[path]
        body = response.content.decode()
        assert world["their_claim"].reference not in body or caller == "verified_staff", (
            caller,
            path,
        )
        assert "THEIR-PRIVATE-STATEMENT" not in body or caller == "verified_staff", (caller, path)
        if allowed:
            assert 200 <= response.status_code < 300, (caller, method, path, response.status_code)
        else:
            assert response.status_code in (401, 403, 404), (
                caller,
                method,
                path,
                response.status_code,
            )


def test_a_claimant_lists_only_their_own_claims(world):
    client, _headers = _client("claimant", world)
    body = client.get("/api/v1/claims/").json()
    references = {claim["reference"] for claim in body["results"]}
    assert references == {world["my_claim"].reference}
