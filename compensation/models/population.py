import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, HashIndex
from django.db import models

from compensation.models.choices import AccountStatus, Language
from compensation.models.program import Program


class PopulationImport(models.Model):
    """One upload of the affected population: a CSV streamed into a staging table, checked row
    by row, then merged into AffectedPerson in chunks. Re-running it changes nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        LOADING = "loading", "Reading and checking the file"
        MERGING = "merging", "Merging into the population"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused: nothing was written"
        FAILED = "failed", "Failed: can be resumed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="imports")
    source_path = models.CharField(
        max_length=500,
        editable=False,
        help_text="The file's name in the population storage, or the absolute path of a file "
        "imported in place (compensation/services/population_files.py).",
    )
    original_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    rows_read = models.BigIntegerField(default=0)
    rows_rejected = models.BigIntegerField(default=0)
    rows_staged = models.BigIntegerField(default=0)
    rows_merged = models.BigIntegerField(default=0)  # staged rows through the merge's checks
    staged_at = models.DateTimeField(null=True, blank=True, editable=False)
    rows_inserted = models.BigIntegerField(default=0)
    rows_updated = models.BigIntegerField(default=0)
    rows_unchanged = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written by the worker at every block read and every chunk merged; an unfinished import
    # it has not touched for POPULATION_IMPORT_STALE_SECONDS lost its worker and is resumed.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The stored file holds everyone's personal data: it is deleted once the import is done or
    # refused (the reject report is in the database and needs no file).
    source_deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweep's question: unfinished imports (a handful among thousands).
            models.Index(
                fields=["heartbeat_at"],
                name="population_import_open_idx",
                condition=models.Q(status__in=["pending", "loading", "merging"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def rate_per_second(self) -> float | None:
        end = self.finished_at
        if not self.started_at:
            return None
        if end is None:
            from django.utils import timezone

            end = timezone.now()
        seconds = (end - self.started_at).total_seconds()
        return self.rows_read / seconds if seconds > 0 else None


class PopulationImportChunk(models.Model):
    """A range of staged lines to merge. Workers claim chunks with SKIP LOCKED, so several
    merge at once; a chunk's counts commit with its rows, so a resumed import never counts
    twice and the database says exactly what is left."""

    population_import = models.ForeignKey(
        PopulationImport, on_delete=models.CASCADE, related_name="chunks"
    )
    line_from = models.BigIntegerField(help_text="Exclusive.")
    line_to = models.BigIntegerField(help_text="Inclusive.")
    done_at = models.DateTimeField(null=True, blank=True)
    rows_merged = models.BigIntegerField(default=0)
    rows_inserted = models.BigIntegerField(default=0)
    rows_updated = models.BigIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["population_import", "line_from"], name="import_chunk_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"lines {self.line_from + 1}-{self.line_to}"


class PopulationReject(models.Model):
    """A row of an import that was not taken, and why. No row content is kept: the report
    points the operator at the line and column of their own file."""

    population_import = models.ForeignKey(
        PopulationImport, on_delete=models.CASCADE, related_name="rejects"
    )
    line = models.BigIntegerField(help_text="Line number in the file (the header is line 1).")
    column = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=300)

    class Meta:
        ordering = ["population_import", "line", "id"]

    def __str__(self) -> str:
        return f"line {self.line}: {self.column} {self.message}"


class AffectedPerson(models.Model):
    """One person on the affected list of a program. Lean on purpose: 33.7M rows is normal.

    Contact details are kept only to send notices; matching and duplicate finding use the
    keyed hashes (HMAC-SHA256 of the normalized email / phone)."""

    # Checked by the database once per statement, not per row (compensation/references.py).
    # No index of its own: the unique (program, external_id) index serves look-ups.
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="population",
        db_index=False,
        db_constraint=False,
    )
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.KO)
    region = models.CharField(max_length=32, blank=True)
    segment = models.CharField(max_length=32, blank=True)
    account_status = models.CharField(
        max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    data_categories = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    email_hash = models.BinaryField(null=True, editable=False)
    phone_hash = models.BinaryField(null=True, editable=False)
    last_import = models.ForeignKey(
        PopulationImport,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,  # provenance only; imports are never deleted
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "affected people"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "external_id"], name="affected_program_external_unique"
            ),
        ]
        # Matching asks only "which people have this keyed hash?": a hash index answers it and
        # takes a new row at about half the cost of a B-tree on random 32-byte keys. The
        # support desk finds people by phone too (phone_hash) and by name: trigrams (pg_trgm)
        # serve a name typed whole or in part in any script (docs/performance.md has what
        # they cost an import).
        indexes = [
            HashIndex(fields=["email_hash"], name="affected_email_hash_idx"),
            HashIndex(fields=["phone_hash"], name="affected_phone_hash_idx"),
            GinIndex(fields=["name"], name="affected_name_trgm_idx", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}"
