"""Snapshot figures, streaming exports and the regulator's summary, each audited."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db import connections
from django.utils import timezone

from audit.services import Actor, audit_record
from compensation.models import Program
from config.csv_stream import csv_stream
from config.db import rows_stream
from config.replica import read_alias, replica_reads
from oversight import selectors
from oversight.models import ProgramSnapshot

_SNAPSHOT_QUERIES = {
    "vouchers": """
        SELECT service_scope, state, (state = 'issued' AND valid_until < now()) AS expired,
               count(*), coalesce(sum(amount_minor), 0)
        FROM vouchers_voucher WHERE program_id = %s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
    "redemptions_per_day": """
        SELECT r.created_at::date, count(*) FROM vouchers_redemption r
        JOIN vouchers_voucher v ON v.id = r.voucher_id
        WHERE v.program_id = %s AND r.status = 'live' AND r.created_at > now() - interval '30 days'
        GROUP BY 1 ORDER BY 1""",
    "vouchers_issued_per_day": """
        SELECT issued_at::date, count(*) FROM vouchers_voucher WHERE program_id = %s
        GROUP BY 1 ORDER BY 1""",
    # Value lost per service (issue 14): usable vouchers past their end with value left (their
    # balance, else the face value), and what single-use redemptions left unused (forfeited).
    "vouchers_expired_value": """
        SELECT service_scope, count(*), coalesce(sum(coalesce(balance_minor, amount_minor)), 0)
        FROM vouchers_voucher
        WHERE program_id = %s AND state = 'issued' AND valid_until < now()
          AND coalesce(balance_minor, amount_minor) > 0
        GROUP BY 1 ORDER BY 1""",
    "vouchers_forfeited": """
        SELECT v.service_scope, count(*), coalesce(sum(r.forfeited_minor), 0)
        FROM vouchers_redemption r JOIN vouchers_voucher v ON v.id = r.voucher_id
        WHERE v.program_id = %s AND r.status = 'live' AND r.forfeited_minor > 0
        GROUP BY 1 ORDER BY 1""",
    "notices": """
        SELECT channel, status, count(*) FROM notifications_notice WHERE program_id = %s
        GROUP BY 1, 2 ORDER BY 1, 2""",
    "awards": """
        SELECT source, status, count(*), coalesce(sum(amount_minor), 0)
        FROM compensation_award WHERE program_id = %s GROUP BY 1, 2 ORDER BY 1, 2""",
    "committed_per_day": """
        SELECT created_at::date, sum(amount_minor) FILTER (WHERE status <> 'reversed')
        FROM compensation_award WHERE program_id = %s GROUP BY 1 ORDER BY 1""",
    # Payouts per method and status (batched, released, paid, failed, returned, cancelled).
    "payouts": """
        SELECT method, status, count(*), coalesce(sum(amount_minor), 0)
        FROM payouts_payout WHERE program_id = %s GROUP BY 1, 2 ORDER BY 1, 2""",
    # Claim awards still to pay (granted, not delivered) by the method their claimant chose;
    # '' for claimants who have not chosen yet.
    "payouts_granted": """
        SELECT coalesce(i.method, ''), count(*), coalesce(sum(a.amount_minor), 0)
        FROM compensation_award a
        LEFT JOIN payouts_payoutinstruction i
          ON i.program_id = a.program_id AND i.claim_reference = a.claim_reference
         AND i.claim_reference <> ''
        WHERE a.program_id = %s AND a.source = 'claim' AND a.status = 'granted'
        GROUP BY 1 ORDER BY 1""",
}


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):  # sum() of bigint is numeric: money stays integral
        return int(value)
    return value


def claims_figures(program: Program) -> dict:
    """The claims part of the dashboard (aggregates over up to millions of claims)."""
    return {
        "per_day": selectors.claims_per_day(program),
        "by_status_and_type": selectors.claims_by_status_and_type(program),
        "timing": selectors.claims_timing(program),
        "satisfaction": selectors.satisfaction(program),
    }


