"""Staff security keys (accounts/security_keys.py): who may register one, the sign-in's key
step after a right password only, an administrator who revokes but cannot read, and the
trail. The browser test (tests/e2e/test_security_key_browser.py) registers and signs in
with a real (virtual) key."""

import json
import os

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.roles import PROGRAM_OPERATOR
from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
TRAIL = "trail.django_otp_webauthn_webauthncredential"


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost:8000"]


def _key(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="Security key",
        confirmed=True,
        credential_id=os.urandom(32),
        public_key=os.urandom(77),
        sign_count=0,
    )


def _sign_in(client, email: str, password: str = PASSWORD, code: str = ""):
    return client.post(
        reverse("admin:login"), {"username": email, "password": password, "otp_token": code}
    )


def test_a_right_password_with_no_code_leads_a_key_holder_to_the_key_step_not_in(client):
    user = UserFactory.create(email="keyholder@example.com", role=PROGRAM_OPERATOR)
    _key(user)

    response = _sign_in(client, user.email)

    assert response.status_code == 302
    assert response.url == reverse("accounts:security_key_sign_in")
    assert "_auth_user_id" not in client.session  # not signed in: the key is still asked for
    assert client.get(reverse("admin:index")).status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200
    assert b"passkey-verification-button" in page.content


def test_a_wrong_password_or_no_key_gets_the_one_refusal_and_no_key_step(client):
    holder = UserFactory.create(email="keyholder@example.com", role=PROGRAM_OPERATOR)
    _key(holder)
    UserFactory.create(email="nokey@example.com", role=PROGRAM_OPERATOR)

    wrong = _sign_in(client, holder.email, password="wrong guess")
    no_key = _sign_in(client, "nokey@example.com")

    for response in (wrong, no_key):
        assert response.status_code == 200
        assert "All three are checked together" in response.text
    assert client.get(reverse("accounts:security_key_sign_in")).status_code == 302
    begin = client.post(reverse("accounts:security_key_sign_in_begin"))
    assert begin.status_code >= 400  # no password proven: no challenge, never a key alone
    assert "otp_webauthn_authentication_state" not in client.session


def test_a_code_still_works_for_a_key_holder(client):
    user = UserFactory.create(email="both@example.com", role=PROGRAM_OPERATOR)
    _key(user)
    device = StaticDevice.objects.create(user=user, name="backup")
    device.token_set.create(token="abcd1234")

    response = _sign_in(client, user.email, code="abcd1234")

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_registering_a_key_needs_both_factors_in_this_session(client, staff_client):
    user = UserFactory.create(email="half@example.com", role=PROGRAM_OPERATOR)
    client.force_login(user)  # password only
    page = client.get(reverse("accounts:security_keys"))
    begin = client.post(reverse("accounts:security_key_register_begin"))

    assert page.status_code == 302
    assert page.url.startswith(reverse("admin:login"))
    assert begin.status_code == 403
    assert "otp_webauthn_register_state" not in client.session

    verified = staff_client(role=PROGRAM_OPERATOR)
    assert verified.get(reverse("accounts:security_keys")).status_code == 200
    options = verified.post(reverse("accounts:security_key_register_begin"))
    assert options.status_code == 200
    assert options.json()["rp"]["name"]


def test_an_administrator_revokes_a_key_but_cannot_add_change_or_read_it(staff_client):
    owner = UserFactory.create(email="owner@example.com", role=PROGRAM_OPERATOR)
    key = _key(owner)
    admin_client = staff_client(is_superuser=True)

    change = admin_client.get(
        reverse("admin:django_otp_webauthn_webauthncredential_change", args=[key.pk])
    )
    listing = admin_client.get(reverse("admin:django_otp_webauthn_webauthncredential_changelist"))
    for page in (change, listing):
        assert page.status_code == 200
        for secretish in (key.public_key.hex(), key.credential_id_sha256):
            assert secretish not in page.text
        assert "public key" not in page.text.lower()
    assert (
        admin_client.get(reverse("admin:django_otp_webauthn_webauthncredential_add")).status_code
        == 403
    )
    edited = admin_client.post(
        reverse("admin:django_otp_webauthn_webauthncredential_change", args=[key.pk]),
        {"user": admin_client.user.pk, "name": "mine now", "confirmed": "on"},
    )
    key.refresh_from_db()
    assert edited.status_code == 403
    assert key.user_id == owner.pk
    assert key.name == "Security key"

    revoked = admin_client.post(
        reverse("admin:django_otp_webauthn_webauthncredential_delete", args=[key.pk]),
        {"post": "yes"},
    )

    assert revoked.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()
    row = AuditEvent.objects.get(action=f"{TRAIL}.delete", object_id=str(key.pk))
    assert row.actor_label == f"user:{admin_client.user.pk}"
    assert row.before is not None
    assert row.before["values"] == {"user_id": owner.pk, "confirmed": True, "name": "Security key"}


def test_a_key_made_in_the_shell_is_trailed_without_its_public_key_and_use_writes_no_row():
    owner = UserFactory.create(email="owner@example.com", role=PROGRAM_OPERATOR)
    key = _key(owner)

    made = AuditEvent.objects.get(action=f"{TRAIL}.insert", object_id=str(key.pk))
    assert made.after is not None
    assert made.after["values"] == {"user_id": owner.pk, "confirmed": True, "name": "Security key"}
    assert made.actor_label.startswith("db:")
    assert key.public_key.hex() not in str(made.after)

    before = AuditEvent.objects.count()
    WebAuthnCredential.objects.filter(pk=key.pk).update(sign_count=5)  # a sign-in's counter
    assert AuditEvent.objects.count() == before
    WebAuthnCredential.objects.filter(pk=key.pk).update(confirmed=False)  # a control
    assert AuditEvent.objects.count() == before + 1


def test_the_keys_page_and_its_script_messages_speak_the_staff_members_language(staff_client):
    client = staff_client(role=PROGRAM_OPERATOR, language="ko")
    page = client.get(reverse("accounts:security_keys"), HTTP_ACCEPT_LANGUAGE="en")
    script = client.get(reverse("accounts:security_keys_i18n"), HTTP_ACCEPT_LANGUAGE="en")

    assert "내 보안 키" in page.text
    assert "Your security keys" not in page.text
    # The catalog is JSON with ASCII escapes; the library's own catalog has no Korean.
    assert json.dumps("보안 키 등록")[1:-1] in script.content.decode()


def test_a_locked_out_staff_member_cannot_finish_with_a_key(client, rf, settings):
    from rest_framework.exceptions import PermissionDenied

    from accounts.security_key_views import SecurityKeySignInComplete

    settings.AXES_FAILURE_LIMIT = 3
    holder = UserFactory.create(email="keyholder@example.com", role=PROGRAM_OPERATOR)
    key = _key(holder)
    view = SecurityKeySignInComplete()
    view.request = rf.post("/staff/security-keys/sign-in/complete/", REMOTE_ADDR="127.0.0.1")
    view.check_device_usable(key)  # control: not locked out, the key may finish

    for _ in range(3):
        _sign_in(client, holder.email, password="wrong guess")

    with pytest.raises(PermissionDenied):
        view.check_device_usable(key)
