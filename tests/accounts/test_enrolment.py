"""Staff enrol their own authenticator (issue 16): an administrator sends a one-time link and
can revoke a device, but never sees a secret; the owner proves their password, scans the QR
code and confirms it with a first code; the link then works no more."""

import base64
import io
import re
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unguessable passphrase"


def _code(device: TOTPDevice) -> str:
    """What the owner's app shows now."""
    device.refresh_from_db()
    return str(totp(device.bin_key, device.step, device.t0, device.digits)).zfill(device.digits)


def _new_staff():
    user = UserFactory.create(is_staff=True, email="new.agent@example.com")
    user.set_password(PASSWORD)
    user.save()
    return user


def _link_sent(staff_client, user) -> tuple[object, str]:
    admin_client = staff_client(is_superuser=True)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_enrolment_link", "_selected_action": [user.pk]},
        follow=True,
    )
    assert "An enrolment link was emailed to 1 staff member." in response.text
    message = [m for m in mail.outbox if m.to == [user.email]][-1]
    link = re.search(r"/staff/enrol/[^/\s]+/", str(message.body))
    assert link is not None
    return admin_client, link.group(0).lstrip("/")


def test_a_new_staff_member_enrols_their_own_authenticator_and_the_link_is_spent(
    client, staff_client
):
    user = _new_staff()
    _admin, path = _link_sent(staff_client, user)
    url = "/" + path
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    client.logout()

    assert 'name="password"' in client.get(url).text
    wrong = client.post(url, {"step": "password", "password": "not it"})
    assert "That password is not right." in wrong.text
    assert "enrol-qr" not in wrong.text

    shown = client.post(url, {"step": "password", "password": PASSWORD})
    assert '<div class="enrol-qr"' in shown.text  # the QR code, inline
    assert "<svg" in shown.text.split('class="enrol-qr"', 1)[1]
    device.refresh_from_db()
    secret = re.search(r'<code class="enrol-secret">([A-Z2-7 ]+)</code>', shown.text)
    assert secret is not None
    typed = secret.group(1).replace(" ", "")
    assert base64.b32decode(typed + "=" * (-len(typed) % 8)) == device.bin_key

    wrong_code = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    refused = client.post(url, {"step": "code", "code": wrong_code})
    assert "That code is not right." in refused.text
    device.refresh_from_db()
    assert not device.confirmed

    done = client.post(url, {"step": "code", "code": _code(device)})
    assert "Your authenticator is set up." in done.text
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="staff.totp_enrol", object_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(action="staff.enrolment_link_send").exists()

    # Spent: the link shows nothing more, to anyone.
    again = client.get(url)
    assert again.status_code == 404
    assert "This link no longer works" in again.text
    assert client.post(url, {"step": "password", "password": PASSWORD}).status_code == 404


def test_the_code_step_needs_the_password_step_first(client, staff_client):
    user = _new_staff()
    _admin, path = _link_sent(staff_client, user)
    client.logout()
    device = TOTPDevice.objects.get(user=user)
    answer = client.post("/" + path, {"step": "code", "code": _code(device)})
    assert 'name="password"' in answer.text  # asked for the password, nothing confirmed
    device.refresh_from_db()
    assert not device.confirmed


def test_a_newer_link_or_an_expired_one_ends_the_old_one(client, staff_client, settings):
    user = _new_staff()
    _admin, first = _link_sent(staff_client, user)
    _admin, second = _link_sent(staff_client, user)
    client.logout()
    assert client.get("/" + first).status_code == 404
    assert client.get("/" + second).status_code == 200
    settings.STAFF_ENROLMENT_VALID_HOURS = 0
    time.sleep(1.1)
    assert client.get("/" + second).status_code == 404
    assert client.get("/staff/enrol/not-a-token/").status_code == 404


def test_an_administrator_revokes_a_device_but_never_reads_its_secret(staff_client):
    user = _new_staff()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    admin_client = staff_client(is_superuser=True)
    page = admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).text
    assert device.key not in page
    assert "qrcode" not in page.lower()
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    listing = admin_client.get(reverse("admin:otp_totp_totpdevice_changelist")).text
    assert device.key not in listing
    deleted = admin_client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_first_administrator_gets_a_link_from_the_command_which_prints_no_link():
    user = _new_staff()
    out = io.StringIO()
    call_command("staff_enrolment_link", user.email, stdout=out)
    assert out.getvalue().strip() == f"An enrolment link was emailed to {user.email}."
    (message,) = mail.outbox
    assert "/staff/enrol/" in message.body
    assert "/staff/enrol/" not in out.getvalue()
    event = AuditEvent.objects.get(action="staff.enrolment_link_send")
    assert event.actor_label == "manage.py staff_enrolment_link"
    with pytest.raises(CommandError, match="No active staff member"):
        call_command("staff_enrolment_link", "nobody@example.com")
