"""Personal links: a link a notice carries that opens the recipient's page already signed in.

A link is single use, expires (CLAIMS_PERSONAL_LINK_TTL_SECONDS), and is bound to its
recipient: the person and the address it was sent to. Links are made one way,
`personal_links_make`: one INSERT ... SELECT over rows of recipients, the tokens drawn in SQL
from PostgreSQL's CSPRNG (gen_random_uuid), so a campaign's build chunk of links is one
statement and a single link is the same statement over one row. Only the SHA-256 of a token
is stored (a token is 244 random bits, so a key would add nothing against guessing, and the
statement carries no secret); the token itself exists in the message (sealed in the outbox
until sent). Opening the link shows a page with one button (a mail scanner that fetches
links spends nothing); the button signs the person in once. A link used, expired, or whose
recipient no longer has the address it went to signs nobody in: its page says so and offers
the code sign-in instead."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from claims.errors import ClaimError
from claims.models import PersonalLink
from claims.notices import local_when
from compensation.hashing import phone_normalize
from compensation.models import AffectedPerson, Program
from notifications.models import Notice
from notifications.services import notice_enqueue

LINK_USED = _("This personal link has already been used. Sign in with a code instead.")
LINK_EXPIRED = _("This personal link has expired. Sign in with a code instead.")
LINK_UNKNOWN = _("This link does not work. Sign in with a code instead.")
LINK_RECIPIENT = _(
    "This link was sent to an address that is no longer on your record. Sign in with a code "
    "instead."
)


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _recipient_hash(person: AffectedPerson, channel: str) -> bytes | None:
    value = person.phone_hash if channel == "sms" else person.email_hash
    return bytes(value) if value else None


def personal_url(token: str) -> str:
    return settings.NOTIFICATIONS_SITE_URL.rstrip("/") + reverse(
        "claims:personal_link", args=[token]
    )


# The links of the caller's rows (row_key, program_id, person_id, identity_hash,
# recipient_hash, next_path), one per row with a recipient. Each token is 32 bytes of two
# gen_random_uuid() values (pg_strong_random: 244 random bits), base64url without padding;
# MATERIALIZED, so each row's token is drawn once and the same one is hashed and returned.
_MAKE_SQL = """
WITH made AS MATERIALIZED (
    SELECT s.row_key, s.program_id, s.person_id, s.identity_hash, s.recipient_hash,
           s.next_path,
           translate(rtrim(encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()),
                                  'base64'), '='), '+/', '-_') AS token
    FROM ({rows}) AS s (row_key, program_id, person_id, identity_hash, recipient_hash, next_path)
    WHERE s.recipient_hash IS NOT NULL
), inserted AS (
    INSERT INTO claims_personallink (
        token_hash, program_id, person_id, identity_hash, recipient_hash, next_path,
        expires_at, created_at
    )
    SELECT sha256(convert_to(m.token, 'UTF8')), m.program_id, m.person_id, m.identity_hash,
           m.recipient_hash, m.next_path, %(link_expires_at)s, %(link_now)s
    FROM made AS m
    RETURNING id, token_hash
)
SELECT m.row_key, i.id, m.token
FROM made AS m JOIN inserted AS i ON i.token_hash = sha256(convert_to(m.token, 'UTF8'))
"""


@dataclass(frozen=True)
class MadeLink:
    link_id: int
    url: str  # the full URL with its token: for the message only, never stored readable


def personal_links_make(*, rows: str, params: dict[str, Any]) -> dict[Any, MadeLink]:
    """One link per row of `rows` (SQL written by the calling code, never input, returning
    row_key, program_id, person_id, identity_hash, recipient_hash, next_path; its values as
    %(name)s in `params`), in one statement in the caller's transaction; {row_key: link}.
    A row without a recipient hash gets none. Each link leads to its row's path on this site
    (a CHECK refuses another), expires after CLAIMS_PERSONAL_LINK_TTL_SECONDS, and is stored
    as the hash of its token only. Seal the URLs where they are kept (a notice's sealed
    `personal_url`)."""
    reserved = {"link_expires_at", "link_now"} & set(params)
    if reserved:
        raise ValueError(f"Parameter names reserved by personal_links_make: {sorted(reserved)}")
    now = timezone.now()
    expires_at = now + dt.timedelta(seconds=settings.CLAIMS_PERSONAL_LINK_TTL_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            _MAKE_SQL.format(rows=rows),
            {**params, "link_expires_at": expires_at, "link_now": now},
        )
        made = cursor.fetchall()
    return {row_key: MadeLink(link_id, personal_url(token)) for row_key, link_id, token in made}


_ONE_ROW_SQL = (
    "SELECT 0, %(program_id)s::bigint, %(person_id)s::bigint, %(identity_hash)s::bytea, "
    "%(recipient_hash)s::bytea, %(next_path)s::text"
)


def personal_link_issue(
    *,
    program: Program,
    person: AffectedPerson | None,
    identity_hash: bytes,
    recipient_hash: bytes | None,
    next_path: str,
) -> tuple[PersonalLink, str]:
    """A new link to `next_path` (a path on this site) for the identity `identity_hash` (the
    session it opens), bound to `person` and the address of `recipient_hash` (the keyed hash
    of the address it goes to); (the row, the full URL). In the caller's transaction."""
    if recipient_hash is None:
        raise ClaimError(_("There is no address to send the link to."), code="no_address")
    if not next_path.startswith("/") or next_path.startswith("//"):
        raise ValueError("a personal link leads to a path on this site")
    made = personal_links_make(
        rows=_ONE_ROW_SQL,
        params={
            "program_id": program.pk,
            "person_id": person.pk if person is not None else None,
            "identity_hash": identity_hash,
            "recipient_hash": recipient_hash,
            "next_path": next_path,
        },
    )[0]
    return PersonalLink.objects.get(pk=made.link_id), made.url


