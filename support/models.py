import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models import AffectedPerson, Program
from compensation.models.choices import Language
from notifications.models import Notice


class Person(AffectedPerson):
    """A person on an affected list as the support desk sees them (a proxy: no table of its
    own). It carries the desk's permissions; the admin's search and person page hang off it."""

    class Meta:
        proxy = True
        default_permissions = ()
        permissions = [
            ("search_people", "Can find people and open their page"),
            ("resend_notice", "Can send a person's notice again"),
        ]
        verbose_name = _("person")
        verbose_name_plural = _("people")


# No 0/O/1/I/L: references are read out over the phone (as claim references are).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_inquiry_reference() -> str:
    """An unguessable inquiry reference: 'Q-' and 16 symbols (~79 bits)."""
    return "Q-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(16))


class Inquiry(models.Model):
    """A question a person sent (from /me/, the program page, or through an agent). Its contact
    is kept as a keyed hash (to find the person's other inquiries) and encrypted (to answer):
    never in plain text here; the reply's notice carries the address as the outbox needs."""

    class Category(models.TextChoices):
        ELIGIBILITY = "eligibility", _("Am I covered?")
        CLAIM = "claim", _("A claim")
        VOUCHER = "voucher", _("Vouchers")
        PAYMENT = "payment", _("A payment")
        NOTICE = "notice", _("A message we sent")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in on the site")
        WEB = "web", _("The site, without signing in")
        DESK = "desk", _("Opened by an agent")

    class ContactChannel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    reference = models.CharField(max_length=18, unique=True, default=new_inquiry_reference)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        AffectedPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    body = models.TextField()
    language = models.CharField(max_length=8, choices=Language.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    contact_channel = models.CharField(max_length=8, choices=ContactChannel.choices)
    contact_hash = models.BinaryField(editable=False)
    contact_encrypted = models.BinaryField(editable=False)
    contact_key_version = models.PositiveSmallIntegerField(editable=False)
    # What staff see of the address: "m***@example.com", "***-6789".
    contact_masked = models.CharField(max_length=80, editable=False)
    document_storage_name = models.CharField(max_length=64, blank=True, editable=False)
    document_content_type = models.CharField(max_length=40, blank=True, editable=False)
    document_size_bytes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    document_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The SLA clock: the first answer is due by then (SUPPORT_INQUIRY_SLA_HOURS after filing).
    due_at = models.DateTimeField()
    first_answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        default_permissions = ("view", "change")
        permissions = [("answer_inquiry", "Can answer inquiries and write to claimants")]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_at__gt=F("created_at")), name="inquiry_due_after_created"
            ),
            models.CheckConstraint(
                condition=Q(first_answered_at__isnull=True)
                | Q(first_answered_at__gte=F("created_at")),
                name="inquiry_answered_after_created",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(first_answered_at__isnull=False),
                name="inquiry_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="inquiry_closed_when",
            ),
            models.CheckConstraint(
                condition=~Q(source="desk") | Q(opened_by__isnull=False),
                name="inquiry_desk_has_agent",
            ),
        ]
        indexes = [
            # The queue: what is open, oldest due first; the overdue count.
            models.Index(
                fields=["due_at"], condition=Q(status="open"), name="inquiry_open_due_idx"
            ),
            models.Index(fields=["program", "created_at"], name="inquiry_program_idx"),
            models.Index(fields=["person", "-created_at"], name="inquiry_person_idx"),
            models.Index(fields=["contact_hash"], name="inquiry_contact_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class InquiryEntry(models.Model):
    """One step of an inquiry's thread: an internal note (staff only), or a reply that went to
    the person through the notification outbox (its notice)."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Internal note")
        REPLY = "reply", _("Reply")

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    body = models.TextField()
    canned_code = models.CharField(max_length=40, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        default_permissions = ()
        ordering = ["inquiry", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="note", notice__isnull=True)
                | Q(kind="reply", notice__isnull=False),
                name="inquiry_entry_reply_has_notice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"
