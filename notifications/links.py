"""Personal links in campaign notices: a campaign's notice to a person of the population
carries a link that opens their page signed in, once (kinds with the optional variable
`personal_url`, notifications/kinds.py).

The link is made when the notice is first sent, not when the campaign is built: the sender
makes the links of the chunk it just claimed (claims/services/personal_links.py, one INSERT
... SELECT) and seals them into those notices in the same transaction, so a build stays one
plain INSERT ... SELECT per range, a link's lifetime starts when it leaves, and a retried
notice carries the link it was first given. Notifications does not import claims, so claims
registers its maker here in its AppConfig.ready(). Without a maker (claims not installed)
campaigns carry no link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from notifications.kinds import KINDS, PERSONAL_URL
from notifications.sealed import seal

# (SQL of rows (notice_id, program_id, person_id, channel), its %(name)s parameters) ->
# {notice id: the link's full URL}, made in the caller's transaction.
LinkMaker = Callable[[str, dict[str, Any]], dict[int, str]]
LINK_MAKERS: dict[str, LinkMaker] = {}

_NOTICES_SQL = (
    "SELECT n.id, n.program_id, n.person_id, n.channel FROM notifications_notice AS n "
    "WHERE n.id = ANY(%(notice_ids)s) AND n.person_id IS NOT NULL"
)

# The links into the notices just built: one UPDATE of the chunk's rows, from arrays.
_ATTACH_SQL = """
UPDATE notifications_notice AS n
SET context = n.context || jsonb_build_object(%s::text, v.url)
FROM unnest(%s::bigint[], %s::text[]) AS v (id, url)
WHERE n.id = v.id
"""


def campaign_links_wanted(kind: str) -> bool:
    return PERSONAL_URL in KINDS[kind].optional and PERSONAL_URL in LINK_MAKERS


def campaign_links_attach(*, notice_ids: list[int]) -> dict[int, str]:
    """Give each of these notices that has a person a personal link, sealed in its context:
    two statements in one transaction, whatever their number. Returns {notice id: the sealed
    URL} of those that got one."""
    if not notice_ids:
        return {}
    with transaction.atomic():
        urls = LINK_MAKERS[PERSONAL_URL](_NOTICES_SQL, {"notice_ids": notice_ids})
        sealed = {notice_id: seal(url) for notice_id, url in urls.items()}
        if sealed:
            with connection.cursor() as cursor:
                cursor.execute(_ATTACH_SQL, [PERSONAL_URL, list(sealed), list(sealed.values())])
    return sealed
