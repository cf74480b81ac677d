from django.conf import settings
from django.db import models


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
