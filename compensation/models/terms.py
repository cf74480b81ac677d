"""A program's public terms, versioned (compensation/services/terms.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from compensation.models.choices import Language
from compensation.models.program import Program


class ProgramTerms(models.Model):
    """One version of a program's public texts: who is covered, what people get, how to use
    it, important dates, how to reach the program and its questions and answers, each per
    language (ProgramTermsText, ProgramFaqEntry). A draft is edited freely; once published it
    never changes (trigger program_terms_immutable): a change is a new version, with a date
    and a summary of what changed in each language, and the program's page lists them."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="terms")
    number = models.PositiveIntegerField(editable=False)
    # Whether accepting the compensation waives any claim against the company, as the terms
    # say: notices print it ({{ waives_claims }}, "yes" or empty).
    accepting_waives_claims = models.BooleanField(
        default=False,
        help_text="Tick if accepting the compensation waives the person's other claims.",
    )
    contact_phone = models.CharField(max_length=40, blank=True)
    inquiry_url = models.URLField(blank=True, help_text="The program's inquiry form, if any.")
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program", "-number"]
        verbose_name = "program terms version"
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="program_terms_number"),
            # One draft at a time per program: the next version is edited in one place.
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(published_at__isnull=True),
                name="program_terms_one_draft",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="program_terms_number_pos"),
        ]

    def __str__(self) -> str:
        state = "published" if self.published_at else "draft"
        return f"{self.program} terms v{self.number} ({state})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ProgramTermsText(models.Model):
    """The texts of one terms version in one language."""

    terms = models.ForeignKey(ProgramTerms, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8, choices=Language.choices)
    who_is_covered = models.TextField(
        blank=True, help_text='The criteria in plain words: "closed accounts are excluded".'
    )
    what_you_get = models.TextField(blank=True)
    how_to_use = models.TextField(blank=True)
    important_dates = models.TextField(blank=True, help_text="One date and what happens, a line.")
    contact_hours = models.CharField(max_length=200, blank=True)
    change_summary = models.CharField(
        max_length=300,
        blank=True,
        help_text="What changed in this version, in a sentence (needed to publish).",
    )

    class Meta:
        ordering = ["terms", "language"]
        constraints = [
            models.UniqueConstraint(fields=["terms", "language"], name="program_terms_text_lang")
        ]

    def __str__(self) -> str:
        return f"{self.terms} / {self.language}"


class ProgramFaqEntry(models.Model):
    """One question and its answer, in one language, in a terms version."""

    terms = models.ForeignKey(ProgramTerms, on_delete=models.CASCADE, related_name="faq")
    language = models.CharField(max_length=8, choices=Language.choices)
    position = models.PositiveSmallIntegerField(default=0)
    question = models.CharField(max_length=300)
    answer = models.TextField()

    class Meta:
        ordering = ["terms", "language", "position", "id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question
