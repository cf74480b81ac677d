"""The reminder before a request for information runs out: once per request (per claim and
round), CLAIMS_INFO_REMINDER_DAYS before its deadline, to claims still waiting for an
answer."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record
from claims import notices
from claims.models import Claim
from claims.services.info_deadlines import claims_no_answer_rules
from claims.services.personal_links import personal_links_make
from notifications.models import Notice
from notifications.sealed import seal
from notifications.services import notices_enqueue_select

REMINDER_ACTOR = "job:claims.info_reminders"

# The due claims, one chunk in id order: waiting for an answer, the deadline within the
# lead, the request made longer ago than the lead before its deadline (a shorter request got
# its notice as recently as a reminder would come), and no reminder of this round yet (the
# notice's dedupe key, as notices._enqueue writes it; a unique index answers the probe).
_DUE_SQL = """
SELECT c.id, r.round
FROM claims_claim c
CROSS JOIN LATERAL (
    SELECT count(*) AS round, max(e.created_at) AS asked_at
    FROM claims_claimevent e
    WHERE e.claim_id = c.id AND e.kind = 'info_requested'
) r
WHERE c.status = 'info_requested'
  AND c.info_due_at > %(now)s AND c.info_due_at <= %(horizon)s
  AND r.asked_at < c.info_due_at - %(lead)s
  AND c.id > %(after)s
  AND NOT EXISTS (
      SELECT 1 FROM notifications_notice n
      WHERE n.dedupe_key = 'claim:' || c.reference || ':info-reminder:' || r.round::text
  )
ORDER BY c.id
LIMIT %(size)s
"""

# The chunk's notices, from arrays built here, in one INSERT ... SELECT.
_ROWS_SQL = """
SELECT * FROM unnest(
    %(addresses)s::text[], %(langs)s::text[], %(contexts)s::text[]::jsonb[],
    %(programs)s::bigint[], %(persons)s::bigint[], %(keys)s::text[]
)
"""


def claims_info_remind(*, now: dt.datetime | None = None, chunk_size: int | None = None) -> int:
    """Queue the reminders due now. Returns how many were queued.

    Guarantees: one reminder per claim and round, whatever the number of runs or workers
    (the dedupe key `claim:<reference>:info-reminder:<round>`, ON CONFLICT DO NOTHING); each
    chunk is one SELECT of the due claims, one load of their claims, one statement of their
    personal links and one bulk INSERT of their notices per channel, in one transaction; a
    claim without an address gets none (its page says everything). The reminder says what
    happens at the deadline under the claim's policy, and its personal link opens the answer
    page signed in."""
    now = now or timezone.now()
    lead = dt.timedelta(days=settings.CLAIMS_INFO_REMINDER_DAYS)
    size = chunk_size or settings.CLAIMS_INFO_SWEEP_CHUNK
    queued, after = 0, 0
    while True:
        with transaction.atomic(durable=True):
            with connection.cursor() as cursor:
                window: dict[str, Any] = {"now": now, "horizon": now + lead, "lead": lead}
                cursor.execute(_DUE_SQL, {**window, "after": after, "size": size})
                due = dict(cursor.fetchall())
            if not due:
                break
            after = max(due)
            queued += _remind(due)
        if len(due) < size:
            break
    if queued:
        with transaction.atomic(durable=True):
            audit_record(
                action="claims.info_remind",
                object_type="claims.claim",
                actor_label=REMINDER_ACTOR,
                after={"reminders": queued},
            )
    return queued


# The chunk's personal links, one per claim with an address, from arrays built here.
_LINK_ROWS_SQL = """
SELECT * FROM unnest(
    %(claim_ids)s::bigint[], %(programs)s::bigint[], %(persons)s::bigint[],
    %(identities)s::bytea[], %(recipients)s::bytea[], %(paths)s::text[]
)
"""


def _remind(rounds: dict[int, int]) -> int:
    """One chunk: the claims loaded, one statement of their personal links (to the answer
    page), and one bulk INSERT of their reminders per channel (email, else SMS)."""
    claims = list(
        Claim.objects.filter(pk__in=list(rounds))
        .select_related("program", "person", "policy")
        .order_by("id")
    )
    rules = claims_no_answer_rules(claims)
    reachable = [(claim, *notices.notice_channel_address(claim)) for claim in claims]
    reachable = [(claim, channel, address) for claim, channel, address in reachable if address]
    links = personal_links_make(
        rows=_LINK_ROWS_SQL,
        params={
            "claim_ids": [claim.pk for claim, _, _ in reachable],
            "programs": [claim.program_id for claim, _, _ in reachable],
            "persons": [claim.person_id for claim, _, _ in reachable],
            "identities": [bytes(claim.claimant_email_hash) for claim, _, _ in reachable],
            "recipients": [
                notices.recipient_hash(channel, address) for _, channel, address in reachable
            ],
            "paths": [notices.claim_path(claim, "claims:answer") for claim, _, _ in reachable],
        },
    )
    by_channel: dict[str, dict[str, list]] = {}
    for claim, channel, address in reachable:
        rows = by_channel.setdefault(
            channel,
            {
                "addresses": [],
                "langs": [],
                "contexts": [],
                "programs": [],
                "persons": [],
                "keys": [],
            },
        )
        context = {
            "claim_reference": claim.reference,
            **notices.info_request_context(claim, on_no_answer=rules[claim.pk]),
        }
        if claim.pk in links:
            context["personal_url"] = seal(links[claim.pk].url)
        rows["addresses"].append(address)
        rows["langs"].append(notices.notice_language(claim))
        rows["contexts"].append(json.dumps(context))
        rows["programs"].append(claim.program_id)
        rows["persons"].append(claim.person_id)
        rows["keys"].append(f"claim:{claim.reference}:info-reminder:{rounds[claim.pk]}")
    return sum(
        notices_enqueue_select(
            kind="info_reminder",
            channel=channel,
            select=_ROWS_SQL,
            params=rows,
            priority=Notice.Priority.TRANSACTIONAL,
        )
        for channel, rows in sorted(by_channel.items())
    )
