"""The demo's people and how they sign in: five staff (password and one-time backup codes;
each also has an authenticator device) and a claimant (an affected person with vouchers and an
approved claim to be paid by bank transfer, signed in by an emailed code)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import (
    OUTSIDE_EXPERT,
    PAYMENTS_OFFICER,
    PROGRAM_OPERATOR,
    SENIOR_REVIEWER,
    SUPPORT_AGENT,
)
from compensation.models import AffectedPerson, Program
from payouts.methods import Method
from payouts.models import PayoutInstruction
from vouchers.models import Voucher

STAFF = [
    ("operator@demo.local", PROGRAM_OPERATOR),
    # Releases the payout batches the operator builds (four eyes: never the builder).
    ("payments@demo.local", PAYMENTS_OFFICER),
    ("reviewer@demo.local", SENIOR_REVIEWER),
    ("agent@demo.local", SUPPORT_AGENT),
    ("expert@demo.local", OUTSIDE_EXPERT),
]
BACKUP_CODES = 5


def staff_ensure() -> dict[str, User]:
    """The demo staff exist, each with an authenticator device and five unused backup codes
    (used ones are replaced). Returns them by role."""
    password = demo_password()
    staff = {}
    for email, role in STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, password, is_staff=True, full_name=role)
            user.groups.add(Group.objects.get(name=role))
            TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        static, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes")
        while static.token_set.count() < BACKUP_CODES:
            static.token_set.create(token=StaticToken.random_token())
        staff[role] = user
    return staff


def demo_password() -> str:
    """One random password for the demo staff, made once per checkout in .local/secrets/."""
    path = settings.BASE_DIR / ".local" / "secrets" / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("demo-" + secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_claimant(program: Program) -> AffectedPerson | None:
    """The first affected person with a usable voucher and an approved claim paid by bank
    transfer (or else a claim, or else at least a voucher)."""
    with_vouchers = AffectedPerson.objects.filter(
        program=program, vouchers__state=Voucher.State.ISSUED
    ).exclude(email="")
    by_transfer = PayoutInstruction.objects.filter(
        program=program, method=Method.BANK_TRANSFER
    ).values("claim_reference")
    return (
        with_vouchers.filter(claims__status="approved", claims__reference__in=by_transfer)
        .order_by("id")
        .first()
        or with_vouchers.filter(claims__isnull=False).order_by("id").first()
        or with_vouchers.order_by("id").first()
    )


def signin_lines(program: Program | None, *, site: str) -> list[str]:
    """The sign-in block `make run` prints last. Staff backup codes are printed (this is a
    local demo with a password made for this checkout); a claimant's code never is: it is
    emailed, and in development that email is a file in .local/mail/."""
    staff = staff_ensure()
    password = demo_password()
    lines = [
        f"Staff sign in at {site}{reverse('admin:index')} with email and password, then one "
        "of the one-time backup codes:"
    ]
    for email, role in STAFF:
        tokens = StaticToken.objects.filter(
            device__user=staff[role], device__name="Backup codes"
        ).values_list("token", flat=True)[:BACKUP_CODES]
        lines.append(f"  {role}: {email} / {password}  backup codes: {', '.join(tokens)}")
    lines.append(
        f"  Payouts: the {PROGRAM_OPERATOR.lower()} builds a batch at "
        f"{site}{reverse('admin:payouts_payoutbatch_build')}; the "
        f"{PAYMENTS_OFFICER.lower()} releases it from the batch's page."
    )
    person = demo_claimant(program) if program else None
    if program is not None:
        lines += [
            "",
            f"A claimant signs in at {site}{reverse('claims:signin', args=[program.slug])}",
            f"  with the email of an affected person, e.g. {person.email}"
            if person
            else "  with the email of an affected person (customer1@example.com ...)",
            "  The sign-in code is emailed: in development each email is a file in .local/mail/",
            "  (the newest one; `make run` prints a 'mail:' line naming it when it arrives).",
            f"  Then their own page: {site}{reverse('claims:me')} (vouchers, claims, notices);"
            f" the vouchers alone: {site}{reverse('vouchers:wallet')}",
        ]
    return lines
