"""Steps the browser tests share: a claimant signing in with an emailed code and filing; a
staff member signing in to the admin with a password and a backup code."""

import re

from django.core import mail


def queued_codes_send() -> None:
    """Send the sign-in codes the outbox holds, as the priority lane's worker would (the
    browser tests run no worker; a transactional test's flush emptied the templates)."""
    from notifications.models import NoticeTemplate
    from notifications.services import notices_dispatch
    from tests.support import notice_templates_seed

    if not NoticeTemplate.objects.filter(kind="signin_code").exists():
        notice_templates_seed()
    for channel in ("email", "sms"):
        notices_dispatch(channel=channel, priority_lane=True)


def language_cookie(context, base_url: str, language: str) -> None:
    context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])


def staff_signed_in(browser, base_url: str, *, role: str, language: str = "", **user_fields):
    """A new staff member of `role`, signed in to the admin with both factors (a backup
    code); (browser context, page) on the admin's index."""
    from django_otp.plugins.otp_static.models import StaticDevice

    from tests.factories import UserFactory

    user = UserFactory.create(role=role, **user_fields)
    device = StaticDevice.objects.create(user=user, name="backup")
    device.token_set.create(token="k7m2q9x4")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if language:
        language_cookie(context, base_url, language)
    page = context.new_page()
    page.goto(f"{base_url}/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", "correct horse battery")
    page.fill("#id_otp_token", "k7m2q9x4")
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return context, page


def sign_in(page, base_url: str, program, email: str, check=None) -> None:
    """From the program page: start a claim, get a code by email, type it in."""
    page.goto(f"{base_url}/programs/{program.slug}/")
    if check:
        check(page)
    page.locator("main a.button").first.click()  # Start a claim
    page.wait_for_url(re.compile(r"/sign-in/"))
    if check:
        check(page)
    page.fill("#id_email", email)
    sent = len(mail.outbox)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/sign-in/code/"))
    if check:
        check(page)
    queued_codes_send()
    assert len(mail.outbox) == sent + 1
    found = re.search(r"\b(\d{6,8})\b", str(mail.outbox[-1].body))
    assert found is not None
    code = found.group(1)
    page.fill("#id_code", code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/claim/$"))
    if check:
        check(page)


def file_documented(page, amount: str, receipt, check=None) -> str:
    """From the choice of claims: the documented route, amount and receipt, summary, send.
    Returns the claim reference shown on the acknowledgement."""
    page.locator("a[href$='/claim/documented-loss/']").click()
    page.wait_for_url(re.compile(r"/claim/documented-loss/$"))
    if check:
        check(page)
    page.fill("#id_amount", amount)
    page.set_input_files("#id_doc_receipt", str(receipt))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/review/"))
    if check:
        check(page)
    # A double click on the submit button still files one claim.
    page.locator("#submit-claim").dblclick()
    page.wait_for_url(re.compile(r"/claims/C-"))
    if check:
        check(page)
    return page.locator("#claim-reference").inner_text().strip()
