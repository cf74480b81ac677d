"""The case page's panel for a good-faith purchase: the frozen instrument (last four, loaded
value, compromised and frozen when), the purchase, and the seller's other claims."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from claims.models import Claim
from compensation.engine.money import money_format
from instruments.selectors import purchase_for_claim, seller_claims


def purchase_panel(claim: Claim) -> dict | None:
    """Two queries (the purchase with its instrument, the seller's claims); None for a claim
    with no purchase."""
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
