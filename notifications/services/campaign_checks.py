"""Before a campaign starts: a test of it sent to the operator, and how long it will take.

The test is the campaign's own notice (its kind, its templates in the operator's language,
its context over the kind's sample values) through the outbox to the operator's own address,
on the priority of a single notice; it names no person of the audience. The estimate divides
what is left to send on each channel by that channel's rate (NOTIFICATIONS_RATE_PER_SECOND,
a ceiling every worker shares), so it is the soonest the campaign can finish."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, actor_user, audit_record
from notifications.errors import NotificationError
from notifications.kinds import Channel, sample_context
from notifications.models import Campaign
from notifications.selectors import audience_reach, campaign_pending_by_channel
from notifications.services.enqueue import notice_enqueue


def _masked(address: str) -> str:
    return "*" * max(len(address) - 4, 0) + address[-4:]


def campaign_test_send(
    *,
    campaign: Campaign,
    actor: Actor,
    language: str = "en",
    phone: str = "",
    ip_address: str | None = None,
) -> list[str]:
    """Send the campaign's notice to the operator: by email to their own address, and by
    SMS to `phone` (the operator's test handset) when given and the campaign may text people
    (an SMS campaign, or fallback on). Returns the masked addresses. Records the test on the
    campaign (the admin starts a campaign only after one). Audited."""
    user = actor_user(actor)
    email = getattr(user, "email", "") or ""
    if not email:
        raise NotificationError("A test goes to the operator's own email address.", code="no_test")
    if language not in {"ko", "en", "zh-hans"}:
        language = "en"
    context = {**sample_context(campaign.kind, language), **(campaign.context or {})}
    for automatic in ("reference", "verify_url", "program_name"):
        context.pop(automatic, None)  # the sender fills these
    phone = phone.strip()
    may_text = campaign.channel == Channel.SMS or campaign.fallback
    targets = [(Channel.EMAIL, email)]
    if may_text and phone:
        targets.append((Channel.SMS, phone))
    sent_to: list[str] = []
    with transaction.atomic():
        for channel, address in targets:
            notice_enqueue(
                kind=campaign.kind,
                channel=channel,
                language=language,
                to_address=address,
                context=context,
                program=campaign.program,
            )
            sent_to.append(f"{channel} {_masked(address)}")
        now = timezone.now()
        Campaign.objects.filter(pk=campaign.pk).update(
            test_sent_at=now, test_sent_to=", ".join(sent_to), updated_at=now
        )
        campaign.refresh_from_db()
        audit_record(
            action="campaign.test_send",
            obj=campaign,
            actor=actor,
            ip_address=ip_address,
            after={"test_sent_to": sent_to, "language": language},
        )
    return sent_to


@dataclass(frozen=True)
class Estimate:
    # Notices left to send on each channel, and each channel's rate (per second; 0: no limit).
    left: dict[str, int]
    rates: dict[str, int]
    seconds: int  # the slowest channel's time; the channels send side by side
    finish_at: dt.datetime | None  # from now, or from the scheduled time if later

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.seconds)


def campaign_estimate(*, campaign: Campaign) -> Estimate:
    """The soonest this campaign can finish: what it has left on each channel (before the
    build: the audience's reach now, with fallback) over each channel's rate."""
    left: dict[str, int] = {}
    if campaign.status in {Campaign.Status.DRAFT, Campaign.Status.SCHEDULED}:
        reach = audience_reach(campaign=campaign)
        left = {campaign.channel: reach.on_channel}
        if reach.fallback:
            left[reach.other_channel] = reach.fallback
    elif campaign.status in {Campaign.Status.BUILDING, Campaign.Status.SENDING}:
        left = campaign_pending_by_channel(campaign=campaign)
    rates = {channel: settings.NOTIFICATIONS_RATE_PER_SECOND.get(channel, 0) for channel in left}
    seconds = (
        max(
            (math.ceil(count / rates[channel]) if rates[channel] > 0 else 0)
            for channel, count in left.items()
        )
        if left
        else 0
    )
    start = timezone.now()
    if campaign.scheduled_for and campaign.scheduled_for > start:
        start = campaign.scheduled_for
    return Estimate(
        left=left,
        rates=rates,
        seconds=seconds,
        finish_at=start + dt.timedelta(seconds=seconds) if left else None,
    )
