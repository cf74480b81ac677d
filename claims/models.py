import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compensation.models import AffectedPerson, Award, ClaimType, PolicyVersion, Program

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
        REFERRED = "referred", "Referred to an expert"
        PENDING_APPROVAL = "pending_approval", "Waiting for a second approver"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        APPEALED = "appealed", "Appealed"

    class Risk(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online, by the claimant")
        PHONE = "phone", _("By phone, through an agent")
        VISIT = "visit", _("In person, through an agent")
        PAPER = "paper", _("On paper, through an agent")

    # The channels through which an agent files for a claimant (claim_file_assisted).
    ASSISTED_CHANNELS = (Channel.PHONE, Channel.VISIT, Channel.PAPER)

    OPEN_STATUSES = (
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.INFO_REQUESTED,
        Status.REFERRED,
        Status.PENDING_APPROVAL,
        Status.APPEALED,
    )

    reference = models.CharField(
        max_length=20, unique=True, default=new_claim_reference, editable=False
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="claims")
    claim_type = models.ForeignKey(ClaimType, on_delete=models.PROTECT, related_name="claims")
    person = models.ForeignKey(
        AffectedPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    claimant_email_hash = models.BinaryField(editable=False)
    # Where notices go for a claimant who is not on the affected list (verified by a code).
    contact_email = models.CharField(max_length=254, blank=True, editable=False)
    # The n-th claim of this type by this identity: unique, so the database enforces the
    # claim type's max_claims_per_person even under concurrent submissions.
    slot = models.PositiveSmallIntegerField(default=1, editable=False)
    language = models.CharField(max_length=8, default="ko")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    amount_claimed_minor = models.BigIntegerField(default=0)
    hours_claimed = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    amount_decided_minor = models.BigIntegerField(null=True, blank=True)
    # Pro-rata programs: the approved amount, paid at the pool's settlement.
    entitlement_minor = models.BigIntegerField(null=True, blank=True, editable=False)
    statement = models.TextField(blank=True)
    policy = models.ForeignKey(PolicyVersion, null=True, blank=True, on_delete=models.PROTECT)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    risk = models.CharField(max_length=8, choices=Risk.choices, default=Risk.LOW)
    screening_outcome = models.CharField(max_length=8, blank=True, editable=False)
    # The engine's rule results ({code, passed, effect, params}) and the fraud signals seen.
    decision_reasons = models.JSONField(default=list, blank=True)
    signals = models.JSONField(default=list, blank=True, editable=False)
    # Keyed hashes (never the values) for the cross-claimant signals.
    network_hash = models.BinaryField(null=True, editable=False)
    payout_hash = models.BinaryField(null=True, editable=False)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    due_at = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims_assigned",
    )
    referred_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims_referred",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # An approval above the second-approver line waits here for a different approver.
    proposed_amount_minor = models.BigIntegerField(null=True, blank=True, editable=False)
    first_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    award = models.ForeignKey(
        Award, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    info_request = models.TextField(blank=True)
    info_document_kind = models.CharField(max_length=40, blank=True)
    info_due_at = models.DateTimeField(null=True, blank=True)
    appeal_statement = models.TextField(blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    feedback_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    feedback_comment = models.TextField(blank=True)
    # How the claim came in: online by the claimant, or through an agent who filed it for them
    # (assisted filing, from the support desk): that agent may not approve it.
    channel = models.CharField(
        max_length=8, choices=Channel.choices, default=Channel.ONLINE, editable=False
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-submitted_at"]
        permissions = [
            ("decide_high_value", "Can approve claims above the second-approver line"),
            ("file_for_claimant", "Can file a claim on a claimant's behalf"),
        ]
        constraints = [
            # An assisted claim names its agent; a claim the claimant filed names nobody.
            models.CheckConstraint(
                condition=Q(channel="online", filed_by__isnull=True)
                | Q(channel__in=["phone", "visit", "paper"], filed_by__isnull=False),
                name="claim_assisted_names_agent",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="claim_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(amount_claimed_minor__gte=0), name="claim_amount_nonneg"
            ),
            models.UniqueConstraint(
                fields=["claim_type", "claimant_email_hash", "slot"],
                name="claim_identity_slot_unique",
            ),
            models.UniqueConstraint(
                fields=["claim_type", "person", "slot"],
                condition=Q(person__isnull=False),
                name="claim_person_slot_unique",
            ),
            models.CheckConstraint(condition=Q(slot__gte=1), name="claim_slot_positive"),
            models.CheckConstraint(
                condition=Q(feedback_rating__isnull=True)
                | Q(feedback_rating__gte=1, feedback_rating__lte=5),
                name="claim_feedback_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(amount_decided_minor__isnull=True) | Q(amount_decided_minor__gte=0),
                name="claim_decided_nonneg",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "submitted_at"], name="claim_queue_idx"),
            models.Index(fields=["status", "due_at"], name="claim_sla_idx"),
            models.Index(fields=["assigned_to", "status"], name="claim_assignee_idx"),
            models.Index(fields=["status", "-score"], name="claim_risk_idx"),
            models.Index(fields=["status", "submitted_at"], name="claim_status_age_idx"),
            models.Index(fields=["risk", "score", "submitted_at"], name="claim_risk_score_idx"),
            models.Index(fields=["network_hash", "submitted_at"], name="claim_network_idx"),
            models.Index(fields=["payout_hash"], name="claim_payout_idx"),
            models.Index(fields=["claimant_email_hash"], name="claim_email_hash_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ClaimEvent(models.Model):
    """The claim's own history as the claimant and staff see it (the audit log is separate).
    Internal events (staff notes) are never shown to the claimant."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    internal = models.BooleanField(default=False)
    actor_label = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.created_at:%Y-%m-%d %H:%M})"


class ClaimDocument(models.Model):
    """An uploaded file. Stored under a server-made random name in the claim documents storage
    (claims/storage.py; never the web root) and served only through a view that checks the
    owner or a staff permission.
    Before the claim is submitted it belongs to a draft (draft_key) of the uploader."""

    class Purpose(models.TextChoices):
        CLAIM = "claim", "Filed with the claim"
        INFO = "info", "Answer to a request for information"
        APPEAL = "appeal", "Filed with an appeal"

    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    draft_key = models.CharField(max_length=64, db_index=True, editable=False)
    owner_email_hash = models.BinaryField(editable=False)
    kind = models.CharField(max_length=40)
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.CLAIM)
    storage_name = models.CharField(max_length=80, unique=True, editable=False)
    original_name = models.CharField(max_length=120, blank=True)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    # An image stored as re-encoded from the upload (claims.document_checks): the only kind
    # staff see inline. Older images and every PDF are downloaded.
    reencoded = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
                name="claimdocument_allowed_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.content_type})"

    @property
    def shown_inline(self) -> bool:
        return self.reencoded and self.content_type in ("image/jpeg", "image/png")


class CannedResponse(models.Model):
    """A standardized reply from the one library: staff insert it into a request for
    information, an answer to an inquiry or a message about a claim, as its purpose says."""

    class Purpose(models.TextChoices):
        INFO_REQUEST = "info_request", "Request for information"
        INQUIRY = "inquiry", "Answer to an inquiry"
        MESSAGE = "message", "Message about a claim"

    code = models.SlugField(max_length=40)
    purpose = models.CharField(
        max_length=16, choices=Purpose.choices, default=Purpose.INFO_REQUEST, db_index=True
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(max_length=120)
    body = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["purpose", "code", "language"]
        constraints = [
            models.UniqueConstraint(fields=["code", "language"], name="canned_code_language"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class SignInCode(models.Model):
    """A one-time sign-in code: only its keyed hash is stored, with an expiry and an attempt
    counter; the code itself exists only in the message that carried it (sealed in the
    outbox until sent). A few live codes per address: asking again adds one."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    # The keyed hash of the address the code went to: the email's, or the phone's for SMS.
    email_hash = models.BinaryField()
    # Which device asked (a hash of its cookie's id, or of the network without one): a new
    # request retires only older codes of the same device.
    device_hash = models.BinaryField(null=True, blank=True)
    code_hash = models.BinaryField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["program", "email_hash", "-created_at"], name="signin_lookup_idx")
        ]

    def __str__(self) -> str:
        return f"sign-in code {self.pk}"


class PersonalLink(models.Model):
    """A link a notice carries that signs its one recipient in, once: only the SHA-256 of its
    token is stored, with the recipient (person, the identity the session gets, the keyed hash
    of the address it was sent to), where it leads, an expiry and when it was used."""

    token_hash = models.BinaryField()
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        AffectedPerson, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    identity_hash = models.BinaryField()
    recipient_hash = models.BinaryField()
    next_path = models.CharField(max_length=300)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="personal_link_token_unique"),
            models.CheckConstraint(
                condition=Q(next_path__startswith="/"), name="personal_link_local_path"
            ),
        ]

    def __str__(self) -> str:
        return f"personal link {self.pk}"
