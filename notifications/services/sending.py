"""Sending: claim a chunk of due notices, send them over one connection, record each result.

A chunk is claimed in one statement (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP
LOCKED)`) and committed before anything is sent, so two workers never hold the same row. The
claim's timestamp is its token: results are written only to rows still `sending` under that
claim, so a row that was re-dispatched meanwhile is never overwritten by a late worker.

A claim holds its rows for a short lease (NOTIFICATIONS_SENDING_LEASE, `lease_until`) that the
sender renews, in one UPDATE of the chunk's rows, whenever a third of it has passed: a killed
worker's rows go back to pending within about a lease, a slow live one keeps them. The renewal
also says which rows the claim still holds; a sender that lost a row (it stalled for longer
than its lease and the rows were sent again by another worker) never sends it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from compensation.models import Program
from compensation.selectors import program_waivers
from config.ratelimit import RateLimitUnavailable
from notifications.channels import (
    OutgoingMessage,
    PermanentSendError,
    TransientSendError,
    channel_backend,
)
from notifications.kinds import KINDS, PERSONAL_URL, VERIFY_PATH
from notifications.links import campaign_links_attach, campaign_links_wanted
from notifications.models import Campaign, NoticeTemplate
from notifications.ratelimit import rate_acquire
from notifications.references import reference_display
from notifications.rendering import render, template_compile, variables_used
from notifications.sealed import context_unseal
from notifications.services.enqueue import notices_dispatch_kick
from notifications.services.outcomes import ChunkResults, results_write

if TYPE_CHECKING:
    from django.template.base import Template

    from notifications.channels import ChannelBackend

logger = logging.getLogger(__name__)

_CHAIN_KEY = "notifications:dispatch-chain:{channel}"

# Transactional notices first, then bulk ones for the rest of the chunk, each in due order
# from a floor; one statement, so one claim token (statement_timestamp()). The bulk side may
# lock a few rows it does not take: they are free again when this statement commits.
_CLAIM_SQL = """
WITH urgent AS (
    SELECT id, next_attempt_at FROM notifications_notice
    WHERE status = 'pending' AND channel = %(channel)s AND priority = 0
      AND (next_attempt_at, id) >= (%(at_0)s, %(id_0)s)
      AND next_attempt_at <= statement_timestamp()
    ORDER BY next_attempt_at, id LIMIT %(size)s
    FOR UPDATE SKIP LOCKED
), bulk AS (
    SELECT id, next_attempt_at FROM notifications_notice
    WHERE status = 'pending' AND channel = %(channel)s AND priority = 1
      AND (next_attempt_at, id) >= (%(at_1)s, %(id_1)s)
      AND next_attempt_at <= statement_timestamp()
    ORDER BY next_attempt_at, id LIMIT %(bulk_size)s
    FOR UPDATE SKIP LOCKED
), picked AS (
    SELECT id FROM (
        SELECT 0 AS priority, next_attempt_at, id FROM urgent
        UNION ALL SELECT 1, next_attempt_at, id FROM bulk
    ) AS both_queues
    ORDER BY priority, next_attempt_at, id LIMIT %(size)s
)
UPDATE notifications_notice AS n
SET status = 'sending', claimed_at = statement_timestamp(), attempts = n.attempts + 1,
    lease_until = statement_timestamp() + make_interval(secs => %(lease)s)
WHERE n.id IN (SELECT id FROM picked)
RETURNING n.id, n.reference, n.kind, n.language, n.to_address, n.context, n.program_id,
          n.campaign_id, n.attempts, n.claimed_at, n.priority, n.next_attempt_at
"""

# Renews the lease of the rows this claim still holds, and names them.
_RENEW_SQL = """
UPDATE notifications_notice
SET lease_until = statement_timestamp() + make_interval(secs => %s)
WHERE id = ANY(%s) AND status = 'sending' AND claimed_at = %s
RETURNING id
"""

# A claimed row leaves the partial index only when VACUUM removes its old version: until then
# a scan from the start walks every notice already sent (30M of them near the end of a big
# campaign). Each process remembers, per channel and priority, the (due time, id) where its
# last full chunk began and claims from there. Retries, re-dispatched and staff-retried
# notices are due later than that, so they are above the floor; only a transaction that
# commits long after it wrote its notice can land below it, and the floor drops every
# NOTIFICATIONS_REDISPATCH_EVERY seconds for those. The floor only says where to look.
_NO_FLOOR = (dt.datetime.min.replace(tzinfo=dt.UTC), 0)
_floors: dict[tuple[str, int], tuple[dt.datetime, int]] = {}
_floors_reset_at: dict[str, float] = {}


def _floor(channel: str, priority: int) -> tuple[dt.datetime, int]:
    every = settings.NOTIFICATIONS_REDISPATCH_EVERY
    if time.monotonic() - _floors_reset_at.get(channel, 0.0) > every:
        _floors_reset_at[channel] = time.monotonic()
        _floors.pop((channel, 0), None)
        _floors.pop((channel, 1), None)
    return _floors.get((channel, priority), _NO_FLOOR)


def _floor_move(channel: str, claimed: list[_Claimed], size: int) -> None:
    """After a full chunk, look from its first row next time (rows before it are taken)."""
    if len(claimed) < size:
        return  # a short chunk: keep looking from where we did
    for priority in (0, 1):
        keys = [(n.next_attempt_at, n.id) for n in claimed if n.priority == priority]
        if keys:
            _floors[(channel, priority)] = min(keys)


@dataclass
class _Claimed:
    """One row of _CLAIM_SQL's RETURNING, by column name."""

    id: int
    reference: str
    kind: str
    language: str
    to_address: str
    context: dict
    program_id: int | None
    campaign_id: int | None
    attempts: int
    claimed_at: dt.datetime
    priority: int
    next_attempt_at: dt.datetime


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff with jitter, capped by CELERY_RETRY_BACKOFF_MAX."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    seconds = min(base, settings.CELERY_RETRY_BACKOFF_MAX) * random.uniform(0.8, 1.0)
    return dt.timedelta(seconds=seconds)


