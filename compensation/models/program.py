import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language

from compensation.models.choices import AwardKind, DataCategory, RedemptionMode, Severity


class Incident(models.Model):
    """What happened and how bad it was."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="What happened, in plain language, for the public page.")
    summary_i18n = models.JSONField(
        default=dict,
        blank=True,
        help_text='The summary in other languages, by code: {"ko": "...", "zh-hans": "..."}.',
    )
    detected_at = models.DateTimeField()
    disclosed_at = models.DateTimeField(null=True, blank=True)
    systems_involved = models.TextField(blank=True)
    data_categories = ArrayField(
        models.CharField(max_length=32, choices=DataCategory.choices), default=list, blank=True
    )
    estimated_affected = models.BigIntegerField(default=0)
    confirmed_affected = models.BigIntegerField(null=True, blank=True)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    severity_reasoning = models.TextField(blank=True)
    jurisdictions = ArrayField(
        models.CharField(max_length=8),
        default=list,
        blank=True,
        help_text="ISO 3166 codes, comma separated (KR, US...).",
    )
    evidence_notes = models.TextField(blank=True)
    lessons_learned = models.TextField(blank=True)
    preventive_measures = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-detected_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_affected__gte=0), name="incident_estimated_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(disclosed_at__isnull=True) | Q(disclosed_at__gte=F("detected_at")),
                name="incident_disclosed_after_detected",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def summary_in(self, language: str) -> str:
        return self.summary_i18n.get(language) or self.summary

    @property
    def local_summary(self) -> str:
        """The summary in the active language (public pages), else the main text."""
        return self.summary_in(get_language() or "")


class RegulatorNotice(models.Model):
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="regulator_notices"
    )
    regulator = models.CharField(max_length=200)
    jurisdiction = models.CharField(max_length=8)
    notified_at = models.DateTimeField()
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["notified_at"]

    def __str__(self) -> str:
        return f"{self.regulator} ({self.jurisdiction})"


class Program(models.Model):
    """A compensation program for one incident: budget, windows, what is awarded."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        SETTLED = "settled", "Settled"

    class Allocation(models.TextChoices):
        FIXED = "fixed", "Fixed face value"
        PRO_RATA = "pro_rata", "Pro-rata pool"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="programs")
    slug = models.SlugField(max_length=60, unique=True, help_text="Used in the public address.")
    name = models.CharField(max_length=200)
    name_i18n = models.JSONField(
        default=dict,
        blank=True,
        help_text='The name in other languages, by code: {"ko": "...", "zh-hans": "..."}.',
    )
    currency = models.CharField(max_length=3, default="KRW")
    budget_minor = models.BigIntegerField(help_text="Hard cap, in minor units of the currency.")
    committed_minor = models.BigIntegerField(default=0, editable=False)
    # A pro-rata pool for claims: approved claim amounts are scaled to fit it at close.
    allocation = models.CharField(
        max_length=10, choices=Allocation.choices, default=Allocation.FIXED
    )
    claim_pool_minor = models.BigIntegerField(null=True, blank=True)
    # Set when the pool is settled: the factor every approved claim amount was scaled by.
    pool_factor = models.DecimalField(
        max_digits=12, decimal_places=10, null=True, blank=True, editable=False
    )
    claim_opens_at = models.DateTimeField(null=True, blank=True)
    claim_closes_at = models.DateTimeField(null=True, blank=True)
    voucher_valid_from = models.DateTimeField(null=True, blank=True)
    voucher_valid_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("settle_program", "Can settle a program's pro-rata pool")]
        constraints = [
            models.CheckConstraint(condition=Q(budget_minor__gte=0), name="program_budget_nonneg"),
            # The ledger's last line of defence: whatever the code does, the database refuses
            # a committed total above the budget.
            models.CheckConstraint(
                condition=Q(committed_minor__gte=0) & Q(committed_minor__lte=F("budget_minor")),
                name="program_committed_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(claim_pool_minor__isnull=True)
                | Q(claim_pool_minor__lte=F("budget_minor")),
                name="program_pool_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(claim_closes_at__isnull=True)
                | Q(claim_opens_at__isnull=True)
                | Q(claim_closes_at__gt=F("claim_opens_at")),
                name="program_claim_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(voucher_valid_until__isnull=True)
                | Q(voucher_valid_from__isnull=True)
                | Q(voucher_valid_until__gt=F("voucher_valid_from")),
                name="program_voucher_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return self.name_i18n.get(language) or self.name

    @property
    def local_name(self) -> str:
        """The name in the active language (public pages), else the main name."""
        return self.name_in(get_language() or "")

    @property
    def remaining_minor(self) -> int:
        return self.budget_minor - self.committed_minor


class AwardLine(models.Model):
    """One line of the proactive award each eligible person gets (a template)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="award_lines")
    code = models.SlugField(max_length=40, help_text="Stable name of the line, e.g. 'eats'.")
    kind = models.CharField(max_length=16, choices=AwardKind.choices, default=AwardKind.VOUCHER)
    service_scope = models.CharField(
        max_length=40, blank=True, help_text="Where a voucher can be used, e.g. 'eats'."
    )
    amount_minor = models.BigIntegerField()
    count = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField(default=0)
    # The voucher's terms, shown to its holder before use and checked by the redeem call
    # (vouchers/services/redemption.py). None of them is copied onto the voucher rows.
    redemption_mode = models.CharField(
        max_length=8,
        choices=RedemptionMode.choices,
        default=RedemptionMode.SINGLE,
        help_text="Single use: one order spends it, the unused part is forfeited. Partial: "
        "it keeps the balance left and can be used again until spent.",
    )
    min_order_minor = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The smallest order (minor units) it can be used on; empty: any order.",
    )
    min_order_by_segment = models.JSONField(
        default=dict,
        blank=True,
        help_text='Another minimum for people of a segment, by segment: {"member": 0, '
        '"non_member": 30000}; a segment not listed has the minimum above.',
    )
    excluded_categories = ArrayField(
        models.SlugField(max_length=40),
        default=list,
        blank=True,
        help_text="Category codes of an order it cannot pay for (the redeem call's "
        "`categories`), e.g. gift_card, tobacco.",
    )
    excluded_categories_text = models.JSONField(
        default=dict,
        blank=True,
        help_text='What it cannot be used for, as the holder reads it, by language: {"ko": '
        '"...", "en": "...", "zh-hans": "..."}.',
    )
    bound_to_account = models.BooleanField(
        default=False,
        help_text="Only the holder's own account can use it: a redeem must carry the "
        "customer's account reference, and it must be the holder's.",
    )
    reversal_grace_days = models.PositiveSmallIntegerField(
        default=0,
        help_text="A redemption reversed (refunded) after the voucher expired gives it back "
        "for this many days; 0: it stays expired.",
    )

    class Meta:
        ordering = ["program", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="awardline_code_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="awardline_amount_pos"),
            models.CheckConstraint(condition=Q(count__gte=1), name="awardline_count_pos"),
            models.CheckConstraint(
                condition=Q(min_order_minor__isnull=True) | Q(min_order_minor__gte=0),
                name="awardline_min_order_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(redemption_mode__in=["single", "partial"]),
                name="awardline_redemption_mode_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.count} x {self.amount_minor}"

    def min_order_for(self, segment: str) -> int:
        """The minimum order for a holder of this segment (0: none)."""
        value = self.min_order_by_segment.get(segment) if segment else None
        if value is None:
            value = self.min_order_minor
        return int(value or 0)

    def excluded_text_in(self, language: str) -> str:
        return self.excluded_categories_text.get(language) or self.excluded_categories_text.get(
            "en", ""
        )

    @property
    def total_minor(self) -> int:
        return self.amount_minor * self.count


class ClaimType(models.Model):
    """A route to compensation on request, with what it requires and how much it can pay."""

    class Calculation(models.TextChoices):
        DOCUMENTED = "documented", "Documented out-of-pocket loss"
        TIME_SPENT = "time_spent", "Time spent, at an hourly rate"
        PURCHASE_REFUND = "purchase_refund", "Refund of the price paid (good-faith purchase)"
        FIXED = "fixed", "Fixed amount"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="claim_types")
    code = models.SlugField(max_length=40)
    calculation = models.CharField(max_length=20, choices=Calculation.choices)
    # {"ko": ..., "en": ..., "zh-hans": ...}: shown on the claim form in the claimant's language.
    title = models.JSONField(default=dict)
    instructions = models.JSONField(default=dict)
    required_documents = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        help_text="Document kinds, e.g. receipt, proof_of_purchase.",
    )
    requires_affected_record = models.BooleanField(default=True)
    cap_per_claim_minor = models.BigIntegerField(null=True, blank=True)
    cap_per_person_minor = models.BigIntegerField(null=True, blank=True)
    fixed_amount_minor = models.BigIntegerField(null=True, blank=True)
    hourly_rate_minor = models.BigIntegerField(null=True, blank=True)
    max_hours_documented = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True
    )
    max_hours_undocumented = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True
    )
    max_claims_per_person = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["program", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="claimtype_code_unique"),
            models.CheckConstraint(
                condition=~Q(calculation="time_spent") | Q(hourly_rate_minor__gt=0),
                name="claimtype_time_needs_rate",
            ),
            models.CheckConstraint(
                condition=~Q(calculation="fixed") | Q(fixed_amount_minor__gt=0),
                name="claimtype_fixed_needs_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.title.get("en") or self.code

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get("en") or self.code
