"""How a person can be paid: the registry of payout methods (like notifications' channels).

A method is delivered one of two ways:
- "file": a released batch is exported as a bulk-transfer file for the bank, and the bank's
  result file marks each payout paid, failed or returned (payouts/services/bank_files.py);
- "provider": workers send a released batch's payouts in chunks to the method's sender, one
  idempotency key per payout (the payout's reference), and the sender's answers mark them
  (payouts/services/sending.py). Senders register in SENDERS.

A program offers some of them (PayoutOffer); with no offer row a program offers bank transfer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Method(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    ACCOUNT_CREDIT = "account_credit", _("Account credit at the service")
    VOUCHER = "voucher", _("Voucher of the approved amount")


@dataclass(frozen=True)
class MethodSpec:
    code: str
    label: StrOrPromise  # shown to claimants, in their language
    delivery: Literal["file", "provider"]
    # The details a claimant gives for it (encrypted at rest): field -> label.
    details: tuple[str, ...] = ()


METHODS: dict[str, MethodSpec] = {
    Method.BANK_TRANSFER: MethodSpec(
        Method.BANK_TRANSFER,
        _("Bank transfer"),
        "file",
        details=("account_number", "holder"),
    ),
    Method.ACCOUNT_CREDIT: MethodSpec(
        Method.ACCOUNT_CREDIT,
        _("Credit to my account at the service"),
        "provider",
        details=("customer_ref",),
    ),
    Method.VOUCHER: MethodSpec(Method.VOUCHER, _("A voucher for the amount"), "provider"),
}

DEFAULT_METHODS = (Method.BANK_TRANSFER,)


@dataclass(frozen=True)
class SendItem:
    """One payout handed to a provider sender."""

    payout_id: int
    reference: str  # the idempotency key at the provider
    award_id: int
    amount_minor: int
    currency: str
    details: dict[str, str]  # decrypted, for the call only; never logged


@dataclass(frozen=True)
class SendResult:
    payout_id: int
    outcome: Literal["paid", "failed", "retry"]
    provider_reference: str = ""
    failure_code: str = ""


# method code -> callable(program_id, [SendItem]) -> [SendResult]: the provider senders,
# registered by the module that implements each (payouts/senders.py).
SENDERS: dict[str, Callable[[int, list[SendItem]], list[SendResult]]] = {}
