"""The Banu case end to end: a program imports 1,000 compromised stored-value cards and
freezes them; a good-faith buyer files through the claim form with a matching number and a
purchase before the freeze, is approved, and is paid as account credit (a batch built by one
person, released by another, sent over HTTP to a fake provider); a number not on the list gets
the specific answer on the form; the number is nowhere in the database in plain text."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse

from claims.models import Claim
from compensation.models import Award
from instruments.models import CompromisedInstrument, InstrumentPurchase
from payouts.methods import Method
from payouts.models import Payout, PayoutBatch
from payouts.services.sending import payout_chunks_plan, payout_chunks_send
from tests.claims.conftest import claimant_session, pdf
from tests.factories import UserFactory
from tests.instruments.factories import card_number
from tests.payouts.provider import credit_provider
from tests.payouts.sending_support import released_batch

pytestmark = pytest.mark.django_db

BUYER = "buyer@example.com"
CARD = card_number(417)  # on the list: "6200 0000 0000 0417"
NOT_LISTED = "6299 1111 2222 3333"


def _details_url(program, claim_type):
    return reverse("claims:details", args=[program.slug, claim_type.code])


def _answers(
    number, *, purchased_on="2025-02-20", seller="@cheapcards88", customer="BANU-MEMBER-0042"
):
    return {
        "instrument_number": number,
        "purchased_on": purchased_on,
        "amount": "240.00",
        "bought_where": "Idle Fish (second-hand app)",
        "seller_handle": seller,
        "doc_proof_of_purchase": pdf(),
        "payout_method": Method.ACCOUNT_CREDIT,
        "customer_ref": customer,
    }


def _file(client, program, claim_type, number, **answers) -> Claim:
    response = client.post(_details_url(program, claim_type), _answers(number, **answers))
    assert response.status_code == 302, response.context["form"].errors
    summary = client.get(response["Location"])
    assert summary.status_code == 200
    assert f"ending {number[-4:]}" in summary.text
    sent = client.post(response["Location"])
    assert sent.status_code == 302
    return Claim.objects.get(reference=sent["Location"].rstrip("/").rsplit("/", 1)[-1])


def _rows_containing(needle: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.table_name, c.column_name, c.data_type
               FROM information_schema.columns c
               JOIN information_schema.tables t
                 ON t.table_schema = c.table_schema AND t.table_name = c.table_name
               WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                 AND c.data_type IN ('text', 'character varying', 'character', 'bytea',
                                     'json', 'jsonb', 'ARRAY')"""
        )
        columns = cursor.fetchall()
        hits = []
        for table, column, data_type in columns:
            if data_type == "bytea":
                condition = f"position(convert_to(%s, 'UTF8') in \"{column}\") > 0"
            else:
                condition = f"\"{column}\"::text LIKE '%%' || %s || '%%'"
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE {condition}', [needle])
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    assert len(columns) > 100
    for session in Session.objects.all():
        if needle in json.dumps(SessionStore().decode(session.session_data), default=str):
            hits.append(f"django_session {session.session_key} (decoded)")
    return hits


def test_a_good_faith_buyer_of_a_frozen_card_is_paid_as_account_credit(client, banu):
    program, claim_type = banu
    assert (
        CompromisedInstrument.objects.filter(program=program, frozen_at__isnull=False).count()
        == 1000
    )
    claimant_session(client, email=BUYER)
    claim = _file(client, program, claim_type, CARD)

    purchase = InstrumentPurchase.objects.get(claim_reference=claim.reference)
    assert purchase.before_freeze
    assert purchase.instrument.last4 == "0417"
    assert purchase.price_minor == 24_000
    assert claim.amount_claimed_minor == 24_000
    assert claim.person is None
    assert claim.signals == []
    if claim.status != Claim.Status.APPROVED:  # the program's policy may want a person
        from claims.services.review import claim_approve

        claim = claim_approve(
            claim=claim, amount_minor=24_000, actor=UserFactory.create(role="Senior reviewer")
        )
    assert claim.status == Claim.Status.APPROVED
    award = Award.objects.get(claim_reference=claim.reference)
    assert award.amount_minor == 24_000

    batch = released_batch(program, Method.ACCOUNT_CREDIT)  # built by one, released by another
    assert batch.built_by_id != batch.released_by_id
    with credit_provider() as provider:
        from django.conf import settings

        settings.PAYOUTS_CREDIT_HTTP_URL = provider.url
        settings.PAYOUTS_CREDIT_HTTP_TOKEN = "test-token"
        payout_chunks_plan(batch_id=batch.pk)
        payout_chunks_send(batch_id=batch.pk)
    payout = Payout.objects.get(batch=batch)
    assert payout.status == "paid"
    assert provider.credits == {payout.reference: 1}
    assert provider.bodies[0]["customer_ref"] == "BANU-MEMBER-0042"
    assert provider.bodies[0]["amount_minor"] == 24_000
    award.refresh_from_db()
    assert award.status == Award.Status.DELIVERED
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.SETTLED

    assert _rows_containing(CARD.replace(" ", "")) == []
    assert _rows_containing(CARD) == []


