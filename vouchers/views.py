"""The customer's wallet: their vouchers with the full code, in their language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from compensation.claimant_session import claimant_get
from compensation.engine.money import money_format
from vouchers.labels import SERVICES
from vouchers.models import Voucher
from vouchers.selectors import wallet_vouchers
from vouchers.services.codes import code_derive, code_display

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STATES: dict[str, StrOrPromise] = {
    Voucher.State.ISSUED: _("Ready to use"),
    Voucher.State.REDEEMED: _("Used"),
    Voucher.State.FROZEN: _("On hold: contact support"),
}


def _row(voucher: Voucher, now) -> dict:
    usable = voucher.state == Voucher.State.ISSUED
    not_yet = bool(voucher.valid_from and voucher.valid_from > now)
    expired = bool(voucher.valid_until and voucher.valid_until <= now)
    status = STATES.get(voucher.state, voucher.state)
    if usable and not_yet:
        status = _("Usable from the start date")
    elif usable and expired:
        status = _("Expired")
    return {
        "service": SERVICES.get(voucher.service_scope, voucher.service_scope),
        "scope": voucher.service_scope,
        "amount": money_format(voucher.amount_minor, voucher.currency),
        # Derived on the fly for the owner only (see vouchers/services/codes.py).
        "code": code_display(
            code_derive(
                award_id=voucher.award_id,
                generation=voucher.generation,
                derive_key_version=voucher.derive_key_version,
            )
        ),
        "valid_from": voucher.valid_from,
        "valid_until": voucher.valid_until,
        "status": status,
        "usable": usable and not not_yet and not expired,
    }


@never_cache
@require_GET
def wallet(request):
    claimant = claimant_get(request)
    if claimant is None or claimant.person is None:
        return render(request, "vouchers/wallet_signin.html", status=403)
    now = timezone.now()
    rows = [_row(v, now) for v in wallet_vouchers(claimant.person)]
    response = render(
        request,
        "vouchers/wallet.html",
        {"vouchers": rows, "program": claimant.person.program},
    )
    response["Referrer-Policy"] = "no-referrer"
    return response
