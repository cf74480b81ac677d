"""Deciding a person's proactive award and a claim's outcome under a policy's rules."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from compensation.engine.facts import (
    AwardLineFacts,
    ClaimDecision,
    ClaimFacts,
    PersonDecision,
    PersonFacts,
    RuleResult,
)

APPROVE, REVIEW, DENY = "approve", "review", "deny"


def _person_rules(person: PersonFacts, eligibility: dict) -> list[RuleResult]:
    results = []
    statuses = eligibility["account_statuses"]
    results.append(
        RuleResult(
            "account_status",
            not statuses or person.account_status in statuses,
            "deny",
            {"status": person.account_status},
        )
    )
    regions = eligibility["regions"]
    if regions:
        results.append(
            RuleResult("region", person.region in regions, "deny", {"region": person.region})
        )
    segments = eligibility["segments"]
    if segments:
        results.append(
            RuleResult("segment", person.segment in segments, "deny", {"segment": person.segment})
        )
    categories = eligibility["data_categories_any"]
    if categories:
        results.append(
            RuleResult(
                "data_categories", bool(set(categories) & set(person.data_categories)), "deny"
            )
        )
    return results


def person_decide(
    person: PersonFacts, rules: dict, award_lines: list[AwardLineFacts]
) -> PersonDecision:
    """The proactive award for one person on the affected list."""
    results = _person_rules(person, rules["eligibility"])
    eligible = all(r.passed for r in results)
    wanted = set(rules["proactive"]["award_lines"])
    lines = tuple(line.code for line in award_lines if line.code in wanted) if eligible else ()
    amount = sum(line.amount_minor * line.count for line in award_lines if line.code in lines)
    if lines:
        results.append(RuleResult("proactive_award", True, "note", {"lines": ", ".join(lines)}))
    return PersonDecision(
        eligible=eligible, amount_minor=amount, lines=lines, results=tuple(results)
    )


def _hours_allowed(facts: ClaimFacts, documented: bool) -> Decimal:
    claim_type = facts.claim_type
    cap = claim_type.max_hours_documented if documented else claim_type.max_hours_undocumented
    hours = facts.hours_claimed or Decimal(0)
    return min(hours, cap) if cap is not None else hours


def _entitlement(facts: ClaimFacts, money: Callable[[int], dict]) -> tuple[int, list[RuleResult]]:
    """What the claim is worth before person-level limits, with the rules that shaped it."""
    claim_type = facts.claim_type
    notes: list[RuleResult] = []
    if claim_type.calculation == "fixed":
        amount = claim_type.fixed_amount_minor or 0
    elif claim_type.calculation == "time_spent":
        documented = bool(facts.documents_present)
        hours = _hours_allowed(facts, documented)
        if facts.hours_claimed is not None and hours < facts.hours_claimed:
            notes.append(
                RuleResult(
                    "hours_cap",
                    True,
                    "note",
                    {
                        "hours": str(hours),
                        "documented": "with documents" if documented else "without documents",
                    },
                )
            )
        amount = int(hours * (claim_type.hourly_rate_minor or 0))
    else:  # documented loss or the refund of a good-faith purchase: what was shown
        amount = facts.amount_claimed_minor
    cap = claim_type.cap_per_claim_minor
    if cap is not None and amount > cap:
        amount = cap
        notes.append(RuleResult("cap_per_claim", True, "note", {"cap": money(cap)}))
    return max(amount, 0), notes


def claim_decide(facts: ClaimFacts, rules: dict) -> ClaimDecision:
    """Decide one claim: eligibility, amount within every limit, score, outcome."""

    def money(minor: int) -> dict:
        # Kept as an amount: each reader sees it in their own language (reason_text).
        return {"minor": minor, "currency": facts.currency}

    claim_type = facts.claim_type
    eligibility = rules["eligibility"]
    results: list[RuleResult] = []

    on_list = facts.person is not None
    if claim_type.requires_affected_record:
        results.append(RuleResult("on_affected_list", on_list, "deny"))
    if facts.person is not None:
        results.extend(_person_rules(facts.person, eligibility))
    if eligibility["claim_window"]:
        opens, closes = facts.claim_opens_at, facts.claim_closes_at
        inside = (opens is None or facts.submitted_at >= opens) and (
            closes is None or facts.submitted_at <= closes
        )
        results.append(
            RuleResult(
                "claim_window",
                inside,
                "deny",
                {
                    "opens": opens.date().isoformat() if opens else "",
                    "closes": closes.date().isoformat() if closes else "",
                },
            )
        )
    missing = sorted(set(claim_type.required_documents) - facts.documents_present)
    results.append(RuleResult("documents", not missing, "review", {"missing": ", ".join(missing)}))
    results.append(
        RuleResult(
            "claims_per_person",
            facts.earlier_claims_of_type < claim_type.max_claims_per_person,
            "deny",
            {"limit": claim_type.max_claims_per_person},
        )
    )

    amount, notes = _entitlement(facts, money)
    results.extend(notes)
    limits = rules["limits"]
    if limits["offset_proactive"] and facts.proactive_awarded_minor:
        offset = min(amount, facts.proactive_awarded_minor)
        amount -= offset
        results.append(RuleResult("offset_proactive", True, "note", {"offset": money(offset)}))
    for cap, already in (
        (claim_type.cap_per_person_minor, facts.awarded_same_type_minor),
        (limits["per_person_minor"], facts.awarded_to_person_minor),
    ):
        if cap is not None and amount > cap - already:
            amount = max(cap - already, 0)
            results.append(RuleResult("cap_per_person", True, "note", {"cap": money(cap)}))
    if amount <= 0:
        results.append(RuleResult("nothing_left", False, "deny"))
    if facts.remaining_budget_minor is not None:
        results.append(RuleResult("budget", amount <= facts.remaining_budget_minor, "review"))
    results.append(
        RuleResult(
            "fraud_signals", not facts.fraud_signals, "review", {"count": len(facts.fraud_signals)}
        )
    )

    score = _score(facts, rules["scoring"]["weights"], missing, on_list)
    outcome = _outcome(results, score, amount, rules["scoring"], money)
    if outcome[1]:
        results.append(outcome[1])
    decided = outcome[0]
    results.append(RuleResult(f"score.{decided}", True, "note", {"score": score}))
    results.append(RuleResult("amount", True, "note", {"amount": money(amount)}))
    return ClaimDecision(
        outcome=decided,
        amount_minor=amount if decided != DENY else 0,
        score=score,
        results=tuple(results),
        entitled_minor=max(amount, 0),
    )


def _score(facts: ClaimFacts, weights: dict, missing: list[str], on_list: bool) -> int:
    required = facts.claim_type.required_documents
    documents = 1.0 if not required else (len(required) - len(missing)) / len(required)
    if not required and not facts.documents_present:
        documents = 0.5  # nothing asked, nothing shown: neutral
    record = 1.0 if on_list else (0.5 if not facts.claim_type.requires_affected_record else 0.0)
    fraud = max(0.0, 1.0 - len(facts.fraud_signals) / 2)
    return round(
        weights["documents"] * documents
        + weights["record_match"] * record
        + weights["no_fraud_signals"] * fraud
    )


def _outcome(
    results: list[RuleResult],
    score: int,
    amount: int,
    scoring: dict,
    money: Callable[[int], dict],
) -> tuple[str, RuleResult | None]:
    failed = [r for r in results if not r.passed]
    if any(r.effect == DENY for r in failed):
        return DENY, None
    if score < scoring["deny_below"]:
        return DENY, None
    if failed:
        return REVIEW, None
    if amount > scoring["auto_approve_max_minor"]:
        return REVIEW, RuleResult(
            "high_amount", True, "note", {"cap": money(scoring["auto_approve_max_minor"])}
        )
    if score >= scoring["auto_approve_at"]:
        return APPROVE, None
    return REVIEW, None
