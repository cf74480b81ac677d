import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from vouchers.models import IdempotencyRecord, Redemption, Voucher
from vouchers.services.codes import code_display
from vouchers.services.freeze import vouchers_freeze
from vouchers.services.keys import service_key_create, service_key_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(coupang, no_dispatch):
    people_make(coupang, 3)
    run_issue(coupang)
    return coupang


def _eats(program, index=0) -> Voucher:
    return Voucher.objects.filter(program=program, service_scope="eats").order_by("id")[index]


def _post(client, key, name, body, **headers):
    url = name if name.startswith("/") else reverse(f"vouchers_api:{name}")
    return client.post(
        url,
        body,
        content_type="application/json",
        headers={"Authorization": f"ServiceKey {key.raw}", **headers},
    )


def test_a_service_validates_then_redeems_a_code_once(client, issued, eats_key):
    voucher = _eats(issued)
    code = code_of(voucher)
    response = _post(client, eats_key, "validate", {"code": code})
    assert response.status_code == 200
    assert response.json()["amount_minor"] == 5_000
    response = _post(client, eats_key, "redeem", {"code": code, "order_reference": "E-1"})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "live"
    voucher.refresh_from_db()
    assert voucher.state == Voucher.State.REDEEMED
    again = _post(client, eats_key, "redeem", {"code": code, "order_reference": "E-2"})
    assert again.status_code == 404
    assert Redemption.objects.count() == 1
    assert AuditEvent.objects.filter(action="voucher.redeem").count() == 1


