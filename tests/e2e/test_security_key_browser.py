"""A staff member registers a security key and signs in with it, in a real browser with a
virtual authenticator (Chromium's DevTools WebAuthn domain), in each language: the keys
page, the registration, then a new sign-in with the password, no code, and the key. Every
page has zero axe violations.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/key-<page>-<language>.png."""

import os
import re
from pathlib import Path

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import User
from accounts.roles import PROGRAM_OPERATOR
from audit.models import AuditEvent
from tests.e2e.flows import staff_signed_in

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"
HEADINGS = {
    "keys": {"ko": "내 보안 키", "en": "Your security keys", "zh-hans": "您的安全密钥"},
    "touch": {
        "ko": "보안 키를 터치하세요",
        "en": "Touch your security key",
        "zh-hans": "请触摸您的安全密钥",
    },
}


def _virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_a_staff_member_registers_a_key_and_signs_in_with_it(
    browser, live_server, check_a11y, settings, language
):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    shots = os.environ.get("E2E_SHOTS")

    def check(page, name: str, heading: str) -> None:
        check_a11y(page)
        assert HEADINGS[heading][language] in page.content()
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/key-{name}-{language}.png", full_page=True)

    email = f"keys.{language}@example.com"
    context, page = staff_signed_in(
        browser, live_server.url, role=PROGRAM_OPERATOR, language=language, email=email
    )
    User.objects.filter(email=email).update(language=language)
    _virtual_authenticator(page)
    page.goto(f"{live_server.url}/staff/security-keys/")
    page.wait_for_selector("#passkey-register-button")
    check(page, "none", "keys")
    page.locator("#passkey-register-button").click()
    page.wait_for_selector(".security-keys tbody tr")
    check(page, "registered", "keys")
    key = WebAuthnCredential.objects.get(user__email=email)
    assert key.confirmed
    assert key.name == "Security key"
    assert AuditEvent.objects.filter(
        action="staff.security_key_register", actor_label=f"user:{key.user_id}"
    ).exists()
    assert AuditEvent.objects.filter(
        action="trail.django_otp_webauthn_webauthncredential.insert",
        actor_label=f"user:{key.user_id}",
    ).exists()

    # Signed out (the same browser keeps its authenticator; no language cookie: the key step
    # speaks the staff member's language); in again with the key.
    context.clear_cookies()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/sign-in/key/"))
    page.wait_for_selector("#passkey-verification-button")
    check(page, "touch", "touch")
    page.locator("#passkey-verification-button").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    key.refresh_from_db()
    assert key.last_used_at is not None
    context.close()
