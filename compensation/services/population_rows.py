"""Checking one row of a population CSV. Pure functions: a row in, clean values or the
column and reason it was rejected out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from compensation import hashing
from compensation.models.choices import AccountStatus, DataCategory, Language

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

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]{7,24}$")
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_\-.:]{1,64}$")
_LANGUAGES = {lang.value for lang in Language} | {"zh", "zh-cn", "zh_hans"}
_LANGUAGE_ALIASES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh_hans": "zh-hans", "": "ko"}
_CATEGORIES = {c.value for c in DataCategory}
_STATUSES = {s.value for s in AccountStatus}


class RowError(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


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


def row_clean(row: list[str], header: Header) -> tuple:
    """Return the staging tuple for a valid row, or raise RowError(column, reason).

    Staging tuple: external_id, name, email, phone, language, region, segment,
    account_status, data_categories (list), email_hash, phone_hash.
    """
    if len(row) != header.width:
        raise RowError("", f"expected {header.width} fields, found {len(row)}")
    pos = header.positions

    external_id = row[pos["external_id"]].strip()
    if not external_id:
        raise RowError("external_id", "is empty")
    if not _EXTERNAL_ID.match(external_id):
        raise RowError("external_id", "must be 1-64 letters, digits or _-.:")

    name = row[pos["name"]].strip()
    if len(name) > 200:
        raise RowError("name", "is longer than 200 characters")

    email = row[pos["email"]].strip()
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        raise RowError("email", "is not an email address")

    phone = row[pos["phone"]].strip()
    if phone:
        digits = sum(ch.isdigit() for ch in phone)
        if not _PHONE_CHARS.match(phone) or not 7 <= digits <= 15:
            raise RowError("phone", "is not a phone number (7-15 digits)")

    language = row[pos["language"]].strip().lower()
    if language not in _LANGUAGES and language:
        raise RowError("language", f"must be one of ko, en, zh-hans (found {language[:12]!r})")
    language = _LANGUAGE_ALIASES.get(language, language)

    region = row[pos["region"]].strip()
    if len(region) > 32:
        raise RowError("region", "is longer than 32 characters")
    segment = row[pos["segment"]].strip()
    if len(segment) > 32:
        raise RowError("segment", "is longer than 32 characters")

    raw_categories = row[pos["data_categories"]].replace("|", ";")
    categories = sorted({c.strip().lower() for c in raw_categories.split(";") if c.strip()})
    for category in categories:
        if category not in _CATEGORIES:
            raise RowError("data_categories", f"unknown category {category[:24]!r}")

    status = "active"
    if "account_status" in pos:
        status = row[pos["account_status"]].strip().lower() or "active"
        if status not in _STATUSES:
            raise RowError("account_status", "must be active, dormant or closed")

    return (
        external_id,
        name,
        email,
        phone,
        language,
        region,
        segment,
        status,
        categories,
        hashing.email_hash(email) if email else None,
        hashing.phone_hash(phone) if phone else None,
    )
