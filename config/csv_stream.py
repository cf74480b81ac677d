"""CSV as a stream of lines, for StreamingHttpResponse: no file, no buffer of the whole export."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any


class _Echo:
    """A file-like object whose write() hands back what it is given, so csv.writer returns
    each formatted line instead of buffering it."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header line, then one line per row (None is written as an empty field)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(["" if value is None else value for value in row])