def test_a_number_not_on_the_list_gets_the_specific_answer_and_nothing_is_kept(client, banu):
    program, claim_type = banu
    claimant_session(client, email=BUYER)
    response = client.post(_details_url(program, claim_type), _answers(NOT_LISTED))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["instrument_number"] == [
        "This card number is not on the program's list of frozen cards. Check it against the "
        "card; if it is right, this card was not frozen in this incident and this program "
        "cannot compensate it."
    ]
    assert "not on the program&#x27;s list of frozen cards" in response.text
    assert not Claim.objects.exists()
    assert not InstrumentPurchase.objects.exists()
    assert _rows_containing(NOT_LISTED.replace(" ", "")) == []


def test_the_answer_is_in_the_claimants_language(client, banu):
    program, claim_type = banu
    claimant_session(client, email=BUYER)
    client.cookies["django_language"] = "ko"
    response = client.post(_details_url(program, claim_type), _answers(NOT_LISTED))
    assert response.status_code == 200
    message = response.context["form"].errors["instrument_number"][0]
    assert "동결 카드 목록에 없습니다" in message


def test_a_purchase_after_the_freeze_goes_to_a_person_and_the_seller_cluster_shows(
    client, banu, staff_client
):
    program, claim_type = banu
    claimant_session(client, email=BUYER)
    first = _file(client, program, claim_type, CARD)
    client.logout()
    claimant_session(client, email="second@example.com")
    second = _file(
        client,
        program,
        claim_type,
        card_number(418),
        purchased_on="2025-03-06",
        seller="CheapCards88 ",  # the same seller, typed differently
        customer="BANU-MEMBER-0043",
    )
    assert [s["code"] for s in second.signals] == ["bought_after_freeze"]
    assert second.status == Claim.Status.SUBMITTED
    assert InstrumentPurchase.objects.get(claim_reference=second.reference).before_freeze is False

    staff = staff_client("Program operator")
    page = staff.get(reverse("admin:claims_claim_change", args=[first.pk]))
    assert page.status_code == 200
    assert "@cheapcards88" in page.text
    assert "on 2 claims" in page.text
    export = staff.get(reverse("admin:instruments_sellers_export", args=[program.pk]))
    rows = b"".join(export.streaming_content).decode().splitlines()
    assert rows[0].startswith("seller,seller_as_typed,claim_reference")
    assert sorted(r.split(",")[2] for r in rows[1:]) == sorted([first.reference, second.reference])


def test_the_same_card_cannot_be_claimed_twice(client, banu):
    program, claim_type = banu
    claimant_session(client, email=BUYER)
    _file(client, program, claim_type, CARD)
    client.logout()
    claimant_session(client, email="second@example.com")
    response = client.post(_details_url(program, claim_type), _answers(CARD))
    assert response.status_code == 200
    assert "already been filed" in response.context["form"].errors["instrument_number"][0]
    assert InstrumentPurchase.objects.count() == 1


def test_staff_find_a_buyer_at_the_desk_and_can_write_to_them(client, banu, staff_client):
    program, claim_type = banu
    claimant_session(client, email=BUYER)
    claim = _file(client, program, claim_type, CARD)
    desk = staff_client("Support agent")
    page = desk.post(reverse("admin:support_person_changelist"), {"q": claim.reference})
    assert page.status_code == 200
    assert reverse("admin:support_claim_message", args=[claim.pk]) in page.text
    case = desk.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert "ending 0417" in case.text
