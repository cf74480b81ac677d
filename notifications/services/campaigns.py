"""Campaigns: a bulk send to an audience, built set-based and sent by the same outbox.

Building creates the campaign's notices with one `INSERT ... SELECT ... ON CONFLICT DO NOTHING`
per range of person ids, each range in its own transaction together with the campaign's
cursor. A killed build resumes at the cursor; re-running a range adds nothing (the dedupe key
is the campaign and the person). Personal links are made when a notice is sent
(notifications/links.py), not here."""

from __future__ import annotations

import datetime as dt
import time
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import Actor, actor_user, audit_record, audit_snapshot
from compensation.models import AffectedPerson, Program
from config import queueing
from config.db import violated_constraint
from notifications.audiences import Audience, audience_get
from notifications.errors import NotificationError
from notifications.kinds import KINDS, Channel
from notifications.models import Campaign
from notifications.services.enqueue import dispatch_after_commit

BUILD_TASK = "notifications.campaign_build"

_ADDRESS_COLUMN: dict[str, str] = {Channel.EMAIL: "p.email", Channel.SMS: "p.phone"}
_OTHER_CHANNEL: dict[str, str] = {Channel.EMAIL: Channel.SMS, Channel.SMS: Channel.EMAIL}

# The build's one statement, over one range of the audience's row ids. The audience's source,
# condition (and per-person context, if any) come from the AUDIENCES registry (code, never
# input); every value is a parameter. In the same pass it counts what it made on the other
# channel (fallback) and the rows no notice could be made for, and why, so nobody in the
# audience is skipped without a trace.
_BUILD_SQL = """
WITH candidates AS (
    SELECT p.id AS row_id, p.program_id, {person} AS person_id,
           CASE WHEN p.language IN ('ko', 'en', 'zh-hans') THEN p.language ELSE 'ko' END
               AS language,
           {context} AS context,
           coalesce({address}, '') AS address,
           coalesce({other_address}, '') AS other_address
    FROM {source} AS p
    WHERE {condition} AND p.id > %(low)s AND p.id <= %(high)s
), inserted AS (
    INSERT INTO notifications_notice (
        reference, kind, channel, language, to_address, context, program_id, person_id,
        campaign_id, dedupe_key, priority, status, attempts, last_error, provider_message_id
    )
    SELECT notifications_reference_new(), %(kind)s,
           CASE WHEN c.address <> '' THEN %(channel)s ELSE %(other)s END,
           c.language,
           CASE WHEN c.address <> '' THEN c.address ELSE c.other_address END,
           c.context, c.program_id, c.person_id, %(campaign_id)s,
           'campaign:' || %(campaign_id)s::text || ':' || %(key)s || ':' || c.row_id::text,
           1, 'pending', 0, '', ''
    FROM candidates AS c
    WHERE c.address <> '' OR (%(fallback)s AND c.other_address <> '')
    ON CONFLICT ON CONSTRAINT notice_dedupe_key_unique DO NOTHING
    RETURNING channel
)
SELECT (SELECT count(*) FROM inserted),
       (SELECT count(*) FROM inserted WHERE channel <> %(channel)s),
       (SELECT count(*) FROM candidates WHERE address = '' AND other_address = ''),
       (SELECT count(*) FROM candidates
        WHERE address = '' AND other_address <> '' AND NOT %(fallback)s)
"""

# Why a person of the audience got no notice (Campaign.unreachable_reasons).
NO_ADDRESS = "no_address"  # neither an email nor a phone number
NO_CHANNEL_ADDRESS = "no_channel_address"  # none on the campaign's channel, fallback off


def campaign_create(
    *,
    name: str,
    program: Program,
    kind: str,
    channel: str,
    audience: str,
    audience_params: dict | None = None,
    context: dict | None = None,
    actor: Actor,
    ip_address: str | None = None,
    dedupe_key: str | None = None,
    fallback: bool = True,
) -> Campaign:
    """A draft campaign, checked: the audience exists with its parameters, and the context has
    every variable the kind's templates need (but those the audience gives each person).
    With `fallback` (the default), a person without an address on `channel` gets the notice
    on the other channel; whoever has neither is counted on the campaign, with the reason.
    Audited. With a `dedupe_key` taken already, IntegrityError (see campaign_start_once)."""
    audience_params = audience_params or {}
    context = context or {}
    audience_spec = audience_get(audience)
    audience_spec.params_check(audience_params)
    if kind not in KINDS:
        raise NotificationError(f"Unknown notice kind {kind!r}.", code="unknown_kind")
    if channel not in _ADDRESS_COLUMN:
        raise NotificationError(f"Unknown channel {channel!r}.", code="unknown_channel")
    missing = sorted(KINDS[kind].variables - set(context) - audience_spec.provides)
    if missing:
        raise NotificationError(
            f"The context needs values for: {', '.join(missing)}.", code="missing_context"
        )
    # Not durable: the admin calls this inside its own transaction.
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            program=program,
            kind=kind,
            channel=channel,
            audience=audience,
            audience_params=audience_params,
            context=context,
            dedupe_key=dedupe_key,
            fallback=fallback,
            created_by=actor_user(actor),
        )
        audit_record(
            action="campaign.create",
            obj=campaign,
            actor=actor,
            ip_address=ip_address,
            actor_label="" if actor_user(actor) else "job:notifications",
            after=audit_snapshot(campaign),
        )
    return campaign


