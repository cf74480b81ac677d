"""The dashboard's live figures: a fixed handful of aggregate queries, whatever the size.

Claims (up to millions) are aggregated live; the big tables (vouchers, notices, awards, at
hundreds of millions of rows) come from the program's snapshot (services.snapshot_refresh)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connections
from django.db.models import Avg, Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from claims.models import Claim
from compensation.models import Program
from config.replica import read_alias

OPEN_STATUSES = [
    "submitted",
    "in_review",
    "info_requested",
    "referred",
    "pending_approval",
    "appealed",
]


def claims_per_day(program: Program, days: int = 30) -> list[tuple[str, int]]:
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        Claim.objects.filter(program=program, submitted_at__gte=since)
        .annotate(day=TruncDate("submitted_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    return [(row["day"].isoformat(), row["n"]) for row in rows]


def claims_by_status_and_type(program: Program) -> list[Mapping[str, Any]]:
    return list(
        Claim.objects.filter(program=program)
        .values("status", "claim_type__code")
        .annotate(n=Count("id"))
        .order_by("claim_type__code", "status")
    )


def claims_timing(program: Program) -> dict:
    """Approval rate, auto vs reviewed, median and 90th-percentile time to decision, overdue,
    appeals and their outcomes: one query."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            """
            SELECT
                count(*) FILTER (WHERE decided_at IS NOT NULL),
                count(*) FILTER (WHERE decided_at IS NOT NULL AND decided_by_id IS NULL),
                count(*) FILTER (WHERE status = 'approved'),
                count(*) FILTER (WHERE status = 'denied'),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                    decided_at - submitted_at)) FILTER (WHERE decided_at IS NOT NULL),
                percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM
                    decided_at - submitted_at)) FILTER (WHERE decided_at IS NOT NULL),
                count(*) FILTER (WHERE due_at < now() AND status = ANY(%s)),
                count(*) FILTER (WHERE appealed_at IS NOT NULL),
                count(*) FILTER (WHERE appealed_at IS NOT NULL AND status = 'approved'),
                count(*) FILTER (WHERE appealed_at IS NOT NULL AND status = 'denied'),
                count(*) FILTER (WHERE appealed_at IS NOT NULL AND status = 'appealed')
            FROM claims_claim WHERE program_id = %s
            """,
            [OPEN_STATUSES, program.pk],
        )
        (
            decided,
            auto,
            approved,
            denied,
            median,
            p90,
            overdue,
            appeals,
            appeal_won,
            appeal_lost,
            appeal_open,
        ) = cursor.fetchone()
    return {
        "decided": decided,
        "auto_decided": auto,
        "reviewed": decided - auto,
        "approved": approved,
        "denied": denied,
        "approval_rate": approved / (approved + denied) if approved + denied else None,
        "median_hours": median / 3600 if median is not None else None,
        "p90_hours": p90 / 3600 if p90 is not None else None,
        "overdue": overdue,
        "appeals": appeals,
        "appeals_upheld": appeal_won,
        "appeals_rejected": appeal_lost,
        "appeals_open": appeal_open,
    }


def satisfaction(program: Program) -> dict:
    rated = Claim.objects.filter(program=program, feedback_rating__isnull=False)
    summary = rated.aggregate(average=Avg("feedback_rating"), answers=Count("id"))
    comments = list(
        rated.exclude(feedback_comment="")
        .order_by("-decided_at")
        .values_list("feedback_rating", "feedback_comment")[:5]
    )
    return {**summary, "comments": comments}
