"""Lists of compromised instruments for the tests: CSV bytes, and an applied, frozen import."""

from __future__ import annotations

import datetime as dt
import io

from compensation.models import Program
from instruments.models import InstrumentImport, InstrumentKind
from instruments.services.freeze import instruments_freeze
from instruments.services.imports import instrument_import_apply
from tests.factories import UserFactory

HEADER = "instrument_number,compromised_at,loaded_value\n"


def card_number(n: int) -> str:
    """A 16-digit card number, written with spaces as on the card."""
    digits = f"62{n:014d}"
    return " ".join(digits[i : i + 4] for i in range(0, 16, 4))


def cards_csv(count: int, *, start: int = 1, value: str = "300.00") -> bytes:
    rows = (
        f"{card_number(n)},2025-03-01T03:10:00+08:00,{value}\n" for n in range(start, start + count)
    )
    return (HEADER + "".join(rows)).encode()


def import_cards(program: Program, data: bytes) -> InstrumentImport:
    return instrument_import_apply(
        program=program,
        kind=InstrumentKind.CARD,
        source=io.BytesIO(data),
        original_name="cards.csv",
        actor=UserFactory.create(),
    )


FROZEN_AT = dt.datetime(2025, 3, 5, 10, 0, tzinfo=dt.UTC)


def frozen_cards(program: Program, count: int) -> InstrumentImport:
    instrument_import = import_cards(program, cards_csv(count))
    assert instrument_import.status == InstrumentImport.Status.APPLIED, instrument_import.error
    instruments_freeze(
        program=program,
        instrument_import=instrument_import,
        reason="Recharged through the breach",
        frozen_at=FROZEN_AT,
        actor=UserFactory.create(),
    )
    return instrument_import
