from django.conf import settings
from django.db import models

from compensation.models import PolicyVersion, Program


class ProgramDashboard(Program):
    """The program seen as a dashboard in the admin (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "program dashboard"
        permissions = [("export_program_data", "Can export a program's data and reports")]


class ProgramSnapshot(models.Model):
    """Figures over the big tables (vouchers, notices, awards), computed by a periodic job so
    a dashboard page never scans hundreds of millions of rows. One row per program."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="snapshot")
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    figures = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.program} figures at {self.computed_at:%Y-%m-%d %H:%M}"


class ProgramReview(models.Model):
    """A periodic review of a program: what was found, what was changed, which policy
    versions it led to, and what was recovered from insurance."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    findings = models.TextField()
    adjustments = models.TextField(blank=True)
    policy_versions = models.ManyToManyField(
        PolicyVersion, blank=True, related_name="reviews", help_text="Versions this review led to."
    )
    insurance_recovery_notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "-reviewed_on"]

    def __str__(self) -> str:
        return f"Review of {self.program} on {self.reviewed_on}"
