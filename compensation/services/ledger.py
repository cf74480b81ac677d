"""The award ledger: every grant is an Award row and a conditional update of the program's
committed total, in one transaction. The budget holds under any concurrency because the
check and the increment are one statement (and a CHECK constraint backs it)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from psycopg import sql

from audit.services import Actor, audit_record
from compensation.errors import AlreadyAwarded, BudgetExceeded
from compensation.models import (
    AffectedPerson,
    Award,
    AwardLine,
    ClaimType,
    PolicyVersion,
    Program,
)
from config.db import violated_constraint

# The unique constraints that make a second grant of the same thing fail (models/ledger.py).
ONCE_CONSTRAINTS = frozenset({"award_proactive_once", "award_claim_once"})

# The profile lines come from the caller (a query of account_status, region, segment,
# data_categories, award_line_id): the ledger does not know where a run keeps its plan.
# The range's people are read first by primary key alone (a MATERIALIZED CTE the planner
# cannot merge), and only then filtered by program: with the program condition beside the
# range, a person table without statistics (just imported, not yet analysed) or with stale
# ones (analysed when the program had no people) was planned as a scan of the whole
# program's (program, external_id) index, or a BitmapAnd with it, for every chunk: O(the
# population) per chunk, 12-26 s instead of 1-3 s at 33.7M people. A range of the primary
# key is an index range scan whatever the estimates say.
_PROACTIVE_AWARDS_INSERT = sql.SQL("""
INSERT INTO compensation_award
    (public_id, program_id, person_id, source, award_line_id, unit, claim_reference, kind,
     amount_minor, currency, status, policy_id, explanation, created_at, updated_at)
WITH chunk_people AS MATERIALIZED (
    SELECT id, program_id, account_status, region, segment, data_categories
    FROM compensation_affectedperson
    WHERE id BETWEEN %(lo)s AND %(hi)s
)
SELECT uuid_v7(), p.program_id, p.id, 'proactive', l.id, u.unit, '', l.kind,
       l.amount_minor, %(currency)s, 'granted', %(policy)s, %(explanation)s::jsonb,
       %(now)s, %(now)s
FROM chunk_people p
JOIN {profile_lines} bp
  ON bp.account_status = p.account_status
 AND bp.region = p.region AND bp.segment = p.segment AND bp.data_categories = p.data_categories
