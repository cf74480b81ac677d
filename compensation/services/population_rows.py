"""The population file's columns and header check. Row checks run inside PostgreSQL, set-based
(see population_sql.py); the rules for each column are listed there once."""

from __future__ import annotations

from dataclasses import dataclass

REQUIRED_COLUMNS = (
    "external_id",
    "name",
    "email",
    "phone",
    "language",
    "region",
    "segment",
    "data_categories",
)
OPTIONAL_COLUMNS = ("account_status",)
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


@dataclass(frozen=True, slots=True)
class Header:
    """Where each known column sits in the file."""

    positions: dict[str, int]
    width: int


def header_parse(row: list[str]) -> Header:
    """Validate the header row. Raises ValueError with a message for the operator."""
    names = [name.strip().lower() for name in row]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"The header repeats column(s): {', '.join(dupes)}.")
    unknown = [n for n in names if n not in ALL_COLUMNS]
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(unknown)}")
        raise ValueError(
            "The first line is not the expected header ("
            + "; ".join(parts)
            + f"). Expected: {','.join(REQUIRED_COLUMNS)}[,account_status]."
        )
    return Header(positions={n: i for i, n in enumerate(names)}, width=len(names))
