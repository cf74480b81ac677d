"""Telling every claimant of a pro-rata pool what its settlement paid them: their approved
and final amounts, the share every approved amount was paid at, and the arithmetic. One
INSERT ... SELECT of the notices and one of the claims' history entries, inside the
settlement's transaction (the outbox: the notices exist if and only if it commits)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import reverse

from compensation.engine.money import money_sql
from compensation.models import Program
from notifications.services import notices_enqueue_select

# The claims paid from the pool: approved with an entitlement (a final amount of zero has no
# award, and is told so too).
_POOL_CLAIMS = "c.program_id = %(program_id)s AND c.status = 'approved' AND c.entitlement_minor > 0"
_EVENTS_SQL = f"""
INSERT INTO claims_claimevent
    (claim_id, kind, from_status, to_status, note, internal, actor_label, created_at)
SELECT c.id, 'pool_settled', 'approved', 'approved', '', false, %(actor_label)s, now()
FROM claims_claim c WHERE {_POOL_CLAIMS}
"""  # noqa: S608 (constants of this module)


def pool_share_text(factor: Fraction) -> str:
    """The share every approved amount was paid at, as a percentage rounded down to two
    decimals ("83.33%", "50%", "100%")."""
    percent = (Decimal(factor.numerator) * 100 / Decimal(factor.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN
    )
    return f"{percent:f}".rstrip("0").rstrip(".") + "%"


def pool_settled_notify(*, program: Program, factor: Fraction, actor_label: str) -> int:
    """Queue one POOL_SETTLED notice per claim of the settled pool (dedupe key
    `claim:<reference>:pool-settled`) and note the settlement in each claim's history, in the
    caller's transaction. Returns how many notices were queued."""
    currency = program.currency
    params: dict[str, Any] = {
        "program_id": program.pk,
        "actor_label": actor_label,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(sum(c.entitlement_minor), 0) FROM claims_claim c "  # noqa: S608
            f"WHERE {_POOL_CLAIMS}",
            params,
        )
        (entitled_total,) = cursor.fetchone()
        cursor.execute(_EVENTS_SQL, params)
    url = settings.NOTIFICATIONS_SITE_URL.rstrip("/") + reverse(
        "claims:status", kwargs={"slug": program.slug, "reference": "REFERENCE"}
    )
    url_head, url_tail = url.split("REFERENCE")
    # Every amount in the claimant's language (the notice's).
    language = "CASE WHEN c.language IN ('ko', 'en', 'zh-hans') THEN c.language ELSE 'ko' END"

    def money(amount_sql: str) -> str:
        return money_sql(amount_sql, currency, language)

    select = f"""
        SELECT COALESCE(NULLIF(p.email, ''), c.contact_email),
               {language},
               jsonb_build_object(
                   'claim_reference', c.reference,
                   'entitled_amount', {money("c.entitlement_minor")},
                   'final_amount', {money("COALESCE(a.amount_minor, 0)")},
                   'pool_share', %(pool_share)s,
                   'pool_amount', {money("%(pool_minor)s::bigint")},
                   'entitled_total', {money("%(entitled_total_minor)s::bigint")},
                   'reduced', %(reduced)s,
                   'claim_url', %(url_head)s || c.reference || %(url_tail)s
               ),
               c.program_id, c.person_id, 'claim:' || c.reference || ':pool-settled'
        FROM claims_claim c
        LEFT JOIN compensation_affectedperson p ON p.id = c.person_id
        LEFT JOIN compensation_award a ON a.id = c.award_id
        WHERE {_POOL_CLAIMS}
    """  # noqa: S608 (constants of this module; the values are parameters)
    return notices_enqueue_select(
        kind="pool_settled",
        channel="email",
        select=select,
        params={
            **params,
            "pool_share": pool_share_text(factor),
            "pool_minor": program.claim_pool_minor or 0,
            "entitled_total_minor": entitled_total,
            "reduced": "yes" if factor < 1 else "",
            "url_head": url_head,
            "url_tail": url_tail,
        },
    )
