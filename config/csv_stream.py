"""CSV as a stream of lines, for StreamingHttpResponse: no file, no buffer of the whole export.

Every CSV the application writes goes through here, so every one is safe to open in a
spreadsheet: a text cell that starts with a character a spreadsheet reads as the start of a
formula (= + - @, tab, carriage return) gets a leading single quote (OWASP's CSV injection
rule). Numbers the database typed as numbers (an amount of -500, a score) are not text and
cannot carry a formula: they are written as they are, so a negative amount stays a number."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands back what it is given, so csv.writer returns
    each formatted line instead of buffering it."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: Any) -> Any:
    """One cell as it is written: None empty, a number as it is, anything else as text with
    a leading quote if a spreadsheet would take it for a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header line, then one line per row, every cell through csv_cell."""
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])
