"""What an agent typed into the one search box, recognised: which kinds of look-up it can be,
each with the value it is matched by. Pure functions, no database.

A string can be several things at once (a row of digits is a phone number and may be an
external account id; one word of letters is a name and may be an id), so recognition returns
every kind it can be and the search asks them all in one query. An email or a phone number is
turned at once into the keyed hash the population import stores (compensation.hashing): the
plain value goes no further than this module."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from compensation.hashing import email_hash, phone_hash
from notifications.references import reference_normalize


class Kind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    EXTERNAL_ID = "external_id"
    NAME = "name"
    CLAIM = "claim"
    NOTICE = "notice"
    VOUCHER = "voucher"


# The claim reference (claims.models.new_claim_reference): "C-" and 16 of these symbols.
_CLAIM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CLAIM_REFERENCE = re.compile(rf"^C-?([{_CLAIM_ALPHABET}]{{16}})$")
# A voucher code's symbols (vouchers/services/codes.py); the last four are stored in clear.
_VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_LAST4 = re.compile(rf"^[*#…]?([{_VOUCHER_ALPHABET}]{{4}})$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]+$")
_EXTERNAL_ID = re.compile(r"^\S{1,64}$")
_SPACES = re.compile(r"\s+")
# A name has no digits and no '@'; letters of any script, spaces, hyphens, apostrophes, dots.
_NOT_NAME = re.compile(r"[0-9@]")
# What an agent may type, at most: a name of 200 characters (AffectedPerson.name) and more.
MAX_LENGTH = 200


@dataclass(frozen=True)
class Query:
    """The look-ups a search string stands for. Hashes are bytes; the rest is as stored."""

    kinds: tuple[Kind, ...] = ()
    email_hash: bytes | None = None
    phone_hash: bytes | None = None
    external_id: str = ""
    name: str = ""
    claim_reference: str = ""
    notice_reference: str = ""
    voucher_last4: str = ""
    too_long: bool = False

    @property
    def primary(self) -> Kind | None:
        """The kind shown to the agent as what was recognised (the first, most specific)."""
        return self.kinds[0] if self.kinds else None


def name_normalize(text: str) -> str:
    """NFKC (fullwidth letters read as their plain form), spaces collapsed and trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _is_name(text: str) -> bool:
    return bool(text) and not _NOT_NAME.search(text) and any(ch.isalpha() for ch in text)


def _last4_split(tokens: list[str]) -> tuple[str, str] | None:
    """(last four, name) when one token is a voucher's last four and the rest is a name.

    Names have no digits, so four code symbols with a digit among them are a last four; four
    letters only are one when marked (*K3PX, #ABCD, …ABCD), as "ANNA" may be a name."""
    for position, token in enumerate(tokens):
        found = _LAST4.match(token.upper())
        if found is None:
            continue
        marked = token[0] in "*#…"
        if not marked and not any(ch.isdigit() for ch in found.group(1)):
            continue
        rest = " ".join(tokens[:position] + tokens[position + 1 :])
        if _is_name(rest):
            return found.group(1), rest
    return None


def query_parse(text: str) -> Query:
    """Every kind `text` can be, most specific first, with the value each is matched by."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return Query()
    if len(text) > MAX_LENGTH:
        return Query(too_long=True)
    compact = _SPACES.sub("", text)
    tokens = text.split()
    if "@" in text:
        hashed = email_hash(text)
        return Query(kinds=(Kind.EMAIL,), email_hash=hashed) if hashed else Query()

    kinds: list[Kind] = []
    claim_reference = notice_reference = last4 = name = external_id = ""
    digest: bytes | None = None
    claim = _CLAIM_REFERENCE.match(compact.upper())
    if claim:
        kinds.append(Kind.CLAIM)
        claim_reference = "C-" + claim.group(1)
    notice = None if claim else reference_normalize(text)
    if notice is not None:
        kinds.append(Kind.NOTICE)
        notice_reference = notice
    if _PHONE.match(text) and 7 <= sum(ch.isdigit() for ch in text) <= 15:
        kinds.append(Kind.PHONE)
        digest = phone_hash(text)
    split = _last4_split(tokens) if len(tokens) > 1 else None
    if split is not None:
        kinds.append(Kind.VOUCHER)
        last4, name = split[0], name_normalize(split[1])
    elif _is_name(text):
        kinds.append(Kind.NAME)
        name = name_normalize(text)
    if len(tokens) == 1 and _EXTERNAL_ID.match(text):
        kinds.append(Kind.EXTERNAL_ID)
        external_id = text
    return Query(
        kinds=tuple(kinds),
        phone_hash=digest,
        external_id=external_id,
        name=name,
        claim_reference=claim_reference,
        notice_reference=notice_reference,
        voucher_last4=last4,
    )
