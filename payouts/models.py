"""Payouts: how each person chose to be paid, the batches that pay them, and each payout.

A `Payout` is one attempt to pay one award. At most one is live per award (batched, released
or paid: `payout_one_live_per_award`); a failed or returned one leaves the award granted, so a
later batch pays it again after the person corrected their details."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compensation.ids import uuid7
from compensation.models import Award, Program
from payouts.methods import Method

LIVE_STATUSES = ("batched", "released", "paid")


class PayoutOffer(models.Model):
    """The payout methods a program offers its claimants (none: bank transfer only)."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="+")
    methods = ArrayField(models.CharField(max_length=20, choices=Method.choices), default=list)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(methods__len__gte=1), name="payout_offer_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id}: {', '.join(self.methods)}"


class PayoutInstruction(models.Model):
    """How the claimant of one claim wants to be paid. Written while they file (a draft, bound
    to their session's draft key and their email hash), bound to the claim at submission, and
    changeable from their pages until a payout of it is in a released batch.

    Details (account number, holder, customer reference) are only ever stored encrypted
    (payouts/crypto.py); the last four digits are kept to show them masked."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    owner_email_hash = models.BinaryField(editable=False)
    draft_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    claim_reference = models.CharField(max_length=40, blank=True, editable=False)
    method = models.CharField(max_length=20, choices=Method.choices)
    bank_code = models.CharField(max_length=8, blank=True)
    details_encrypted = models.BinaryField(null=True, editable=False)
    details_key_version = models.PositiveSmallIntegerField(null=True, editable=False)
    details_last4 = models.CharField(max_length=4, blank=True, editable=False)
    # Where payout notices go, in which language (claims passes the claim's contact).
    notify_email = models.CharField(max_length=254, blank=True, editable=False)
    language = models.CharField(max_length=8, default="ko")
    # Set when a payout of it failed or came back: no batch takes it until the person
    # corrects the details (which clears it).
    hold_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "claim_reference"],
                condition=~Q(claim_reference=""),
                name="payout_instruction_one_per_claim",
            ),
            models.UniqueConstraint(
                fields=["owner_email_hash", "draft_key"],
                condition=Q(draft_key__isnull=False),
                name="payout_instruction_one_per_draft",
            ),
            models.CheckConstraint(
                condition=Q(details_encrypted__isnull=True) | Q(details_key_version__isnull=False),
                name="payout_instruction_key_version",
            ),
        ]
        indexes = [
            models.Index(
                fields=["program", "method", "id"],
                condition=~Q(claim_reference="") & Q(hold_code=""),
                name="payout_instr_payable_idx",
            ),
            models.Index(fields=["details_key_version"], name="payout_instr_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.claim_reference or '(draft)'}"

    @property
    def masked(self) -> str:
        return f"****{self.details_last4}" if self.details_last4 else ""


class PayoutBatch(models.Model):
    """A set of payouts of one program and method, built by one staff member and released by
    another (four eyes, a CHECK in the database), then exported (bank transfer) or sent
    (provider methods)."""

    class Status(models.TextChoices):
        BUILDING = "building", _("Building")
        BUILT = "built", _("Built, waiting for release")
        RELEASED = "released", _("Released")
        SETTLED = "settled", _("Settled")
        DISCARDED = "discarded", _("Discarded")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=20, choices=Method.choices)
    currency = models.CharField(max_length=3)
    # The selection the builder asked for.
    amount_min_minor = models.BigIntegerField(null=True, blank=True)
    amount_max_minor = models.BigIntegerField(null=True, blank=True)
    approved_before = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    # Instructions are read in id order; the build resumes after this id.
    build_cursor = models.BigIntegerField(default=0, editable=False)
    payouts_count = models.PositiveIntegerField(default=0, editable=False)
    total_minor = models.BigIntegerField(default=0, editable=False)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True, editable=False)
    released_at = models.DateTimeField(null=True, blank=True, editable=False)
    settled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bank transfer: the exported file's SHA-256 and line count (payouts/services/bank_files.py).
    file_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    file_lines = models.PositiveIntegerField(null=True, blank=True, editable=False)
    exported_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        permissions = [
            ("release_payoutbatch", "Can release a payout batch built by someone else"),
            ("export_payoutbatch", "Can download a released batch's bank transfer file"),
            ("import_payoutresult", "Can upload a bank's result file"),
        ]
        constraints = [
            # Four eyes: whoever built a batch cannot release it.
            models.CheckConstraint(
                condition=Q(released_by__isnull=True) | ~Q(released_by=models.F("built_by")),
                name="payout_batch_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["released", "settled"]) | Q(released_by__isnull=False),
                name="payout_batch_released_by_someone",
            ),
            models.CheckConstraint(
                condition=Q(amount_min_minor__isnull=True)
                | Q(amount_max_minor__isnull=True)
                | Q(amount_min_minor__lte=models.F("amount_max_minor")),
                name="payout_batch_amount_range",
            ),
        ]
        indexes = [models.Index(fields=["program", "status"], name="payout_batch_program_idx")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} batch {str(self.public_id)[:8]} ({self.status})"


class Payout(models.Model):
    """One attempt to pay one award. `reference` is the line's key in the bank file and in the
    bank's result file, and the idempotency key at a provider."""

    class Status(models.TextChoices):
        BATCHED = "batched", _("In a batch, not released")
        RELEASED = "released", _("Released, waiting for the result")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        RETURNED = "returned", _("Returned by the bank")
        CANCELLED = "cancelled", _("Taken out before release")

    # Unique by a constraint (payout_reference_unique), not unique=True, which would add a
    # second index (varchar_pattern_ops) for LIKE searches nobody makes.
    reference = models.CharField(max_length=20, editable=False)
    # The references are checked once per statement (compensation/references.py, migration
    # 0004): a batch of a million payouts made four million foreign-key checks. The
    # single-column indexes of batch, instruction and program are left out: the indexes
    # below begin with them. The award's stays (the admin's search by claim, a deleted award's
    # check); payout_one_live_per_award holds only the live payouts.
    batch = models.ForeignKey(
        PayoutBatch,
        on_delete=models.PROTECT,
        related_name="payouts",
        db_constraint=False,
        db_index=False,
    )
    award = models.ForeignKey(
        Award, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    instruction = models.ForeignKey(
        PayoutInstruction,
        on_delete=models.PROTECT,
        related_name="payouts",
        db_constraint=False,
        db_index=False,
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    method = models.CharField(max_length=20, choices=Method.choices)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BATCHED)
    failure_code = models.CharField(max_length=40, blank=True)
    provider_reference = models.CharField(max_length=80, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_amount_pos"),
            models.UniqueConstraint(fields=["reference"], name="payout_reference_unique"),
            # Never live twice for one award: a resumed or re-sent batch pays nobody twice.
            models.UniqueConstraint(
                fields=["award"],
                condition=Q(status__in=LIVE_STATUSES),
                name="payout_one_live_per_award",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "failed", "returned"])
                | Q(settled_at__isnull=False),
                name="payout_settled_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "status"], name="payout_batch_status_idx"),
            models.Index(fields=["instruction", "status"], name="payout_instruction_idx"),
            models.Index(fields=["program", "method", "status"], name="payout_program_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount_minor} {self.currency} ({self.status})"


class PayoutChunk(models.Model):
    """A range of a released provider batch's payouts, sent by one worker. Done in one
    transaction with the payouts' results, so this table is the truth of what is left: a
    killed worker leaves its chunk pending, and re-sending it reuses each payout's idempotency
    key, so the provider credits nobody twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")

    batch = models.ForeignKey(PayoutBatch, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    payout_id_from = models.BigIntegerField()
    payout_id_to = models.BigIntegerField(help_text="Inclusive.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A chunk whose provider asked to try again waits until then (backoff); the last attempt,
    # for the sweep that wakes batches whose workers went quiet (payouts/services/sending.py).
    retry_after = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="payout_chunk_unique"),
            models.CheckConstraint(
                condition=Q(payout_id_to__gte=models.F("payout_id_from")),
                name="payout_chunk_range",
            ),
        ]
        indexes = [models.Index(fields=["batch", "status"], name="payout_chunk_status_idx")]

    def __str__(self) -> str:
        return f"chunk {self.number} of batch {self.batch_id} ({self.status})"


class PayoutResultFile(models.Model):
    """A bank's result file for a released bank-transfer batch, uploaded in the admin. It is
    checked whole before anything is applied: refused with every bad line (line and column),
    or applied in one transaction."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        REFUSED = "refused", _("Refused")
        APPLIED = "applied", _("Applied")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="results")
    sha256 = models.CharField(max_length=64, editable=False)
    file_name = models.CharField(max_length=200, blank=True)
    storage_name = models.CharField(max_length=200, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    lines = models.PositiveIntegerField(default=0)
    paid = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    # [{"line": n, "column": "name", "message": "..."}], the first few hundred.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One applied result file per content: an upload of the same file twice is refused.
            models.UniqueConstraint(
                fields=["batch", "sha256"],
                condition=Q(status="applied"),
                name="payout_result_applied_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name or self.sha256[:12]} ({self.status})"
