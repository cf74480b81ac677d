import secrets

from django.db import models
from django.db.models import Q

from compensation.models import AffectedPerson, ClaimType, PolicyVersion, Program

# No 0/O/1/I/L: references are read out over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_claim_reference() -> str:
    """An unguessable claim reference: 'C-' and 16 symbols (~79 bits)."""
    return "C-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(16))


class Claim(models.Model):
    """A request for compensation filed by a claimant."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        INFO_REQUESTED = "info_requested", "Information requested"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        APPEALED = "appealed", "Appealed"

    reference = models.CharField(
        max_length=20, unique=True, default=new_claim_reference, editable=False
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="claims")
    claim_type = models.ForeignKey(ClaimType, on_delete=models.PROTECT, related_name="claims")
    person = models.ForeignKey(
        AffectedPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    claimant_email_hash = models.BinaryField(editable=False)
    language = models.CharField(max_length=8, default="ko")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    amount_claimed_minor = models.BigIntegerField(default=0)
    hours_claimed = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    amount_decided_minor = models.BigIntegerField(null=True, blank=True)
    statement = models.TextField(blank=True)
    policy = models.ForeignKey(PolicyVersion, null=True, blank=True, on_delete=models.PROTECT)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    decision_reasons = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        permissions = [("decide_high_value", "Can approve claims above the second-approver line")]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="claim_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(amount_claimed_minor__gte=0), name="claim_amount_nonneg"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "submitted_at"], name="claim_queue_idx")
        ]

    def __str__(self) -> str:
        return self.reference


class ClaimEvent(models.Model):
    """The claim's own history as the claimant and staff see it (the audit log is separate)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    actor_label = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.created_at:%Y-%m-%d %H:%M})"
