"""What an issuance run would do, before it does it: the published policy decides each
distinct population profile once (33.7M people are a few hundred profiles), and the run
issues set-based to the people whose profile is eligible."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from compensation import selectors
from compensation.engine import PersonFacts, person_decide
from compensation.models import Award, AwardLine, PolicyVersion, Program
from compensation.models.choices import AwardKind
from vouchers.errors import IssuanceRefused
from vouchers.selectors import issuance_rate_last_run


@dataclass(frozen=True)
class PlannedProfile:
    facts: PersonFacts
    people: int
    lines: tuple[AwardLine, ...]


@dataclass
class BatchPlan:
    program: Program
    policy: PolicyVersion
    award_lines: list[AwardLine]
    segments: list[str]
    profiles: list[PlannedProfile] = field(default_factory=list)
    people: int = 0
    vouchers: int = 0
    cost_minor: int = 0
    already_granted: int = 0
    already_granted_minor: int = 0

    @property
    def new_cost_minor(self) -> int:
        """What the run adds to the committed total (re-issued lines add nothing)."""
        return max(self.cost_minor - self.already_granted_minor, 0)


def batch_plan(
    *, program: Program, award_lines: list[AwardLine], segments: list[str] | None = None
) -> BatchPlan:
    """Count and cost of issuing `award_lines` to the eligible people of `program` under
    its published policy (optionally only `segments`). Reads only; raises IssuanceRefused
    when there is nothing sensible to issue."""
    policy = selectors.policy_published(program)
    if policy is None:
        raise IssuanceRefused("The program has no published policy: publish one first.")
    chosen = [line for line in award_lines if line.program_id == program.pk]
    if not chosen or len(chosen) != len(award_lines):
        raise IssuanceRefused("Choose one or more award lines of this program.")
    if any(line.kind != AwardKind.VOUCHER for line in chosen):
        raise IssuanceRefused("Only voucher award lines can be issued as vouchers.")
    wanted_segments = sorted({s.strip() for s in segments or [] if s.strip()})
    plan = BatchPlan(program=program, policy=policy, award_lines=chosen, segments=wanted_segments)
    facts_of_lines = selectors.award_line_facts(program)
    by_code = {line.code: line for line in chosen}
    for facts, people, _example_id in selectors.population_profiles(program):
        if wanted_segments and facts.segment not in wanted_segments:
            continue
        decision = person_decide(facts, policy.rules, facts_of_lines)
        lines = tuple(by_code[code] for code in decision.lines if code in by_code)
        if not decision.eligible or not lines:
            continue
        plan.profiles.append(PlannedProfile(facts=facts, people=people, lines=lines))
        plan.people += people
        plan.vouchers += people * sum(line.count for line in lines)
        plan.cost_minor += people * sum(line.amount_minor * line.count for line in lines)
    granted = Award.objects.filter(
        program=program, source=Award.Source.PROACTIVE, award_line__in=chosen
    ).aggregate(n=Count("id"), total=Sum("amount_minor"))
    plan.already_granted = granted["n"] or 0
    plan.already_granted_minor = granted["total"] or 0
    return plan


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def voucher_window_refusal(program: Program, *, now: dt.datetime | None = None) -> str | None:
    """Why vouchers of `program` must not be issued now (their validity window has ended),
    or None. Start, resume and every chunk of a run ask."""
    until = program.voucher_valid_until
    if until is not None and until <= (now or timezone.now()):
        return (
            f"The program's vouchers are valid until {_when(until)}, which has passed: they "
            "would be issued already expired. Extend the validity window first."
        )
    return None


def voucher_window_warning(plan: BatchPlan, *, now: dt.datetime | None = None) -> str | None:
    """A warning for the start page when the validity window has ended, or ends before the
    run could finish. The duration is estimated from the last finished run's measured rate,
    or VOUCHERS_ISSUANCE_RATE_PER_SECOND when no run has finished yet (the text says which)."""
    now = now or timezone.now()
    refusal = voucher_window_refusal(plan.program, now=now)
    if refusal:
        return refusal + " Starting the run will be refused."
    until = plan.program.voucher_valid_until
    if until is None or not plan.vouchers:
        return None
    measured = issuance_rate_last_run()
    rate = measured or float(settings.VOUCHERS_ISSUANCE_RATE_PER_SECOND)
    source = "measured on the last finished run" if measured else "the configured estimate"
    finish = now + dt.timedelta(seconds=plan.vouchers / rate)
    if finish <= until:
        return None
    return (
        f"At {rate:,.0f} vouchers a second ({source}), {plan.vouchers:,} vouchers take until "
        f"about {_when(finish)}, after the validity window ends at {_when(until)}. The run "
        "stops when the window ends; extend the window or issue fewer vouchers."
    )