def person_link_issue(
    *, program: Program, person: AffectedPerson, channel: str, next_path: str
) -> tuple[PersonalLink, str]:
    """personal_link_issue for a person of the population, bound to their address on
    `channel`; the session it opens is their email's identity (their phone's without one)."""
    recipient = _recipient_hash(person, channel)
    identity = bytes(person.email_hash) if person.email_hash else recipient
    return personal_link_issue(
        program=program,
        person=person,
        identity_hash=identity or b"",
        recipient_hash=recipient,
        next_path=next_path,
    )


# A campaign's notices with a person (notifications.links): bound to the address each went
# to, leading to the person's page; the session they open is the email's identity (the
# phone's without one), as person_link_issue's.
_CAMPAIGN_ROWS_SQL = """
SELECT r.notice_id, r.program_id, r.person_id,
       coalesce(p.email_hash, CASE WHEN r.channel = 'sms' THEN p.phone_hash ELSE p.email_hash END),
       CASE WHEN r.channel = 'sms' THEN p.phone_hash ELSE p.email_hash END,
       %(link_to)s::text
FROM ({rows}) AS r (notice_id, program_id, person_id, channel)
JOIN compensation_affectedperson AS p ON p.id = r.person_id
"""


def campaign_links_make(rows: str, params: dict[str, Any]) -> dict[int, str]:
    """notifications.links' maker: a link to /me/ per campaign notice of `rows`; {notice id:
    URL}. One statement, in the campaign build's transaction."""
    made = personal_links_make(
        rows=_CAMPAIGN_ROWS_SQL.format(rows=rows),
        params={**params, "link_to": reverse("claims:me")},
    )
    return {notice_id: link.url for notice_id, link in made.items()}


def personal_link_send(
    *,
    program: Program,
    person: AffectedPerson,
    channel: str,
    next_path: str,
    actor_label: str = "system:personal_link",
) -> Notice:
    """Send `person` a personal link to `next_path` on `channel` (email or SMS), through the
    outbox on the priority lane; the link's token is sealed there. Audited."""
    language = person.language if person.language in {"ko", "en", "zh-hans"} else "ko"
    to_address = person.email if channel == "email" else "+" + phone_normalize(person.phone)
    with transaction.atomic(durable=True):
        link, url = person_link_issue(
            program=program, person=person, channel=channel, next_path=next_path
        )
        notice = notice_enqueue(
            kind="personal_link",
            channel=channel,
            language=language,
            to_address=to_address,
            context={
                "personal_url": url,
                "valid_until": local_when(link.expires_at, language, with_time=True),
            },
            program=program,
            person=person,
            dedupe_key=f"claims:personal-link:{link.pk}",
            priority_lane=True,
        )
        audit_record(
            action="claims.personal_link_send",
            obj=link,
            actor_label=actor_label,
            after={"channel": channel, "notice": notice.reference, "next": next_path},
        )
    return notice


def personal_link_of(token: str) -> PersonalLink | None:
    """The link of this token, whatever its state (for the page that says why it does not
    work, and where to sign in instead)."""
    return (
        PersonalLink.objects.filter(token_hash=_token_hash(token))
        .select_related("program", "person")
        .first()
    )


def personal_link_find(token: str) -> PersonalLink:
    """The link of this token if it would sign someone in now; ClaimError (the reason, code
    link_unknown, link_used, link_expired or link_recipient) otherwise. Changes nothing."""
    link = personal_link_of(token)
    if link is None:
        raise ClaimError(LINK_UNKNOWN, code="link_unknown", status=404)
    if link.used_at is not None:
        raise ClaimError(LINK_USED, code="link_used", status=410)
    if link.expires_at <= timezone.now():
        raise ClaimError(LINK_EXPIRED, code="link_expired", status=410)
    person = link.person
    # A claimant not on the affected list was sent the link at the email they verified, the
    # identity itself, which cannot change; a person's must still be on their record.
    if person is not None:
        current = [person.email_hash, person.phone_hash]
        if not any(value and bytes(value) == bytes(link.recipient_hash) for value in current):
            raise ClaimError(LINK_RECIPIENT, code="link_recipient", status=410)
    return link


def personal_link_use(*, token: str, ip_address: str | None) -> PersonalLink:
    """Spend the link once: of two uses at the same moment, one wins (a conditional update).
    Returns the link (its person and identity hash, for the session, and where it leads);
    ClaimError as personal_link_find's when it cannot sign anyone in."""
    link = personal_link_find(token)
    with transaction.atomic(durable=True):
        spent = PersonalLink.objects.filter(
            pk=link.pk, used_at__isnull=True, expires_at__gt=timezone.now()
        ).update(used_at=timezone.now())
        if not spent:
            raise ClaimError(LINK_USED, code="link_used", status=410)
        audit_record(
            action="claims.personal_link_use",
            obj=link,
            actor_label="claimant:personal_link",
            ip_address=ip_address,
        )
    return link
