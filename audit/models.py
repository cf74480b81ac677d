from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One state change, made by a person or a job. Append-only: a database trigger refuses
    UPDATE and DELETE on this table, whoever asks."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # "user:<id>", "job:<task name>", "service:<key name>" or "claimant:<ref>": who, even when
    # no staff user is behind the change.
    actor_label = models.CharField(max_length=120)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The program the changed object belongs to (None: no one program's, such as a staff
    # account or a job over every program), so a program's trail can be exported alone. An id,
    # not a foreign key: the trail depends on no other app, and outlives what it describes.
    program_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["object_type", "object_id", "created_at"]),
            models.Index(fields=["program_id", "id"], name="audit_event_program_idx"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type}:{self.object_id}"


class Proposal(models.Model):
    """A money action one staff member proposes and a different one approves (four eyes):
    publishing a policy, starting an issuance run, changing a budget, settling a pool. The
    actions are registered in audit.proposals.PROPOSAL_ACTIONS by the apps that own them.

    `params` is what the action is executed with and `figures` what the proposer was shown
    (dry-run counts, amounts): ids, amounts and counts only, never personal data or secrets."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for approval")
        EXECUTED = "executed", _("Approved and done")
        FAILED = "failed", _("Approved, refused when done")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    action = models.CharField(max_length=60, db_index=True)
    # The object the action is about, named like an audit row's (a model label and a primary
    # key; ids, not foreign keys: the trail depends on no other app).
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    program_id = models.BigIntegerField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    figures = models.JSONField(default=dict, blank=True)
    reason = models.CharField(
        max_length=500, blank=True, help_text=_("Why, in a few words. No personal data.")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    # True when a threshold let the proposer act alone (a small budget change): it was done
    # at once, and the row keeps the register of money actions complete.
    alone = models.BooleanField(default=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    # What the action returned when done (the run's id, the claims paid), or why it was refused.
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            # Four eyes: whoever proposed cannot approve or reject.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="proposal_four_eyes",
            ),
            # A decision names who made it; only a threshold's one-person action has none.
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "withdrawn"])
                | Q(decided_by__isnull=False)
                | Q(alone=True, status="executed"),
                name="proposal_decided_by_someone",
            ),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(decided_at__isnull=False),
                name="proposal_decided_at",
            ),
            # One open proposal per action and object: a second waits for the first's decision.
            models.UniqueConstraint(
                fields=["action", "object_type", "object_id"],
                condition=Q(status="proposed"),
                name="proposal_one_open_per_target",
            ),
        ]
        indexes = [models.Index(fields=["status", "proposed_at"], name="proposal_status_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr or self.object_id} ({self.status})"
