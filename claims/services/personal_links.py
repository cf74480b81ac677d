"""Personal links: a link a notice carries that opens the recipient's page already signed in.

A link is single use, expires (CLAIMS_PERSONAL_LINK_TTL_SECONDS), and is bound to its
recipient: the person and the address it was sent to. Only a keyed hash of its token is
stored; the token itself exists in the message (sealed in the outbox until sent). Opening the
link shows a page with one button (a mail scanner that fetches links spends nothing); the
button signs the person in once. A link used, expired, or whose recipient no longer has the
address it went to signs nobody in: its page says so and offers the code sign-in instead."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
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
    key = hashlib.sha256(b"claims-personal-link:" + settings.SECRET_KEY.encode()).digest()
    return hmac.digest(key, token.encode(), hashlib.sha256)


def _recipient_hash(person: AffectedPerson, channel: str) -> bytes | None:
    value = person.phone_hash if channel == "sms" else person.email_hash
    return bytes(value) if value else None


def personal_link_issue(
    *, program: Program, person: AffectedPerson, channel: str, next_path: str
) -> tuple[PersonalLink, str]:
    """A new link for `person`, to `next_path` (a path on this site), bound to the address
    of theirs on `channel`; (the row, the full URL). In the caller's transaction."""
    recipient = _recipient_hash(person, channel)
    if recipient is None:
        raise ClaimError(_("There is no address to send the link to."), code="no_address")
    if not next_path.startswith("/") or next_path.startswith("//"):
        raise ValueError("a personal link leads to a path on this site")
    token = secrets.token_urlsafe(32)
    link = PersonalLink.objects.create(
        token_hash=_token_hash(token),
        program=program,
        person=person,
        identity_hash=bytes(person.email_hash) if person.email_hash else recipient,
        recipient_hash=recipient,
        next_path=next_path,
        expires_at=timezone.now() + dt.timedelta(seconds=settings.CLAIMS_PERSONAL_LINK_TTL_SECONDS),
    )
    url = settings.NOTIFICATIONS_SITE_URL.rstrip("/") + reverse(
        "claims:personal_link", args=[token]
    )
    return link, url


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
        link, url = personal_link_issue(
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
    current = [person.email_hash, person.phone_hash] if person is not None else []
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
