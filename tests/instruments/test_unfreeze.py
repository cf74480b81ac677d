"""Lifting the freeze of compromised instruments: proposed by one operator with a reason,
approved by another (four eyes: the card works again with its value), audited with the
freeze each had; a good-faith claim on a lifted card gets its own answer; a claimed card's
freeze stays; a new freeze clears the lift."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import PROGRAM_OPERATOR, SUPPORT_AGENT
from audit.models import AuditEvent, Proposal
from audit.proposals import FourEyes, proposal_approve
from claims.models import Claim
from compensation.engine.money import money_format
from instruments.errors import InstrumentError
from instruments.models import CompromisedInstrument, InstrumentPurchase
from instruments.proposals import instruments_unfreeze_propose
from instruments.services.freeze import instruments_freeze
from tests.claims.conftest import claimant_session
from tests.conftest import otp_login
from tests.factories import UserFactory
from tests.instruments.factories import card_number
from tests.instruments.test_banu import BUYER, CARD, _answers, _details_url, _file

pytestmark = pytest.mark.django_db

LIFTED = "its freeze has since been lifted"


def _cards(program, *numbers: int) -> list[CompromisedInstrument]:
    by_last4 = {f"{n:04d}"[-4:]: n for n in numbers}
    found = list(CompromisedInstrument.objects.filter(program=program, last4__in=by_last4))
    assert len(found) == len(numbers)
    return found


def test_a_lift_waits_for_a_second_operator_then_the_card_gets_its_own_answer(
    client, banu, staff_client
):
    program, claim_type = banu
    chosen = _cards(program, 417, 418, 419)
    proposer = staff_client(PROGRAM_OPERATOR)
    changelist = reverse("admin:instruments_compromisedinstrument_changelist")
    ids = [str(card.pk) for card in chosen]

    asked = proposer.post(changelist, {"action": "unfreeze_selected", "_selected_action": ids})
    assert asked.status_code == 200
    assert "Propose lifting the freeze of 3 instruments" in asked.text
    proposed = proposer.post(
        changelist,
        {"action": "unfreeze_selected", "_selected_action": ids, "reason": "Issuer reissued"},
    )

    proposal = Proposal.objects.get(action="instruments.unfreeze")
    assert proposed["Location"] == reverse("admin:audit_proposal_change", args=[proposal.pk])
    assert proposal.figures["frozen"] == 3
    assert proposal.figures["value_minor"] == 3 * 30_000
    assert money_format(90_000, "CNY") in proposer.get(proposed["Location"]).text
    assert CompromisedInstrument.objects.filter(frozen_at__isnull=True).count() == 0
    with pytest.raises(FourEyes):
        proposal_approve(proposal=proposal, actor=proposer.user)
    assert CompromisedInstrument.objects.filter(frozen_at__isnull=True).count() == 0

    approver = UserFactory.create(role=PROGRAM_OPERATOR)
    otp_login(Client(), approver).post(reverse("admin:audit_proposal_approve", args=[proposal.pk]))

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.EXECUTED
    assert proposal.result == {"unfrozen": 3}
    lifted = CompromisedInstrument.objects.filter(frozen_at__isnull=True)
    assert sorted(lifted.values_list("pk", flat=True)) == sorted(card.pk for card in chosen)
    assert set(lifted.values_list("unfreeze_reason", flat=True)) == {"Issuer reissued"}
    assert CompromisedInstrument.objects.filter(frozen_at__isnull=False).count() == 997
    row = AuditEvent.objects.get(action="instruments.unfreeze")
    assert row.actor_id == approver.pk
    assert row.after == {"unfrozen": 3, "reason": "Issuer reissued"}
    assert row.before is not None
    assert [f["reason"] for f in row.before["freezes"]] == ["Recharged through the breach"] * 3

    claimant_session(client, email=BUYER)
    response = client.post(_details_url(program, claim_type), _answers(CARD))
    assert response.status_code == 200
    assert LIFTED in response.context["form"].errors["instrument_number"][0]
    assert not Claim.objects.exists()
    assert not InstrumentPurchase.objects.exists()
    # A control: a card still frozen goes through.
    _file(client, program, claim_type, card_number(420))
    assert InstrumentPurchase.objects.count() == 1


def test_the_answer_on_a_lifted_card_is_in_the_claimants_language(client, banu, staff_client):
    program, claim_type = banu
    from instruments.services.freeze import instruments_unfreeze

    instruments_unfreeze(
        program=program,
        instrument_ids=[card.pk for card in _cards(program, 417)],
        reason="Issuer reissued",
        actor=UserFactory.create(),
    )
    claimant_session(client, email=BUYER)
    client.cookies["django_language"] = "ko"
    response = client.post(_details_url(program, claim_type), _answers(CARD))
    message = response.context["form"].errors["instrument_number"][0]
    assert "동결이 해제" in message


def test_a_claimed_card_keeps_its_freeze_at_proposal_and_at_approval(client, banu):
    program, claim_type = banu
    claimed, other = _cards(program, 417, 418)
    operator = UserFactory.create(role=PROGRAM_OPERATOR)
    claimant_session(client, email=BUYER)
    _file(client, program, claim_type, CARD)

    with pytest.raises(InstrumentError, match="ending 0417"):
        instruments_unfreeze_propose(
            program=program, instrument_ids=[claimed.pk, other.pk], reason="x", actor=operator
        )
    assert not Proposal.objects.exists()

    # Proposed before the claim on the other card is filed, approved after: the lift fails.
    proposal = instruments_unfreeze_propose(
        program=program, instrument_ids=[other.pk], reason="Issuer reissued", actor=operator
    )
    client.logout()
    claimant_session(client, email="second@example.com")
    _file(client, program, claim_type, card_number(418), customer="BANU-MEMBER-0043")
    failed = proposal_approve(proposal=proposal, actor=UserFactory.create(role=PROGRAM_OPERATOR))

    assert failed.status == Proposal.Status.FAILED
    assert failed.result is not None
    assert "ending 0418" in failed.result["refused"]
    assert CompromisedInstrument.objects.filter(frozen_at__isnull=True).count() == 0
    assert not AuditEvent.objects.filter(action="instruments.unfreeze").exists()


def test_a_lift_without_a_reason_or_of_nothing_frozen_is_refused_and_changes_nothing(banu):
    program, _claim_type = banu
    card = _cards(program, 417)[0]
    operator = UserFactory.create(role=PROGRAM_OPERATOR)
    with pytest.raises(InstrumentError, match="reason"):
        instruments_unfreeze_propose(
            program=program, instrument_ids=[card.pk], reason="  ", actor=operator
        )
    CompromisedInstrument.objects.filter(pk=card.pk).update(frozen_at=None, freeze_reason="")
    with pytest.raises(InstrumentError, match="None of these"):
        instruments_unfreeze_propose(
            program=program, instrument_ids=[card.pk], reason="Reissued", actor=operator
        )
    assert not Proposal.objects.exists()


def test_a_new_freeze_clears_the_lift_and_the_card_is_claimable_again(client, banu):
    program, claim_type = banu
    card = _cards(program, 417)[0]
    from instruments.services.freeze import instruments_unfreeze

    instruments_unfreeze(
        program=program, instrument_ids=[card.pk], reason="Reissued", actor=UserFactory.create()
    )
    instruments_freeze(
        program=program,
        instrument_ids=[card.pk],
        reason="Drained again",
        actor=UserFactory.create(),
    )
    card.refresh_from_db()
    assert card.frozen_at is not None
    assert card.unfrozen_at is None
    assert card.unfreeze_reason == ""
    claimant_session(client, email=BUYER)
    _file(client, program, claim_type, CARD)


def test_an_agent_is_not_offered_the_lift_and_cannot_post_it(banu, staff_client):
    program, _claim_type = banu
    card = _cards(program, 417)[0]
    agent = staff_client(SUPPORT_AGENT)
    changelist = reverse("admin:instruments_compromisedinstrument_changelist")
    page = agent.get(changelist)
    assert "unfreeze_selected" not in page.text
    posted = agent.post(
        changelist,
        {"action": "unfreeze_selected", "_selected_action": [card.pk], "reason": "x"},
    )
    assert posted.status_code in (200, 302, 403)
    assert not Proposal.objects.exists()
    assert CompromisedInstrument.objects.filter(frozen_at__isnull=True).count() == 0
