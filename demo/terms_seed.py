"""The demo program's public terms, in Korean, English and Chinese: the first published
version, with the questions every program answers (compensation/services/terms.py)."""

from __future__ import annotations

from compensation.models import Program, ProgramTerms
from compensation.services.terms import program_terms_seed

ACTOR = "job:demo_seed"

TEXTS: dict[str, dict[str, str]] = {
    "ko": {
        "who_is_covered": (
            "유출된 계정 목록에 있는 활성 계정과 휴면 계정이 대상입니다. 해지된 계정은 제외됩니다."
        ),
        "what_you_get": (
            "대상자에게는 서비스별 1회용 상품권 4장(합계 50,000원)이 별도 신청 없이 지급됩니다."
        ),
        "how_to_use": (
            "내 페이지에서 상품권 코드를 확인하고, 각 서비스에서 결제할 때 코드를 입력하세요. "
            "상품권은 한 번만 쓸 수 있으며 남은 금액은 돌려받을 수 없습니다."
        ),
        "contact_hours": "평일 오전 9시~오후 6시",
        "change_summary": "처음 게시했습니다.",
    },
    "en": {
        "who_is_covered": (
            "Active and dormant accounts on the list of affected accounts are covered. "
            "Closed accounts are excluded."
        ),
        "what_you_get": (
            "Each person covered receives four single-use vouchers, one per service "
            "(50,000 KRW in all), without applying."
        ),
        "how_to_use": (
            "Find the voucher codes on your page and type a code when you pay in the service. "
            "A voucher works once; any unused part is not refunded."
        ),
        "contact_hours": "Weekdays 9:00 to 18:00",
        "change_summary": "First published.",
    },
    "zh-hans": {
        "who_is_covered": "受影响账户名单中的活跃账户和休眠账户均在补偿范围内。已注销的账户除外。",
        "what_you_get": (
            "每位符合条件的人无需申请即可获得四张一次性代金券，每项服务一张（共 50,000 韩元）。"
        ),
        "how_to_use": (
            "在“我的页面”查看代金券代码，在相应服务付款时输入代码。"
            "代金券只能使用一次，未用完的部分不予退还。"
        ),
        "contact_hours": "工作日 9:00 至 18:00",
        "change_summary": "首次发布。",
    },
}


def terms_seed(program: Program) -> ProgramTerms:
    """Publish the demo's first terms version once; later runs change nothing."""
    return program_terms_seed(
        program=program,
        texts=TEXTS,
        actor_label=ACTOR,
        contact_phone="1588-0000",
        accepting_waives_claims=False,
    )
