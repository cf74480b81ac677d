"""An operator reads a notice template's preview in the browser, in the staff member's own
language: the sample amounts and dates are written as the template's readers will read them
(50,000원 and 2026년 1월 15일 on a Korean template, ₩50,000 and 15 January 2026 on an English
one), never "KRW". Zero axe violations.

With E2E_SHOTS=<folder>, each page is also saved as <folder>/preview-<language>.png."""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from notifications.models import NoticeTemplate
from tests.e2e.flows import staff_signed_in
from tests.support import notice_templates_seed

pytestmark = pytest.mark.django_db(transaction=True)

WRITTEN = {
    "ko": ("50,000원", "2026년 1월 15일", "2026년 4월 15일"),
    "en": ("₩50,000", "15 January 2026", "15 April 2026"),
    "zh-hans": ("₩50,000", "2026年1月15日", "2026年4月15日"),
}


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_an_operator_previews_the_vouchers_ready_notice_as_its_readers_will_read_it(
    language, browser, live_server, check_a11y
):
    staff = template = language  # a Korean operator edits the Korean template
    if not NoticeTemplate.objects.exists():  # a transactional test's flush emptied them
        notice_templates_seed()
    notice = NoticeTemplate.objects.get(kind="vouchers_ready", channel="email", language=template)
    context, page = staff_signed_in(
        browser, live_server.url, role="Program operator", language=staff
    )
    page.goto(
        live_server.url + reverse("admin:notifications_noticetemplate_change", args=[notice.pk])
    )
    preview = page.locator(".notice-preview").inner_text()
    for text in WRITTEN[template]:
        assert text in preview
    assert "KRW" not in preview
    check_a11y(page)
    shots = os.environ.get("E2E_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/preview-{language}.png", full_page=True)
    context.close()
