"""Reads of the instruments app: a claim's purchase, its signals, and the seller clusters."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Max, Min, QuerySet, Sum

from compensation.models import ClaimType, Program
from instruments.models import InstrumentPurchase, PurchaseRoute


def purchase_route_for(claim_type: ClaimType) -> PurchaseRoute | None:
    return PurchaseRoute.objects.filter(claim_type=claim_type).first()


def purchase_for_claim(claim_reference: str) -> InstrumentPurchase | None:
    return (
        InstrumentPurchase.objects.select_related("instrument")
        .filter(claim_reference=claim_reference)
        .first()
    )


def seller_claims(purchase: InstrumentPurchase) -> int:
    """Claims of the program naming the same seller (this one included); 0 with no seller."""
    if not purchase.seller_key:
        return 0
    return InstrumentPurchase.objects.filter(
        program_id=purchase.program_id, seller_key=purchase.seller_key
    ).count()


def purchase_signals(claim_reference: str) -> list[dict]:
    """Screening signals of a claim's purchase, each {code, count}: bought on or after the
    freeze's day; a price above the instrument's loaded value. A seller on several claims is
    not one: the criminals sold thousands of instruments through a few handles, so every
    buyer of theirs would wait for a person; the cluster is shown to the reviewer and
    exported for the police instead (seller_claims, seller_clusters)."""
    purchase = purchase_for_claim(claim_reference)
    if purchase is None:
        return []
    signals = []
    if not purchase.before_freeze:
        signals.append({"code": "bought_after_freeze", "count": 1})
    if purchase.price_minor > purchase.instrument.loaded_value_minor:
        signals.append({"code": "price_above_loaded_value", "count": 1})
    return signals


def seller_clusters(program: Program) -> QuerySet:
    """Sellers named on at least INSTRUMENTS_SELLER_CLUSTER_CLAIMS claims of the program,
    most claims first: the key, a handle as typed, claims, total paid, first and last
    purchase."""
    return (
        InstrumentPurchase.objects.filter(program=program)
        .exclude(seller_key="")
        .values("seller_key")
        .annotate(
            claims=Count("id"),
            handle=Min("seller_handle"),
            paid_minor=Sum("price_minor"),
            first_purchase=Min("purchased_on"),
            last_purchase=Max("purchased_on"),
        )
        .filter(claims__gte=settings.INSTRUMENTS_SELLER_CLUSTER_CLAIMS)
        .order_by("-claims", "seller_key")
    )


def seller_cluster_rows(program: Program) -> Iterator[tuple]:
    """One row per purchase from a clustered seller, for the export the police receive:
    seller, claim reference, purchase date, price, currency, where bought, the instrument's
    last four, bought before the freeze."""
    keys = list(seller_clusters(program).values_list("seller_key", flat=True))
    purchases = (
        InstrumentPurchase.objects.filter(program=program, seller_key__in=keys)
        .select_related("instrument")
        .order_by("seller_key", "purchased_on", "id")
    )
    for purchase in purchases.iterator(chunk_size=2000):
        yield (
            purchase.seller_key,
            purchase.seller_handle,
            purchase.claim_reference,
            purchase.purchased_on.isoformat(),
            purchase.price_minor,
            purchase.currency,
            purchase.bought_where,
            purchase.instrument.last4,
            "yes" if purchase.before_freeze else "no",
        )
