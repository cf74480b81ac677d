"""Writing what happened to a chunk: each result only to rows still held by that claim, and
the campaigns' counters in the same transaction (exact, so a campaign knows when it is done).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record
from notifications.models import Campaign

_SENT_SQL = """
UPDATE notifications_notice AS n
SET status = 'sent', sent_at = now(), provider_message_id = v.provider_id, last_error = ''
FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::text[]) AS provider_id) AS v
WHERE n.id = v.id AND n.status = 'sending' AND n.claimed_at = %s
RETURNING n.campaign_id
"""

_FAILED_SQL = """
UPDATE notifications_notice AS n
SET status = 'failed', last_error = v.error
FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::text[]) AS error) AS v
WHERE n.id = v.id AND n.status = 'sending' AND n.claimed_at = %s
RETURNING n.campaign_id
"""

_RETRY_SQL = """
UPDATE notifications_notice AS n
SET status = 'pending', last_error = v.error, next_attempt_at = v.next_attempt_at,
    attempts = n.attempts - v.uncount
FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::text[]) AS error,
             unnest(%s::timestamptz[]) AS next_attempt_at,
             unnest(%s::smallint[]) AS uncount) AS v
WHERE n.id = v.id AND n.status = 'sending' AND n.claimed_at = %s
"""


# SET reads the row as it was; RETURNING sees it as written, so `finished_at = now()` is true
# only for the update that finished the campaign.
_CAMPAIGN_COUNT_SQL = """
UPDATE notifications_campaign
SET sent_count = sent_count + %(sent)s,
    failed_count = failed_count + %(failed)s,
    updated_at = now(),
    status = CASE WHEN status = 'sending'
                   AND notices_created <= sent_count + failed_count + %(sent)s + %(failed)s
              THEN 'done' ELSE status END,
    finished_at = CASE WHEN status = 'sending'
                        AND notices_created <= sent_count + failed_count + %(sent)s + %(failed)s
                   THEN now() ELSE finished_at END
WHERE id = %(id)s
RETURNING status = 'done' AND finished_at = now()
"""


@dataclass
class ChunkResults:
    claimed_at: dt.datetime
    sent: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    # id -> (error, next attempt, 1 if the attempt did not really happen)
    retry: dict[int, tuple[str, dt.datetime, int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.retry)


def results_write(results: ChunkResults) -> None:
    """Write and forget the results gathered so far, with the campaigns' counters."""
    if not len(results):
        return
    sent_by_campaign: Counter[int] = Counter()
    failed_by_campaign: Counter[int] = Counter()
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        if results.sent:
            ids, provider_ids = zip(*results.sent.items(), strict=True)
            cursor.execute(_SENT_SQL, [list(ids), list(provider_ids), results.claimed_at])
            sent_by_campaign.update(row[0] for row in cursor.fetchall() if row[0])
        if results.failed:
            ids, errors = zip(*results.failed.items(), strict=True)
            cursor.execute(_FAILED_SQL, [list(ids), list(errors), results.claimed_at])
            failed_by_campaign.update(row[0] for row in cursor.fetchall() if row[0])
        if results.retry:
            ids = list(results.retry)
            errors, next_at, uncount = zip(*results.retry.values(), strict=True)
            cursor.execute(
                _RETRY_SQL,
                [ids, list(errors), list(next_at), list(uncount), results.claimed_at],
            )
        for campaign_id in sorted(set(sent_by_campaign) | set(failed_by_campaign)):
            _campaign_count(
                campaign_id, sent_by_campaign[campaign_id], failed_by_campaign[campaign_id]
            )
    results.sent.clear()
    results.failed.clear()
    results.retry.clear()


def _campaign_count(campaign_id: int, sent: int, failed: int) -> None:
    """Add a flush's results to the campaign's counters and, in the same statement, mark it
    done if these were its last notices (one round trip per campaign and flush)."""
    with connection.cursor() as cursor:
        cursor.execute(_CAMPAIGN_COUNT_SQL, {"id": campaign_id, "sent": sent, "failed": failed})
        row = cursor.fetchone()
    if row and row[0]:  # this flush finished the campaign
        _campaign_finish_audit(campaign_id)


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Mark a fully built campaign done once every notice is sent or failed (run inside the
    transaction that wrote the last results)."""
    from django.db.models import F

    finished = Campaign.objects.filter(
        pk=campaign_id,
        status=Campaign.Status.SENDING,
        notices_created__lte=F("sent_count") + F("failed_count"),
    ).update(status=Campaign.Status.DONE, finished_at=timezone.now(), updated_at=timezone.now())
    if finished:
        _campaign_finish_audit(campaign_id)
    return bool(finished)


def _campaign_finish_audit(campaign_id: int) -> None:
    campaign = Campaign.objects.get(pk=campaign_id)
    audit_record(
        action="campaign.finish",
        obj=campaign,
        actor_label="job:notifications.dispatch",
        after={"sent": campaign.sent_count, "failed": campaign.failed_count},
    )
