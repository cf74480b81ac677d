"""Policy versions: drafted, dry-run over the whole population, published, retired."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import Actor, actor_user, audit_record
from compensation import selectors
from compensation.engine import person_decide, reason_text, rules_validate
from compensation.errors import PolicyInvalid
from compensation.models import DryRun, PolicyVersion, Program
from config import queueing
from config.db import advisory_lock_held, violated_constraint

logger = logging.getLogger(__name__)

SAMPLE_SIZE = 12
DRY_RUN_TASK = "compensation.dry_run_execute"
DRY_RUN_SWEEP_TASK = "compensation.dry_runs_resume"
# Advisory lock class of a running dry run (7301: population imports, 7302: claim drafts). Its
# runner holds the lock for as long as it runs, so PostgreSQL itself says whether a "running"
# dry run still has a live worker: a killed worker's session, and its lock, end with it.
_DRY_RUN_LOCK = 7303


def policy_rules_check(*, program: Program, rules: object) -> dict:
    """Validated, complete rules for this program, or PolicyInvalid naming every problem."""
    codes = set(program.award_lines.values_list("code", flat=True))
    try:
        return rules_validate(rules, award_line_codes=codes)
    except ValueError as exc:
        raise PolicyInvalid(str(exc)) from exc


def policy_draft_create(
    *,
    program: Program,
    rules: object,
    notes: str = "",
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> PolicyVersion:
    """A new draft version with the next number. Concurrent drafts get distinct numbers."""
    checked = policy_rules_check(program=program, rules=rules)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                number = (program.policies.aggregate(n=Max("number"))["n"] or 0) + 1
                policy = PolicyVersion.objects.create(
                    program=program,
                    number=number,
                    rules=checked,
                    notes=notes,
                    created_by=actor_user(actor),
                )
                audit_record(
                    action="policy.draft",
                    obj=policy,
                    actor=actor,
                    actor_label=actor_label,
                    ip_address=ip_address,
                    after={"number": number, "rules": checked},
                )
                return policy
        except IntegrityError as exc:
            if violated_constraint(exc) != "policy_number_unique":
                raise
            continue  # a concurrent draft took the number
    raise PolicyInvalid("Could not number the new version; try again.")


def dry_run_request(
    *,
    policy: PolicyVersion,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> DryRun:
    """Record a dry run and start it on a worker after commit. A broker that cannot be reached
    does not fail the request: the dry run is committed pending and beat's sweep
    (dry_runs_resume_stale) starts it once the broker is back."""
    with transaction.atomic():
        dry_run = DryRun.objects.create(
            policy=policy,
            budget_minor=policy.program.budget_minor,
            requested_by=actor_user(actor),
        )
        audit_record(
            action="policy.dry_run",
            obj=dry_run,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            after={"policy": policy.pk},
        )
        queueing.task_send_on_commit(DRY_RUN_TASK, {"dry_run_id": dry_run.pk})
    return dry_run


def _lock_key(dry_run_id: int) -> int:
    return dry_run_id % 2_147_483_647  # the int4 half of a two-key advisory lock


@contextmanager
def _dry_run_lock(dry_run_id: int) -> Iterator[bool]:
    """Hold the dry run's advisory lock while the block runs; yields False at once when
    another session holds it (config.db.advisory_lock_held: safe through a pooler)."""
    with advisory_lock_held(_DRY_RUN_LOCK, _lock_key(dry_run_id)) as held:
        yield held


def dry_run_execute(*, dry_run_id: int) -> DryRun:
    """Decide every person of the program under the policy, without granting anything:
    counts, cost against budget, reasons for the ineligible, a sample of explained
    decisions. Idempotent: a finished dry run is returned as it is.

    Runs at most once at a time: the runner holds the dry run's advisory lock, so a second
    wake-up (two sweeps, a redelivered message) returns at once. A dry run left "running" by
    a killed worker has no lock holder, and the next runner takes it over. An error marks it
    failed with the error's type (request another once fixed)."""
    with _dry_run_lock(dry_run_id) as held:
        if not held:  # another worker is running it right now
            return DryRun.objects.select_related("policy__program").get(pk=dry_run_id)
        # Under the lock, "running" means its runner died.
        claimed = DryRun.objects.filter(
            pk=dry_run_id,
            status__in=[DryRun.Status.PENDING, DryRun.Status.FAILED, DryRun.Status.RUNNING],
        ).update(status=DryRun.Status.RUNNING, error="")
        dry_run = DryRun.objects.select_related("policy__program").get(pk=dry_run_id)
        if not claimed:
            return dry_run
        try:
            return _dry_run_compute(dry_run)
        except Exception as exc:
            logger.exception("dry run %s failed", dry_run_id)
            DryRun.objects.filter(pk=dry_run_id, status=DryRun.Status.RUNNING).update(
                status=DryRun.Status.FAILED, error=f"{type(exc).__name__}"[:200]
            )
            raise


