from django.db import models
from django.db.models import Q

from compensation.ids import uuid7
from compensation.models.choices import AwardKind
from compensation.models.policy import PolicyVersion
from compensation.models.population import AffectedPerson
from compensation.models.program import AwardLine, ClaimType, Program


class Award(models.Model):
    """One thing granted to a person, proactive or on a claim. The ledger of the program:
    the sum of live awards is the program's committed total, kept within budget."""

    class Source(models.TextChoices):
        PROACTIVE = "proactive", "Proactive (award template)"
        CLAIM = "claim", "Claim"

    class Status(models.TextChoices):
        GRANTED = "granted", "Granted"
        DELIVERED = "delivered", "Delivered"
        REVERSED = "reversed", "Reversed"

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    # The five references below are checked by the database once per statement, not per row
    # (compensation/references.py): an issuance run writes millions of awards naming the same
    # few program, line and policy rows, and the per-row checks were ~11 of ~28 us an award.
    # The program needs no index of its own: award_program_status_idx starts with it.
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="awards",
        db_constraint=False,
        db_index=False,
    )
    person = models.ForeignKey(
        AffectedPerson,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="awards",
        db_constraint=False,
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    # Proactive: the template line and which of its `count` units; claim: the claim's reference.
    award_line = models.ForeignKey(
        AwardLine, null=True, blank=True, on_delete=models.PROTECT, db_constraint=False
    )
    unit = models.PositiveSmallIntegerField(default=1)
    # Indexed only where set (proactive awards have none), see Meta.indexes.
    claim_type = models.ForeignKey(
        ClaimType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
    )
    claim_reference = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=16, choices=AwardKind.choices)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GRANTED)
    policy = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, db_constraint=False
    )
    explanation = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="award_amount_pos"),
            models.CheckConstraint(
                condition=(
                    Q(source="proactive") & Q(award_line__isnull=False) & Q(person__isnull=False)
                )
                | (Q(source="claim") & ~Q(claim_reference="")),
                name="award_source_complete",
            ),
            # Nobody is granted the same template line twice.
            models.UniqueConstraint(
                fields=["program", "person", "award_line", "unit"],
                condition=Q(source="proactive"),
                name="award_proactive_once",
            ),
            # One live award per claim.
            models.UniqueConstraint(
                fields=["claim_reference"],
                condition=Q(source="claim") & ~Q(status="reversed"),
                name="award_claim_once",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status"], name="award_program_status_idx"),
            models.Index(
                fields=["claim_type"],
                condition=Q(claim_type__isnull=False),
                name="award_claim_type_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor} {self.currency} ({self.status})"
