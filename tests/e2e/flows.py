"""Steps the browser tests share: a claimant signing in with an emailed code and filing."""

import re

from django.core import mail


def language_cookie(context, base_url: str, language: str) -> None:
    context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])


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
