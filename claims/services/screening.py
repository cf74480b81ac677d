"""Screening at intake: gather the facts the policy engine needs (person match, documents,
earlier claims, awards, budget, fraud signals), decide, and record the decision on the claim.
Reads only; the submit service writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from claims.models import Claim, ClaimDocument
from claims.services.common import identity_filter
from compensation.engine import ClaimDecision, ClaimFacts, ClaimTypeFacts, PersonFacts
from compensation.models import Award, ClaimType, Program
from instruments.selectors import purchase_signals


def claim_type_facts(claim_type: ClaimType) -> ClaimTypeFacts:
    return ClaimTypeFacts(
        code=claim_type.code,
        calculation=claim_type.calculation,
        required_documents=tuple(claim_type.required_documents),
        requires_affected_record=claim_type.requires_affected_record,
        cap_per_claim_minor=claim_type.cap_per_claim_minor,
        cap_per_person_minor=claim_type.cap_per_person_minor,
        fixed_amount_minor=claim_type.fixed_amount_minor,
        hourly_rate_minor=claim_type.hourly_rate_minor,
        max_hours_documented=claim_type.max_hours_documented,
        max_hours_undocumented=claim_type.max_hours_undocumented,
        max_claims_per_person=claim_type.max_claims_per_person,
    )


def claim_signals(claim: Claim) -> list[dict]:
    """Fraud signals for staff: each {code, count}. Uses only keyed hashes and file hashes."""
    signals = []
    others = Claim.objects.filter(program_id=claim.program_id).exclude(pk=claim.pk)
    if claim.person_id:
        other_claimants = (
            others.filter(person_id=claim.person_id)
            .exclude(claimant_email_hash=claim.claimant_email_hash)
            .count()
        )
        if other_claimants:
            signals.append({"code": "duplicate_identity", "count": other_claimants})
    if claim.network_hash:
        since = timezone.now() - dt.timedelta(hours=24)
        burst = others.filter(network_hash=claim.network_hash, submitted_at__gte=since).count()
        if burst + 1 >= settings.CLAIMS_NETWORK_SIGNAL_COUNT:
            signals.append({"code": "network_burst", "count": burst + 1})
    if claim.payout_hash:
        shared = (
            others.filter(payout_hash=claim.payout_hash)
            .exclude(claimant_email_hash=claim.claimant_email_hash)
            .count()
        )
        if shared:
            signals.append({"code": "shared_payout", "count": shared})
    hashes = list(claim.documents.values_list("sha256", flat=True))
    if hashes:
        reused = (
            ClaimDocument.objects.filter(sha256__in=hashes, claim__isnull=False)
            .exclude(claim_id=claim.pk)
            .values("claim_id")
            .distinct()
            .count()
        )
        if reused:
            signals.append({"code": "reused_document", "count": reused})
    # A good-faith purchase bought after the freeze, or for more than the card held.
    signals.extend(purchase_signals(claim.reference))
    return signals


def _awarded(claim: Claim, same_type: bool) -> int:
    """What this identity has been granted on other claims of the program (approved amounts,
    paid or waiting for a pro-rata pool)."""
    claims = Claim.objects.filter(
        identity_filter(claim.person_id, claim.claimant_email_hash),
        program_id=claim.program_id,
        status=Claim.Status.APPROVED,
    ).exclude(pk=claim.pk)
    if same_type:
        claims = claims.filter(claim_type_id=claim.claim_type_id)
    return claims.aggregate(total=Sum("amount_decided_minor"))["total"] or 0


def claim_facts(
    claim: Claim, *, program: Program, fraud_signals: tuple[str, ...] = ()
) -> ClaimFacts:
    person = claim.person
    proactive = 0
    if person is not None:
        proactive = (
            Award.objects.filter(
                program_id=program.pk, person_id=person.pk, source=Award.Source.PROACTIVE
            )
            .exclude(status=Award.Status.REVERSED)
            .aggregate(total=Sum("amount_minor"))["total"]
            or 0
        )
    earlier = (
        Claim.objects.filter(
            identity_filter(claim.person_id, claim.claimant_email_hash),
            claim_type_id=claim.claim_type_id,
        )
        .exclude(pk=claim.pk)
        .count()
    )
    return ClaimFacts(
        claim_type=claim_type_facts(claim.claim_type),
        currency=program.currency,
        submitted_at=claim.submitted_at,
        claim_opens_at=program.claim_opens_at,
        claim_closes_at=program.claim_closes_at,
        person=PersonFacts(
            account_status=person.account_status,
            region=person.region,
            segment=person.segment,
            data_categories=tuple(person.data_categories or ()),
        )
        if person is not None
        else None,
        amount_claimed_minor=claim.amount_claimed_minor,
        hours_claimed=claim.hours_claimed,
        documents_present=frozenset(claim.documents.values_list("kind", flat=True)),
        fraud_signals=fraud_signals,
        earlier_claims_of_type=earlier,
        awarded_to_person_minor=_awarded(claim, same_type=False),
        awarded_same_type_minor=_awarded(claim, same_type=True),
        proactive_awarded_minor=proactive,
        remaining_budget_minor=program.remaining_minor
        if program.allocation == Program.Allocation.FIXED
        else None,
    )


@dataclass(frozen=True)
class Screening:
    decision: ClaimDecision
    signals: list[dict]
    risk: str


def risk_of(decision: ClaimDecision, signals: list[dict]) -> str:
    if len(signals) >= 2 or decision.score < 50:
        return Claim.Risk.HIGH
    if signals or decision.outcome == "review":
        return Claim.Risk.MEDIUM
    return Claim.Risk.LOW


def claim_screen(claim: Claim, *, program: Program, rules: dict) -> Screening:
    from compensation.engine import claim_decide

    signals = claim_signals(claim)
    facts = claim_facts(claim, program=program, fraud_signals=tuple(s["code"] for s in signals))
    decision = claim_decide(facts, rules)
    return Screening(decision=decision, signals=signals, risk=risk_of(decision, signals))


def claim_amount_limit(claim: Claim) -> int:
    """The most staff may approve: what the policy engine says the claim is worth under every
    limit (its type's calculation and caps, the policy's per-person limit and proactive
    offset, minus what was already granted), from today's facts, not the intake screening."""
    from compensation.engine import claim_decide, rules_validate

    policy = claim.policy  # no query when there is none
    rules = policy.rules if policy is not None else rules_validate({})
    return claim_decide(claim_facts(claim, program=claim.program), rules).entitled_minor
