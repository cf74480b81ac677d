"""The shape of a policy's rules, and its validation. Rules are data an operator edits; a
policy version is refused at save time if its rules would not mean something exact."""

from __future__ import annotations

import copy

from compensation.models.choices import AccountStatus, DataCategory

DEFAULT_RULES: dict = {
    "eligibility": {
        # Empty list: any value passes.
        "account_statuses": ["active", "dormant"],
        "regions": [],
        "segments": [],
        "data_categories_any": [],
        "claim_window": True,
    },
    # Codes of the program's award lines every eligible person receives.
    "proactive": {"award_lines": []},
    "limits": {
        "per_person_minor": None,
        # Subtract the person's proactive award from what a claim pays for the same harm.
        "offset_proactive": False,
    },
    "scoring": {
        "weights": {"documents": 40, "record_match": 40, "no_fraud_signals": 20},
        "auto_approve_at": 80,
        "deny_below": 20,
        "auto_approve_max_minor": 300_000,
    },
    # What happens to a claim whose request for information is not answered by its deadline
    # (claims' deadline sweep): "decide_on_file" puts it back before a person, who decides on
    # what is there; "deny" closes it as not approved, with the reason "no answer".
    "info_requests": {"on_no_answer": "decide_on_file"},
}

NO_ANSWER_RULES = ("decide_on_file", "deny")

_STATUSES = {s.value for s in AccountStatus}
_CATEGORIES = {c.value for c in DataCategory}
_WEIGHTS = {"documents", "record_match", "no_fraud_signals"}


def _merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def rules_validate(raw: object, *, award_line_codes: set[str] | None = None) -> dict:
    """Return the complete rules (defaults filled in) or raise ValueError listing every
    problem by its path, e.g. "scoring.auto_approve_at: must be 0-100"."""
    if not isinstance(raw, dict):
        raise ValueError("rules: must be a JSON object")
    errors: list[str] = []
    unknown = set(raw) - set(DEFAULT_RULES)
    if unknown:
        errors.append(f"rules: unknown section(s) {', '.join(sorted(unknown))}")
    for section, value in raw.items():
        if section in DEFAULT_RULES and not isinstance(value, dict):
            errors.append(f"{section}: must be an object")
    if errors:
        raise ValueError("; ".join(errors))
    for section, value in raw.items():
        extra = set(value) - set(DEFAULT_RULES[section])
        if extra:
            errors.append(f"{section}: unknown key(s) {', '.join(sorted(extra))}")
    rules = _merge(DEFAULT_RULES, raw)

    elig = rules["eligibility"]
    for key, allowed in (
        ("account_statuses", _STATUSES),
        ("data_categories_any", _CATEGORIES),
        ("regions", None),
        ("segments", None),
    ):
        value = elig[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(f"eligibility.{key}: must be a list of strings")
        elif allowed is not None and set(value) - allowed:
            errors.append(
                f"eligibility.{key}: unknown value(s) {', '.join(sorted(set(value) - allowed))}"
            )
    if not isinstance(elig["claim_window"], bool):
        errors.append("eligibility.claim_window: must be true or false")

    lines = rules["proactive"]["award_lines"]
    if not isinstance(lines, list) or not all(isinstance(v, str) for v in lines):
        errors.append("proactive.award_lines: must be a list of award line codes")
    elif award_line_codes is not None and set(lines) - award_line_codes:
        errors.append(
            "proactive.award_lines: no such award line(s) in this program: "
            + ", ".join(sorted(set(lines) - award_line_codes))
        )

    per_person = rules["limits"]["per_person_minor"]
    if per_person is not None and (
        not isinstance(per_person, int) or per_person <= 0 or isinstance(per_person, bool)
    ):
        errors.append("limits.per_person_minor: must be a positive whole number or null")
    if not isinstance(rules["limits"]["offset_proactive"], bool):
        errors.append("limits.offset_proactive: must be true or false")

    scoring = rules["scoring"]
    weights = scoring["weights"]
    if not isinstance(weights, dict) or set(weights) != _WEIGHTS:
        errors.append("scoring.weights: must give documents, record_match, no_fraud_signals")
    elif (
        not all(isinstance(w, int) and w >= 0 for w in weights.values())
        or sum(weights.values()) != 100
    ):
        errors.append("scoring.weights: must be whole numbers >= 0 adding up to 100")
    for key in ("auto_approve_at", "deny_below"):
        value = scoring[key]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            errors.append(f"scoring.{key}: must be a whole number 0-100")
    if not errors and scoring["deny_below"] > scoring["auto_approve_at"]:
        errors.append("scoring.deny_below: must not be above scoring.auto_approve_at")
    cap = scoring["auto_approve_max_minor"]
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
        errors.append("scoring.auto_approve_max_minor: must be a whole number >= 0")

    if rules["info_requests"]["on_no_answer"] not in NO_ANSWER_RULES:
        errors.append("info_requests.on_no_answer: must be one of " + ", ".join(NO_ANSWER_RULES))

    if errors:
        raise ValueError("; ".join(errors))
    return rules


def on_no_answer(rules: dict | None) -> str:
    """The rule for an unanswered request for information under these rules: one of
    NO_ANSWER_RULES. Rules published before the section existed decide on file."""
    section = (rules or {}).get("info_requests") or {}
    rule = section.get("on_no_answer", NO_ANSWER_RULES[0])
    return rule if rule in NO_ANSWER_RULES else NO_ANSWER_RULES[0]
