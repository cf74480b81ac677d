"""Program terms in the admin: operators start a version (a copy of the published one),
edit its texts and questions per language while it is a draft, and publish it. A published
version is read-only here and in the database (trigger program_terms_immutable)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from audit.admin_mixins import AuditedModelAdmin
from audit.services import client_ip
from compensation.errors import CompensationError
from compensation.models import ProgramFaqEntry, ProgramTerms, ProgramTermsText
from compensation.services.terms import program_terms_draft, program_terms_publish


class _DraftOnlyInline(admin.StackedInline):
    extra = 0

    def _editable(self, obj) -> bool:
        return obj is not None and obj.published_at is None

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ProgramTermsTextInline(_DraftOnlyInline):
    model = ProgramTermsText
    fields = [
        "language",
        "change_summary",
        "who_is_covered",
        "what_you_get",
        "how_to_use",
        "important_dates",
        "contact_hours",
    ]


class ProgramFaqEntryInline(_DraftOnlyInline):
    model = ProgramFaqEntry
    fields = ["language", "position", "question", "answer"]
    extra = 1


@admin.register(ProgramTerms)
class ProgramTermsAdmin(AuditedModelAdmin):
    list_display = ["program", "number", "state", "published_at", "accepting_waives_claims"]
    list_filter = ["program"]
    list_select_related = ["program"]
    inlines = [ProgramTermsTextInline, ProgramFaqEntryInline]
    actions = ["publish"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["program"]
        return [
            "program",
            "number",
            "state",
            "accepting_waives_claims",
            "contact_phone",
            "inquiry_url",
            "published_at",
            "published_by",
        ]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["number", "state", "published_at", "published_by"]
        if obj is None:
            return []
        if obj.published_at is not None:
            return ["program", "accepting_waives_claims", "contact_phone", "inquiry_url", *fixed]
        return ["program", *fixed]

    def has_delete_permission(self, request, obj=None):
        return False  # a draft is edited, a published version is kept

    @admin.display(description="State")
    def state(self, obj):
        return "published" if obj.published_at else "draft (not shown on the public page)"

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # "Add" starts the program's next version (or opens the draft it has already).
        draft = program_terms_draft(
            program=form.cleaned_data["program"], actor=request.user, ip_address=client_ip(request)
        )
        obj.pk = draft.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
        # On add the draft's texts and questions come from the version before it.

    def get_formsets_with_inlines(self, request, obj=None):
        if obj is None:
            return  # the add page only picks the program
        yield from super().get_formsets_with_inlines(request, obj)

    @admin.action(description="Publish the selected draft version", permissions=["change"])
    def publish(self, request, queryset):
        for terms in queryset:
            try:
                program_terms_publish(
                    terms=terms, actor=request.user, ip_address=client_ip(request)
                )
            except (CompensationError, ValidationError) as exc:
                self.message_user(request, f"{terms}: {exc}", messages.WARNING)
            else:
                self.message_user(
                    request, f"{terms.program} terms v{terms.number} published.", messages.SUCCESS
                )
