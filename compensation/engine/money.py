"""Money is an integer of minor units plus a currency; this only formats it for people."""

# ISO 4217 minor-unit exponents for the currencies programs use; default 2.
_EXPONENT = {"KRW": 0, "JPY": 0, "CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "TWD": 0}


def money_exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's minor unit (ISO 4217)."""
    return _EXPONENT.get(currency, 2)


def money_format(amount_minor: int, currency: str) -> str:
    exponent = money_exponent(currency)
    if exponent == 0:
        return f"{amount_minor:,} {currency}"
    whole, fraction = divmod(abs(amount_minor), 10**exponent)
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{whole:,}.{fraction:0{exponent}d} {currency}"
