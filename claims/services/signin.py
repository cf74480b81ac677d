"""Passwordless sign-in for claimants: a one-time code by email, or by SMS to the phone on
their affected record.

The code is 6-8 random digits, stored only as an HMAC (keyed with SECRET_KEY) with an expiry
and an attempt counter. It goes out through the notifications outbox on the priority lane
(kind signin_code, the code sealed in the outbox until sent), so it carries a notice reference
the person can check at /verify/, and a mail server that refuses or is down never turns the
request into an error: the notice is retried by the workers. The code appears in no log.

Asking again adds a code and keeps the earlier ones working (up to CLAIMS_SIGNIN_LIVE_CODES
per device at once), so requests by someone else never kill the code a person holds. The limits are
counted per device and per address, the network only as a ceiling (claims.throttle,
signin_limits). The answer never says whether the address is on the affected list: by email,
a person who is not can still verify their address and file on a route open to them; by SMS,
a code goes only to a phone on the list, and the next page is the same either way."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from claims.errors import THROTTLED, ClaimError
from claims.models import SignInCode
from claims.throttle import (
    device_trusted,
    network_of,
    signin_limits,
    throttle_hit,
    throttle_take,
)
from compensation.hashing import email_hash, email_normalize, phone_hash, phone_normalize
from compensation.models import AffectedPerson, Program
from notifications.services import notice_enqueue

CHANNELS = ("email", "sms")
# pg_advisory_xact_lock's first key for a sign-in address (its second: the address hash).
_LOCK_NAMESPACE = 0x5167


def _code_hash(code: str, address_digest: bytes) -> bytes:
    key = hashlib.sha256(b"claims-signin:" + settings.SECRET_KEY.encode()).digest()
    return hmac.digest(key, address_digest + b":" + code.encode(), hashlib.sha256)


def signin_address_hash(channel: str, address: str) -> bytes | None:
    """The keyed hash a sign-in address is known by, as the population import stores it."""
    if channel == "sms":
        return phone_hash(address)
    return email_hash(address)


def _device_key(device: str | None, ip_address: str | None) -> bytes:
    """Whose request a code answers, as stored with it: the device cookie's id (or, without
    one, the network), hashed. A request retires only older codes of the same device."""
    who = f"device:{device}" if device else f"network:{network_of(ip_address)}"
    return hashlib.sha256(b"claims-signin-device:" + who.encode()).digest()[:16]


def _address_error(channel: str) -> ClaimError:
    if channel == "sms":
        return ClaimError(_("Enter your mobile phone number."), code="phone")
    return ClaimError(_("Enter your email address."), code="email")


def _person_by_address(program: Program, channel: str, digest: bytes) -> AffectedPerson | None:
    field = "phone_hash" if channel == "sms" else "email_hash"
    return AffectedPerson.objects.filter(program=program, **{field: digest}).order_by("id").first()


def signin_code_request(
    *,
    program: Program,
    address: str,
    channel: str = "email",
    language: str,
    ip_address: str | None,
    device: str | None = None,
) -> None:
    """Make a new code and queue it to `address` (an email address, or for `channel` "sms" a
    phone number on the program's affected list) on the priority lane.

    Earlier codes for the address keep working; beyond CLAIMS_SIGNIN_LIVE_CODES from the same
    device the oldest of that device's retires, so another's requests never retire the codes
    a person holds (how many live codes an address can have at once is bounded by the
    address-wide limits). ClaimError(throttled, status 429) when a limit of signin_limits is
    used up (a refusal counts nothing); RateLimitUnavailable when Redis cannot be reached
    (nothing is stored or sent)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown sign-in channel {channel!r}")
    digest = signin_address_hash(channel, address)
    if digest is None:
        raise _address_error(channel)
    trusted = device_trusted(address_hash=digest, device=device)
    limits = signin_limits(
        address_hash=digest, device=device, ip_address=ip_address, trusted=trusted
    )
    if not throttle_take(limits):
        raise ClaimError(THROTTLED, code="throttled", status=429)
    person = _person_by_address(program, channel, digest)
    if channel == "sms":
        if person is None:
            return  # a code goes only to a phone on the list; the page says the same
        to_address = "+" + phone_normalize(address)
    else:
        to_address = email_normalize(address)
    digits = max(6, min(8, settings.CLAIMS_SIGNIN_CODE_DIGITS))
    code = "".join(secrets.choice("0123456789") for _ in range(digits))
    now = timezone.now()
    ttl = settings.CLAIMS_SIGNIN_CODE_TTL_SECONDS
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:  # one request per address at a time
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [_LOCK_NAMESPACE, int.from_bytes(digest[:4], "big", signed=True)],
            )
        device_key = _device_key(device, ip_address)
        live = SignInCode.objects.filter(
            program=program,
            channel=channel,
            email_hash=digest,
            device_hash=device_key,
            used_at__isnull=True,
            expires_at__gt=now,
        )
        keep = max(settings.CLAIMS_SIGNIN_LIVE_CODES, 1) - 1
        retired = list(live.order_by("-created_at", "-id").values_list("id", flat=True)[keep:])
        if retired:
            SignInCode.objects.filter(pk__in=retired, used_at__isnull=True).update(used_at=now)
        row = SignInCode.objects.create(
            program=program,
            channel=channel,
            email_hash=digest,
            device_hash=device_key,
            code_hash=_code_hash(code, digest),
            expires_at=now + dt.timedelta(seconds=ttl),
        )
        notice = notice_enqueue(
            kind="signin_code",
            channel=channel,
            language=language if language in {"ko", "en", "zh-hans"} else "ko",
            to_address=to_address,
            context={"code": code, "minutes": str(ttl // 60)},
            program=program,
            person=person,
            dedupe_key=f"claims:signin:{row.pk}",
            priority_lane=True,
        )
        audit_record(
            action="claims.signin_code",
            obj=row,
            actor_label="claimant:signin",
            ip_address=ip_address,
            after={"channel": channel, "notice": notice.reference, "trusted_device": trusted},
        )


def signin_code_verify(
    *,
    program: Program,
    address: str,
    code: str,
    ip_address: str | None,
    channel: str = "email",
) -> tuple[AffectedPerson | None, bytes]:
    """Check a code against the address's live codes. Returns (the affected person with this
    address, or None; the identity hash the session carries: the email's hash, or for SMS the
    person's email hash when they have one, else the phone's).
    ClaimError when it is wrong, expired, used or tried too often: each try counts against
    every live code of the address, atomically, so parallel guesses cannot pass the limit."""
    digest = signin_address_hash(channel, address) if channel in CHANNELS else None
    wrong = ClaimError(_("That code is not right or has expired. Ask for a new one."), code="code")
    if digest is None:
        raise wrong
    if not throttle_hit("signin_network", network_of(ip_address)):
        raise ClaimError(THROTTLED, code="throttled", status=429)
    given = "".join(ch for ch in code if ch.isdigit())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_signincode SET attempts = attempts + 1"
            " WHERE program_id = %s AND channel = %s AND email_hash = %s"
            " AND used_at IS NULL AND expires_at > statement_timestamp() AND attempts < %s"
            " RETURNING id, code_hash",
            [program.pk, channel, digest, settings.CLAIMS_SIGNIN_MAX_ATTEMPTS],
        )
        counted = cursor.fetchall()
    expected = _code_hash(given, digest)
    matched = [pk for pk, stored in counted if hmac.compare_digest(bytes(stored), expected)]
    if not matched:
        raise wrong
    if not SignInCode.objects.filter(pk=matched[0], used_at__isnull=True).update(
        used_at=timezone.now()
    ):
        raise wrong
    person = _person_by_address(program, channel, digest)
    if channel == "sms":
        if person is None:
            raise wrong
        identity = bytes(person.email_hash) if person.email_hash else digest
        return person, identity
    return person, digest
