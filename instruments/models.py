"""Compromised external instruments (stored-value cards, voucher numbers a company sold and
someone else recharged or copied), the imports that list them, and the good-faith purchases
claimed against them.

A number is never stored: only its keyed hash (HMAC-SHA256 with the key version that made it,
instruments/hashing.py) and its last four characters."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from compensation.models import ClaimType, Program


class InstrumentKind(models.TextChoices):
    CARD = "card", "Stored-value card"
    VOUCHER = "voucher", "Voucher number"


class InstrumentImport(models.Model):
    """One uploaded list: applied whole, or refused whole with its reject report."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused (nothing applied)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="instrument_imports"
    )
    kind = models.CharField(max_length=10, choices=InstrumentKind.choices)
    original_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    rows_read = models.IntegerField(default=0)
    rows_imported = models.IntegerField(default=0)
    rows_rejected = models.IntegerField(default=0)
    key_version = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.original_name or 'instrument list'} ({self.get_status_display()})"


class InstrumentReject(models.Model):
    """One problem of a refused import, by line and column; never the row's content."""

    instrument_import = models.ForeignKey(
        InstrumentImport, on_delete=models.CASCADE, related_name="rejects"
    )
    line = models.BigIntegerField()
    column = models.CharField(max_length=60)
    message = models.CharField(max_length=300)

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["instrument_import", "line"], name="instr_reject_line")]

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


class CompromisedInstrument(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="instruments")
    instrument_import = models.ForeignKey(
        InstrumentImport, on_delete=models.PROTECT, related_name="instruments"
    )
    kind = models.CharField(max_length=10, choices=InstrumentKind.choices)
    number_hash = models.BinaryField(max_length=32)
    key_version = models.PositiveSmallIntegerField()
    last4 = models.CharField(max_length=4)
    compromised_at = models.DateTimeField()
    loaded_value_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    frozen_at = models.DateTimeField(null=True, blank=True)
    freeze_reason = models.CharField(max_length=300, blank=True)
    # The last lift of its freeze (instruments_unfreeze): the card is usable again, and a
    # good-faith claim on it gets that answer. A new freeze clears both.
    unfrozen_at = models.DateTimeField(null=True, blank=True)
    unfreeze_reason = models.CharField(max_length=300, blank=True, db_default="")

    class Meta:
        ordering = ["id"]
        permissions = [("freeze_instruments", "Can mark compromised instruments frozen")]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "key_version", "number_hash"], name="instrument_number_once"
            ),
            models.CheckConstraint(
                condition=Q(loaded_value_minor__gte=0), name="instrument_value_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(frozen_at__isnull=True) | ~Q(freeze_reason=""),
                name="instrument_freeze_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(unfrozen_at__isnull=True)
                | (Q(frozen_at__isnull=True) & ~Q(unfreeze_reason="")),
                name="instrument_unfreeze_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["instrument_import", "id"], name="instrument_import_ids")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ending {self.last4}"


class PurchaseRoute(models.Model):
    """A claim type whose claimants bought a compromised instrument: its form asks for the
    number and the purchase, and intake matches the number against the program's frozen list."""

    claim_type = models.OneToOneField(
        ClaimType, on_delete=models.CASCADE, related_name="purchase_route"
    )
    kind = models.CharField(max_length=10, choices=InstrumentKind.choices)

    def __str__(self) -> str:
        return f"{self.claim_type}: {self.get_kind_display()}"

    def clean(self) -> None:
        # The form's amount is the price paid: only these calculations ask for one.
        if self.claim_type_id and self.claim_type.calculation not in (
            ClaimType.Calculation.PURCHASE_REFUND,
            ClaimType.Calculation.DOCUMENTED,
        ):
            raise ValidationError(
                {
                    "claim_type": "A purchase route needs a claim type that asks for an amount "
                    "(refund of the price paid, or documented loss)."
                }
            )


class InstrumentPurchase(models.Model):
    """A good-faith purchase claimed on one frozen instrument: one claim per instrument."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(
        CompromisedInstrument, on_delete=models.PROTECT, related_name="purchases"
    )
    claim_reference = models.CharField(max_length=40, unique=True)
    purchased_on = models.DateField()
    price_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    bought_where = models.CharField(max_length=120)
    # As the claimant typed it (what the police read), and normalized for finding clusters.
    seller_handle = models.CharField(max_length=120, blank=True)
    seller_key = models.CharField(max_length=120, blank=True)
    before_freeze = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        permissions = [("export_sellers", "Can export the seller clusters (for the police)")]
        constraints = [
            models.UniqueConstraint(fields=["instrument"], name="purchase_one_per_instrument"),
            models.CheckConstraint(condition=Q(price_minor__gt=0), name="purchase_price_pos"),
        ]
        indexes = [
            models.Index(
                fields=["program", "seller_key"],
                name="purchase_seller",
                condition=~Q(seller_key=""),
            )
        ]

    def __str__(self) -> str:
        return f"purchase {self.claim_reference}"
