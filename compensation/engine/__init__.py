"""The policy engine: pure functions, facts in, a decision out, every rule's result kept.

Nothing here touches the database or the clock, and decisions read no settings; callers
gather facts (selectors) and record decisions (services). That keeps every decision
reproducible from its inputs and the policy version that made it. Only the reasons' texts
come from the project's translations (gettext), when a result is shown.
"""

from compensation.engine.decide import claim_decide, person_decide
from compensation.engine.facts import (
    AwardLineFacts,
    ClaimDecision,
    ClaimFacts,
    ClaimTypeFacts,
    PersonDecision,
    PersonFacts,
    RuleResult,
)
from compensation.engine.reasons import reason_text
from compensation.engine.rules import DEFAULT_RULES, NO_ANSWER_RULES, on_no_answer, rules_validate

__all__ = [
    "DEFAULT_RULES",
    "NO_ANSWER_RULES",
    "AwardLineFacts",
    "ClaimDecision",
    "ClaimFacts",
    "ClaimTypeFacts",
    "PersonDecision",
    "PersonFacts",
    "RuleResult",
    "claim_decide",
    "on_no_answer",
    "person_decide",
    "reason_text",
    "rules_validate",
]
