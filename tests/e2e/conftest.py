"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server,
with axe on every claimant page. Skipped (not failed) where no Chromium is installed."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache

from compensation.models import ClaimType
from demo.documents import PDF
from tests.factories import (
    AwardLineFactory,
    ClaimTypeFactory,
    ProgramFactory,
    published_policy,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary blocking calls, which Django must be told are fine here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"), reason="no chromium"
)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def check_a11y(axe):
    """Run axe on the page and fail with its report on any violation."""

    def check(page):
        results = axe.run(page)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check


@pytest.fixture(autouse=True)
def _e2e_isolated(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEBUG = False
    # Request threads of the live server must not keep connections open past the test, or
    # the test database cannot be dropped at the end of the run.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    cache.clear()
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    yield
    cache.clear()


@pytest.fixture
def e2e_program(transactional_db):
    # A transactional test starts from flushed tables: put the role groups back.
    from django.apps import apps

    from accounts.roles import roles_sync

    roles_sync(apps)
    program = ProgramFactory.create(
        name="Account breach compensation", slug="account-breach", claim_pool_minor=None
    )
    # Claims above 100,000 KRW are always seen by a person.
    published_policy(program, {"scoring": {"auto_approve_max_minor": 100_000}})
    AwardLineFactory(program=program, code="store", service_scope="store", amount_minor=5_000)
    ClaimTypeFactory(
        program=program,
        code="documented-loss",
        title={"en": "Documented loss", "ko": "증빙된 실손 피해", "zh-hans": "有凭证的实际损失"},
        instructions={
            "en": "Upload a receipt for each cost.",
            "ko": "각 비용의 영수증을 올려 주세요.",
            "zh-hans": "请上传每笔费用的收据。",
        },
    )
    ClaimTypeFactory(
        program=program,
        code="good-faith-purchase",
        calculation=ClaimType.Calculation.PURCHASE_REFUND,
        required_documents=["proof_of_purchase"],
        requires_affected_record=False,
        title={"en": "Good-faith purchase", "ko": "선의 구매", "zh-hans": "善意购买"},
        instructions={
            "en": "Upload proof of purchase.",
            "ko": "구매 증빙을 올려 주세요.",
            "zh-hans": "请上传购买凭证。",
        },
    )
    return program


@pytest.fixture
def receipt(tmp_path):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(PDF + os.urandom(8))
    return path
