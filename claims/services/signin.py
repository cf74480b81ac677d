"""Passwordless sign-in for claimants: a one-time code to the email address.

The code is 6-8 random digits, stored only as an HMAC (keyed with SECRET_KEY) with an expiry
and an attempt counter; it is sent at once by email and appears in no log. Requests are
throttled per address and per network with atomic Redis counters. The answer never says
whether the address is on the affected list: a person who is not can still verify their
address and file on a route open to them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from claims import notices
from claims.errors import THROTTLED, ClaimError
from claims.models import SignInCode
from claims.throttle import network_of, throttle_hit
from compensation.hashing import email_hash, email_normalize
from compensation.models import AffectedPerson, Program


def _code_hash(code: str, email_digest: bytes) -> bytes:
    key = hashlib.sha256(b"claims-signin:" + settings.SECRET_KEY.encode()).digest()
    return hmac.digest(key, email_digest + b":" + code.encode(), hashlib.sha256)


def signin_code_request(
    *, program: Program, email: str, language: str, ip_address: str | None
) -> None:
    """Make and email a new code (earlier unused codes for the address stop working).
    ClaimError(throttled) when the address or the network asked too often."""
    digest = email_hash(email)
    if digest is None:
        raise ClaimError(_("Enter your email address."), code="email")
    if not throttle_hit("signin_network", network_of(ip_address)) or not throttle_hit(
        "signin_address", digest
    ):
        raise ClaimError(THROTTLED, code="throttled", status=429)
    digits = max(6, min(8, settings.CLAIMS_SIGNIN_CODE_DIGITS))
    code = "".join(secrets.choice("0123456789") for _ in range(digits))
    now = timezone.now()
    with transaction.atomic(durable=True):
        SignInCode.objects.filter(program=program, email_hash=digest, used_at__isnull=True).update(
            used_at=now
        )
        row = SignInCode.objects.create(
            program=program,
            email_hash=digest,
            code_hash=_code_hash(code, digest),
            expires_at=now + dt.timedelta(seconds=settings.CLAIMS_SIGNIN_CODE_TTL_SECONDS),
        )
        audit_record(
            action="claims.signin_code",
            obj=row,
            actor_label="claimant:signin",
            ip_address=ip_address,
        )
    notices.signin_code_send(
        to_address=email_normalize(email), code=code, language=language, program_name=program.name
    )


def signin_code_verify(
    *, program: Program, email: str, code: str, ip_address: str | None
) -> tuple[AffectedPerson | None, bytes]:
    """Check a code. Returns (the affected person with this email, or None; the email hash).
    ClaimError when it is wrong, expired, used or tried too often (each wrong try counts)."""
    digest = email_hash(email)
    wrong = ClaimError(_("That code is not right or has expired. Ask for a new one."), code="code")
    if digest is None:
        raise wrong
    if not throttle_hit("signin_network", network_of(ip_address)):
        raise ClaimError(THROTTLED, code="throttled", status=429)
    now = timezone.now()
    row = (
        SignInCode.objects.filter(
            program=program, email_hash=digest, used_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )
    if row is None:
        raise wrong
    # Count the attempt first, atomically: parallel guesses cannot exceed the limit.
    counted = SignInCode.objects.filter(
        pk=row.pk, attempts__lt=settings.CLAIMS_SIGNIN_MAX_ATTEMPTS, used_at__isnull=True
    ).update(attempts=F("attempts") + 1)
    if not counted:
        raise wrong
    given = "".join(ch for ch in code if ch.isdigit())
    if not hmac.compare_digest(bytes(row.code_hash), _code_hash(given, digest)):
        raise wrong
    if not SignInCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
        raise wrong
    person = (
        AffectedPerson.objects.filter(program=program, email_hash=digest).order_by("id").first()
    )
    return person, digest
