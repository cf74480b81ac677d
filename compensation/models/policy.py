import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from compensation.models.program import Program


class PolicyVersion(models.Model):
    """Eligibility, limits and scoring rules as data. Immutable once published (a database
    trigger refuses changes to a published version's rules); a change is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired (replaced by a newer version)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="policies")
    number = models.PositiveIntegerField(editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    rules = models.JSONField()
    notes = models.TextField(blank=True, help_text="Why this version exists.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["program", "-number"]
        permissions = [("publish_policyversion", "Can publish a policy version")]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="policy_number_unique"),
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status="published"),
                name="policy_one_published_per_program",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} policy v{self.number} ({self.status})"


class DryRun(models.Model):
    """The result of running a policy version over a program's whole population before
    publishing: counts, cost against budget, and a sample of explained decisions."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    policy = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="dry_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    people_total = models.BigIntegerField(default=0)
    people_eligible = models.BigIntegerField(default=0)
    people_ineligible = models.BigIntegerField(default=0)
    cost_minor = models.BigIntegerField(default=0)  # proactive + claims
    proactive_cost_minor = models.BigIntegerField(default=0)
    claims_cost_minor = models.BigIntegerField(default=0)
    budget_minor = models.BigIntegerField(default=0)
    # {"reason code": count} for the ineligible, and decisions for a handful of people.
    outcome_counts = models.JSONField(default=dict)
    sample = models.JSONField(default=list)
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Dry run of {self.policy} ({self.status})"

    @property
    def within_budget(self) -> bool:
        return self.cost_minor <= self.budget_minor
