"""A claimant's instrument against the frozen list, and the good-faith purchase recorded with
the claim filed for it."""

from __future__ import annotations

import datetime as dt
import string
import unicodedata
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models import Program
from config.db import violated_constraint
from instruments import hashing
from instruments.errors import InstrumentError
from instruments.models import (
    CompromisedInstrument,
    InstrumentKind,
    InstrumentPurchase,
)

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

NOT_A_NUMBER = {
    InstrumentKind.CARD: _(
        "This is not a card number: enter the 6 to 32 letters or digits printed on the card."
    ),
    InstrumentKind.VOUCHER: _(
        "This is not a voucher number: enter the 6 to 32 letters or digits of the voucher."
    ),
}
NOT_ON_LIST = {
    InstrumentKind.CARD: _(
        "This card number is not on the program's list of frozen cards. Check it against the "
        "card; if it is right, this card was not frozen in this incident and this program "
        "cannot compensate it."
    ),
    InstrumentKind.VOUCHER: _(
        "This voucher number is not on the program's list of frozen vouchers. Check it "
        "against the voucher; if it is right, this voucher was not frozen in this incident "
        "and this program cannot compensate it."
    ),
}
FREEZE_LIFTED = {
    InstrumentKind.CARD: _(
        "This card was frozen in this incident, but its freeze has since been lifted: the card "
        "works again with its value, so this program does not compensate its purchase. If the "
        "card does not work, tell us through the program's contact details, with the card's "
        "last four digits."
    ),
    InstrumentKind.VOUCHER: _(
        "This voucher was frozen in this incident, but its freeze has since been lifted: the "
        "voucher can be used again, so this program does not compensate its purchase. If it "
        "does not work, tell us through the program's contact details, with the voucher's "
        "last four characters."
    ),
}
ALREADY_CLAIMED = {
    InstrumentKind.CARD: _(
        "A claim for this card has already been filed. If it was not you, tell us through "
        "the program's contact details, with the card's last four digits."
    ),
    InstrumentKind.VOUCHER: _(
        "A claim for this voucher has already been filed. If it was not you, tell us through "
        "the program's contact details, with the voucher's last four characters."
    ),
}


def seller_key(handle: str) -> str:
    """A seller's handle as clusters compare it: NFKC, no spaces or leading @, ASCII lower."""
    value = "".join(unicodedata.normalize("NFKC", handle).split()).lstrip("@")
    return value.translate(_ASCII_LOWER)[:120]


def instrument_frozen_match(*, program: Program, number: str, kind: str) -> CompromisedInstrument:
    """The program's frozen instrument with this number (by its keyed hash under every key
    version), not yet claimed. InstrumentError with the specific answer otherwise: not a
    number, not on the frozen list, its freeze lifted, or already claimed."""
    normalized = hashing.number_normalize(number)
    if not normalized:
        raise InstrumentError(NOT_A_NUMBER[InstrumentKind(kind)], code="not_a_number")
    condition = Q()
    for version, digest in hashing.number_hashes(normalized).items():
        condition |= Q(key_version=version, number_hash=digest)
    listed = CompromisedInstrument.objects.filter(condition, program=program).order_by("id")
    instrument = listed.filter(frozen_at__isnull=False).first()
    if instrument is None:
        if listed.filter(unfrozen_at__isnull=False).exists():
            raise InstrumentError(FREEZE_LIFTED[InstrumentKind(kind)], code="freeze_lifted")
        raise InstrumentError(NOT_ON_LIST[InstrumentKind(kind)], code="not_on_list")
    if InstrumentPurchase.objects.filter(instrument=instrument).exists():
        raise InstrumentError(ALREADY_CLAIMED[InstrumentKind(kind)], code="already_claimed")
    return instrument


@dataclass(frozen=True)
class PurchaseAnswers:
    """What the claim form asked about the purchase (the number itself is not kept: only the
    matched instrument's id)."""

    instrument_id: int
    purchased_on: dt.date
    price_minor: int
    bought_where: str
    seller_handle: str = ""

    def as_session(self) -> dict:
        return {
            "instrument_id": self.instrument_id,
            "purchased_on": self.purchased_on.isoformat(),
            "price_minor": self.price_minor,
            "bought_where": self.bought_where,
            "seller_handle": self.seller_handle,
        }

    @classmethod
    def from_session(cls, data: dict) -> PurchaseAnswers:
        return cls(
            instrument_id=int(data["instrument_id"]),
            purchased_on=dt.date.fromisoformat(data["purchased_on"]),
            price_minor=int(data["price_minor"]),
            bought_where=str(data["bought_where"]),
            seller_handle=str(data.get("seller_handle") or ""),
        )


def freeze_day(instrument: CompromisedInstrument) -> dt.date:
    assert instrument.frozen_at is not None
    return timezone.localtime(instrument.frozen_at).date()


def purchase_record(
    *, program: Program, claim_reference: str, answers: PurchaseAnswers, kind: str
) -> InstrumentPurchase:
    """Record the purchase of the claim `claim_reference`, inside the caller's transaction
    (the claim's submission). Bought before the freeze's day (settings.TIME_ZONE) is good
    faith; on or after it the purchase is kept and the claim flagged for a reviewer.
    InstrumentError, nothing written, if the instrument is not (or no longer) frozen in this
    program, or already has a claim (one per instrument: a unique constraint)."""
    # Locked: a lift of its freeze at the same moment either waits for this claim (and is
    # then refused, the instrument being claimed) or goes first (and this claim is answered).
    instrument = (
        CompromisedInstrument.objects.select_for_update()
        .filter(pk=answers.instrument_id, program=program)
        .first()
    )
    if instrument is not None and instrument.frozen_at is None and instrument.unfrozen_at:
        raise InstrumentError(FREEZE_LIFTED[InstrumentKind(kind)], code="freeze_lifted")
    if instrument is None or instrument.frozen_at is None:
        raise InstrumentError(NOT_ON_LIST[InstrumentKind(kind)], code="not_on_list")
    try:
        with transaction.atomic():
            return InstrumentPurchase.objects.create(
                program=program,
                instrument=instrument,
                claim_reference=claim_reference,
                purchased_on=answers.purchased_on,
                price_minor=answers.price_minor,
                currency=program.currency,
                bought_where=answers.bought_where[:120],
                seller_handle=answers.seller_handle[:120],
                seller_key=seller_key(answers.seller_handle),
                before_freeze=answers.purchased_on < freeze_day(instrument),
            )
    except IntegrityError as exc:
        if violated_constraint(exc) != "purchase_one_per_instrument":
            raise
        raise InstrumentError(
            ALREADY_CLAIMED[InstrumentKind(kind)], code="already_claimed"
        ) from None
