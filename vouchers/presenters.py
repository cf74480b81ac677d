"""A voucher as its owner reads it, in their language: the wallet and the person's page
(/me/, through compensation's registry) share these rows."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from compensation.engine.money import money_format
from compensation.models.choices import RedemptionMode
from vouchers.labels import SERVICES
from vouchers.models import Voucher
from vouchers.selectors import person_page_vouchers
from vouchers.services.codes import code_derive, code_display

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STATES: dict[str, StrOrPromise] = {
    Voucher.State.ISSUED: _("Ready to use"),
    Voucher.State.REDEEMED: _("Used"),
    Voucher.State.FROZEN: _("On hold: contact support"),
}


def voucher_code(voucher: Voucher) -> str:
    """The full code, derived on the fly (see vouchers/services/codes.py): only ever for the
    owner, on a page that is not cached."""
    return code_display(
        code_derive(
            award_id=voucher.award_id,
            generation=voucher.generation,
            derive_key_version=voucher.derive_key_version,
        )
    )


def voucher_conditions(voucher: Voucher) -> list[StrOrPromise]:
    """The terms of the voucher's award line, in the reader's language, to read before use:
    how it is spent, the minimum order for its holder, what it cannot pay for, binding."""
    line = voucher.award.award_line
    if line is None:  # a voucher paying a claim's award: single use, no conditions
        return [SINGLE_USE]
    conditions: list[StrOrPromise] = [
        PARTIAL_USE if line.redemption_mode == RedemptionMode.PARTIAL else SINGLE_USE
    ]
    minimum = line.min_order_for(voucher.person.segment)
    if minimum:
        conditions.append(
            _("Minimum order: %(amount)s") % {"amount": money_format(minimum, voucher.currency)}
        )
    if line.excluded_categories or line.excluded_categories_text:
        text = line.excluded_text_in(get_language() or "")
        conditions.append(
            _("Not for: %(what)s") % {"what": text}
            if text
            else _("Not for some kinds of goods; the service shows which at checkout.")
        )
    if line.bound_to_account:
        conditions.append(_("Only with your own account at the service."))
    return conditions


SINGLE_USE = _("Single use: no change is given, and what an order leaves unused is lost.")
PARTIAL_USE = _("Can be used in parts: what an order leaves stays on it until it is spent.")


def voucher_row(voucher: Voucher, now: dt.datetime, *, with_code: bool) -> dict:
    usable = voucher.state == Voucher.State.ISSUED
    not_yet = bool(voucher.valid_from and voucher.valid_from > now)
    expired = bool(voucher.valid_until and voucher.valid_until <= now)
    status = STATES.get(voucher.state, voucher.state)
    if usable and not_yet:
        status = _("Usable from the start date")
    elif usable and expired:
        status = _("Expired")
    if voucher.state == Voucher.State.REDEEMED:
        left = 0
    else:  # a partial voucher keeps its balance; an untouched one has its whole amount
        left = voucher.amount_minor if voucher.balance_minor is None else voucher.balance_minor
    return {
        "id": voucher.pk,
        "service": SERVICES.get(voucher.service_scope, voucher.service_scope),
        "scope": voucher.service_scope,
        "amount": money_format(voucher.amount_minor, voucher.currency),
        "amount_left": money_format(left, voucher.currency),
        "used_in_part": left not in (0, voucher.amount_minor),
        "conditions": voucher_conditions(voucher),
        "code": voucher_code(voucher) if with_code else None,
        "valid_from": voucher.valid_from,
        "valid_until": voucher.valid_until,
        "status": status,
        "usable": usable and not not_yet and not expired,
        "expired": expired,
    }


def vouchers_by_person(person_ids: list[int]) -> dict[int, list[dict]]:
    """The rows of the person's page, without codes (a code is shown on demand, by a POST to
    vouchers:code); one query whatever the number of people and vouchers."""
    now = timezone.now()
    rows: dict[int, list[dict]] = {}
    for voucher in person_page_vouchers(person_ids):
        rows.setdefault(voucher.person_id, []).append(voucher_row(voucher, now, with_code=False))
    return rows