JOIN compensation_awardline l ON l.id = bp.award_line_id
CROSS JOIN LATERAL generate_series(1, l.count) AS u(unit)
WHERE p.program_id = %(program)s
ORDER BY p.id, l.position, l.id, u.unit
ON CONFLICT (program_id, person_id, award_line_id, unit) WHERE source = 'proactive'
DO NOTHING
RETURNING id, person_id, award_line_id, amount_minor
""")


def program_budget_reserve(*, program_id: int, amount_minor: int) -> bool:
    """Add `amount_minor` to the program's committed total if the budget allows it.

    One conditional UPDATE: of many concurrent callers, exactly those whose sum fits win.
    Must run inside the transaction that records what the money is for."""
    if amount_minor < 0:
        raise ValueError("amount_minor must not be negative")
    return (
        Program.objects.filter(
            pk=program_id, committed_minor__lte=F("budget_minor") - amount_minor
        ).update(committed_minor=F("committed_minor") + amount_minor)
        == 1
    )


def program_budget_release(*, program_id: int, amount_minor: int) -> None:
    """Give back a reservation (a reversed award). Never below zero (the CHECK refuses)."""
    Program.objects.filter(pk=program_id).update(
        committed_minor=F("committed_minor") - amount_minor
    )


def awards_proactive_insert(
    *,
    program: Program,
    policy_id: int | None,
    explanation: dict,
    now: dt.datetime,
    person_id_from: int,
    person_id_to: int,
    profile_lines: sql.Composable,
) -> list[tuple[int, int, int, int]]:
    """Grant, in one set-based statement, every person of `program` with an id in
    [person_id_from, person_id_to] the award lines their profile gets in `profile_lines` (a
    parenthesised query of account_status, region, segment, data_categories, award_line_id),
    one award per unit of each line. Returns (award id, person id, award line id,
    amount_minor) of the awards inserted now.

    Guarantees: nobody gets a line's unit twice (award_proactive_once; ON CONFLICT DO
    NOTHING), so re-running a range adds nothing and returns nothing for it. Runs in the
    caller's transaction, which must reserve the returned total with program_budget_reserve
    and write the audit row for its run: awards and reservation commit or roll back together."""
    statement = _PROACTIVE_AWARDS_INSERT.format(profile_lines=profile_lines)
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            {
                "currency": program.currency,
                "policy": policy_id,
                "explanation": json.dumps(explanation),
                "now": now,
                "program": program.pk,
                "lo": person_id_from,
                "hi": person_id_to,
            },
        )
        return cursor.fetchall()


def award_grant(
    *,
    program: Program,
    kind: str,
    amount_minor: int,
    source: str,
    person: AffectedPerson | None = None,
    award_line: AwardLine | None = None,
    unit: int = 1,
    claim_type: ClaimType | None = None,
    claim_reference: str = "",
    policy: PolicyVersion | None = None,
    explanation: dict | None = None,
    actor: Actor = None,
    actor_label: str = "",
) -> Award:
    """Grant one award within the budget, at most once per thing granted.

    Raises BudgetExceeded (nothing written) when the budget cannot cover it, and
    AlreadyAwarded (nothing written) when this person already has this line, or this claim
    already has a live award."""
    with transaction.atomic():
        if not program_budget_reserve(program_id=program.pk, amount_minor=amount_minor):
            raise BudgetExceeded(
                f"The program's remaining budget cannot cover {amount_minor} {program.currency}."
            )
        try:
            with transaction.atomic():
                award = Award.objects.create(
                    program=program,
                    person=person,
                    source=source,
                    award_line=award_line,
                    unit=unit,
                    claim_type=claim_type,
                    claim_reference=claim_reference,
                    kind=kind,
                    amount_minor=amount_minor,
                    currency=program.currency,
                    policy=policy,
                    explanation=explanation or {},
                )
        except IntegrityError as exc:
            # The reservation above is in the same transaction: leaving by an exception
            # rolls it back with everything else. Only a second grant of the same thing is
            # "already awarded"; any other refusal (an incomplete award) is a bug to see.
            if violated_constraint(exc) not in ONCE_CONSTRAINTS:
                raise
            raise AlreadyAwarded("This has already been awarded.") from exc
        audit_record(
            action="award.grant",
            obj=award,
            actor=actor,
            actor_label=actor_label or "job:ledger",
            after={
                "amount_minor": amount_minor,
                "source": source,
                "claim_reference": claim_reference,
                "policy": policy and policy.pk,
            },
        )
    return award


def award_reverse(
    *, award: Award, reason: str, actor: Actor = None, actor_label: str = ""
) -> Award:
    """Reverse a live award and give its amount back to the budget. Reversing twice does
    nothing the second time."""
    with transaction.atomic():
        changed = Award.objects.filter(
            pk=award.pk, status__in=[Award.Status.GRANTED, Award.Status.DELIVERED]
        ).update(status=Award.Status.REVERSED)
        award.refresh_from_db()
        if changed:
            program_budget_release(program_id=award.program_id, amount_minor=award.amount_minor)
            audit_record(
                action="award.reverse",
                obj=award,
                actor=actor,
                actor_label=actor_label or "job:ledger",
                after={"reason": reason, "amount_minor": award.amount_minor},
            )
    return award


# Awards marked delivered per statement by awards_delivered_mark: each chunk is its own short
# transaction, so a large run never holds many award rows locked at once.
DELIVERED_MARK_CHUNK = 5_000

_DELIVERED_MARK = """
UPDATE compensation_award a SET status = 'delivered', updated_at = now()
FROM ({select}) AS s (award_id)
WHERE a.id = s.award_id AND a.program_id = %(program)s AND a.status = 'granted'
"""


def awards_delivered_mark_select(
    *,
    program_id: int,
    select: str,
    params: dict[str, Any] | None = None,
    actor_label: str,
    reason: str,
) -> int:
    """Move the granted awards of the program whose ids `select` returns to delivered (their
    instrument reached the person), in one statement and one audit row naming how many moved,
    in the caller's transaction. `select` is SQL written by the calling code (never input)
    returning award ids; its values come as %(name)s parameters in `params` (`program` is
    taken). Idempotent: an award already delivered, or reversed, or of another program, is left
    as it is. Returns the number of awards that moved now."""
    if "program" in (params or {}):
        raise ValueError("The parameter name 'program' is taken by the update.")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _DELIVERED_MARK.format(select=select), {**(params or {}), "program": program_id}
        )
        changed = cursor.rowcount
        if changed:
            audit_record(
                action="award.deliver",
                object_type="compensation.program",
                object_id=str(program_id),
                program_id=program_id,
                actor_label=actor_label,
                after={"awards": changed, "reason": reason},
            )
    return changed


def awards_delivered_mark(
    *, program_id: int, award_ids: Sequence[int], actor_label: str, reason: str
) -> int:
    """Move granted awards of the program to delivered (their instrument reached the person),
    in chunks of DELIVERED_MARK_CHUNK, each its own transaction (awards_delivered_mark_select
    over the chunk's ids) with its own audit row naming how many moved. Idempotent: an award
    already delivered, or reversed, is left as it is. Returns the number of awards that moved
    now."""
    ids = sorted(set(award_ids))
    moved = 0
    for start in range(0, len(ids), DELIVERED_MARK_CHUNK):
        moved += awards_delivered_mark_select(
            program_id=program_id,
            select="SELECT unnest(%(award_ids)s::bigint[])",
            params={"award_ids": ids[start : start + DELIVERED_MARK_CHUNK]},
            actor_label=actor_label,
            reason=reason,
        )
    return moved
