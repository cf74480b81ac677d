"""The banks a bank transfer can go to, per currency, with each bank's account number format.

Codes are the clearing codes the banks' bulk-transfer files use (Korea: the three-digit KFTC
codes; China: the CNAPS bank codes' first three digits). Names are shown in the claimant's
language. Account numbers are validated by length, digits only, after removing spaces and
hyphens (what people type from a bankbook)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _

from payouts.errors import PayoutError


@dataclass(frozen=True)
class Bank:
    code: str
    names: dict[str, str]  # language -> name
    lengths: tuple[int, ...]  # allowed account number lengths (digits)

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


def _kr(code: str, ko: str, en: str, zh: str, *lengths: int) -> Bank:
    return Bank(code, {"ko": ko, "en": en, "zh-hans": zh}, lengths or (10, 11, 12, 13, 14))


BANKS: dict[str, tuple[Bank, ...]] = {
    "KRW": (
        _kr("004", "KB국민은행", "KB Kookmin Bank", "KB国民银行", 12, 14),
        _kr("088", "신한은행", "Shinhan Bank", "新韩银行", 11, 12),
        _kr("020", "우리은행", "Woori Bank", "友利银行", 13),
        _kr("081", "하나은행", "Hana Bank", "韩亚银行", 14),
        _kr("011", "NH농협은행", "NH NongHyup Bank", "NH农协银行", 11, 13),
        _kr("003", "IBK기업은행", "IBK Industrial Bank", "IBK企业银行", 10, 12, 14),
        _kr("090", "카카오뱅크", "KakaoBank", "Kakao银行", 13),
        _kr("092", "토스뱅크", "Toss Bank", "Toss银行", 12),
        _kr("089", "케이뱅크", "K Bank", "K银行", 12),
        _kr("023", "SC제일은행", "SC First Bank", "渣打第一银行", 11),
        _kr("032", "부산은행", "Busan Bank", "釜山银行", 12, 13),
        _kr("071", "우체국", "Korea Post", "韩国邮政", 14),
    ),
    "CNY": (
        Bank("102", {"ko": "중국공상은행", "en": "ICBC", "zh-hans": "中国工商银行"}, (16, 17, 19)),
        Bank(
            "105",
            {"ko": "중국건설은행", "en": "China Construction Bank", "zh-hans": "中国建设银行"},
            (16, 19),
        ),
        Bank("104", {"ko": "중국은행", "en": "Bank of China", "zh-hans": "中国银行"}, (16, 19)),
        Bank(
            "103",
            {"ko": "중국농업은행", "en": "Agricultural Bank of China", "zh-hans": "中国农业银行"},
            (16, 19),
        ),
        Bank("308", {"ko": "초상은행", "en": "China Merchants Bank", "zh-hans": "招商银行"}, (16,)),
        Bank(
            "403",
            {
                "ko": "중국우정저축은행",
                "en": "Postal Savings Bank of China",
                "zh-hans": "中国邮政储蓄银行",
            },
            (18, 19),
        ),
    ),
}

_SEPARATORS = re.compile(r"[\s\-]")


def banks_for(currency: str) -> tuple[Bank, ...]:
    return BANKS.get(currency, ())


def bank_get(currency: str, code: str) -> Bank | None:
    return next((bank for bank in banks_for(currency) if bank.code == code), None)


def account_number_clean(currency: str, bank_code: str, raw: str) -> str:
    """The account number as the bank file carries it (digits only), or PayoutError naming
    what is wrong: an unknown bank, a character that is not a digit, or a wrong length."""
    bank = bank_get(currency, bank_code)
    if bank is None:
        raise PayoutError(_("Choose your bank from the list."), code="unknown_bank")
    number = _SEPARATORS.sub("", raw or "")
    if not number:
        raise PayoutError(_("Enter your account number."), code="account_missing")
    if not (number.isascii() and number.isdigit()):
        raise PayoutError(
            _("An account number has digits only (spaces and hyphens are fine)."),
            code="account_not_digits",
        )
    if len(number) not in bank.lengths:
        allowed = get_text_list([str(n) for n in bank.lengths], _("or"))
        raise PayoutError(
            _("An account number at this bank has %(lengths)s digits; this one has %(n)s.")
            % {"lengths": allowed, "n": len(number)},
            code="account_length",
        )
    return number
