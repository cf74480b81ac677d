"""Sending: claim a chunk of due notices, send them over one connection, record each result.

A chunk is claimed in one statement (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP
LOCKED)`) and committed before anything is sent, so two workers never hold the same row. The
claim's timestamp is its token: results are written only to rows still `sending` under that
claim, so a row that was re-dispatched meanwhile is never overwritten by a late worker.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record
from compensation.models import Program
from notifications.channels import (
    OutgoingMessage,
    PermanentSendError,
    TransientSendError,
    channel_backend,
)
from notifications.kinds import VERIFY_PATH
from notifications.models import Campaign, NoticeTemplate
from notifications.ratelimit import RateLimiterUnavailable, rate_acquire
from notifications.references import reference_display
from notifications.rendering import render, template_compile
from notifications.services.enqueue import notices_dispatch_kick

logger = logging.getLogger(__name__)

_CHAIN_KEY = "notifications:dispatch-chain:{channel}"

_CLAIM_SQL = """
UPDATE notifications_notice AS n
SET status = 'sending', claimed_at = statement_timestamp(), attempts = n.attempts + 1
WHERE n.id IN (
    SELECT id FROM notifications_notice
    WHERE status = 'pending' AND channel = %s AND next_attempt_at <= statement_timestamp()
    ORDER BY priority, next_attempt_at, id
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
RETURNING n.id, n.reference, n.kind, n.language, n.to_address, n.context, n.program_id,
          n.campaign_id, n.attempts, n.claimed_at
"""

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
class _Claimed:
    id: int
    reference: str
    kind: str
    language: str
    to_address: str
    context: dict
    program_id: int | None
    campaign_id: int | None
    attempts: int


@dataclass
class _Results:
    claimed_at: dt.datetime
    sent: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    # id -> (error, next attempt, 1 if the attempt did not really happen)
    retry: dict[int, tuple[str, dt.datetime, int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.retry)


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff with jitter, capped by CELERY_RETRY_BACKOFF_MAX."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    seconds = min(base, settings.CELERY_RETRY_BACKOFF_MAX) * random.uniform(0.8, 1.0)
    return dt.timedelta(seconds=seconds)


def _claim(channel: str, size: int) -> tuple[list[_Claimed], dt.datetime | None]:
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [channel, size])
        rows = cursor.fetchall()
    if not rows:
        return [], None
    claimed = [_Claimed(*row[:9]) for row in rows]
    for notice in claimed:  # Django leaves jsonb undecoded on raw cursors
        if isinstance(notice.context, str):
            notice.context = json.loads(notice.context)
    return claimed, rows[0][9]


def _templates(channel: str, claimed: list[_Claimed]) -> dict[tuple[str, str], tuple]:
    kinds = {notice.kind for notice in claimed}
    compiled = {}
    for template in NoticeTemplate.objects.filter(channel=channel, kind__in=kinds):
        subject = template_compile(template.subject) if template.subject else None
        compiled[(template.kind, template.language)] = (subject, template_compile(template.body))
    return compiled


def _message(notice: _Claimed, templates, programs, campaigns) -> OutgoingMessage:
    template = templates.get((notice.kind, notice.language)) or templates.get((notice.kind, "en"))
    if template is None:
        raise PermanentSendError(f"no {notice.kind} template for this channel")
    campaign = campaigns.get(notice.campaign_id)
    context = {
        **(campaign.context if campaign else {}),
        **(notice.context or {}),
        "reference": reference_display(notice.reference),
        "verify_url": settings.NOTIFICATIONS_SITE_URL.rstrip("/") + VERIFY_PATH,
        "program_name": programs.get(notice.program_id, ""),
    }
    subject_template, body_template = template
    return OutgoingMessage(
        notice_id=notice.id,
        reference=notice.reference,
        to_address=notice.to_address,
        subject=render(subject_template, context).replace("\n", " ") if subject_template else "",
        body=render(body_template, context),
    )


def notices_dispatch(*, channel: str, chunk_size: int | None = None) -> int:
    """Claim up to one chunk of due pending notices on `channel` and send them. Returns how many
    were claimed. A full chunk queues the next dispatch first, so idle workers join in.

    Guarantees: a row is sent by at most one worker at a time; each result is written only if
    this claim still holds the row; transient errors go back to pending with backoff until
    NOTIFICATIONS_MAX_ATTEMPTS, permanent errors fail at once."""
    size = chunk_size or settings.NOTIFICATIONS_CHUNK_SIZE
    claimed, claimed_at = _claim(channel, size)
    full = len(claimed) == size
    _chain_mark(channel, alive=full)
    if not claimed:
        return 0
    if full:
        notices_dispatch_kick(channel=channel)
    results = _Results(claimed_at=claimed_at)
    _send_chunk(channel, claimed, results)
    _results_write(results)
    return len(claimed)


def dispatch_chain_alive(channel: str) -> bool:
    """A dispatch on this channel found a full chunk lately, so it keeps itself going: the
    periodic re-dispatch need not start another chain."""
    try:
        return bool(cache.get(_CHAIN_KEY.format(channel=channel)))
    except Exception:  # Redis is down: then nothing can be queued anyway
        return False


def _chain_mark(channel: str, *, alive: bool) -> None:
    key = _CHAIN_KEY.format(channel=channel)
    try:
        if alive:
            cache.set(key, 1, settings.NOTIFICATIONS_REDISPATCH_EVERY * 2)
        else:
            cache.delete(key)
    except Exception:  # only an optimisation of the re-dispatch; never stop sending for it
        logger.warning("could not mark the %s dispatch chain", channel)


def _send_chunk(channel: str, claimed: list[_Claimed], results: _Results) -> None:
    templates = _templates(channel, claimed)
    programs = dict(
        Program.objects.filter(id__in={n.program_id for n in claimed}).values_list("id", "name")
    )
    campaigns = Campaign.objects.in_bulk({n.campaign_id for n in claimed if n.campaign_id})
    to_send: list[_Claimed] = []
    for notice in claimed:
        campaign = campaigns.get(notice.campaign_id)
        if campaign is not None and campaign.status == Campaign.Status.CANCELLED:
            results.failed[notice.id] = "campaign cancelled"
        else:
            to_send.append(notice)
    flush_every = settings.NOTIFICATIONS_FLUSH_EVERY
    position = 0
    try:
        with channel_backend(channel) as backend:
            while position < len(to_send):
                allowed = rate_acquire(channel=channel, wanted=len(to_send) - position)
                for notice in to_send[position : position + allowed]:
                    _send_one(backend, notice, templates, programs, campaigns, results)
                    if len(results) >= flush_every:
                        _results_write(results)
                position += allowed
    except RateLimiterUnavailable:
        logger.warning("rate limiter unavailable; %s notices go back to pending", channel)
        _give_back(to_send[position:], results, "rate limiter unavailable", uncount=1)
    except TransientSendError as exc:  # the connection could not be opened at all
        _give_back(to_send[position:], results, exc.message, uncount=0)


def _send_one(backend, notice, templates, programs, campaigns, results: _Results) -> None:
    try:
        message = _message(notice, templates, programs, campaigns)
    except PermanentSendError as exc:
        results.failed[notice.id] = exc.message
        return
    except Exception as exc:  # a template that renders with an error: no retry can fix it
        results.failed[notice.id] = f"the template could not be rendered: {type(exc).__name__}"
        return
    try:
        results.sent[notice.id] = backend.send(message)
    except PermanentSendError as exc:
        results.failed[notice.id] = exc.message
    except TransientSendError as exc:
        _retry_or_fail(notice, results, exc.message)
    except Exception as exc:  # an unexpected provider error: retried, never left hanging
        logger.exception("unexpected error sending notice %s", notice.id)
        _retry_or_fail(notice, results, f"unexpected error: {type(exc).__name__}")


def _retry_or_fail(notice: _Claimed, results: _Results, error: str, uncount: int = 0) -> None:
    attempts = notice.attempts - uncount
    if attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        results.failed[notice.id] = f"gave up after {attempts} attempts: {error}"[:500]
    else:
        delay = retry_delay(attempts) if not uncount else dt.timedelta(seconds=5)
        results.retry[notice.id] = (error[:500], timezone.now() + delay, uncount)


def _give_back(notices: list[_Claimed], results: _Results, error: str, *, uncount: int) -> None:
    for notice in notices:
        if notice.id not in results.sent and notice.id not in results.failed:
            _retry_or_fail(notice, results, error, uncount)


def _results_write(results: _Results) -> None:
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
