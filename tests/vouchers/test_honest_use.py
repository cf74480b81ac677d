"""Honest use on the redeem side (issue 14): partial redemption and forfeiture, the minimum
order named, excluded categories, vouchers bound to the holder's account, the shop's list of
a customer's vouchers with auto-apply, and the grace period after a late refund."""

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from compensation.models import AwardLine
from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from vouchers.models import IdempotencyRecord, Redemption, Voucher
from vouchers.services.binding import voucher_ref, voucher_ref_open
from vouchers.services.keys import service_key_create
from vouchers.services.redemption import redemption_reverse, voucher_redeem

pytestmark = pytest.mark.django_db


def _terms(program, code="eats", **terms):
    AwardLine.objects.filter(program=program, code=code).update(**terms)


@pytest.fixture
def issued(coupang, no_dispatch):
    people_make(coupang, 2, segment="member")
    people_make(coupang, 2, start=2, segment="non_member")
    run_issue(coupang)
    return coupang


def _eats(program, external_id="P00000001") -> Voucher:
    return Voucher.objects.get(
        program=program, service_scope="eats", person__external_id=external_id
    )


def _post(client, key, name, body, **headers):
    return client.post(
        reverse(f"vouchers_api:{name}"),
        body,
        content_type="application/json",
        headers={"Authorization": f"ServiceKey {key.raw}", **headers},
    )


def _list(client, key, customer_ref):
    return client.get(
        f"/api/v1/customers/{customer_ref}/vouchers",
        headers={"Authorization": f"ServiceKey {key.raw}"},
    )


def test_a_partial_redemption_leaves_the_balance_and_a_second_one_spends_it(
    client, issued, eats_key
):
    _terms(issued, redemption_mode="partial")
    voucher = _eats(issued)
    code = code_of(voucher)
    first = _post(
        client,
        eats_key,
        "redeem",
        {"code": code, "order_reference": "E-1", "order_amount_minor": 3_000},
    )
    assert first.status_code == 201, first.content
    assert first.json()["amount_minor"] == 3_000
    assert first.json()["balance_after_minor"] == 2_000
    assert first.json()["forfeited_minor"] == 0
    voucher.refresh_from_db()
    assert (voucher.state, voucher.balance_minor) == (Voucher.State.ISSUED, 2_000)
    check = _post(client, eats_key, "validate", {"code": code, "order_amount_minor": 4_000})
    assert check.status_code == 200
    assert check.json()["balance_minor"] == 2_000
    assert check.json()["applied_minor"] == 2_000
    assert check.json()["balance_after_minor"] == 0
    second = _post(
        client,
        eats_key,
        "redeem",
        {"code": code, "order_reference": "E-2", "order_amount_minor": 4_000},
    )
    assert second.status_code == 201, second.content
    assert (second.json()["amount_minor"], second.json()["balance_after_minor"]) == (2_000, 0)
    voucher.refresh_from_db()
    assert (voucher.state, voucher.balance_minor) == (Voucher.State.REDEEMED, 0)
    spent = _post(
        client,
        eats_key,
        "redeem",
        {"code": code, "order_reference": "E-3", "order_amount_minor": 1_000},
    )
    assert spent.status_code == 404
    live = Redemption.objects.filter(voucher=voucher, status="live")
    assert sorted(live.values_list("amount_minor", "balance_after_minor")) == [
        (2_000, 0),
        (3_000, 2_000),
    ]
    audited = AuditEvent.objects.filter(action="voucher.redeem").order_by("id")
    assert [(e.object_type, e.object_id, e.program_id) for e in audited] == [
        ("vouchers.voucher", str(voucher.pk), issued.pk)
    ] * 2
    # Written by the redeem's own statement: the same row audit_record writes.
    first = live.order_by("id").first()
    assert first is not None
    assert audited[0].actor_label == f"service:{eats_key.prefix}"
    assert audited[0].after == {
        "redemption": str(first.public_id),
        "order": first.order_reference,
        "applied_minor": 3_000,
        "forfeited_minor": 0,
        "balance_after_minor": 2_000,
    }


