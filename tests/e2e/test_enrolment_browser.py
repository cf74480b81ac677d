"""A new staff member enrols their own authenticator in a browser, in each language: the
link's password step, the QR code and key, a wrong code, the confirmation, then a real
sign-in to the admin with the new code. Every page has zero axe violations.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/enrol-<page>-<language>.png."""

import os
import re
from pathlib import Path

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.enrolment import enrolment_link_send
from tests.e2e.flows import language_cookie
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"
HEADINGS = {"ko": "인증 앱 설정", "en": "Set up your authenticator", "zh-hans": "设置身份验证器"}


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return str(totp(device.bin_key, device.step, device.t0, device.digits)).zfill(device.digits)


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_a_staff_member_enrols_and_signs_in_with_the_new_code(
    browser, live_server, check_a11y, language
):
    shots = os.environ.get("E2E_SHOTS")

    def check(page, name: str) -> None:
        check_a11y(page)
        assert HEADINGS[language] in page.content()
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/enrol-{name}-{language}.png", full_page=True)

    user = UserFactory.create(email=f"new.{language}@example.com", language=language)
    link = enrolment_link_send(user=user, actor=None, actor_label="test", site_url="")
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    language_cookie(context, live_server.url, language)
    page = context.new_page()
    page.goto(live_server.url + link)
    check(page, "password")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_selector(".enrol-qr svg")
    check(page, "secret")
    device = TOTPDevice.objects.get(user=user)
    page.fill("#id_code", f"{(int(_code(device)) + 1) % 1_000_000:06d}")
    page.locator("input[type=submit]").click()
    page.wait_for_selector(".errornote")
    check(page, "wrong-code")
    page.fill("#id_code", _code(device))
    page.locator("input[type=submit]").click()
    page.wait_for_selector("a[href$='/admin/login/']")
    check(page, "done")

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    # The code just used may not be used again (django-otp): wait for the next one.
    used = _code(device)
    while _code(device) == used:
        page.wait_for_timeout(500)
    page.fill("#id_otp_token", _code(device))
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))  # signed in: the admin's index
    context.close()
