"""Staff security keys (WebAuthn, django-otp-webauthn) as a second factor, beside the
authenticator app and backup codes.

A staff member who signed in with their password and a second factor registers a key from
their security-keys page; from then on the admin's sign-in takes the password with the
code left empty, and asks for the key on the next page. The key never signs anyone in alone
(OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off): between the two steps the browser holds
only a short-lived mark in its session naming whose password was right, not a signed-in
session. The server keeps the key's public half only, so there is no secret to show; an
administrator revokes a key in the second-factor admin, and every registration and
revocation reaches the audit trail (the staff-trail trigger on the credential table,
accounts/migrations/0013_staff_trail_webauthn.py, and the registration's own row)."""

from __future__ import annotations

import time

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.settings import app_settings

from accounts.models import User
from audit.services import audit_record

SECURITY_KEY_NAME = "Security key"
_PENDING = "accounts.security_key.pending"


class StaffWebAuthnHelper(WebAuthnHelper):
    """The library's helper, naming each new credential the same plain way (the default
    leaves the name empty, and the admin lists keys by it)."""

    def create_credential(self, user, response, parsed_credential, original_data):
        device = super().create_credential(user, response, parsed_credential, original_data)
        device.name = SECURITY_KEY_NAME
        return device


def security_keys_of(user: AbstractBaseUser) -> QuerySet[WebAuthnCredential]:
    """The staff member's confirmed keys, newest first."""
    return WebAuthnCredential.objects.filter(user_id=user.pk, confirmed=True).order_by(
        "-created_at"
    )


def security_key_pending_set(request: HttpRequest, user: User) -> None:
    """Mark the browser's session: `user`'s password was right a moment ago, and the key
    step may follow. Not a sign-in: nothing but the key step reads the mark."""
    request.session[_PENDING] = {"u": user.pk, "t": int(time.time())}


def security_key_pending_user(request: HttpRequest) -> User | None:
    """Whose key the sign-in's second step asks for: the user whose password was right in
    this session within the key's time limit (the ceremony's own), still an active staff
    member with a key; else None."""
    mark = request.session.get(_PENDING)
    if not isinstance(mark, dict):
        return None
    if time.time() - mark.get("t", 0) > app_settings.OTP_WEBAUTHN_TIMEOUT_SECONDS:
        return None
    user_id = mark.get("u")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id, is_active=True, is_staff=True).first()
    if user is None or not security_keys_of(user).exists():
        return None
    return user


def security_key_pending_end(request: HttpRequest) -> None:
    request.session.pop(_PENDING, None)


def security_key_registered_record(*, device: WebAuthnCredential, ip_address: str | None) -> None:
    """The registration's audit row, beside the trigger's (which names the table and row):
    who registered which key, in words the audit admin shows."""
    audit_record(
        action="staff.security_key_register",
        obj=device.user,
        actor=device.user,
        after={"device": device.pk},
        ip_address=ip_address,
    )