def test_each_partial_redemption_is_exactly_once_per_idempotency_key(client, issued, eats_key):
    _terms(issued, redemption_mode="partial")
    voucher = _eats(issued)
    body = {"code": code_of(voucher), "order_reference": "E-1", "order_amount_minor": 1_000}
    first = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-1"})
    again = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    other = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "k-2"})
    assert other.status_code == 201
    voucher.refresh_from_db()
    assert voucher.balance_minor == 3_000
    assert Redemption.objects.filter(voucher=voucher).count() == 2


def test_single_use_without_change_records_the_forfeited_part_and_validate_says_so_first(
    client, issued, eats_key
):
    voucher = _eats(issued)
    code = code_of(voucher)
    check = _post(client, eats_key, "validate", {"code": code, "order_amount_minor": 3_000})
    assert check.status_code == 200
    assert check.json()["redemption_mode"] == "single"
    assert (check.json()["applied_minor"], check.json()["forfeited_minor"]) == (3_000, 2_000)
    response = _post(
        client,
        eats_key,
        "redeem",
        {"code": code, "order_reference": "E-1", "order_amount_minor": 3_000},
    )
    assert response.status_code == 201, response.content
    assert (response.json()["amount_minor"], response.json()["forfeited_minor"]) == (3_000, 2_000)
    redemption = Redemption.objects.get(voucher=voucher)
    assert (redemption.amount_minor, redemption.forfeited_minor) == (3_000, 2_000)
    assert redemption.order_amount_minor == 3_000
    assert redemption.balance_after_minor is None
    voucher.refresh_from_db()
    assert voucher.state == Voucher.State.REDEEMED
    assert voucher.balance_minor is None  # the single-use row is not widened


def test_an_order_bigger_than_the_voucher_uses_it_all_and_forfeits_nothing(issued, eats_key):
    voucher = _eats(issued)
    answer = voucher_redeem(
        service_key=eats_key,
        code=code_of(voucher),
        order_reference="E-1",
        order_amount_minor=80_000,
    )
    assert answer.status == 201
    assert (answer.body["amount_minor"], answer.body["forfeited_minor"]) == (5_000, 0)


def test_below_the_minimum_is_refused_naming_the_minimum_per_segment(client, issued, eats_key):
    _terms(issued, min_order_minor=30_000, min_order_by_segment={"member": 0})
    non_member = _eats(issued, "P00000003")
    body = {"code": code_of(non_member), "order_reference": "E-1", "order_amount_minor": 10_000}
    response = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "min-1"})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "order_below_minimum"
    assert (problem["minimum_order_minor"], problem["currency"]) == (30_000, "KRW")
    assert "30000" in problem["detail"]
    replay = _post(client, eats_key, "redeem", body, **{"Idempotency-Key": "min-1"})
    assert (replay.status_code, replay.content) == (422, response.content)
    assert IdempotencyRecord.objects.get(key="min-1").response_status == 422
    check = _post(client, eats_key, "validate", {"code": code_of(non_member)})
    assert check.status_code == 422
    assert check.json()["minimum_order_minor"] == 30_000
    non_member.refresh_from_db()
    assert non_member.state == Voucher.State.ISSUED
    enough = _post(client, eats_key, "redeem", {**body, "order_amount_minor": 30_000})
    assert enough.status_code == 201
    member = _eats(issued, "P00000001")
    small = {"code": code_of(member), "order_reference": "E-2", "order_amount_minor": 1_000}
    assert _post(client, eats_key, "redeem", small).status_code == 201


