import pytest
from django.core.cache import cache

from compensation.models import ClaimType
from instruments.models import PurchaseRoute
from payouts.methods import Method
from tests.factories import ClaimTypeFactory, ProgramFactory, published_policy
from tests.instruments.factories import frozen_cards
from tests.payouts.sending_support import offer


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    """Own media folder, fresh throttle counters, and no broker: notices are recorded in the
    outbox (the database), the dispatch hint is dropped."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    yield
    cache.clear()


@pytest.fixture
def banu(settings):
    """A Banu-like program: 1,000 frozen cards, a good-faith claim type paid as credit."""
    settings.PAYOUTS_SEND_RETRY_BASE_SECONDS = 0
    program = ProgramFactory.create(name="Banu stored-value cards", currency="CNY")
    published_policy(program)
    offer(program, Method.ACCOUNT_CREDIT)
    claim_type = ClaimTypeFactory.create(
        program=program,
        code="good-faith-card",
        calculation=ClaimType.Calculation.PURCHASE_REFUND,
        required_documents=["proof_of_purchase"],
        requires_affected_record=False,
        cap_per_claim_minor=100_000,
        title={
            "en": "I bought a frozen card",
            "ko": "동결된 카드 구매",
            "zh-hans": "我买了被冻结的卡",
        },
    )
    PurchaseRoute.objects.create(claim_type=claim_type, kind="card")
    frozen_cards(program, 1000)
    return program, claim_type