def dry_runs_resume_stale(
    *, pending_seconds: int | None = None, queue: str | None = None
) -> list[int]:
    """Wake a worker for every dry run nobody is working on: pending for longer than
    `pending_seconds` (None: DRY_RUN_PENDING_SECONDS; its start was never queued, say the
    broker was down, or was lost), or "running" with no live runner (no session holds its
    advisory lock: the worker was killed). Called by beat. A wake-up is only a message: the
    runner's lock and its conditional UPDATE make sure a dry run never runs twice at once,
    however many sweeps send one."""
    seconds = settings.DRY_RUN_PENDING_SECONDS if pending_seconds is None else pending_seconds
    cutoff = timezone.now() - dt.timedelta(seconds=seconds)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT d.id FROM compensation_dryrun AS d
            WHERE (d.status = 'pending' AND d.created_at <= %s)
               OR (d.status = 'running' AND NOT EXISTS (
                    SELECT 1 FROM pg_locks AS l
                    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                      AND l.database = (SELECT oid FROM pg_database
                                        WHERE datname = current_database())
                      AND l.classid::bigint = %s
                      AND l.objid::bigint = d.id %% 2147483647))
            ORDER BY d.id
            """,
            [cutoff, _DRY_RUN_LOCK],
        )
        quiet = [row[0] for row in cursor.fetchall()]
    for dry_run_id in quiet:
        queueing.task_send(DRY_RUN_TASK, {"dry_run_id": dry_run_id}, queue=queue)
    return quiet


def _dry_run_compute(dry_run: DryRun) -> DryRun:
    started = time.monotonic()
    policy = dry_run.policy
    program = policy.program
    lines = selectors.award_line_facts(program)
    total = eligible = cost = 0
    outcomes: dict[str, int] = {}
    sample: list[dict] = []
    for facts, people, example_id in selectors.population_profiles(program):
        decision = person_decide(facts, policy.rules, lines)
        total += people
        if decision.eligible:
            eligible += people
            cost += decision.amount_minor * people
            key = "eligible:" + ("+".join(decision.lines) or "nothing")
        else:
            key = "ineligible:" + "+".join(decision.failed_codes)
        outcomes[key] = outcomes.get(key, 0) + people
        if len(sample) < SAMPLE_SIZE:
            sample.append(
                {
                    "person_id": example_id,
                    "people_like_this": people,
                    "profile": {
                        "account_status": facts.account_status,
                        "region": facts.region,
                        "segment": facts.segment,
                        "data_categories": facts.data_categories,
                    },
                    "eligible": decision.eligible,
                    "amount_minor": decision.amount_minor,
                    "reasons": [
                        reason_text(r.code, r.passed, r.params, "en") for r in decision.results
                    ],
                }
            )
    dry_run.people_total = total
    dry_run.people_eligible = eligible
    dry_run.people_ineligible = total - eligible
    claims = _claims_dry_run(policy)
    dry_run.proactive_cost_minor = cost
    dry_run.claims_cost_minor = claims.pop("cost_minor", 0)
    dry_run.cost_minor = cost + dry_run.claims_cost_minor
    dry_run.budget_minor = program.budget_minor
    dry_run.outcome_counts = {**outcomes, "claims": claims}
    dry_run.sample = sample
    dry_run.seconds = time.monotonic() - started
    dry_run.status = DryRun.Status.DONE
    dry_run.finished_at = timezone.now()
    dry_run.save()
    return dry_run


def _claims_dry_run(policy: PolicyVersion) -> dict:
    """Existing claims decided under the draft, by whichever app owns claims (registered
    in compensation.registry; compensation itself does not know the claims app)."""
    from compensation.registry import CLAIM_DRY_RUNNERS

    summary: dict = {"cost_minor": 0}
    for runner in CLAIM_DRY_RUNNERS.values():
        result = runner(policy)
        summary["cost_minor"] += result.pop("cost_minor", 0)
        for key, value in result.items():
            summary[key] = summary.get(key, 0) + value
    return summary


def policy_publish(
    *,
    policy: PolicyVersion,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> PolicyVersion:
    """Publish a draft that has a finished dry run within budget; retire the version it
    replaces. Refused (PolicyInvalid, nothing changed) otherwise."""
    with transaction.atomic():
        locked = PolicyVersion.objects.select_for_update().get(pk=policy.pk)
        if locked.status != PolicyVersion.Status.DRAFT:
            raise PolicyInvalid(f"Version {locked.number} is {locked.status}, not a draft.")
        dry_run = locked.dry_runs.filter(status=DryRun.Status.DONE).order_by("-id").first()
        if dry_run is None:
            raise PolicyInvalid("Run a dry run of this version before publishing it.")
        program = Program.objects.select_for_update().get(pk=locked.program_id)
        if dry_run.cost_minor > program.budget_minor:
            raise PolicyInvalid(
                f"The dry run costs {dry_run.cost_minor} {program.currency}, more than the "
                f"budget of {program.budget_minor}. Change the rules or the budget first."
            )
        previous = PolicyVersion.objects.filter(
            program=program, status=PolicyVersion.Status.PUBLISHED
        )
        retired = list(previous.values_list("number", flat=True))
        previous.update(status=PolicyVersion.Status.RETIRED)
        locked.status = PolicyVersion.Status.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor_user(actor)
        locked.save(update_fields=["status", "published_at", "published_by"])
        audit_record(
            action="policy.publish",
            obj=locked,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            after={
                "number": locked.number,
                "retired": retired,
                "dry_run": dry_run.pk,
                "cost_minor": dry_run.cost_minor,
            },
        )
    return locked
