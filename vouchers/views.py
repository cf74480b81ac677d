"""The customer's wallet: their vouchers with the full code, in their language."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from compensation.claimant_session import claimant_get, claimant_person_ids
from vouchers.presenters import voucher_row
from vouchers.selectors import person_page_vouchers, wallet_vouchers


@never_cache
@require_GET
def wallet(request):
    claimant = claimant_get(request)
    if claimant is None or claimant.person is None:
        return render(request, "vouchers/wallet_signin.html", status=403)
    now = timezone.now()
    rows = [voucher_row(v, now, with_code=True) for v in wallet_vouchers(claimant.person)]
    response = render(
        request,
        "vouchers/wallet.html",
        {"vouchers": rows, "program": claimant.person.program},
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_POST
def voucher_code_show(request, voucher_id: int):
    """One voucher's code, on demand from the person's page: only to its owner (any of their
    records, one per program); 404 to anyone else, as for a voucher that does not exist."""
    claimant = claimant_get(request)
    if claimant is None:
        raise Http404
    voucher = person_page_vouchers(claimant_person_ids(claimant)).filter(pk=voucher_id).first()
    if voucher is None:
        raise Http404
    response = render(
        request,
        "vouchers/code.html",
        {"voucher": voucher_row(voucher, timezone.now(), with_code=True)},
    )
    response["Referrer-Policy"] = "no-referrer"
    return response
