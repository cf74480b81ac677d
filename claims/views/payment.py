"""The claim's payment page: how the claimant wants to be paid, changeable until the payment
is in a released batch. The PAYOUT_FAILED notice links here (its fix_url) to correct the
details. Only the claim's own claimant sees it (404 for anyone else, as the claim's page)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from audit.services import client_ip
from claims.forms import PAYMENT_SECRETS, PaymentForm, payment_error, payment_methods_for
from claims.payout_presenter import payout_state
from claims.services.payment import claim_payment_change
from claims.views.common import claimant_required
from claims.views.status import claim_of_program
from payouts.errors import DetailsLocked, PayoutError
from payouts.selectors import payout_views, program_methods


@sensitive_post_parameters(*PAYMENT_SECRETS)
@never_cache
@claimant_required
@require_http_methods(["GET", "POST"])
def payment(request, program, reference: str):
    claim = claim_of_program(request, program, reference)
    view = payout_views(program.pk, [claim.reference]).get(claim.reference)
    locked = view is not None and view.locked
    methods = payment_methods_for(
        program_methods(program), program.currency, has_record=claim.person_id is not None
    )
    instruction = view.instruction if view else None
    form = PaymentForm(
        request.POST if request.method == "POST" else None,
        methods=methods,
        currency=program.currency,
        language=request.LANGUAGE_CODE,
        initial={
            "payout_method": instruction.method if instruction else None,
            "bank_code": instruction.bank_code if instruction else "",
        },
    )
    refused = ""
    if request.method == "POST" and not locked and form.is_valid():
        choice = form.choice()
        try:
            claim_payment_change(
                claim=claim,
                method=choice.method,
                bank_code=choice.bank_code,
                fields=choice.fields,
                language=request.LANGUAGE_CODE,
                ip_address=client_ip(request),
            )
        except DetailsLocked as exc:
            # Released meanwhile: say so, with the step as it now is.
            locked, refused = True, str(exc.message)
            view = payout_views(program.pk, [claim.reference]).get(claim.reference)
        except PayoutError as exc:
            if exc.status == 404:
                raise Http404 from None
            payment_error(form, exc)
        else:
            messages.success(request, _("Thank you. We will pay you the way you chose."))
            return redirect("claims:status", program.slug, claim.reference)
    state = payout_state(claim, view)
    if locked and not refused and (state is None or state.code != "paid"):
        refused = _("The payment is already on its way: the details can no longer change.")
    return render(
        request,
        "claims/payment.html",
        {
            "program": program,
            "claim": claim,
            "payout": state,
            "form": None if locked or not methods else form,
            "refused": refused,
            "locked": locked,
        },
        status=409 if locked and request.method == "POST" else 200,
    )