def test_wrong_used_frozen_unknown_and_other_service_codes_get_the_same_answer(
    client, issued, eats_key, caplog
):
    used, frozen, store = _eats(issued, 0), _eats(issued, 1), None
    store = Voucher.objects.filter(program=issued, service_scope="store").first()
    assert store is not None
    _post(client, eats_key, "redeem", {"code": code_of(used), "order_reference": "E-1"})
    vouchers_freeze(
        program=issued,
        method="selection",
        reason="fraud",
        voucher_ids=[frozen.pk],
        actor_label="test",
    )
    good = code_of(_eats(issued, 2))
    mistyped = good[:-1] + ("A" if good[-1] != "A" else "B")
    unknown_symbols = "ABCDEFGHJKLMNPQR"
    from vouchers.services.codes import code_display

    answers = []
    for code in [
        code_of(used),
        code_of(frozen),
        mistyped,
        code_display(unknown_symbols),
        code_of(store),
        "hello",
    ]:
        response = _post(client, eats_key, "redeem", {"code": code, "order_reference": "E-9"})
        answers.append((response.status_code, response.json(), response["Content-Type"]))
    assert len({repr(a) for a in answers}) == 1
    assert answers[0][0] == 404
    assert answers[0][1]["code"] == "voucher_unusable"
    assert answers[0][2] == "application/problem+json"
    reasons = " ".join(r.getMessage() for r in caplog.records if r.name == "vouchers.redemption")
    for reason in ["redeemed", "frozen", "malformed", "unknown", "other_service"]:
        assert f"reason={reason}" in reasons
    assert good not in caplog.text
    assert code_of(used) not in caplog.text
    assert Redemption.objects.count() == 1


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(client, issued, eats_key):
    code = code_of(_eats(issued))
    body = {"code": code, "order_reference": "E-1"}
    first = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-1"})
    retry = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert retry["Idempotent-Replayed"] == "true"
    other = _post(
        client,
        eats_key,
        "redeem",
        {**body, "order_reference": "E-2"},
        **{"Idempotency-Key": "k-1"},
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Redemption.objects.count() == 1


def test_a_refused_redeem_is_replayed_and_its_key_cannot_redeem_another_code(
    client, issued, eats_key
):
    unknown = code_display("ABCDEFGHJKLMNPQR")
    body = {"code": unknown, "order_reference": "E-1"}
    first = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-2"})
    retry = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-2"})
    assert first.status_code == retry.status_code == 404
    assert first.json() == retry.json()
    assert retry["Idempotent-Replayed"] == "true"
    voucher = _eats(issued)
    reused = _post(
        client,
        eats_key,
        "redeem",
        {"code": code_of(voucher), "order_reference": "E-1"},
        **{"Idempotency-Key": "k-2"},
    )
    assert reused.status_code == 409
    voucher.refresh_from_db()
    assert voucher.state == Voucher.State.ISSUED
    assert not Redemption.objects.exists()
    assert IdempotencyRecord.objects.get(key="k-2").response_status == 404


def test_a_retry_gets_its_first_answer_even_when_the_customer_is_throttled(
    client, issued, eats_key, settings
):
    settings.VOUCHERS_FAILED_PER_CUSTOMER = 3
    body = {"code": code_of(_eats(issued)), "order_reference": "E-1", "customer_ref": "bob"}
    first = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-3"})
    assert first.status_code == 201
    for i in range(3):
        guess = code_display(f"ABCDEFGHJKLMNP{ALPHA[i]}Q")
        _post(client, eats_key, "validate", {"code": guess, "customer_ref": "bob"})
    retry = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-3"})
    assert retry.status_code == 201
    assert retry.json() == first.json()
    fresh = {**body, "code": code_of(_eats(issued, 1)), "order_reference": "E-2"}
    stopped = _post(client, eats_key, "redeem", fresh, **{"Idempotency-Key": "k-4"})
    assert stopped.status_code == 429
    assert Redemption.objects.count() == 1
    assert not IdempotencyRecord.objects.filter(key="k-4").exists()


def test_while_redis_is_down_a_retry_gets_its_first_answer_and_a_new_redeem_fails_closed(
    client, issued, eats_key, settings
):
    body = {"code": code_of(_eats(issued)), "order_reference": "E-1"}
    first = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-5"})
    assert first.status_code == 201
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    retry = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-5"})
    assert retry.status_code == 201
    assert retry.json() == first.json()
    fresh = {"code": code_of(_eats(issued, 1)), "order_reference": "E-2"}
    refused = _post(client, eats_key, "redeem", fresh, **{"Idempotency-Key": "k-6"})
    assert refused.status_code == 503
    assert Redemption.objects.count() == 1


def test_a_guessing_run_is_stopped_even_for_a_right_code(client, issued, eats_key, settings):
    settings.VOUCHERS_FAILED_PER_CUSTOMER = 5
    from vouchers.services.codes import code_display

    for i in range(5):
        guess = code_display(f"ABCDEFGHJKLMNP{ALPHA[i]}Q")
        response = _post(client, eats_key, "validate", {"code": guess, "customer_ref": "mallory"})
        assert response.status_code == 404
    right = code_of(_eats(issued))
    stopped = _post(
        client,
        eats_key,
        "redeem",
        {"code": right, "order_reference": "E-1", "customer_ref": "mallory"},
    )
    assert stopped.status_code == 429
    assert stopped.json()["code"] == "too_many_failed_attempts"
    assert stopped["Retry-After"]
    assert not Redemption.objects.exists()
    other_customer = _post(
        client,
        eats_key,
        "redeem",
        {"code": right, "order_reference": "E-1", "customer_ref": "alice"},
    )
    assert other_customer.status_code == 201


ALPHA = "STUVWXYZ"


def test_failed_attempts_are_also_capped_per_service_key(client, issued, eats_key, settings):
    settings.VOUCHERS_FAILED_PER_KEY = 3
    for i in range(3):
        _post(client, eats_key, "validate", {"code": "nope", "customer_ref": f"c{i}"})
    response = _post(client, eats_key, "validate", {"code": code_of(_eats(issued))})
    assert response.status_code == 429


def test_a_refund_reverses_the_redemption_and_the_code_works_again(client, issued, eats_key):
    code = code_of(_eats(issued))
    redeemed = _post(client, eats_key, "redeem", {"code": code, "order_reference": "E-1"})
    url = reverse("vouchers_api:reverse", args=[redeemed.json()["redemption_id"]])
    reversed_ = _post(client, eats_key, url, {"reason": "order cancelled"})
    assert reversed_.status_code == 200
    assert reversed_.json()["status"] == "reversed"
    twice = _post(client, eats_key, url, {"reason": "order cancelled"})
    assert twice.status_code == 200
    assert _eats(issued).state == Voucher.State.ISSUED
    again = _post(client, eats_key, "redeem", {"code": code, "order_reference": "E-2"})
    assert again.status_code == 201


def test_another_service_cannot_reverse_a_redemption(client, issued, eats_key):
    code = code_of(_eats(issued))
    redeemed = _post(client, eats_key, "redeem", {"code": code, "order_reference": "E-1"})
    store_key, raw = service_key_create(name="Store", service_scope="store", actor_label="t")
    setattr(store_key, "raw", raw)
    url = reverse("vouchers_api:reverse", args=[redeemed.json()["redemption_id"]])
    response = _post(client, store_key, url, {})
    assert response.status_code == 404
    missing = _post(client, eats_key, reverse("vouchers_api:reverse", args=[uuid.uuid4()]), {})
    assert missing.status_code == 404
    assert Redemption.objects.get().status == "live"


def test_a_revoked_or_missing_key_is_refused(client, issued, eats_key):
    code = code_of(_eats(issued))
    assert client.post(
        reverse("vouchers_api:validate"), {"code": code}, content_type="application/json"
    ).status_code in (401, 403)
    service_key_revoke(service_key=eats_key, actor_label="test")
    response = _post(client, eats_key, "redeem", {"code": code, "order_reference": "E-1"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert not Redemption.objects.exists()


def test_a_code_outside_its_window_is_refused_the_same_way(client, issued, eats_key):
    voucher = _eats(issued)
    Voucher.objects.filter(pk=voucher.pk).update(valid_from=timezone.now() + dt.timedelta(days=1))
    response = _post(client, eats_key, "redeem", {"code": code_of(voucher), "order_reference": "1"})
    assert response.status_code == 404
    assert response.json()["code"] == "voucher_unusable"


def test_the_schema_describes_the_api_with_examples(client):
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert "/api/v1/vouchers/redeem" in paths
    redeem = paths["/api/v1/vouchers/redeem"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in redeem["parameters"])
    assert redeem["requestBody"]["content"]["application/json"]["examples"]
    assert "ServiceKey" in schema["components"]["securitySchemes"]


def test_a_replay_is_byte_for_byte_the_first_answer(client, issued, eats_key):
    # A reference with markup, non-ASCII letters and format() specials, which must come back
    # exactly as they went in.
    order = '주문 100%1$s "A" <b>'
    right = {"code": code_of(_eats(issued)), "order_reference": order, "customer_ref": "bob"}
    unknown = {"code": code_display("ABCDEFGHJKLMNPQR"), "order_reference": "E-2"}
    malformed = {"code": "hello", "order_reference": "E-3"}
    for key, body, status in [("b-1", right, 201), ("b-2", unknown, 404), ("b-3", malformed, 404)]:
        first = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": key})
        retry = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": key})
        assert first.status_code == retry.status_code == status
        assert retry.content == first.content
        assert retry["Content-Type"] == first["Content-Type"]
        assert retry["Idempotent-Replayed"] == "true"
    assert list(first.json()) == ["type", "title", "status", "code", "detail"]
    redeemed = _post(client, eats_key, "redeem", right, **{"Idempotency-Key": "b-1"}).json()
    assert redeemed["order_reference"] == order
    assert redeemed["amount_minor"] == 5_000
    assert list(redeemed)[:4] == ["redemption_id", "status", "order_reference", "amount_minor"]
    reused = [
        _post(
            client,
            eats_key,
            "redeem",
            {**right, "order_reference": "E-9"},
            **{"Idempotency-Key": "b-1"},
        )
        for _ in range(2)
    ]
    assert reused[0].status_code == reused[1].status_code == 409
    assert reused[0].content == reused[1].content
    missing = f"/api/v1/vouchers/redemptions/{uuid.uuid4()}/reverse"
    gone = [_post(client, eats_key, missing, {}, **{"Idempotency-Key": "b-4"}) for _ in range(2)]
    assert gone[0].status_code == gone[1].status_code == 404
    assert gone[0].content == gone[1].content
    assert gone[1]["Idempotent-Replayed"] == "true"
    refund = f"/api/v1/vouchers/redemptions/{redeemed['redemption_id']}/reverse"
    back = [
        _post(client, eats_key, refund, {"reason": "환불"}, **{"Idempotency-Key": "b-5"})
        for _ in range(2)
    ]
    assert back[0].status_code == back[1].status_code == 200
    assert back[0].content == back[1].content
    assert back[0].json()["status"] == "reversed"
    assert Redemption.objects.get().status == Redemption.Status.REVERSED


def test_redeem_and_reverse_audit_rows_name_the_program_without_reading_the_voucher_again(
    client, issued, eats_key
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    code = code_of(_eats(issued))
    with CaptureQueriesContext(connection) as redeem_queries:
        redeemed = _post(client, eats_key, "redeem", {"code": code, "order_reference": "E-1"})
    url = reverse("vouchers_api:reverse", args=[redeemed.json()["redemption_id"]])
    with CaptureQueriesContext(connection) as reverse_queries:
        _post(client, eats_key, url, {"reason": "order cancelled"})
    for action in ("voucher.redeem", "voucher.reverse"):
        assert AuditEvent.objects.get(action=action).program_id == issued.pk
    # The program comes back from the statements that spend and restore the voucher.
    for queries in (redeem_queries, reverse_queries):
        lookups = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith('SELECT "vouchers_voucher"."program_id"')
        ]
        assert lookups == []
