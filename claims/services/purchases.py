"""The intake hook of claim types with a purchase route: the good-faith purchase is recorded
with the claim, in its submission's transaction, before it is screened."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from claims.errors import ClaimError
from claims.models import Claim
from instruments.errors import InstrumentError
from instruments.selectors import purchase_route_for
from instruments.services.purchases import PurchaseAnswers, purchase_record


def claim_purchase_record(*, claim: Claim, answers: PurchaseAnswers | None) -> None:
    """Record the claim's purchase when its type has a purchase route (inside the caller's
    transaction). ClaimError, so that the submission writes nothing, when the route asks for a
    purchase and none was given, or the instrument is no longer frozen or already claimed."""
    route = purchase_route_for(claim.claim_type)
    if route is None:
        return
    if answers is None:
        raise ClaimError(
            _("This claim needs the number and the purchase: fill in the form again."),
            code="purchase_missing",
        )
    try:
        purchase_record(
            program=claim.program,
            claim_reference=claim.reference,
            answers=answers,
            kind=route.kind,
        )
    except InstrumentError as exc:
        raise ClaimError(exc.message, code=exc.code) from None
