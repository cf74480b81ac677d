"""The periodic re-dispatch (celery beat) and staff retries: the database is the truth, so
whatever the broker lost is found here and sent again."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.services import Actor, audit_record
from notifications.kinds import Channel
from notifications.models import Campaign, Notice
from notifications.services.campaigns import campaign_build_enqueue, campaigns_start_due
from notifications.services.enqueue import notices_dispatch_kick
from notifications.services.outcomes import campaign_finish_if_done
from notifications.services.sending import dispatch_chain_alive

JOB = "job:notifications.redispatch"


def notices_redispatch() -> dict[str, int]:
    """Find work the broker lost and queue it again:

    - notices `sending` whose lease ran out (NOTIFICATIONS_SENDING_LEASE: their sender stopped
      renewing it, so it died), or claimed longer ago than NOTIFICATIONS_SENDING_TIMEOUT
      (longer than any task may live, whatever the lease says), go back to `pending`, or fail
      if they have used every attempt;
    - a channel with due pending notices and no dispatch seen lately gets a dispatch;
    - scheduled campaigns that are due start; builds that stopped moving are queued again."""
    now = timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT)
    with transaction.atomic(durable=True):
        stuck = list(
            Notice.objects.select_for_update()
            .filter(Q(lease_until__lt=now) | Q(claimed_at__lt=cutoff), status=Notice.Status.SENDING)
            .values_list("id", "campaign_id", "attempts")
        )
        no_attempts_left = [
            (pk, campaign_id)
            for pk, campaign_id, attempts in stuck
            if attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
        ]
        exhausted = Notice.objects.filter(pk__in=[pk for pk, _ in no_attempts_left]).update(
            status=Notice.Status.FAILED,
            last_error="the worker stopped while sending; no attempts left",
        )
        _campaigns_failed_add(Counter(c for _, c in no_attempts_left if c))
        reset = Notice.objects.filter(
            pk__in=[pk for pk, _, _ in stuck], status=Notice.Status.SENDING
        ).update(
            status=Notice.Status.PENDING,
            claimed_at=None,
            next_attempt_at=now,
            last_error="the worker stopped while sending; sent again",
        )
        if reset or exhausted:
            audit_record(
                action="notice.redispatch",
                object_type="notifications.notice",
                actor_label=JOB,
                after={"reset": reset, "failed": exhausted},
            )
    kicked = 0
    for channel in Channel.values:
        due = Notice.objects.filter(
            status=Notice.Status.PENDING, channel=channel, next_attempt_at__lte=now
        ).exists()
        if due and not dispatch_chain_alive(channel):
            kicked += int(notices_dispatch_kick(channel=channel))
    started = campaigns_start_due()
    stale = now - dt.timedelta(seconds=settings.NOTIFICATIONS_BUILD_STALE)
    rebuilt = 0
    for campaign_id in Campaign.objects.filter(
        status=Campaign.Status.BUILDING, updated_at__lt=stale
    ).values_list("pk", flat=True):
        rebuilt += int(campaign_build_enqueue(campaign_id=campaign_id))
    return {
        "reset": reset,
        "failed": exhausted,
        "kicked": kicked,
        "started": started,
        "rebuilt": rebuilt,
    }


def notices_retry(*, notice_ids: list[int], actor: Actor, ip_address: str | None = None) -> int:
    """Send failed notices again (staff action): back to pending with a fresh attempt budget.
    Only failed notices move; audited."""
    # Not durable: the admin calls this inside its own transaction.
    with transaction.atomic():
        failed = list(
            Notice.objects.select_for_update()
            .filter(pk__in=notice_ids, status=Notice.Status.FAILED)
            .values_list("id", "channel", "campaign_id")
        )
        moved = Notice.objects.filter(pk__in=[pk for pk, _, _ in failed]).update(
            status=Notice.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        channels = {channel for _, channel, _ in failed}
        _campaigns_failed_add(
            Counter({c: -n for c, n in Counter(c for *_, c in failed if c).items()})
        )
        if moved:
            audit_record(
                action="notice.retry",
                object_type="notifications.notice",
                object_id=",".join(str(i) for i in sorted(notice_ids))[:64],
                actor=actor,
                ip_address=ip_address,
                after={"moved": moved},
            )
        for channel in channels:
            transaction.on_commit(partial(notices_dispatch_kick, channel=channel))
    return moved


def _campaigns_failed_add(by_campaign: Counter) -> None:
    """Keep campaign counters exact when notices enter or leave `failed` outside a chunk.
    A done campaign whose failed notices are sent again is sending again."""
    now = timezone.now()
    for campaign_id, delta in by_campaign.items():
        if not delta:
            continue
        Campaign.objects.filter(pk=campaign_id).update(
            failed_count=F("failed_count") + delta, updated_at=now
        )
        if delta < 0:
            Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.DONE).update(
                status=Campaign.Status.SENDING, finished_at=None
            )
        else:
            campaign_finish_if_done(campaign_id=campaign_id)
