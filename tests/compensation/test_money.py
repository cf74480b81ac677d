"""Money as each language writes it: 5,000원 in Korean, ₩5,000 in English and Chinese
(CLDR's standard pattern), the same text from Python (money_format) and from PostgreSQL
(money_sql, for notices built set-based)."""

import pytest
from django.db import connection
from django.utils import translation

from compensation.engine.money import money_format, money_sql

CASES = [
    ("KRW", 0),
    ("KRW", 5_000),
    ("KRW", 1_234_567),
    ("KRW", -5_000),
    ("USD", 5),
    ("USD", 123_456_789),
    ("CNY", 1_250),
    ("JPY", 1_000),
    ("EUR", -99),
]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ko", ["5,000원", "1,234,567원", "US$12.50", "CN¥12.50", "-5,000원"]),
        ("en", ["₩5,000", "₩1,234,567", "$12.50", "CN¥12.50", "-₩5,000"]),
        ("zh-hans", ["₩5,000", "₩1,234,567", "US$12.50", "¥12.50", "-₩5,000"]),
    ],
)
def test_each_language_writes_money_its_own_way(language, expected):
    amounts = [
        (5_000, "KRW"),
        (1_234_567, "KRW"),
        (1_250, "USD"),
        (1_250, "CNY"),
        (-5_000, "KRW"),
    ]
    assert [money_format(minor, currency, language) for minor, currency in amounts] == expected


def test_money_is_written_in_the_active_language_by_default():
    with translation.override("ko"):
        assert money_format(50_000, "KRW") == "50,000원"
    with translation.override("zh-hans"):
        assert money_format(50_000, "KRW") == "₩50,000"
    with translation.override("en"):
        assert money_format(50_000, "KRW") == "₩50,000"
    # An explicit language wins over the active one.
    with translation.override("en"):
        assert money_format(50_000, "KRW", "ko") == "50,000원"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ko", "en", "zh-hans", "xx"])
def test_postgresql_writes_money_as_python_does(language):
    with connection.cursor() as cursor:
        for currency, amount in CASES:
            cursor.execute(
                f"SELECT {money_sql('t.amount', currency, 't.language')} "
                "FROM (SELECT %s::bigint AS amount, %s::text AS language) t",
                [amount, language],
            )
            # An unknown language is written in the site's default (English).
            expected = money_format(amount, currency, "en" if language == "xx" else language)
            assert cursor.fetchone()[0] == expected, (currency, amount, language)