def test_the_minimum_is_named_only_for_a_code_otherwise_usable(client, issued, eats_key):
    _terms(issued, min_order_minor=30_000)
    voucher = _eats(issued)
    code = code_of(voucher)
    body = {"code": code, "order_reference": "E-1", "order_amount_minor": 40_000}
    assert _post(client, eats_key, "redeem", body).status_code == 201
    used = _post(client, eats_key, "redeem", {**body, "order_amount_minor": 10})
    assert used.status_code == 404
    assert used.json()["code"] == "voucher_unusable"
    store_key, raw = service_key_create(name="Store", service_scope="store", actor_label="test")
    setattr(store_key, "raw", raw)
    elsewhere = _post(
        client,
        store_key,
        "redeem",
        {"code": code_of(_eats(issued, "P00000002")), "order_reference": "S-1"},
    )
    assert elsewhere.status_code == 404


def test_an_excluded_category_is_refused_naming_it(client, issued, eats_key):
    _terms(
        issued,
        excluded_categories=["gift_card", "alcohol"],
        excluded_categories_text={"en": "Not for gift cards or alcohol"},
    )
    voucher = _eats(issued)
    body = {
        "code": code_of(voucher),
        "order_reference": "E-1",
        "order_amount_minor": 9_000,
        "categories": ["food", "gift_card"],
    }
    response = _post(client, eats_key, "redeem", body)
    assert response.status_code == 422
    assert response.json()["code"] == "category_excluded"
    assert response.json()["excluded_categories"] == ["gift_card"]
    assert _post(client, eats_key, "redeem", {**body, "categories": ["food"]}).status_code == 201


def test_a_bound_voucher_refuses_another_account_and_keeps_no_reference(issued, eats_key):
    _terms(issued, bound_to_account=True)
    voucher = _eats(issued, "P00000001")
    code = code_of(voucher)
    for other in ("", "P00000002", "p00000001", "someone-else"):
        answer = voucher_redeem(
            service_key=eats_key, code=code, order_reference="E-x", customer_ref=other
        )
        assert answer.status == 404, other
        assert answer.body["code"] == "voucher_unusable"
    answer = voucher_redeem(
        service_key=eats_key, code=code, order_reference="E-1", customer_ref=" P00000001 "
    )
    assert answer.status == 201, answer.body
    redemption = Redemption.objects.get(voucher=voucher)
    assert redemption.customer_ref == ""  # the account reference is never stored


def test_the_shop_lists_a_customers_usable_vouchers_for_its_service_only(client, issued, eats_key):
    _terms(issued, bound_to_account=True, redemption_mode="partial", min_order_minor=1_000)
    response = _list(client, eats_key, "P00000001")
    assert response.status_code == 200, response.content
    rows = response.json()["vouchers"]
    assert len(rows) == 1
    row = rows[0]
    voucher = _eats(issued, "P00000001")
    assert row["service_scope"] == "eats"
    assert (row["amount_minor"], row["balance_minor"], row["currency"]) == (5_000, 5_000, "KRW")
    assert row["auto_apply"] is True
    assert row["minimum_order_minor"] == 1_000
    assert row["redemption_mode"] == "partial"
    assert voucher_ref_open(row["voucher_id"]) == voucher.pk
    # neither the row number nor its neighbours' ids can be read from it
    assert voucher_ref(voucher.pk + 1)[4:12] != row["voucher_id"][4:12]
    text = response.content.decode()
    assert code_of(voucher).replace("-", "") not in text.replace("-", "").upper()
    assert "code" not in row


def test_unknown_customers_and_customers_with_nothing_usable_get_the_same_404(
    client, issued, eats_key
):
    unknown = _list(client, eats_key, "nobody-at-all")
    assert unknown.status_code == 404
    store_only, raw = service_key_create(name="Other", service_scope="other", actor_label="t")
    setattr(store_only, "raw", raw)
    nothing = _list(client, store_only, "P00000001")
    assert nothing.status_code == 404
    assert nothing.content == unknown.content
    voucher = _eats(issued, "P00000002")
    voucher_redeem(service_key=eats_key, code=code_of(voucher), order_reference="E-1")
    spent = _list(client, eats_key, "P00000002")
    assert (spent.status_code, spent.content) == (404, unknown.content)


