from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the affected record says about a person."""

    account_status: str
    region: str
    segment: str
    data_categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AwardLineFacts:
    code: str
    kind: str
    amount_minor: int
    count: int


@dataclass(frozen=True, slots=True)
class ClaimTypeFacts:
    code: str
    calculation: str  # documented | time_spent | purchase_refund | fixed
    required_documents: tuple[str, ...] = ()
    requires_affected_record: bool = True
    cap_per_claim_minor: int | None = None
    cap_per_person_minor: int | None = None
    fixed_amount_minor: int | None = None
    hourly_rate_minor: int | None = None
    max_hours_documented: Decimal | None = None
    max_hours_undocumented: Decimal | None = None
    max_claims_per_person: int = 1


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """Everything the engine needs to decide one claim, gathered by the caller."""

    claim_type: ClaimTypeFacts
    currency: str
    submitted_at: dt.datetime
    claim_opens_at: dt.datetime | None
    claim_closes_at: dt.datetime | None
    person: PersonFacts | None  # None: not on the affected list
    amount_claimed_minor: int = 0
    hours_claimed: Decimal | None = None
    documents_present: frozenset[str] = frozenset()
    fraud_signals: tuple[str, ...] = ()
    earlier_claims_of_type: int = 0  # other live claims of this type by the same person
    awarded_to_person_minor: int = 0  # claim awards the person already has in this program
    awarded_same_type_minor: int = 0  # of which for this claim type
    proactive_awarded_minor: int = 0  # the person's proactive award (vouchers etc.)
    remaining_budget_minor: int | None = None  # None: a pro-rata pool (settled at close)


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's verdict. `code` names the rule and its plain-language reason; `params`
    fill the reason's blanks. `effect` is what a failure does: deny, review, or note."""

    code: str
    passed: bool
    effect: str = "deny"
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "passed": self.passed,
            "effect": self.effect,
            "params": self.params,
        }


@dataclass(frozen=True, slots=True)
class PersonDecision:
    eligible: bool
    amount_minor: int
    lines: tuple[str, ...]
    results: tuple[RuleResult, ...]

    @property
    def failed_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.results if not r.passed)


@dataclass(frozen=True, slots=True)
class ClaimDecision:
    outcome: str  # approve | review | deny
    amount_minor: int  # what the claim is awarded under the rules (0 when denied)
    score: int  # 0-100
    results: tuple[RuleResult, ...]
    # What the claim is worth under every limit whatever the outcome: the most a reviewer
    # may approve when the claim goes to review.
    entitled_minor: int = 0

    def as_dict(self) -> dict:
        return {
            "outcome": self.outcome,
            "amount_minor": self.amount_minor,
            "score": self.score,
            "results": [r.as_dict() for r in self.results],
        }