def campaign_start_once(
    *,
    dedupe_key: str,
    name: str,
    program: Program,
    kind: str,
    channel: str,
    audience: str,
    audience_params: dict | None = None,
    context: dict | None = None,
    actor_label: str,
    fallback: bool = False,
) -> Campaign | None:
    """A campaign an event starts on its own (a run's finish), scheduled for now: built after
    commit. At most one per `dedupe_key` (unique in the database): the second call, or a
    concurrent one, creates nothing and returns None. Inside the caller's transaction.
    Without channel fallback unless asked: an event that starts campaigns names each channel
    (vouchers' holders by email, and those without an email by SMS)."""
    if not connection.in_atomic_block:
        raise NotificationError(
            "A campaign is started inside its event's transaction.", code="no_transaction"
        )
    if Campaign.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            campaign = campaign_create(
                name=name,
                program=program,
                kind=kind,
                channel=channel,
                audience=audience,
                audience_params=audience_params,
                context=context,
                actor=None,
                dedupe_key=dedupe_key,
                fallback=fallback,
            )
    except IntegrityError as exc:
        if violated_constraint(exc) != "campaign_dedupe_key_unique":
            raise
        return None  # a concurrent caller took the key first
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
        status=Campaign.Status.SCHEDULED, scheduled_for=now, updated_at=now
    )
    campaign.refresh_from_db()
    audit_record(
        action="campaign.schedule",
        obj=campaign,
        actor_label=actor_label,
        after={"scheduled_for": now},
    )
    transaction.on_commit(campaigns_start_due)
    return campaign


def campaign_schedule(
    *, campaign: Campaign, scheduled_for: dt.datetime, actor: Actor, ip_address: str | None = None
) -> Campaign:
    """Schedule a draft campaign. Due now (or in the past): the build starts after commit."""
    # Not durable: the admin calls this inside its own transaction.
    with transaction.atomic():
        changed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            status=Campaign.Status.SCHEDULED, scheduled_for=scheduled_for, updated_at=timezone.now()
        )
        if not changed:
            raise NotificationError("Only a draft campaign can be scheduled.", code="not_draft")
        campaign.refresh_from_db()
        audit_record(
            action="campaign.schedule",
            obj=campaign,
            actor=actor,
            ip_address=ip_address,
            after={"scheduled_for": scheduled_for},
        )
        if scheduled_for <= timezone.now():
            transaction.on_commit(campaigns_start_due)
    return campaign


def campaign_cancel(*, campaign: Campaign, actor: Actor, ip_address: str | None = None) -> Campaign:
    """Stop a campaign: no more notices are created, and its unsent notices fail as
    'campaign cancelled' when a worker reaches them (no 30M-row UPDATE here)."""
    live = [
        Campaign.Status.DRAFT,
        Campaign.Status.SCHEDULED,
        Campaign.Status.BUILDING,
        Campaign.Status.SENDING,
    ]
    # Not durable: the admin calls this inside its own transaction.
    with transaction.atomic():
        changed = Campaign.objects.filter(pk=campaign.pk, status__in=live).update(
            status=Campaign.Status.CANCELLED, finished_at=timezone.now(), updated_at=timezone.now()
        )
        if not changed:
            raise NotificationError("This campaign has already ended.", code="ended")
        before = campaign.status
        campaign.refresh_from_db()
        audit_record(
            action="campaign.cancel",
            obj=campaign,
            actor=actor,
            ip_address=ip_address,
            before={"status": before},
            after={"status": campaign.status},
        )
    return campaign


def campaigns_start_due() -> int:
    """Start every scheduled campaign whose time has come (beat and schedule call this)."""
    started = 0
    due = Campaign.objects.filter(
        status=Campaign.Status.SCHEDULED, scheduled_for__lte=timezone.now()
    ).values_list("pk", flat=True)
    for campaign_id in due:
        with transaction.atomic(durable=True):
            if not Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SCHEDULED).update(
                status=Campaign.Status.BUILDING,
                started_at=timezone.now(),
                updated_at=timezone.now(),
            ):
                continue
            audit_record(
                action="campaign.start",
                object_type="notifications.campaign",
                object_id=str(campaign_id),
                actor_label="job:notifications.beat",
            )
            transaction.on_commit(partial(campaign_build_enqueue, campaign_id=campaign_id))
        started += 1
    return started


def campaign_build_enqueue(*, campaign_id: int) -> bool:
    """Ask a worker to build (more of) a campaign. Best effort: the periodic re-dispatch
    restarts a build whose cursor stopped moving."""
    return queueing.task_send(
        BUILD_TASK, {"campaign_id": campaign_id}, queue=settings.NOTIFICATIONS_QUEUE
    )


