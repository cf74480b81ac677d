"""Vouchers: issuance runs and their chunks, the vouchers, freezes, redemptions, service keys.

A voucher is the instrument of an Award (compensation's ledger): the award is the money, the
voucher is the single-use code that spends it. Codes are never stored: only a keyed hash
(HMAC, with the key's version) for look-up and the last four symbols for display.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext

from compensation.models import AffectedPerson, Award, AwardLine, PolicyVersion, Program
from vouchers.labels import RUN_STATUSES


class VoucherBatch(models.Model):
    """One issuance run: who asked, what for, and (in its chunks) what is done."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed: can be resumed"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="voucher_batches")
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    award_line_ids = ArrayField(models.BigIntegerField(), help_text="Award lines issued.")
    segments = ArrayField(
        models.CharField(max_length=32),
        default=list,
        blank=True,
        help_text="Only people in these segments; empty: every eligible person.",
    )
    chunk_size = models.PositiveIntegerField(default=2_000, help_text="People per chunk.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    people_planned = models.BigIntegerField(default=0)
    vouchers_planned = models.BigIntegerField(default=0)
    cost_planned_minor = models.BigIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last time a worker was seen working on it: the periodic re-dispatch wakes stale runs.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "issuance run"
        permissions = [("issue_vouchers", "Can start and resume voucher issuance runs")]
        constraints = [
            models.CheckConstraint(condition=Q(chunk_size__gt=0), name="batch_chunk_size_pos"),
        ]

    def __str__(self) -> str:
        return gettext("Issuance run %(run)s: %(status)s") % {
            "run": self.pk,
            "status": RUN_STATUSES.get(self.status, self.status),
        }


class IssuanceChunk(models.Model):
    """A range of people of a run. Done in one transaction with its awards and vouchers, so
    this table is the truth of what is done: a killed worker leaves its chunk pending."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    batch = models.ForeignKey(VoucherBatch, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    person_id_from = models.BigIntegerField()
    person_id_to = models.BigIntegerField(help_text="Inclusive.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    vouchers_issued = models.PositiveIntegerField(default=0)
    amount_minor = models.BigIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    seconds = models.FloatField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="chunk_number_unique"),
            models.CheckConstraint(
                condition=Q(person_id_to__gte=models.F("person_id_from")),
                name="chunk_range_ordered",
            ),
        ]
        indexes = [models.Index(fields=["batch", "status"], name="chunk_batch_status_idx")]

    def __str__(self) -> str:
        return f"chunk {self.number} of run {self.batch_id}"


class BatchProfileLine(models.Model):
    """An eligible population profile of a run and one award line it gets, decided once by
    the policy engine when the run starts. Chunks join people to these rows in SQL."""

    batch = models.ForeignKey(VoucherBatch, on_delete=models.CASCADE, related_name="profiles")
    account_status = models.CharField(max_length=10)
    region = models.CharField(max_length=32)
    segment = models.CharField(max_length=32)
    data_categories = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    award_line = models.ForeignKey(AwardLine, on_delete=models.PROTECT, related_name="+")
    people = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.account_status}/{self.region}/{self.segment}: line {self.award_line_id}"


class VoucherFreeze(models.Model):
    """One freeze action: why, how the vouchers were chosen, how many. Codes are never kept
    here, only how many a file listed."""

    class Method(models.TextChoices):
        RUN = "run", "Every voucher of an issuance run"
        PEOPLE = "people", "A list of people (external ids)"
        CODES = "codes", "A file of codes"
        WINDOW = "window", "Issued within a time window"
        SELECTION = "selection", "Selected in the admin"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=10, choices=Method.choices)
    reason = models.TextField()
    parameters = models.JSONField(default=dict, blank=True)
    vouchers_frozen = models.BigIntegerField(default=0)
    vouchers_unfrozen = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    # The scope of a run or window freeze, which holds its vouchers from the freeze's commit
    # (the redeem and validate statements check it, vouchers/services/freeze_marks.py): the
    # run, or the issue-time window, and the highest voucher id it covers (those that existed
    # when it was made; a later reissue is not frozen). Null for the other methods.
    scope_batch = models.ForeignKey(
        VoucherBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_issued_from = models.DateTimeField(null=True, blank=True)
    scope_issued_until = models.DateTimeField(null=True, blank=True)
    scope_voucher_id_max = models.BigIntegerField(null=True, blank=True)
    # The per-voucher marks (state and freeze_id) written behind the scope in small chunks:
    # ids up to marks_cursor are marked; done when marks_done_at is set (after a lift: the
    # marks are cleared). marks_touched_at: the last chunk, for the sweep of stalled ones.
    marks_cursor = models.BigIntegerField(default=0)
    marks_done_at = models.DateTimeField(null=True, blank=True)
    marks_touched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("freeze_vouchers", "Can freeze, unfreeze, void and reissue vouchers")]
        indexes = [
            # Every redeem asks "does an active scope freeze of this program cover it?":
            # a probe of this index, empty almost always.
            models.Index(
                fields=["program"],
                name="freeze_active_scope_idx",
                condition=Q(lifted_at__isnull=True, scope_voucher_id_max__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Freeze {self.pk}: {self.vouchers_frozen} vouchers ({self.method})"


class Voucher(models.Model):
    class State(models.TextChoices):
        ISSUED = "issued", "Issued (usable)"
        REDEEMED = "redeemed", "Redeemed"
        FROZEN = "frozen", "Frozen"
        VOID = "void", "Void (replaced or cancelled)"

    # Indexed by the partial unique constraint below (the live voucher of an award). Checked
    # by the database once per statement, like the run and freeze below (migration 0004).
    award = models.ForeignKey(
        Award,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="vouchers",
    )
    # The code is derived from (award, generation); a reissue is the next generation.
    generation = models.PositiveSmallIntegerField(default=1)
    # The run that issued it, and (below) the freeze holding it: checked by the database once
    # per statement (migration 0003, compensation/references.py), not per row: each per-row key
    # check cost 3-4 us (the run's) and ~1 us (the freeze's) of every voucher written.
    batch = models.ForeignKey(
        VoucherBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="vouchers",
    )
    # Copies of the award's program and person, for the wallet and freezes. Not database
    # foreign keys: the award's own key guards them, and every extra per-row check is paid
    # 135M times at Coupang scale.
    program = models.ForeignKey(
        Program, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    person = models.ForeignKey(
        AffectedPerson,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="vouchers",
    )
    service_scope = models.CharField(max_length=40)
    amount_minor = models.BigIntegerField()
    # What is left of a voucher of a partial-redemption line once it was used in part; null
    # while nothing was taken (the whole amount is left), so an unused voucher pays no
    # bytes for it.
    balance_minor = models.BigIntegerField(null=True, blank=True, editable=False)
    currency = models.CharField(max_length=3)
    code_hash = models.BinaryField(max_length=16, unique=True, editable=False)
    hash_key_version = models.PositiveSmallIntegerField(editable=False)
    derive_key_version = models.PositiveSmallIntegerField(editable=False)
    last4 = models.CharField(max_length=4, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ISSUED)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    freeze = models.ForeignKey(
        VoucherFreeze,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="vouchers",
    )
    issued_at = models.DateTimeField()
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="voucher_amount_pos"),
            # Never negative, never more than it was worth.
            models.CheckConstraint(
                condition=Q(balance_minor__isnull=True)
                | (Q(balance_minor__gte=0) & Q(balance_minor__lte=models.F("amount_minor"))),
                name="voucher_balance_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(state="frozen") | Q(freeze__isnull=False),
                name="voucher_frozen_has_freeze",
            ),
            # One usable-or-used voucher per award: a reissue voids the old one first.
            models.UniqueConstraint(
                fields=["award"], condition=~Q(state="void"), name="voucher_one_live_per_award"
            ),
        ]
        indexes = [
            models.Index(fields=["person"], name="voucher_person_idx"),
            # Almost every voucher has no freeze: index only those that do.
            models.Index(
                fields=["freeze"],
                condition=Q(freeze__isnull=False),
                name="voucher_freeze_idx",
            ),
            # Issuance appends in time order, so a block-range index answers time windows
            # for a fraction of a b-tree's upkeep.
            BrinIndex(fields=["issued_at"], name="voucher_issued_brin"),
        ]

    def __str__(self) -> str:
        return f"…{self.last4} ({self.service_scope}, {self.state})"

    @property
    def masked_code(self) -> str:
        return f"****-****-****-{self.last4}-*"


class ServiceKey(models.Model):
    """An integrating service's API key: scoped to one service, stored as a hash, shown
    once at creation, revocable."""

    name = models.CharField(max_length=100)
    service_scope = models.CharField(max_length=40, help_text="e.g. 'eats'.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.BinaryField(max_length=32, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["service_scope", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.service_scope}, {self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Redemption(models.Model):
    class Status(models.TextChoices):
        LIVE = "live", "Live"
        REVERSED = "reversed", "Reversed (refund)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    service_key = models.ForeignKey(ServiceKey, on_delete=models.PROTECT, related_name="+")
    order_reference = models.CharField(max_length=100)
    customer_ref = models.CharField(max_length=100, blank=True)
    # What the voucher paid for the order (applied), in its currency.
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # The order's amount as the service sent it (null: not sent, the whole value applied).
    order_amount_minor = models.BigIntegerField(null=True, blank=True)
    # Single use without change: what the order did not use and the holder lost (0 when
    # the order used it all). Counts while the redemption is live; a reversal gives it back.
    forfeited_minor = models.BigIntegerField(default=0)
    # Partial redemption: the voucher's balance after this one (null for single use).
    balance_after_minor = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reverse_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The second line of the exactly-once guarantee of a single-use voucher, after
            # the conditional update. A partial voucher has a live row per part; its
            # balance's CHECK (and the same conditional update) keeps it from going negative.
            models.UniqueConstraint(
                fields=["voucher"],
                condition=Q(status="live", balance_after_minor__isnull=True),
                name="redemption_one_live",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0) & Q(forfeited_minor__gte=0),
                name="redemption_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_reference} ({self.status})"


class IdempotencyRecord(models.Model):
    """The first answer to a request made with an Idempotency-Key, replayed for retries."""

    service_key = models.ForeignKey(ServiceKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=20)
    request_hash = models.BinaryField(max_length=32)
    # Filled in the transaction that made the first answer; a concurrent retry waits on the
    # unique key until then.
    response_status = models.PositiveSmallIntegerField(default=0)
    # The JSON text exactly as it was sent (not jsonb, which reorders keys): a replay is the
    # first answer's bytes.
    response_body = models.TextField(default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service_key", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.operation} {self.created_at:%Y-%m-%d %H:%M}"


class ValidityExtension(models.Model):
    """A bulk extension of the validity window of one run's or a whole program's vouchers,
    approved under four eyes (vouchers/proposals.py). The vouchers are moved in chunks of ids
    behind `cursor` (vouchers/services/expiry.py), each chunk its own transaction, so a killed
    worker resumes where it stopped; the holders are told once the last chunk is done."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    # The run whose vouchers move; null: every voucher of the program (and its window).
    batch = models.ForeignKey(
        VoucherBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_until = models.DateTimeField(help_text="The new end of the window.")
    previous_until = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()
    # The vouchers that existed at the approval (ids up to this); a later one is issued with
    # the program's (already extended) window.
    voucher_id_max = models.BigIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)
    vouchers_extended = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    touched_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["touched_at"], name="extension_open_idx", condition=Q(done_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        scope = f"run {self.batch_id}" if self.batch_id else "program"
        return f"Extension {self.pk} of {scope} to {self.valid_until:%Y-%m-%d}"