def test_a_shop_auto_applies_a_bound_voucher_by_its_listed_id(client, issued, eats_key):
    _terms(issued, bound_to_account=True, redemption_mode="partial")
    listed = _list(client, eats_key, "P00000001").json()["vouchers"][0]
    body = {
        "voucher_id": listed["voucher_id"],
        "customer_ref": "P00000001",
        "order_reference": "E-1",
        "order_amount_minor": 1_500,
    }
    check = _post(
        client, eats_key, "validate", {k: v for k, v in body.items() if k != "order_reference"}
    )
    assert check.status_code == 200, check.content
    response = _post(client, eats_key, "redeem", body)
    assert response.status_code == 201, response.content
    assert response.json()["balance_after_minor"] == 3_500
    assert _list(client, eats_key, "P00000001").json()["vouchers"][0]["balance_minor"] == 3_500
    # someone else's account, a made-up id, an altered one: the uniform refusal
    for changed in (
        {"customer_ref": "P00000002"},
        {"voucher_id": "vr1_" + "a" * 26},
        {
            "voucher_id": listed["voucher_id"][:-1]
            + ("b" if listed["voucher_id"][-1] != "b" else "c")
        },
    ):
        refused = _post(client, eats_key, "redeem", {**body, **changed, "order_reference": "E-9"})
        assert refused.status_code == 404, changed
        assert refused.json()["code"] == "voucher_unusable"


def test_an_unbound_voucher_cannot_be_applied_by_its_id(client, issued, eats_key):
    voucher = _eats(issued, "P00000001")
    body = {
        "voucher_id": voucher_ref(voucher.pk),
        "customer_ref": "P00000001",
        "order_reference": "E-1",
    }
    assert _post(client, eats_key, "redeem", body).status_code == 404
    assert _post(client, eats_key, "redeem", {**body, "code": code_of(voucher)}).status_code == 400


def test_a_refund_after_expiry_gives_the_voucher_back_for_the_grace_period(issued, eats_key):
    _terms(issued, reversal_grace_days=14)
    voucher = _eats(issued)
    answer = voucher_redeem(service_key=eats_key, code=code_of(voucher), order_reference="E-1")
    assert answer.status == 201
    Voucher.objects.filter(pk=voucher.pk).update(valid_until=timezone.now() - dt.timedelta(days=1))
    before = timezone.now()
    reversed_ = redemption_reverse(
        service_key=eats_key, redemption_id=answer.body["redemption_id"], reason="refund"
    )
    assert reversed_.status == 200
    voucher.refresh_from_db()
    assert voucher.state == Voucher.State.ISSUED
    assert voucher.valid_until is not None
    assert before + dt.timedelta(days=14) <= voucher.valid_until
    assert voucher.valid_until <= timezone.now() + dt.timedelta(days=14)
    event = AuditEvent.objects.get(action="voucher.reverse")
    assert event.after is not None
    assert "valid_until" in event.after
    again = voucher_redeem(service_key=eats_key, code=code_of(voucher), order_reference="E-2")
    assert again.status == 201


def test_without_a_grace_period_a_refund_after_expiry_leaves_it_expired(issued, eats_key):
    voucher = _eats(issued)
    answer = voucher_redeem(service_key=eats_key, code=code_of(voucher), order_reference="E-1")
    past = timezone.now() - dt.timedelta(days=1)
    Voucher.objects.filter(pk=voucher.pk).update(valid_until=past)
    redemption_reverse(service_key=eats_key, redemption_id=answer.body["redemption_id"])
    voucher.refresh_from_db()
    assert (voucher.state, voucher.valid_until) == (Voucher.State.ISSUED, past)
    late = voucher_redeem(service_key=eats_key, code=code_of(voucher), order_reference="E-2")
    assert late.status == 404