def campaign_build(*, campaign_id: int, time_budget_seconds: float | None = None) -> bool:
    """Create the notices of a building campaign, range by range, until done or out of time.
    Returns True when the build is finished (or there is nothing to build).

    Safe to run twice at once: each range locks the campaign row and re-reads the cursor."""
    budget = time_budget_seconds or settings.NOTIFICATIONS_BUILD_TIME_BUDGET
    deadline = time.monotonic() + budget
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != Campaign.Status.BUILDING:
        return True
    audience = audience_get(campaign.audience)
    condition, condition_params = audience.condition(campaign.program_id, campaign.audience_params)
    source, source_params = audience.source_sql(campaign.program_id, campaign.audience_params)
    context_sql, context_params = "'{}'::jsonb", list[object]()
    if audience.context is not None:
        context_sql, context_params = audience.context(
            campaign.program_id, campaign.audience_params
        )
    # The context comes before the source and the condition in the statement, so its
    # parameters do too.
    condition_params = [*context_params, *source_params, *condition_params]
    if campaign.build_upto is None:
        upto = _build_upto(campaign, audience, source, source_params)
        Campaign.objects.filter(pk=campaign_id, build_upto__isnull=True).update(build_upto=upto)
    sql = _BUILD_SQL.format(
        address=_ADDRESS_COLUMN[campaign.channel],
        other_address=_ADDRESS_COLUMN[_OTHER_CHANNEL[campaign.channel]],
        person="p.id" if audience.source is None else "p.person_id",
        source=source,
        condition=condition,
        context=context_sql,
    )
    while time.monotonic() < deadline:
        with transaction.atomic(durable=True):
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
            if campaign.status != Campaign.Status.BUILDING:
                return True
            assert campaign.build_upto is not None  # set before the loop
            if campaign.build_cursor >= campaign.build_upto:
                _build_finish(campaign)
                return True
            low = campaign.build_cursor
            high = min(low + settings.NOTIFICATIONS_BUILD_CHUNK, campaign.build_upto)
            named = {
                "kind": campaign.kind,
                "channel": campaign.channel,
                "other": _OTHER_CHANNEL[campaign.channel],
                "fallback": campaign.fallback,
                "key": audience.key,
                "campaign_id": campaign.pk,
                "low": low,
                "high": high,
            }
            with connection.cursor() as cursor:
                cursor.execute(_positional(sql, condition_params), _params(named, condition_params))
                inserted, on_other, no_address, no_channel_address = cursor.fetchone()
            reasons = dict(campaign.unreachable_reasons or {})
            missed = {NO_ADDRESS: no_address, NO_CHANNEL_ADDRESS: no_channel_address}
            for reason, count in missed.items():
                if count:
                    reasons[reason] = reasons.get(reason, 0) + count
            Campaign.objects.filter(pk=campaign_id).update(
                build_cursor=high,
                notices_created=campaign.notices_created + inserted,
                fallback_count=campaign.fallback_count + on_other,
                unreachable_count=campaign.unreachable_count + no_address + no_channel_address,
                unreachable_reasons=reasons,
                updated_at=timezone.now(),
            )
            if inserted - on_other:
                dispatch_after_commit(campaign.channel)
            if on_other:
                dispatch_after_commit(_OTHER_CHANNEL[campaign.channel])
    return False


def _build_upto(campaign: Campaign, audience: Audience, source: str, source_params: list) -> int:
    """The highest row id the build covers: the program's people, or the audience's source."""
    if audience.source is None:
        top = AffectedPerson.objects.filter(program_id=campaign.program_id).aggregate(
            top=Max("id")
        )["top"]
        return top or 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT max(p.id) FROM {source} AS p WHERE p.program_id = %s",  # noqa: S608
            [*source_params, campaign.program_id],
        )
        return cursor.fetchone()[0] or 0


def _positional(sql: str, condition_params: list) -> str:
    """The audience condition uses %s placeholders; name them so that one dict carries all."""
    condition_sql = sql
    for index in range(len(condition_params)):
        condition_sql = condition_sql.replace("%s", f"%(audience_{index})s", 1)
    return condition_sql


def _params(named: dict, condition_params: list) -> dict:
    return {**named, **{f"audience_{i}": value for i, value in enumerate(condition_params)}}


def _build_finish(campaign: Campaign) -> None:
    now = timezone.now()
    status = Campaign.Status.SENDING if campaign.notices_created else Campaign.Status.DONE
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.BUILDING).update(
        status=status,
        built_at=now,
        updated_at=now,
        finished_at=now if status == Campaign.Status.DONE else None,
    )
    audit_record(
        action="campaign.built",
        obj=campaign,
        actor_label="job:notifications.build",
        after={"notices_created": campaign.notices_created},
    )
    from notifications.services.outcomes import campaign_finish_if_done

    campaign_finish_if_done(campaign_id=campaign.pk)
