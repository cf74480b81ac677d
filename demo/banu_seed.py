"""A Banu-like program in the demo: a hotpot chain's stored-value cards recharged through its
hacked system and resold at a discount, 300 of them frozen; buyers in good faith claim the
price they paid and are paid as credit to their member account. Loaded through the services
(instrument import and freeze, policy with a dry run), as an operator would."""

from __future__ import annotations

import datetime as dt
import io

from django.db import transaction
from django.utils import timezone

from compensation.models import ClaimType, DryRun, Incident, Program
from compensation.services.policy import dry_run_execute, policy_draft_create, policy_publish
from instruments.models import InstrumentKind, PurchaseRoute
from instruments.services.freeze import instruments_freeze
from instruments.services.imports import instrument_import_apply
from payouts.methods import Method
from payouts.models import PayoutOffer

ACTOR = "command:demo_seed"
SLUG = "demo-banu-cards"
CARDS = 300


def demo_card_number(n: int) -> str:
    """The demo's n-th frozen card (1..300), as printed: 6288 0000 0000 0001."""
    digits = f"6288{n:012d}"
    return " ".join(digits[i : i + 4] for i in range(0, 16, 4))


def banu_seed() -> Program | None:
    """Create the program once; None when it is already there."""
    if Program.objects.filter(slug=SLUG).exists():
        return None
    now = timezone.now()
    with transaction.atomic():
        incident = Incident.objects.create(
            title="Stored-value cards recharged through a hacked system (demo)",
            summary=(
                "Our card system was hacked and thousands of stored-value cards were recharged "
                "for almost nothing, then sold at a discount on second-hand sites. We froze "
                "them. If you bought one in good faith, we refund what you paid as credit."
            ),
            summary_i18n={
                "ko": (
                    "카드 시스템이 해킹되어 충전식 카드 수천 장이 거의 무료로 충전된 뒤 중고 "
                    "사이트에서 할인 판매되었습니다. 해당 카드는 동결했습니다. 선의로 구매하신 "
                    "분께는 지불하신 금액을 적립금으로 돌려 드립니다."
                ),
                "zh-hans": (
                    "我们的储值卡系统遭到入侵，数千张储值卡几乎零成本被充值，随后在二手网站上打折"
                    "出售。我们已冻结这些卡。如果您是善意购买的，我们将以储值方式退还您支付的金额。"
                ),
            },
            detected_at=now - dt.timedelta(weeks=3),
            disclosed_at=now - dt.timedelta(weeks=2),
            data_categories=[],
            estimated_affected=CARDS,
        )
        program = Program.objects.create(
            incident=incident,
            slug=SLUG,
            name="Frozen stored-value cards (demo)",
            name_i18n={"ko": "동결된 충전식 카드 (데모)", "zh-hans": "被冻结的储值卡（演示）"},
            currency="CNY",
            budget_minor=CARDS * 50_000,
            status=Program.Status.OPEN,
            claim_opens_at=now - dt.timedelta(weeks=2),
            claim_closes_at=now + dt.timedelta(days=365),
        )
        claim_type = ClaimType.objects.create(
            program=program,
            code="good-faith-card",
            calculation=ClaimType.Calculation.PURCHASE_REFUND,
            title={
                "en": "I bought a card that was later frozen",
                "ko": "나중에 동결된 카드를 구매했습니다",
                "zh-hans": "我买到了后来被冻结的储值卡",
            },
            instructions={
                "en": "Enter the card's number and upload proof of the price you paid.",
                "ko": "카드 번호를 입력하고 지불한 금액이 보이는 구매 증빙을 올려 주세요.",
                "zh-hans": "请输入卡号，并上传显示您所付价格的购买凭证。",
            },
            required_documents=["proof_of_purchase"],
            requires_affected_record=False,
            cap_per_claim_minor=50_000,
        )
        PurchaseRoute.objects.create(claim_type=claim_type, kind=InstrumentKind.CARD)
        PayoutOffer.objects.create(program=program, methods=[Method.ACCOUNT_CREDIT])
    compromised = (now - dt.timedelta(weeks=4)).isoformat(timespec="minutes")
    rows = "".join(f"{demo_card_number(n)},{compromised},500.00\n" for n in range(1, CARDS + 1))
    listed = instrument_import_apply(
        program=program,
        kind=InstrumentKind.CARD,
        source=io.BytesIO(f"instrument_number,compromised_at,loaded_value\n{rows}".encode()),
        original_name="banu-frozen-cards.csv",
        actor_label=ACTOR,
    )
    instruments_freeze(
        program=program,
        instrument_import=listed,
        reason="Recharged through the hacked card system; resold on second-hand sites",
        frozen_at=now - dt.timedelta(weeks=3),
        actor=None,
        actor_label=ACTOR,
    )
    policy = policy_draft_create(program=program, rules={}, notes="Demo", actor_label=ACTOR)
    dry_run = DryRun.objects.create(policy=policy, budget_minor=program.budget_minor)
    dry_run_execute(dry_run_id=dry_run.pk)
    policy_publish(policy=policy, actor_label=ACTOR)
    return program