def snapshot_refresh(*, program: Program) -> ProgramSnapshot:
    """Recompute the figures over the big tables for one program. Safe to run any time;
    the dashboard shows when they were computed."""
    started = time.monotonic()
    figures: dict[str, Any] = {}
    # From the read replica when there is one (config/replica.py); a replica a little behind
    # gives figures as of its last replayed transaction, and the snapshot says that time.
    with replica_reads() as reads:
        with connections[reads.alias].cursor() as cursor:
            for name, sql in _SNAPSHOT_QUERIES.items():
                cursor.execute(sql, [program.pk])
                figures[name] = [[_plain(value) for value in row] for row in cursor.fetchall()]
        figures["claims"] = claims_figures(program)
    snapshot, _ = ProgramSnapshot.objects.update_or_create(
        program=program,
        defaults={
            "computed_at": reads.as_of or timezone.now(),
            "figures": figures,
            "seconds": time.monotonic() - started,
        },
    )
    return snapshot


# name -> (header, SQL over one program; its audit trail is the rows audit_record tied to it).
# Personal data and codes are never exported: people appear by their external id, vouchers by
# their id and last four symbols are left out too.
EXPORTS = {
    "claims": (
        [
            "reference",
            "claim_type",
            "status",
            "risk",
            "score",
            "amount_claimed_minor",
            "amount_decided_minor",
            "currency",
            "submitted_at",
            "due_at",
            "decided_at",
            "auto_decided",
            "appealed_at",
            "policy_version",
            "person_external_id",
        ],
        """SELECT c.reference, t.code, c.status, c.risk, c.score, c.amount_claimed_minor,
                  c.amount_decided_minor, p.currency, c.submitted_at, c.due_at, c.decided_at,
                  (c.decided_at IS NOT NULL AND c.decided_by_id IS NULL), c.appealed_at,
                  pv.number, ap.external_id
           FROM claims_claim c JOIN compensation_claimtype t ON t.id = c.claim_type_id
           JOIN compensation_program p ON p.id = c.program_id
           LEFT JOIN compensation_policyversion pv ON pv.id = c.policy_id
           LEFT JOIN compensation_affectedperson ap ON ap.id = c.person_id
           WHERE c.program_id = %s ORDER BY c.id""",
    ),
    "awards": (
        [
            "award_id",
            "source",
            "kind",
            "amount_minor",
            "currency",
            "status",
            "award_line",
            "claim_reference",
            "policy_version",
            "person_external_id",
            "created_at",
        ],
        """SELECT a.public_id, a.source, a.kind, a.amount_minor, a.currency, a.status,
                  l.code, a.claim_reference, pv.number, ap.external_id, a.created_at
           FROM compensation_award a
           LEFT JOIN compensation_awardline l ON l.id = a.award_line_id
           LEFT JOIN compensation_policyversion pv ON pv.id = a.policy_id
           LEFT JOIN compensation_affectedperson ap ON ap.id = a.person_id
           WHERE a.program_id = %s ORDER BY a.id""",
    ),
    "vouchers": (
        [
            "voucher_id",
            "service_scope",
            "amount_minor",
            "currency",
            "state",
            "valid_from",
            "valid_until",
            "issued_at",
            "state_changed_at",
            "person_external_id",
        ],
        """SELECT v.id, v.service_scope, v.amount_minor, v.currency, v.state, v.valid_from,
                  v.valid_until, v.issued_at, v.state_changed_at, ap.external_id
           FROM vouchers_voucher v
           LEFT JOIN compensation_affectedperson ap ON ap.id = v.person_id
           WHERE v.program_id = %s ORDER BY v.id""",
    ),
    "notices": (
        [
            "reference",
            "kind",
            "channel",
            "language",
            "status",
            "attempts",
            "created_at",
            "sent_at",
            "last_error",
        ],
        """SELECT reference, kind, channel, language, status, attempts, created_at, sent_at,
                  last_error
           FROM notifications_notice WHERE program_id = %s ORDER BY id""",
    ),
    "audit": (
        ["when", "actor", "action", "object_type", "object_id", "ip_address"],
        """SELECT created_at, actor_label, action, object_type, object_id, ip_address
           FROM audit_auditevent WHERE program_id = %s ORDER BY id""",
    ),
}


def export_stream(
    *, program: Program, name: str, actor: Actor, ip_address: str | None
) -> Iterator[str]:
    """Audit the export, then stream it from a cursor in a transaction: memory stays flat
    however many rows there are. Read from the replica inside a replica_reads() block."""
    header, sql = EXPORTS[name]
    audit_record(action=f"export.{name}", obj=program, actor=actor, ip_address=ip_address)
    params = [program.pk]

    # The replica when there is one (config/replica.py), chosen now, before the stream.
    return csv_stream(header, rows_stream(sql, params, using=read_alias()))
