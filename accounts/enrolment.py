"""Staff enrol their own authenticator (issue 16): an administrator sends a one-time link, the
staff member opens it, proves their password, scans the QR code of a secret made for them
there and confirms it with a first code. The administrator never sees the secret: the device
admin shows whose device it is and lets them revoke it, not read it.

The link is a signed, expiring token naming an enrolment (an unconfirmed TOTP device made
when the link is sent, with no secret shown to anyone yet). Confirming the device ends the
link; sending a new link or revoking the device ends it too. The secret is made when the
owner opens the link after their password, and made again each time it is opened before it
is confirmed (a screen left open elsewhere is worth nothing)."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from accounts.models import User
from audit.services import Actor, audit_record

ENROLMENT_DEVICE = "Authenticator app (enrolling)"
ENROLLED_DEVICE = "Authenticator app"
_SALT = "accounts.totp-enrolment"


class EnrolmentRefused(Exception):
    """The link is unknown, expired or already used (one message for all: nothing to learn)."""


def _token(device: TOTPDevice) -> str:
    # The device and its owner, signed: a confirmed, revoked or replaced device refuses it.
    return signing.dumps({"d": device.pk, "u": device.user_id}, salt=_SALT, compress=True)


def enrolment_link_send(*, user: User, actor: Actor, site_url: str, actor_label: str = "") -> str:
    """Start an enrolment for `user`: any enrolment still open for them ends, a new one opens
    and its link is emailed to the staff member's own address (never stored, never logged).
    Returns the link for the caller to show to nobody but tests."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=ENROLMENT_DEVICE, confirmed=False)
        audit_record(
            action="staff.enrolment_link_send",
            obj=user,
            actor=actor,
            actor_label=actor_label,
            after={"device": device.pk, "valid_hours": settings.STAFF_ENROLMENT_VALID_HOURS},
        )
    link = site_url.rstrip("/") + reverse("accounts:enrol", args=[_token(device)])
    with translation.override(user.language or settings.LANGUAGE_CODE):
        send_mail(
            _("Set up your sign-in code for the staff site"),
            _(
                "Open this link to set up the authenticator app that gives your sign-in codes. "
                "It works once and for %(hours)d hours; you will be asked for your password "
                "first.\n\n%(link)s\n\nIf you did not expect this message, tell your "
                "administrator."
            )
            % {"link": link, "hours": settings.STAFF_ENROLMENT_VALID_HOURS},
            None,
            [user.email],
        )
    return link


def enrolment_device(token: str) -> TOTPDevice:
    """The open enrolment a link names, or EnrolmentRefused."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.STAFF_ENROLMENT_VALID_HOURS * 3600)
    except signing.BadSignature:
        raise EnrolmentRefused from None
    device = (
        TOTPDevice.objects.select_related("user")
        .filter(pk=data.get("d"), user_id=data.get("u"), confirmed=False)
        .first()
    )
    if device is None or not device.user.is_active:
        raise EnrolmentRefused
    return device


def enrolment_secret_new(device: TOTPDevice) -> tuple[str, str]:
    """A new secret for the enrolment (the owner has just given their password), shown."""
    device.key = default_key()
    device.save(update_fields=["key"])
    return enrolment_secret_show(device)


def enrolment_secret_show(device: TOTPDevice) -> tuple[str, str]:
    """The enrolment's secret as the owner sees it: the QR code as SVG markup (made here from
    the otpauth URI, shown inline: no image address) and the secret in base32, in groups of
    four, for typing in by hand."""
    uri = device.config_url
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg") :]  # without the XML declaration
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return svg, " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enrolment_confirm(*, device: TOTPDevice, code: str, ip_address: str | None = None) -> bool:
    """Confirm the enrolment with a code from the app: the device becomes the owner's
    authenticator, and the link is spent. False (nothing changed) for a wrong code."""
    code = code.strip().replace(" ", "")
    if not code.isdigit() or not device.verify_token(code):
        return False
    with transaction.atomic():
        device.confirmed = True
        device.name = ENROLLED_DEVICE
        device.save(update_fields=["confirmed", "name"])
        audit_record(
            action="staff.totp_enrol",
            obj=device.user,
            actor=device.user,
            after={"device": device.pk},
            ip_address=ip_address,
        )
    return True
