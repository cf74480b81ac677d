"""Money is an integer of minor units plus a currency; this only formats it for people, in
their language: 5,000원 in Korean, ₩5,000 in English and Chinese (CLDR's standard currency
pattern through babel; Korean writes its own currency as the number and 원, as KRDS and every
Korean service do). money_format writes it in Python, money_sql in PostgreSQL for notices
built set-based; both take the language's affixes and separators from money_style, so the
two never disagree."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from babel import Locale
from babel.numbers import get_currency_symbol, parse_pattern
from django.conf import settings
from django.utils import translation

# ISO 4217 minor-unit exponents for the currencies programs use; default 2.
_EXPONENT = {"KRW": 0, "JPY": 0, "CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "TWD": 0}

# Where a language writes a currency otherwise than CLDR's standard pattern: (prefix, suffix).
_OWN_AFFIXES = {("ko", "KRW"): ("", "원")}

# The number as PostgreSQL's to_char writes it before the separators are the language's.
_DIGITS = "FM999,999,999,999,999,990"


def money_exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's minor unit (ISO 4217)."""
    return _EXPONENT.get(currency, 2)


@dataclass(frozen=True)
class MoneyStyle:
    prefix: str
    suffix: str
    group: str
    decimal: str


def _language(language: str | None) -> str:
    """One of LANGUAGES: the given one, else the active one, else the site's default."""
    languages = dict(settings.LANGUAGES)
    for candidate in (language, translation.get_language()):
        if candidate:
            candidate = candidate.lower()
            if candidate in languages:
                return candidate
            if candidate.split("-")[0] in languages:
                return candidate.split("-")[0]
    return settings.LANGUAGE_CODE


@functools.cache
def money_style(currency: str, language: str) -> MoneyStyle:
    """How `language` writes an amount of `currency`: what comes before and after the
    number (the currency's symbol placed by the locale's standard pattern) and the locale's
    grouping and decimal symbols."""
    locale = Locale.parse(translation.to_locale(language))
    symbols = locale.number_symbols.get("latn", locale.number_symbols)
    if (language, currency) in _OWN_AFFIXES:
        prefix, suffix = _OWN_AFFIXES[(language, currency)]
    else:
        pattern = parse_pattern(locale.currency_formats["standard"])
        symbol = get_currency_symbol(currency, locale)
        prefix, suffix = (
            part.replace("¤", symbol) for part in (pattern.prefix[0], pattern.suffix[0])
        )
    style = MoneyStyle(prefix, suffix, symbols["group"], symbols["decimal"])
    for text in (style.prefix, style.suffix, style.group, style.decimal):
        # money_sql writes these into SQL as literals: none of CLDR's has such a character.
        if any(character in text for character in "'%\\"):
            raise ValueError(f"Cannot write {currency} in {language}: {text!r} in its format.")
    return style


def money_format(amount_minor: int, currency: str, language: str | None = None) -> str:
    """The amount in `language` (by default the active language): 5,000원, ₩5,000,
    US$12.50; a negative amount has its minus sign first."""
    style = money_style(currency, _language(language))
    exponent = money_exponent(currency)
    whole, fraction = divmod(abs(amount_minor), 10**exponent)
    number = f"{whole:,}".replace(",", style.group)
    if exponent:
        number += f"{style.decimal}{fraction:0{exponent}d}"
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{style.prefix}{number}{style.suffix}"


def _literal(text: str) -> str:
    return "'" + text + "'"  # money_style refused the characters that would need escaping


def money_sql(amount_sql: str, currency: str, language_sql: str) -> str:
    """SQL writing `amount_sql` (an integer expression of minor units of `currency`) as
    money_format does in the language the SQL expression `language_sql` holds ('ko', 'en',
    'zh-hans'; anything else is written in the site's default language). Only code-written
    SQL goes in; the affixes are literals of CLDR's data, checked by money_style."""
    exponent = money_exponent(currency)
    if exponent:
        number = (
            f"to_char(abs({amount_sql})::numeric / {10**exponent}, '{_DIGITS}.{'0' * exponent}')"
        )
    else:
        number = f"to_char(abs({amount_sql}), '{_DIGITS}')"

    def written(language: str) -> str:
        style = money_style(currency, language)
        text = number
        if (style.group, style.decimal) != (",", "."):
            text = f"translate({text}, ',.', {_literal(style.group + style.decimal)})"
        return f"{_literal(style.prefix)} || {text} || {_literal(style.suffix)}"

    branches = " ".join(
        f"WHEN {_literal(code)} THEN {written(code)}"
        for code, _name in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
    )
    return (
        f"(CASE WHEN ({amount_sql}) < 0 THEN '-' ELSE '' END || "
        f"CASE {language_sql} {branches} ELSE {written(settings.LANGUAGE_CODE)} END)"
    )
