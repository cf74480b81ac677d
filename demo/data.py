"""The demo program: a Coupang-like breach with four scoped vouchers per person."""

import csv
import datetime as dt
import random
from calendar import monthrange
from pathlib import Path

from compensation.services.population_rows import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

KST = dt.timezone(dt.timedelta(hours=9))

INCIDENT = {
    "title": "Unauthorized access to customer accounts (demo)",
    "summary": (
        "A former employee's signing key was used to read the names, email addresses, phone "
        "numbers, delivery addresses and some order histories of customer accounts. Payment "
        "data and passwords were not exposed."
    ),
    "summary_i18n": {
        "ko": (
            "퇴사한 직원의 서명 키가 사용되어 고객 계정의 이름, 이메일 주소, 전화번호, 배송지 "
            "주소와 일부 주문 내역이 조회되었습니다. 결제 정보와 비밀번호는 노출되지 않았습니다."
        ),
        "zh-hans": (
            "一名前员工的签名密钥被用于读取客户账户的姓名、电子邮件地址、电话号码、收货地址和部分"
            "订单记录。支付信息和密码没有泄露。"
        ),
    },
    "systems_involved": "Account API; order history service",
    "data_categories": ["name", "email", "phone", "address", "order_history"],
    "estimated_affected": 3000,
    "severity": 3,
    "severity_reasoning": "Contact and address data at scale enables targeted phishing; no "
    "payment or credential data.",
    "jurisdictions": ["KR"],
}

PROGRAM = {
    "slug": "demo-account-breach-2025",
    "name": "Account breach compensation (demo)",
    "name_i18n": {"ko": "계정 유출 보상 (데모)", "zh-hans": "账户泄露补偿（演示）"},
    "currency": "KRW",
    "budget_minor": 3000 * 50_000 + 50_000_000,
    "claim_pool_minor": 50_000_000,
    "status": "open",
}


def _at(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=KST)


def _months_later(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day (Nov 30 + 3 months: Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def incident_dates(today: dt.date) -> dict:
    """The incident happened a few weeks before the day the demo is seeded."""
    return {
        "detected_at": _at(today - dt.timedelta(weeks=6), 9),
        "disclosed_at": _at(today - dt.timedelta(weeks=5), 18),
    }


def program_dates(today: dt.date) -> dict:
    """Windows relative to the day the demo is seeded, so the demo is alive whenever it is
    made: claims open since four weeks ago (the seeded queue is backdated up to a few weeks)
    for eighteen months, vouchers valid from three days ago for three months."""
    valid_from = today - dt.timedelta(days=3)
    return {
        "claim_opens_at": _at(today - dt.timedelta(weeks=4)),
        "claim_closes_at": _at(_months_later(today, 18), 23, 59),
        "voucher_valid_from": _at(valid_from),
        "voucher_valid_until": _at(_months_later(valid_from, 3), 23, 59),
    }


AWARD_LINES = [
    {"code": "store", "service_scope": "store", "amount_minor": 5_000, "position": 1},
    {"code": "eats", "service_scope": "eats", "amount_minor": 5_000, "position": 2},
    {"code": "travel", "service_scope": "travel", "amount_minor": 20_000, "position": 3},
    {"code": "rlux", "service_scope": "rlux", "amount_minor": 20_000, "position": 4},
]

CLAIM_TYPES = [
    {
        "code": "documented-loss",
        "calculation": "documented",
        "title": {
            "en": "Documented out-of-pocket loss",
            "ko": "증빙된 실손 피해",
            "zh-hans": "有凭证的实际损失",
        },
        "instructions": {
            "en": "Upload a receipt or bank statement for each cost caused by the breach.",
            "ko": "유출로 인해 발생한 각 비용의 영수증 또는 은행 거래내역을 올려 주세요.",
            "zh-hans": "请上传因泄露产生的每笔费用的收据或银行流水。",
        },
        "required_documents": ["receipt"],
        "cap_per_claim_minor": 500_000,
    },
    {
        "code": "time-spent",
        "calculation": "time_spent",
        "title": {
            "en": "Time spent dealing with the breach",
            "ko": "피해 대응에 쓴 시간",
            "zh-hans": "处理泄露事件所花的时间",
        },
        "instructions": {
            "en": "Tell us how many hours you spent. Up to 3 hours without documents, up to 10 "
            "with them.",
            "ko": "대응에 쓴 시간을 알려 주세요. 증빙 없이 3시간, 증빙이 있으면 10시간까지 "
            "인정됩니다.",
            "zh-hans": "请告诉我们您花了多少小时。无凭证最多3小时，有凭证最多10小时。",
        },
        "required_documents": [],
        "hourly_rate_minor": 15_000,
        "max_hours_documented": 10,
        "max_hours_undocumented": 3,
        "cap_per_claim_minor": 150_000,
    },
    {
        "code": "good-faith-purchase",
        "calculation": "purchase_refund",
        "title": {
            "en": "Good-faith purchase of a frozen voucher or card",
            "ko": "동결된 상품권·카드의 선의 구매",
            "zh-hans": "善意购买被冻结的券或卡",
        },
        "instructions": {
            "en": "If you bought a voucher or card that was later frozen, upload proof of "
            "purchase showing the price you paid.",
            "ko": "구매 후 동결된 상품권이나 카드가 있다면, 지불한 금액이 보이는 구매 증빙을 "
            "올려 주세요.",
            "zh-hans": "如果您购买的券或卡后来被冻结，请上传显示所付价格的购买凭证。",
        },
        "required_documents": ["proof_of_purchase"],
        "requires_affected_record": False,
        "cap_per_claim_minor": 300_000,
    },
]

POLICY_RULES = {
    "eligibility": {"account_statuses": ["active", "dormant"]},
    "proactive": {"award_lines": ["store", "eats", "travel", "rlux"]},
    "limits": {"per_person_minor": 500_000, "offset_proactive": False},
}
POLICY_NOTES = "Every active or dormant affected account gets the four vouchers (50,000 KRW)."

_SURNAMES = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim"]
_REGIONS = ["seoul", "busan", "incheon", "daegu", "gwangju", "daejeon", "overseas"]
_SEGMENTS = ["member", "wow", "seller"]
_CATEGORIES = ["name;email;phone", "name;email;phone;address", "name;email;address;order_history"]


def population_csv_write(path: Path, people: int, seed: int = 7) -> Path:
    """A population file in the import format (with a couple of bad rows to report back)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS])
        for i in range(1, people + 1):
            writer.writerow(
                [
                    f"CU{i:08d}",
                    f"{rng.choice(_SURNAMES)} {i}",
                    f"customer{i}@example.com",
                    f"010-{rng.randrange(1000, 9999)}-{i % 10000:04d}",
                    rng.choices(["ko", "en", "zh-hans"], weights=[85, 10, 5])[0],
                    rng.choice(_REGIONS),
                    rng.choice(_SEGMENTS),
                    rng.choice(_CATEGORIES),
                    rng.choices(["active", "dormant", "closed"], weights=[90, 8, 2])[0],
                ]
            )
        writer.writerow(
            ["CU-BAD 1", "Bad Row", "not-an-email", "", "ko", "seoul", "member", "email", "active"]
        )
        writer.writerow(
            [
                "CU99999999",
                "Bad Lang",
                "x@example.com",
                "",
                "fr",
                "seoul",
                "member",
                "email",
                "active",
            ]
        )
    return path
