"""Writing what happened to a chunk: each result only to rows still held by that claim, and
the campaigns' counters in the same statement, so they stay exact and a campaign knows when
it is done. One statement per kind of result, each atomic on its own: a flush costs one round
trip to the database in the common case (all sent)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record
from notifications.audiences import AUDIENCES
from notifications.models import Campaign

logger = logging.getLogger(__name__)

# {notice_set}: how the notice row changes; {counter}: the campaign counter it adds to.
# SET reads a row as it was and RETURNING sees it as written, so `finished_at = now()` is true
# only for the statement that finished the campaign.
_OUTCOME_SQL = """
WITH changed AS (
    UPDATE notifications_notice AS n
    SET {notice_set}
    FROM (SELECT unnest(%(ids)s::bigint[]) AS id, unnest(%(values)s::text[]) AS value) AS v
    WHERE n.id = v.id AND n.status = 'sending' AND n.claimed_at = %(claimed_at)s
    RETURNING n.campaign_id
), per_campaign AS (
    SELECT campaign_id, count(*) AS n FROM changed
    WHERE campaign_id IS NOT NULL GROUP BY campaign_id
), counted AS (
    UPDATE notifications_campaign AS c
    SET {counter} = c.{counter} + per_campaign.n,
        updated_at = now(),
        status = CASE WHEN c.status = 'sending'
                       AND c.notices_created <= c.sent_count + c.failed_count + per_campaign.n
                  THEN 'done' ELSE c.status END,
        finished_at = CASE WHEN c.status = 'sending'
                            AND c.notices_created <= c.sent_count + c.failed_count + per_campaign.n
                       THEN now() ELSE c.finished_at END
    FROM per_campaign WHERE c.id = per_campaign.campaign_id
    RETURNING c.id, c.status = 'done' AND c.finished_at = now() AS finished
)
SELECT id FROM counted WHERE finished
"""
_SENT_SQL = _OUTCOME_SQL.format(
    notice_set="status = 'sent', sent_at = now(), provider_message_id = v.value, last_error = ''",
    counter="sent_count",
)
_FAILED_SQL = _OUTCOME_SQL.format(
    notice_set="status = 'failed', last_error = v.value", counter="failed_count"
)
_RETRY_SQL = """
UPDATE notifications_notice AS n
SET status = 'pending', last_error = v.error, next_attempt_at = v.next_attempt_at,
    attempts = n.attempts - v.uncount
FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::text[]) AS error,
             unnest(%s::timestamptz[]) AS next_attempt_at,
             unnest(%s::smallint[]) AS uncount) AS v
WHERE n.id = v.id AND n.status = 'sending' AND n.claimed_at = %s
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
    finished: list[int] = []
    for sql, outcome in ((_SENT_SQL, results.sent), (_FAILED_SQL, results.failed)):
        if outcome:
            params = {
                "ids": list(outcome),
                "values": list(outcome.values()),
                "claimed_at": results.claimed_at,
            }
            finished += [row[0] for row in _execute(sql, params)]
    if results.retry:
        errors, next_at, uncount = zip(*results.retry.values(), strict=True)
        _execute(
            _RETRY_SQL,
            [list(results.retry), list(errors), list(next_at), list(uncount), results.claimed_at],
        )
    if results.sent:
        _sent_hooks_run(list(results.sent))
    for campaign_id in finished:
        _campaign_finish_audit(campaign_id)
    results.sent.clear()
    results.failed.clear()
    results.retry.clear()


def _execute(sql: str, params: dict[str, Any] | list[Any]) -> list[tuple]:
    """One atomic statement. Two workers finishing chunks of the same campaigns can deadlock
    on the campaign rows; the statement then did nothing, so it is simply run again."""
    for attempt in range(5):
        # In autocommit one statement is its own transaction (one round trip); inside a
        # caller's transaction a savepoint keeps a retry possible.
        atomic = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        try:
            with atomic, connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        except OperationalError as exc:
            if "deadlock" not in str(exc) or attempt == 4:
                raise
            logger.warning("deadlock writing notice results; trying again")
            time.sleep(0.05 * (attempt + 1))
    return []


_SENT_PEOPLE_SQL = """
SELECT c.audience, c.audience_params, array_agg(n.person_id)
FROM notifications_notice AS n JOIN notifications_campaign AS c ON c.id = n.campaign_id
WHERE n.id = ANY(%s) AND n.status = 'sent' AND n.person_id IS NOT NULL
  AND c.audience = ANY(%s)
GROUP BY c.id, c.audience, c.audience_params
"""


def _sent_hooks_run(notice_ids: list[int]) -> None:
    """Tell the audiences that asked (AUDIENCES[...].on_sent) whom their campaigns reached.
    The sends are already written: a failing hook is logged, not raised, so the sender carries
    on; the hooks are idempotent, so the person may be reported again later."""
    hooked = [name for name, audience in AUDIENCES.items() if audience.on_sent is not None]
    if not hooked:
        return
    for audience_name, params, person_ids in _execute(_SENT_PEOPLE_SQL, [notice_ids, hooked]):
        on_sent = AUDIENCES[audience_name].on_sent
        assert on_sent is not None  # chosen above
        if isinstance(params, str):
            params = json.loads(params)
        try:
            on_sent(params, list(person_ids))
        except Exception as exc:  # the notices are sent; the hook's effect can be redone
            logger.warning("on_sent of audience %s failed (%s)", audience_name, type(exc).__name__)


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Mark a fully built campaign done once every notice is sent or failed."""
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
