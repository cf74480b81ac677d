"""Reads shared by the admin, the public pages and other apps."""

from __future__ import annotations

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


def audience_size(*, campaign: Campaign) -> int:
    """How many people the campaign would reach now (with an address on its channel)."""
    condition, params = audience_get(campaign.audience).condition(
        campaign.program_id, campaign.audience_params
    )
    address = "p.email" if campaign.channel == Channel.EMAIL else "p.phone"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM compensation_affectedperson AS p "  # noqa: S608
            f"WHERE {condition} AND {address} <> ''",
            params,
        )
        return cursor.fetchone()[0]
