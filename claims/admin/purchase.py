"""The case page's panel for a good-faith purchase: the frozen instrument (last four, loaded
value, compromised and frozen when), the purchase, and the seller's other claims."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse

from claims.models import Claim
from compensation.engine.money import money_format
from instruments.selectors import purchase_for_claim, seller_claims


def purchase_panel(claim: Claim) -> dict | None:
    """None, with no query, for a claim whose type has no purchase route (the case page
    joins it: claim_type__purchase_route); otherwise two queries (the purchase with its
    instrument, the seller's claims)."""
    try:
        claim.claim_type.purchase_route  # noqa: B018 (the joined route, or DoesNotExist)
    except ObjectDoesNotExist:
        return None
    purchase = purchase_for_claim(claim.reference)
    if purchase is None:
        return None
    instrument = purchase.instrument
    cluster = seller_claims(purchase)
    return {
        "kind": instrument.kind,
        "last4": instrument.last4,
        "loaded": money_format(instrument.loaded_value_minor, instrument.currency),
        "compromised_at": instrument.compromised_at,
        "frozen_at": instrument.frozen_at,
        "freeze_reason": instrument.freeze_reason,
        "purchased_on": purchase.purchased_on,
        "price": money_format(purchase.price_minor, purchase.currency),
        "above_loaded": purchase.price_minor > instrument.loaded_value_minor,
        "bought_where": purchase.bought_where,
        "seller_handle": purchase.seller_handle,
        "before_freeze": purchase.before_freeze,
        "seller_claims": cluster,
        "cluster": cluster >= settings.INSTRUMENTS_SELLER_CLUSTER_CLAIMS,
        "sellers_url": reverse("admin:instruments_sellers", args=[claim.program_id]),
    }
