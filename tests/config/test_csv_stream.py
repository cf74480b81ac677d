import csv
import datetime as dt
import io
import uuid

import pytest

from config.csv_stream import csv_stream


def _cells(header, rows) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(csv_stream(header, rows)))))


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-A1:B2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']
)
def test_a_text_cell_a_spreadsheet_would_evaluate_gets_a_leading_quote(text):
    assert _cells(["value"], [[text]])[1] == ["'" + text]


def test_numbers_stay_numbers_and_other_text_is_untouched():
    when = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    key = uuid.UUID(int=1)
    rows = [[-500, 0, 1.5, None, "A-1", "plain", when, key, "-500", True]]
    assert _cells(["a"] * 10, rows)[1] == [
        "-500",  # an amount typed as a number is not a formula
        "0",
        "1.5",
        "",
        "A-1",
        "plain",
        str(when),
        str(key),
        "'-500",  # the same characters as text are neutralised
        "True",
    ]


def test_the_header_goes_through_the_same_rule():
    assert _cells(["=cmd", "ok"], [])[0] == ["'=cmd", "ok"]
