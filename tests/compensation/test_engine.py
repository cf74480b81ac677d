import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from compensation.engine import (
    DEFAULT_RULES,
    AwardLineFacts,
    ClaimFacts,
    ClaimTypeFacts,
    PersonFacts,
    claim_decide,
    person_decide,
    reason_text,
    rules_validate,
)

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
PERSON = PersonFacts(
    account_status="active", region="seoul", segment="member", data_categories=("email", "name")
)
LINES = [
    AwardLineFacts("store", "voucher", 5_000, 1),
    AwardLineFacts("eats", "voucher", 5_000, 1),
    AwardLineFacts("travel", "voucher", 20_000, 1),
    AwardLineFacts("rlux", "voucher", 20_000, 1),
]
DOCUMENTED = ClaimTypeFacts(
    code="loss",
    calculation="documented",
    required_documents=("receipt",),
    cap_per_claim_minor=500_000,
)


def rules(**sections):
    return rules_validate({**sections})


def claim(**overrides) -> ClaimFacts:
    base: dict[str, Any] = {
        "claim_type": DOCUMENTED,
        "currency": "KRW",
        "submitted_at": NOW,
        "claim_opens_at": NOW - dt.timedelta(days=10),
        "claim_closes_at": NOW + dt.timedelta(days=10),
        "person": PERSON,
        "amount_claimed_minor": 120_000,
        "documents_present": frozenset({"receipt"}),
        "remaining_budget_minor": 10_000_000,
    }
    base.update(overrides)
    return ClaimFacts(**base)


def test_rules_validation_names_every_problem_by_its_path():
    with pytest.raises(ValueError, match="unknown section") as err:
        rules_validate(
            {
                "eligibility": {"account_statuses": ["zombie"]},
                "scoring": {"auto_approve_at": 140},
                "extra": {},
            }
        )
    message = str(err.value)
    assert "unknown section(s) extra" in message


def test_rules_validation_reports_bad_values_and_unknown_award_lines():
    with pytest.raises(ValueError, match="unknown value") as err:
        rules_validate(
            {
                "eligibility": {"account_statuses": ["zombie"]},
                "scoring": {"auto_approve_at": 140},
                "proactive": {"award_lines": ["store", "spa"]},
            },
            award_line_codes={"store"},
        )
    message = str(err.value)
    assert "eligibility.account_statuses: unknown value(s) zombie" in message
    assert "scoring.auto_approve_at: must be a whole number 0-100" in message
    assert "proactive.award_lines: no such award line(s) in this program: spa" in message


def test_defaults_fill_what_a_policy_leaves_out():
    assert rules_validate({}) == DEFAULT_RULES


def test_eligible_person_gets_the_four_coupang_lines():
    decision = person_decide(
        PERSON, rules(proactive={"award_lines": ["store", "eats", "travel", "rlux"]}), LINES
    )
    assert decision.eligible
    assert decision.amount_minor == 50_000
    assert decision.lines == ("store", "eats", "travel", "rlux")


def test_closed_account_gets_nothing_and_says_why_in_three_languages():
    closed = PersonFacts("closed", "seoul", "member", ("email",))
    decision = person_decide(closed, rules(proactive={"award_lines": ["store"]}), LINES)
    assert not decision.eligible
    assert decision.amount_minor == 0
    assert decision.failed_codes == ("account_status",)
    failed = decision.results[0]
    assert "closed" in reason_text(failed.code, failed.passed, failed.params, "en")
    korean = reason_text(failed.code, failed.passed, failed.params, "ko")
    assert "탈퇴" in korean  # the status in words, not its code
    assert "closed" not in korean
    assert "账户" in reason_text(failed.code, failed.passed, failed.params, "zh-hans")


def test_region_and_data_category_rules_restrict_the_population():
    policy = rules(
        eligibility={"regions": ["busan"], "data_categories_any": ["payment"]},
        proactive={"award_lines": ["store"]},
    )
    decision = person_decide(PERSON, policy, LINES)
    assert set(decision.failed_codes) == {"region", "data_categories"}


def test_documented_claim_within_limits_is_approved_automatically():
    decision = claim_decide(claim(), rules())
    assert decision.outcome == "approve"
    assert decision.amount_minor == 120_000
    assert decision.score == 100


def test_documented_claim_is_capped_per_claim_and_goes_to_review_above_auto_limit():
    decision = claim_decide(claim(amount_claimed_minor=900_000), rules())
    assert decision.amount_minor == 500_000
    assert "cap_per_claim" in [r.code for r in decision.results]
    assert decision.outcome == "review"  # 500,000 > auto_approve_max_minor 300,000
    assert "high_amount" in [r.code for r in decision.results]


def test_missing_required_document_sends_the_claim_to_review():
    decision = claim_decide(claim(documents_present=frozenset()), rules())
    assert decision.outcome == "review"
    missing = next(r for r in decision.results if r.code == "documents")
    assert not missing.passed
    assert missing.params["missing"] == "receipt"


