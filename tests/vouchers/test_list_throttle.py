"""The shop's list of a customer's vouchers is limited per service key and per key and
customer (config.ratelimit, as the redeem's throttle): over either, 429 with Retry-After, and
another key, or the same key for another customer under the key's ceiling, is unaffected."""

import pytest

from tests.vouchers.conftest import people_make, run_issue
from vouchers.services.keys import service_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(coupang, no_dispatch):
    people_make(coupang, 3)
    run_issue(coupang)
    return coupang


def _list(client, key, customer_ref):
    return client.get(
        f"/api/v1/customers/{customer_ref}/vouchers",
        headers={"Authorization": f"ServiceKey {key.raw}"},
    )


def _other_eats_key():
    key, raw = service_key_create(name="Eats app", service_scope="eats", actor_label="test")
    setattr(key, "raw", raw)
    return key


def test_one_customers_list_asked_too_often_answers_429_and_other_customers_and_keys_not(
    client, issued, eats_key, settings
):
    settings.VOUCHERS_LIST_PER_CUSTOMER = 3
    settings.VOUCHERS_LIST_PER_KEY = 100
    for _ in range(3):
        assert _list(client, eats_key, "P00000001").status_code == 200
    refused = _list(client, eats_key, "P00000001")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "too_many_requests"
    assert "customer" in refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= settings.VOUCHERS_LIST_WINDOW_SECONDS
    assert "vouchers" not in refused.json()
    # The same key for another customer, and another key for the same customer, still answer.
    assert _list(client, eats_key, "P00000002").status_code == 200
    assert _list(client, _other_eats_key(), "P00000001").status_code == 200


def test_a_key_walking_through_customer_references_is_stopped_and_another_key_is_not(
    client, issued, eats_key, settings
):
    settings.VOUCHERS_LIST_PER_CUSTOMER = 30
    settings.VOUCHERS_LIST_PER_KEY = 5
    # Unknown references count as much as known ones: a 404 tells who is a customer too.
    answers = [_list(client, eats_key, f"guess-{i}").status_code for i in range(5)]
    assert answers == [404] * 5
    refused = _list(client, eats_key, "P00000001")
    assert refused.status_code == 429
    assert "service key" in refused.json()["detail"]
    assert _list(client, _other_eats_key(), "P00000001").status_code == 200


def test_a_refused_request_counts_nothing(client, issued, eats_key, settings):
    """Control: without the limit reached the list answers; refusals do not extend it."""
    settings.VOUCHERS_LIST_PER_CUSTOMER = 2
    settings.VOUCHERS_LIST_PER_KEY = 3
    assert [_list(client, eats_key, "P00000001").status_code for _ in range(4)] == [
        200,
        200,
        429,
        429,
    ]
    # The key used 2 of its 3: the refusals for P00000001 took none of the key's allowance.
    assert _list(client, eats_key, "P00000002").status_code == 200
    assert _list(client, eats_key, "P00000003").status_code == 429