def _claim(
    channel: str, size: int, *, priority_lane: bool = False
) -> tuple[list[_Claimed], dt.datetime | None]:
    (at_0, id_0), (at_1, id_1) = _floor(channel, 0), _floor(channel, 1)
    params: dict[str, Any] = {"channel": channel, "size": size, "at_0": at_0, "id_0": id_0}
    params["bulk_size"] = 0 if priority_lane else size
    params |= {"at_1": at_1, "id_1": id_1, "lease": settings.NOTIFICATIONS_SENDING_LEASE}
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, params)
        columns = [column.name for column in cursor.description]
        claimed = [_Claimed(**dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]
    _floor_move(channel, claimed, size)
    if not claimed:
        return [], None
    for notice in claimed:  # Django leaves jsonb undecoded on raw cursors
        if isinstance(notice.context, str):
            notice.context = json.loads(notice.context)
    return claimed, claimed[0].claimed_at  # one statement: one claim time for every row


class _Renderer:
    """Everything a chunk's messages are made from, loaded in a fixed number of queries. A
    subject that does not depend on the person (most campaigns) is rendered once per chunk."""

    def __init__(self, channel: str, claimed: list[_Claimed]) -> None:
        self.templates: dict[tuple[str, str], tuple] = {}
        kinds = {notice.kind for notice in claimed}
        for template in NoticeTemplate.objects.filter(channel=channel, kind__in=kinds):
            subject = template_compile(template.subject) if template.subject else None
            subject_names = tuple(sorted(variables_used(subject))) if subject else ()
            body = template_compile(template.body)
            self.templates[(template.kind, template.language)] = (subject, subject_names, body)
        # Keyed by a notice's program_id, which may be None (no program: no name).
        self.programs: dict[int | None, str] = dict(
            Program.objects.filter(id__in={n.program_id for n in claimed}).values_list("id", "name")
        )
        self.campaigns = Campaign.objects.in_bulk({n.campaign_id for n in claimed if n.campaign_id})
        # Whether accepting each program's compensation waives other claims (its terms).
        self.waivers = program_waivers({n.program_id for n in claimed if n.program_id})
        self.verify_url = settings.NOTIFICATIONS_SITE_URL.rstrip("/") + VERIFY_PATH
        self._subjects: dict[tuple, str] = {}

    def cancelled(self, notice: _Claimed) -> bool:
        campaign = self.campaigns.get(notice.campaign_id)
        return campaign is not None and campaign.status == Campaign.Status.CANCELLED

    def message(self, notice: _Claimed) -> OutgoingMessage:
        template = self.templates.get((notice.kind, notice.language)) or self.templates.get(
            (notice.kind, "en")
        )
        if template is None:
            raise PermanentSendError(f"no {notice.kind} template for this channel")
        subject_template, subject_names, body_template = template
        campaign = self.campaigns.get(notice.campaign_id)
        spec = KINDS.get(notice.kind)
        context = {
            **(campaign.context if campaign else {}),
            **context_unseal(spec.sealed if spec else frozenset(), notice.context or {}),
            "reference": reference_display(notice.reference),
            "verify_url": self.verify_url,
            "program_name": self.programs.get(notice.program_id, ""),
            "waives_claims": "yes" if self.waivers.get(notice.program_id or 0) else "",
        }
        return OutgoingMessage(
            notice_id=notice.id,
            reference=notice.reference,
            to_address=notice.to_address,
            subject=self._subject(notice, subject_template, subject_names, context),
            body=render(body_template, context),
        )

    def _subject(
        self,
        notice: _Claimed,
        template: Template | None,
        names: tuple[str, ...],
        context: dict[str, Any],
    ) -> str:
        if template is None:
            return ""
        key = (notice.kind, notice.language, *(str(context.get(name)) for name in names))
        subject = self._subjects.get(key)
        if subject is None:
            subject = self._subjects[key] = " ".join(render(template, context).split())
        return subject


def notices_dispatch(
    *, channel: str, chunk_size: int | None = None, priority_lane: bool = False
) -> int:
    """Claim up to one chunk of due pending notices on `channel` and send them. Returns how many
    were claimed. A full chunk queues the next dispatch first, so idle workers join in.

    The priority lane (`priority_lane`, its own task and queue) claims transactional notices
    only and counts them against the channel's priority allowance
    (NOTIFICATIONS_RATE_PER_SECOND["<channel>.priority"]), so a campaign that uses all of the
    channel's bulk allowance does not hold a sign-in code back.

    Guarantees: a row is sent by at most one worker at a time; each result is written only if
    this claim still holds the row; transient errors go back to pending with backoff until
    NOTIFICATIONS_MAX_ATTEMPTS, permanent errors fail at once."""
    size = chunk_size or settings.NOTIFICATIONS_CHUNK_SIZE
    claimed, claimed_at = _claim(channel, size, priority_lane=priority_lane)
    full = len(claimed) == size
    if not priority_lane:
        _chain_mark(channel, alive=full)
    if not claimed:
        return 0
    assert claimed_at is not None  # a claim of one row or more has its time
    if full:
        notices_dispatch_kick(channel=channel, priority_lane=priority_lane)
    results = ChunkResults(claimed_at=claimed_at)
    _send_chunk(channel, claimed, results, priority_lane=priority_lane)
    results_write(results)
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


class _Lease:
    """The claim's hold on its rows, renewed before a send once a third of the lease passed."""

    def __init__(self, claimed: list[_Claimed], claimed_at: dt.datetime) -> None:
        self.ids = [notice.id for notice in claimed]
        self.claimed_at = claimed_at
        self.seconds = settings.NOTIFICATIONS_SENDING_LEASE
        self.renewed = time.monotonic()  # the claim itself set the first lease
        self.lost: set[int] = set()

    def holds(self, notice_id: int) -> bool:
        """Whether this claim may send the row now (renewing the lease first if it is due)."""
        if time.monotonic() - self.renewed >= self.seconds / 3:
            self.renew()
        return notice_id not in self.lost

    def renew(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_RENEW_SQL, [self.seconds, self.ids, self.claimed_at])
            held = {row[0] for row in cursor.fetchall()}
        self.renewed = time.monotonic()
        # Rows already written (sent, failed, retried) are not held either: never sent again.
        self.lost = set(self.ids) - held
        self.ids = [pk for pk in self.ids if pk in held]


def _send_chunk(
    channel: str, claimed: list[_Claimed], results: ChunkResults, *, priority_lane: bool = False
) -> None:
    rate_channel = f"{channel}.priority" if priority_lane else channel
    renderer = _Renderer(channel, claimed)
    lease = _Lease(claimed, results.claimed_at)
    to_send: list[_Claimed] = []
    for notice in claimed:
        if renderer.cancelled(notice):
            results.failed[notice.id] = "campaign cancelled"
        else:
            to_send.append(notice)
    _links_give(to_send)
    flush_every = settings.NOTIFICATIONS_FLUSH_EVERY
    position = 0
    try:
        with channel_backend(channel) as backend:
            while position < len(to_send):
                allowed = rate_acquire(channel=rate_channel, wanted=len(to_send) - position)
                for notice in to_send[position : position + allowed]:
                    if not lease.holds(notice.id):
                        continue  # its lease ran out and the row was taken back
                    _send_one(backend, notice, renderer, results)
                    if len(results) >= flush_every:
                        results_write(results)
                position += allowed
    except RateLimitUnavailable:
        logger.warning("rate limiter unavailable; %s notices go back to pending", channel)
        _give_back(to_send[position:], results, "rate limiter unavailable", uncount=1)
    except TransientSendError as exc:  # the connection could not be opened at all
        _give_back(to_send[position:], results, exc.message, uncount=0)


def _links_give(notices: list[_Claimed]) -> None:
    """The campaign notices of the chunk whose kind carries a personal link and that have none
    yet get theirs now, as they first leave (one transaction for the chunk, which this claim
    holds); a retry finds the link it was first given in its context."""
    wanted = [
        notice
        for notice in notices
        if notice.campaign_id is not None
        and PERSONAL_URL not in (notice.context or {})
        and campaign_links_wanted(notice.kind)
    ]
    if not wanted:
        return
    sealed = campaign_links_attach(notice_ids=[notice.id for notice in wanted])
    for notice in wanted:
        if notice.id in sealed:
            notice.context = {**(notice.context or {}), PERSONAL_URL: sealed[notice.id]}


def _send_one(
    backend: ChannelBackend, notice: _Claimed, renderer: _Renderer, results: ChunkResults
) -> None:
    try:
        message = renderer.message(notice)
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


def _retry_or_fail(notice: _Claimed, results: ChunkResults, error: str, uncount: int = 0) -> None:
    attempts = notice.attempts - uncount
    if attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        results.failed[notice.id] = f"gave up after {attempts} attempts: {error}"[:500]
    else:
        delay = retry_delay(attempts) if not uncount else dt.timedelta(seconds=5)
        results.retry[notice.id] = (error[:500], timezone.now() + delay, uncount)


def _give_back(notices: list[_Claimed], results: ChunkResults, error: str, *, uncount: int) -> None:
    for notice in notices:
        if notice.id not in results.sent and notice.id not in results.failed:
            _retry_or_fail(notice, results, error, uncount)
