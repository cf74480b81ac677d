"""Importing a list of compromised instruments: all or nothing, problems by line and column,
keyed hashes only; freezing an import."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.models import AuditEvent
from instruments import hashing
from instruments.errors import InstrumentError
from instruments.models import (
    CompromisedInstrument,
    InstrumentImport,
    InstrumentKind,
    InstrumentReject,
)
from instruments.services.freeze import instruments_freeze
from instruments.services.purchases import instrument_frozen_match
from tests.factories import ProgramFactory, UserFactory
from tests.instruments.factories import (
    FROZEN_AT,
    HEADER,
    card_number,
    cards_csv,
    frozen_cards,
    import_cards,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return ProgramFactory.create(currency="CNY")


def _rejects(instrument_import):
    return list(
        InstrumentReject.objects.filter(instrument_import=instrument_import)
        .order_by("line", "column")
        .values_list("line", "column", "message")
    )


def test_a_clean_file_is_applied_with_hashes_last_four_and_minor_units(program):
    done = import_cards(program, cards_csv(3, value="300.50"))
    assert done.status == InstrumentImport.Status.APPLIED
    assert (done.rows_read, done.rows_imported, done.rows_rejected) == (3, 3, 0)
    first = CompromisedInstrument.objects.order_by("id").first()
    assert first is not None
    normalized = card_number(1).replace(" ", "")
    assert bytes(first.number_hash) == hashing.number_hash(normalized, first.key_version)
    assert first.last4 == normalized[-4:]
    assert first.loaded_value_minor == 30_050
    assert first.currency == "CNY"
    assert first.compromised_at.isoformat() == "2025-02-28T19:10:00+00:00"
    assert first.frozen_at is None
    assert AuditEvent.objects.filter(action="instrument_import.applied").count() == 1


def test_a_bad_file_is_refused_by_line_and_column_and_nothing_is_applied(program):
    import_cards(program, cards_csv(2))  # already on the list: 6200000000000001, ...0002
    data = (
        HEADER
        + f"{card_number(10)},2025-03-01,100\n"  # line 2: fine
        + "12-34,2025-03-01,100\n"  # line 3: too short
        + f"{card_number(10)},2025-03-01,100\n"  # line 4: repeats line 2
        + f"{card_number(1)},2025-03-01,100\n"  # line 5: already on the list
        + f"{card_number(11)},2025-02-30,100\n"  # line 6: no such day
        + f"{card_number(12)},2025-03-01,-5\n"  # line 7: negative
        + f"{card_number(13)},2025-03-01,1.234\n"  # line 8: three decimals in CNY
        + f'"{card_number(14)}\n#",2025-03-01,100\n'  # lines 9-10: a number across lines
        + f"{card_number(15)},2025-03-01\n"  # line 11: a field short
        + f"{card_number(16)},,100\n"  # line 12: empty time
        + f"{card_number(17)},2999-01-01,100\n"  # line 13: in the future
    ).encode()
    before = CompromisedInstrument.objects.count()
    refused = import_cards(program, data)
    assert refused.status == InstrumentImport.Status.REFUSED
    assert _rejects(refused) == [
        (3, "instrument_number", "is not 6 to 32 letters or digits"),
        (4, "instrument_number", "appears again (first on line 2)"),
        (5, "instrument_number", "is already on the program's list"),
        (
            6,
            "compromised_at",
            "is not a date (YYYY-MM-DD) or an ISO 8601 time (2025-03-01T14:30+09:00)",
        ),
        (7, "loaded_value", "is not an amount of 0 or more with at most 2 decimals"),
        (8, "loaded_value", "is not an amount of 0 or more with at most 2 decimals"),
        (9, "instrument_number", "is not 6 to 32 letters or digits"),
        (11, "loaded_value", "expected 3 fields, found 2"),
        (12, "compromised_at", "is empty"),
        (13, "compromised_at", "is in the future"),
    ]
    assert refused.rows_rejected == 10
    assert refused.rows_imported == 0
    assert CompromisedInstrument.objects.count() == before
    assert not CompromisedInstrument.objects.filter(instrument_import=refused).exists()
    assert AuditEvent.objects.filter(action="instrument_import.refused").count() == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", (1, "-", "the file is empty")),
        (HEADER.encode(), (2, "-", "the file has a header and no rows")),
        (
            b"number,compromised_at,loaded_value\n1234567,2025-03-01,1\n",
            (
                1,
                "header",
                "column 1 ('number') is not one of instrument_number, compromised_at, loaded_value",
            ),
        ),
        (
            HEADER.encode() + b"12345678,2025-03-01,1\n\xff\xfe,2025-03-01,1\n",
            (3, "-", "is not UTF-8 text: save the file as 'CSV UTF-8'"),
        ),
    ],
)
def test_a_file_refused_whole_says_where(program, data, expected):
    refused = import_cards(program, data)
    assert refused.status == InstrumentImport.Status.REFUSED
    assert _rejects(refused) == [expected]
    assert not CompromisedInstrument.objects.exists()


def test_columns_in_another_order_and_fullwidth_digits_match_the_same_card(program):
    data = (
        "loaded_value,instrument_number,compromised_at\n"
        "100,\uff16\uff12\uff10\uff10-\uff10\uff10\uff10\uff10-"
        "\uff10\uff10\uff10\uff10-\uff10\uff10\uff19\uff19,2025-03-01\n"
    ).encode()
    done = import_cards(program, data)
    assert done.status == InstrumentImport.Status.APPLIED, _rejects(done)
    instruments_freeze(
        program=program, instrument_import=done, reason="breach", actor=UserFactory.create()
    )
    found = instrument_frozen_match(
        program=program, number="6200 0000 0000 0099", kind=InstrumentKind.CARD
    )
    assert found.last4 == "0099"


def test_freezing_an_import_is_audited_once_and_a_repeat_changes_nothing(program):
    instrument_import = frozen_cards(program, 5)
    assert set(
        CompromisedInstrument.objects.values_list("frozen_at", "freeze_reason").distinct()
    ) == {(FROZEN_AT, "Recharged through the breach")}
    again = instruments_freeze(
        program=program,
        instrument_import=instrument_import,
        reason="again",
        actor=UserFactory.create(),
    )
    assert again == 0
    events = AuditEvent.objects.filter(action="instruments.freeze").order_by("id")
    assert [(e.after or {}).get("frozen") for e in events] == [5, 0]
    assert events[0].program_id == program.pk


def test_a_freeze_without_a_reason_or_in_the_future_changes_nothing(program):
    instrument_import = import_cards(program, cards_csv(2))
    import datetime as dt

    from django.utils import timezone

    with pytest.raises(InstrumentError):
        instruments_freeze(
            program=program, instrument_import=instrument_import, reason=" ", actor=None
        )
    with pytest.raises(InstrumentError):
        instruments_freeze(
            program=program,
            instrument_import=instrument_import,
            reason="x",
            frozen_at=timezone.now() + dt.timedelta(hours=1),
            actor=None,
        )
    assert not CompromisedInstrument.objects.filter(frozen_at__isnull=False).exists()


def test_a_number_matches_under_an_older_key_version_after_a_new_key_is_added(program, settings):
    settings.INSTRUMENT_HASH_KEYS = ["1:first-instrument-key"]
    frozen_cards(program, 2)
    settings.INSTRUMENT_HASH_KEYS = ["1:first-instrument-key", "2:second-instrument-key"]
    found = instrument_frozen_match(
        program=program, number=card_number(2), kind=InstrumentKind.CARD
    )
    assert found.key_version == 1
    # The next import hashes with version 2 and still sees the old numbers as on the list.
    refused = import_cards(program, cards_csv(1, start=2))
    assert _rejects(refused) == [(2, "instrument_number", "is already on the program's list")]


def test_the_plain_numbers_are_nowhere_in_the_database(program):
    frozen_cards(program, 20)
    needle = card_number(7).replace(" ", "")
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = 'public'
                 AND data_type IN ('text', 'character varying', 'jsonb', 'bytea')"""
        )
        columns = cursor.fetchall()
        hits = []
        for table, column in columns:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s',
                ["%" + needle + "%"],
            )
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    assert len(columns) > 100
    assert hits == []
