"""Templates, campaigns and the outbox. The outbox row is the truth about a notice: the broker
only carries hints that there is work to do."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from compensation.models import AffectedPerson, Program
from compensation.models.choices import Language
from notifications.kinds import Channel, Kind
from notifications.references import reference_display, reference_new


class NoticeTemplate(models.Model):
    """The text of one kind of notice, on one channel, in one language (Django template
    syntax; the variables each kind may use are listed in notifications/kinds.py)."""

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True, help_text=_("Email only."))
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["kind", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel", "language"], name="noticetemplate_one_per_kind"
            ),
            models.CheckConstraint(
                condition=~Q(channel="email") | ~Q(subject=""),
                name="noticetemplate_email_has_subject",
            ),
        ]

    def __str__(self) -> str:
        kind, channel = self.get_kind_display(), self.get_channel_display()
        return f"{kind} / {channel} / {self.get_language_display()}"


class Campaign(models.Model):
    """A bulk send to an audience of a program's population, scheduled for a time."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        BUILDING = "building", "Creating notices"
        SENDING = "sending", "Sending"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=200)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    audience = models.CharField(max_length=32)
    audience_params = models.JSONField(default=dict, blank=True)
    context = models.JSONField(default=dict, blank=True)
    # The event that started a campaign on its own ("vouchers:run:12:holders:email"): a
    # re-finished run finds the first campaign and starts no second one.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # Build progress: people with id <= build_cursor have had their notice created.
    build_cursor = models.BigIntegerField(default=0, editable=False)
    build_upto = models.BigIntegerField(null=True, blank=True, editable=False)
    notices_created = models.BigIntegerField(default=0, editable=False)
    sent_count = models.BigIntegerField(default=0, editable=False)
    failed_count = models.BigIntegerField(default=0, editable=False)
    # Channel fallback: a person with no address on the campaign's channel gets the notice on
    # the other one (an email campaign texts those without an email, and the reverse).
    fallback = models.BooleanField(
        default=True,
        help_text="A person without an address on this channel gets it on the other channel.",
    )
    # Of the notices created, how many went on the other channel.
    fallback_count = models.BigIntegerField(default=0, editable=False)
    # People of the audience no notice was created for, and why: {"no_address": n} (neither
    # an email nor a phone), {"no_channel_address": n} (none on this channel, fallback off).
    unreachable_count = models.BigIntegerField(default=0, editable=False)
    unreachable_reasons = models.JSONField(default=dict, blank=True, editable=False)
    # The last test of this campaign sent to an operator (the admin asks for one first).
    test_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    test_sent_to = models.CharField(max_length=254, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    built_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(status="cancelled")
                | Q(scheduled_for__isnull=False),
                name="campaign_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(sent_count__gte=0)
                & Q(failed_count__gte=0)
                & Q(sent_count__lte=models.F("notices_created") - models.F("failed_count")),
                name="campaign_counts_consistent",
            ),
            models.CheckConstraint(
                condition=Q(unreachable_count__gte=0)
                & Q(fallback_count__gte=0)
                & Q(fallback_count__lte=models.F("notices_created")),
                name="campaign_reach_counts_consistent",
            ),
            models.UniqueConstraint(fields=["dedupe_key"], name="campaign_dedupe_key_unique"),
        ]
        indexes = [
            models.Index(
                fields=["scheduled_for"],
                condition=Q(status="scheduled"),
                name="campaign_due_idx",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def progress_percent(self) -> float:
        if not self.notices_created:
            return 0.0
        return 100.0 * (self.sent_count + self.failed_count) / self.notices_created


class Notice(models.Model):
    """One message to one address: the outbox row, written in the same transaction as the
    event that causes it, and moved pending -> sending -> sent / failed by the workers."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Priority(models.IntegerChoices):
        # A decision about one claim must not wait behind a 30M-person campaign.
        TRANSACTIONAL = 0, "Transactional"
        BULK = 1, "Bulk"

    reference = models.CharField(max_length=16, unique=True, default=reference_new, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=8, choices=Language.choices)
    to_address = models.CharField(max_length=254)
    context = models.JSONField(default=dict, blank=True)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        AffectedPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    # The event that caused the notice ("claim:123:decision"): re-running it creates nothing.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, editable=False)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.TRANSACTIONAL
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_default=Now())
    # The claim's token (services/sending.py): set once per claim, never renewed.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Until when the claim holds the row: short, renewed by its sender while it sends, so a
    # killed worker's rows go back to pending within about a minute (notices_redispatch).
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("retry_notice", "Can send failed notices again")]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="notice_dedupe_key_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]),
                name="notice_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="notice_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_at__isnull=False),
                name="notice_sending_is_claimed",
            ),
        ]
        indexes = [
            # What the senders claim from, due first, from a floor (see services/sending.py).
            models.Index(
                fields=["channel", "priority", "next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="notice_pending_due_idx",
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="notice_sending_idx"
            ),
        ]

    def __str__(self) -> str:
        return reference_display(self.reference)

    @property
    def reference_display(self) -> str:
        return reference_display(self.reference)
