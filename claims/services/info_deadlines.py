"""Requests for information that run out: when an answer is due, the policy's rule for no
answer, and the sweep that applies the rule at the deadline.

The rule is the policy's `info_requests.on_no_answer` (compensation/engine/rules.py):
"decide_on_file" puts the claim back before a person, who decides on what is there (back to
review, or back to the appeal it came from, so an appeal still goes to a senior reviewer);
"deny" closes it as not approved with the reason "no answer", and the claimant gets the
decision notice, with the link to the claim and the appeal deadline. The claim is never
approved without a person: someone asked a question about it."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from audit.services import audit_record
from claims import notices
from claims.models import Claim, ClaimEvent
from claims.services.common import review_status_after_info, sla_due
from compensation.engine import NO_ANSWER_RULES, RuleResult, on_no_answer
from compensation.selectors import policies_published_by_program, policy_published

S = Claim.Status
DECIDE_ON_FILE, DENY = NO_ANSWER_RULES
DEADLINE_ACTOR = "job:claims.info_deadlines"
# The reason recorded with a denial at the deadline (its text: compensation/engine/reasons.py).
NO_ANSWER_REASON = {**RuleResult("no_answer", False, "deny").as_dict(), "source": "deadline"}
# The earlier decision's outcome notes and staff reasons make way for the reason above.
_REASONS_AFTER_NO_ANSWER = (
    "COALESCE((SELECT jsonb_agg(r ORDER BY n) FROM jsonb_array_elements(decision_reasons) "
    "WITH ORDINALITY AS e (r, n) WHERE r->>'code' NOT LIKE 'score.%%' "
    "AND r->>'source' IS DISTINCT FROM 'staff'), '[]'::jsonb) || %s::jsonb"
)


def info_due_at(*, days: int, now: dt.datetime | None = None) -> dt.datetime:
    """The end (23:59:59, the site's time zone) of the day `days` days from now: the claimant
    has the whole last day, and the date alone says when."""
    day = timezone.localdate(now) + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def claim_no_answer_rule(claim: Claim) -> str:
    """The rule of the policy the claim is decided under: the version that screened it, else
    the program's published one; "decide_on_file" with neither."""
    policy = claim.policy if claim.policy_id else policy_published(claim.program)
    return on_no_answer(policy.rules if policy is not None else None)


def claims_no_answer_rules(claims: list[Claim]) -> dict[int, str]:
    """claim id -> its rule, for a chunk whose claims came with their policy (one query for
    the programs' published policies of the claims screened without one)."""
    published = policies_published_by_program(
        sorted({c.program_id for c in claims if not c.policy_id})
    )
    rules = {}
    for claim in claims:
        policy = claim.policy if claim.policy_id else published.get(claim.program_id)
        rules[claim.pk] = on_no_answer(policy.rules if policy is not None else None)
    return rules


def _target(claim: Claim, rule: str) -> str:
    if rule == DENY:
        return S.DENIED
    return review_status_after_info(claim)


def claims_info_expire(*, chunk_size: int | None = None) -> int:
    """Apply the rule to every claim whose request for information has run out unanswered.
    Returns how many claims moved.

    Guarantees: one transaction per chunk; a claim moves by one conditional UPDATE on its
    status and due time, with its event, its audit row and (a denial) its decision notice,
    all or nothing. A claimant answering at the same moment either commits first (the claim
    is no longer waiting: the sweep leaves it) or loses to the sweep (their answer is refused
    as a conflict); never both. Claims locked by an answer in flight are skipped (SKIP
    LOCKED) and looked at again by the next sweep. Running it again moves nothing twice."""
    size = chunk_size or settings.CLAIMS_INFO_SWEEP_CHUNK
    moved = 0
    while True:
        with transaction.atomic(durable=True):
            seen, done = _expire_chunk(size)
        moved += done
        if seen < size or done == 0:
            return moved


def _expire_chunk(size: int) -> tuple[int, int]:
    now = timezone.now()
    claims = list(
        Claim.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=S.INFO_REQUESTED, info_due_at__lte=now)
        .select_related("program", "person", "policy")
        .order_by("info_due_at", "id")[:size]
    )
    if not claims:
        return 0, 0
    rules = claims_no_answer_rules(claims)
    groups: dict[str, list[Claim]] = {}
    for claim in claims:
        groups.setdefault(_target(claim, rules[claim.pk]), []).append(claim)
    for target, members in groups.items():
        values: dict = {
            "status": target,
            "due_at": sla_due(target, now=now),
            "overdue_flagged_at": None,
            "info_due_at": None,
        }
        if target == S.DENIED:
            values.update(
                decided_at=now,
                decided_by=None,
                amount_decided_minor=0,
                due_at=None,
                # A constant of this module; the reason goes as a parameter.
                decision_reasons=RawSQL(  # noqa: S611
                    _REASONS_AFTER_NO_ANSWER, [json.dumps([NO_ANSWER_REASON])]
                ),
            )
        ids = [claim.pk for claim in members]
        changed = Claim.objects.filter(
            pk__in=ids, status=S.INFO_REQUESTED, info_due_at__lte=now
        ).update(**values)
        if changed != len(ids):  # the rows are locked by this transaction: cannot happen
            raise RuntimeError("claims changed under the deadline sweep's lock")
    ClaimEvent.objects.bulk_create(
        [
            ClaimEvent(
                claim=claim,
                kind="info_expired",
                from_status=S.INFO_REQUESTED,
                to_status=_target(claim, rules[claim.pk]),
                actor_label=DEADLINE_ACTOR,
            )
            for claim in claims
        ]
    )
    for claim in claims:
        target = _target(claim, rules[claim.pk])
        audit_record(
            action="claim.info_expired",
            obj=claim,
            actor_label=DEADLINE_ACTOR,
            before={"status": S.INFO_REQUESTED},
            after={"status": target, "rule": rules[claim.pk]},
        )
        if target == S.DENIED:
            claim.status, claim.decided_at, claim.amount_decided_minor = target, now, 0
            notices.notice_decision(claim=claim, appeal=bool(claim.appealed_at))
    return len(claims), len(claims)