def test_claim_from_someone_not_on_the_list_is_denied_when_the_type_requires_it():
    decision = claim_decide(claim(person=None), rules())
    assert decision.outcome == "deny"
    assert decision.amount_minor == 0


def test_good_faith_purchase_does_not_need_the_affected_list():
    refund = ClaimTypeFacts(
        code="gfp",
        calculation="purchase_refund",
        required_documents=("proof_of_purchase",),
        requires_affected_record=False,
        cap_per_claim_minor=300_000,
    )
    facts = claim(
        claim_type=refund,
        person=None,
        amount_claimed_minor=45_000,
        documents_present=frozenset({"proof_of_purchase"}),
    )
    decision = claim_decide(facts, rules())
    # Not on the list scores half the record-match weight: 40 + 20 + 20.
    assert decision.score == 80
    assert decision.outcome == "approve"
    assert decision.amount_minor == 45_000
    stricter = claim_decide(facts, rules(scoring={"auto_approve_at": 85}))
    assert stricter.outcome == "review"


def test_claim_outside_the_window_is_denied():
    decision = claim_decide(claim(submitted_at=NOW + dt.timedelta(days=30)), rules())
    assert decision.outcome == "deny"
    window = next(r for r in decision.results if r.code == "claim_window")
    assert not window.passed


def test_time_spent_counts_fewer_hours_without_documents():
    time_type = ClaimTypeFacts(
        code="time",
        calculation="time_spent",
        hourly_rate_minor=15_000,
        max_hours_documented=Decimal(10),
        max_hours_undocumented=Decimal(3),
    )
    undocumented = claim_decide(
        claim(claim_type=time_type, hours_claimed=Decimal(8), documents_present=frozenset()),
        rules(),
    )
    documented = claim_decide(
        claim(claim_type=time_type, hours_claimed=Decimal(8), documents_present=frozenset({"log"})),
        rules(),
    )
    assert undocumented.amount_minor == 45_000
    assert documented.amount_minor == 120_000


def test_per_person_limit_and_proactive_offset_prevent_paying_twice():
    policy = rules(limits={"per_person_minor": 150_000, "offset_proactive": True})
    decision = claim_decide(
        claim(
            amount_claimed_minor=120_000,
            proactive_awarded_minor=50_000,
            awarded_to_person_minor=60_000,
        ),
        policy,
    )
    # 120,000 - 50,000 offset = 70,000, then capped to 150,000 - 60,000 = 90,000 (no change)
    assert decision.amount_minor == 70_000
    assert {"offset_proactive"} <= {r.code for r in decision.results}
    capped = claim_decide(
        claim(amount_claimed_minor=120_000, awarded_to_person_minor=100_000), policy
    )
    assert capped.amount_minor == 50_000


def test_a_person_at_the_limit_is_denied_with_a_reason():
    policy = rules(limits={"per_person_minor": 100_000})
    decision = claim_decide(claim(awarded_to_person_minor=100_000), policy)
    assert decision.outcome == "deny"
    assert "nothing_left" in [r.code for r in decision.results]


def test_second_claim_of_a_type_is_denied_when_one_is_allowed():
    decision = claim_decide(claim(earlier_claims_of_type=1), rules())
    assert decision.outcome == "deny"


def test_fraud_signals_lower_the_score_and_force_review():
    decision = claim_decide(claim(fraud_signals=("same_device", "reused_document")), rules())
    assert decision.outcome == "review"
    assert decision.score == 80


def test_budget_that_cannot_pay_sends_to_review():
    decision = claim_decide(claim(remaining_budget_minor=10_000), rules())
    assert decision.outcome == "review"


def test_every_rule_result_explains_itself_in_each_language():
    decision = claim_decide(claim(documents_present=frozenset()), rules())
    for language in ("ko", "en", "zh-hans"):
        texts = [reason_text(r.code, r.passed, r.params, language) for r in decision.results]
        assert all(texts)
        assert all(not t.startswith(("score.", "documents")) for t in texts)
    # The amount is kept as an amount: each reader sees it as their language writes it.
    for language, amount in (("en", "₩120,000"), ("ko", "120,000원"), ("zh-hans", "₩120,000")):
        assert any(
            amount in reason_text(r.code, r.passed, r.params, language) for r in decision.results
        )


def test_entitlement_is_reported_whatever_the_outcome():
    denied = claim_decide(claim(person=None), rules())
    assert denied.outcome == "deny"
    assert denied.amount_minor == 0
    assert denied.entitled_minor == 120_000
    offset = claim_decide(
        claim(amount_claimed_minor=900_000, proactive_awarded_minor=50_000),
        rules(limits={"offset_proactive": True}),
    )
    assert offset.outcome == "review"
    assert offset.entitled_minor == 450_000
