"""Reads shared by the admin, the public pages and other apps."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, QuerySet

from notifications.audiences import audience_get
from notifications.kinds import Channel
from notifications.models import Campaign, Notice
from notifications.references import reference_normalize


def notice_is_genuine(reference: str) -> bool:
    """Did we send a notice with this reference? For the public "is this notice genuine?"
    page. A reference that was never sent (still pending, never tried) is not genuine: nobody
    can have received it. References are 80 random bits, so they cannot be guessed; the page
    that calls this still rate-limits callers."""
    normalized = reference_normalize(reference or "")
    if normalized is None:
        return False
    return (
        Notice.objects.filter(reference=normalized)
        .exclude(status=Notice.Status.PENDING, attempts=0)
        .exists()
    )


def notices_of_people(person_ids: list[int]) -> QuerySet[Notice]:
    """The notices sent to these records of one person, newest first, for their own page (so
    they can tell a genuine notice by its reference). Never-tried pending ones are left out,
    as notice_is_genuine leaves them out; one query."""
    return (
        Notice.objects.filter(person_id__in=person_ids)
        .exclude(status=Notice.Status.PENDING, attempts=0)
        .only("reference", "kind", "channel", "program_id", "person_id", "sent_at", "created_at")
        .order_by("-created_at", "-id")
    )


def campaign_status_counts(*, campaign: Campaign) -> dict[str, int]:
    """Notices of a campaign by status (one grouped COUNT; for a campaign's own page)."""
    rows = (
        Notice.objects.filter(campaign=campaign)
        .order_by()
        .values_list("status")
        .annotate(count=Count("id"))
    )
    return dict(rows)


@dataclass(frozen=True)
class Reach:
    """Who of a campaign's audience it would reach now, and how."""

    on_channel: int  # with an address on the campaign's channel
    fallback: int  # without one, reached on the other channel (fallback on)
    other_channel: str
    # No notice could be made for them, by reason (see campaigns.NO_ADDRESS...).
    unreachable: dict[str, int]

    @property
    def total(self) -> int:
        return self.on_channel + self.fallback


_REACH_SQL = """
SELECT count(*) FILTER (WHERE coalesce({address}, '') <> ''),
       count(*) FILTER (WHERE coalesce({address}, '') = '' AND coalesce({other}, '') <> ''),
       count(*) FILTER (WHERE coalesce({address}, '') = '' AND coalesce({other}, '') = '')
FROM {source} AS p WHERE {condition}
"""


def audience_reach(*, campaign: Campaign) -> Reach:
    """The campaign's audience now: reached on its channel, on the other one, or not at all
    (one COUNT over the audience; for the campaign's page before it starts)."""
    audience = audience_get(campaign.audience)
    condition, params = audience.condition(campaign.program_id, campaign.audience_params)
    source, source_params = audience.source_sql(campaign.program_id, campaign.audience_params)
    address, other = (
        ("p.email", "p.phone")
        if campaign.channel == Channel.EMAIL
        else (
            "p.phone",
            "p.email",
        )
    )
    other_channel = Channel.SMS if campaign.channel == Channel.EMAIL else Channel.EMAIL
    sql = _REACH_SQL.format(address=address, other=other, source=source, condition=condition)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*source_params, *params])
        on_channel, without, nowhere = cursor.fetchone()
    unreachable = {}
    if nowhere:
        unreachable["no_address"] = nowhere
    if without and not campaign.fallback:
        unreachable["no_channel_address"] = without
    return Reach(
        on_channel=on_channel,
        fallback=without if campaign.fallback else 0,
        other_channel=other_channel,
        unreachable=unreachable,
    )


def audience_size(*, campaign: Campaign) -> int:
    """How many people the campaign would reach now (on its channel, or the other one)."""
    return audience_reach(campaign=campaign).total


def campaign_pending_by_channel(*, campaign: Campaign) -> dict[str, int]:
    """The campaign's notices not yet sent or failed, by channel (one grouped COUNT)."""
    rows = (
        Notice.objects.filter(campaign=campaign, status__in=["pending", "sending"])
        .order_by()
        .values_list("channel")
        .annotate(count=Count("id"))
    )
    return dict(rows)