def test_reversing_a_partial_redemption_puts_its_part_back_on_the_balance(issued, eats_key):
    _terms(issued, redemption_mode="partial")
    voucher = _eats(issued)
    code = code_of(voucher)
    first = voucher_redeem(
        service_key=eats_key, code=code, order_reference="E-1", order_amount_minor=2_000
    )
    voucher_redeem(service_key=eats_key, code=code, order_reference="E-2", order_amount_minor=3_000)
    voucher.refresh_from_db()
    assert (voucher.state, voucher.balance_minor) == (Voucher.State.REDEEMED, 0)
    redemption_reverse(service_key=eats_key, redemption_id=first.body["redemption_id"])
    voucher.refresh_from_db()
    assert (voucher.state, voucher.balance_minor) == (Voucher.State.ISSUED, 2_000)
    twice = redemption_reverse(service_key=eats_key, redemption_id=first.body["redemption_id"])
    assert twice.status == 200
    voucher.refresh_from_db()
    assert voucher.balance_minor == 2_000


def test_the_database_refuses_a_negative_balance_and_a_second_live_single_use_redemption(
    issued, eats_key
):
    voucher = _eats(issued)
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(balance_minor=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(balance_minor=voucher.amount_minor + 1)
    fields = {"service_key": eats_key, "amount_minor": 5_000, "currency": "KRW"}
    Redemption.objects.create(
        voucher=voucher, order_reference="A", public_id=uuid.uuid4(), **fields
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(voucher=voucher, order_reference="B", **fields)
    # parts of a partial voucher are each their own live row
    Redemption.objects.create(voucher=voucher, order_reference="C", balance_after_minor=1, **fields)


def _sign_in(client, person):
    session = client.session
    session["claimant_person_id"] = person.pk
    session.save()


def test_the_holder_reads_the_conditions_and_what_is_left_before_use(client, issued, eats_key):
    _terms(
        issued,
        redemption_mode="partial",
        min_order_minor=30_000,
        min_order_by_segment={"member": 0},
        excluded_categories=["gift_card"],
        excluded_categories_text={"en": "gift cards", "ko": "상품권 구매"},
        bound_to_account=True,
    )
    _terms(issued, code="store", min_order_minor=30_000)
    member, non_member = _eats(issued, "P00000001"), _eats(issued, "P00000003")
    voucher_redeem(
        service_key=eats_key,
        code=code_of(member),
        order_reference="E-1",
        customer_ref="P00000001",
        order_amount_minor=1_500,
    )
    _sign_in(client, member.person)
    html = client.get(reverse("vouchers:wallet"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "₩3,500" in html  # what is left of the eats voucher
    assert "Can be used in parts" in html
    assert "Not for: gift cards" in html
    assert "Only with your own account at the service." in html
    assert "Single use: no change is given" in html  # the other lines
    assert "Minimum order: ₩30,000" in html  # the store line: no segment exception
    assert html.count("Minimum order:") == 1  # members have none on the eats line
    me = client.get(reverse("claims:me"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "상품권 구매" in me
    assert "gift_card" not in me
    _sign_in(client, non_member.person)
    html = client.get(reverse("vouchers:wallet"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count("Minimum order: ₩30,000") == 2


def test_the_operators_form_checks_the_terms_before_they_reach_the_redeem_call(coupang):
    from compensation.admin.setup import AwardLineForm

    line = AwardLine.objects.get(program=coupang, code="eats")
    base = {
        "code": "eats",
        "kind": "voucher",
        "service_scope": "eats",
        "amount_minor": 5_000,
        "count": 1,
        "position": 0,
        "redemption_mode": "partial",
        "reversal_grace_days": 7,
        "min_order_minor": 30_000,
        "excluded_categories": "gift_card,alcohol",
    }
    good = AwardLineForm(
        data={
            **base,
            "min_order_by_segment": '{"member": 0}',
            "excluded_categories_text": '{"ko": "상품권 구매", "en": "gift cards"}',
        },
        instance=line,
    )
    assert good.is_valid(), good.errors
    bad = AwardLineForm(
        data={
            **base,
            "min_order_by_segment": '{"member": -5}',
            "excluded_categories_text": '{"fr": "cartes"}',
        },
        instance=line,
    )
    assert not bad.is_valid()
    assert "member" in str(bad.errors["min_order_by_segment"])
    assert "fr" in str(bad.errors["excluded_categories_text"])
