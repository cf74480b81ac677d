from django import forms
from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import AuditedModelAdmin
from compensation.admin.budget import program_budget_view
from compensation.admin.forecast import program_forecast_html
from compensation.engine.money import money_format
from compensation.models import AwardLine, ClaimType, Incident, Program, RegulatorNotice
from compensation.models.choices import Language


class RegulatorNoticeInline(admin.TabularInline):
    model = RegulatorNotice
    extra = 0


@admin.register(Incident)
class IncidentAdmin(AuditedModelAdmin):
    list_display = ["title", "detected_at", "disclosed_at", "severity", "estimated_affected"]
    inlines = [RegulatorNoticeInline]


class AwardLineForm(forms.ModelForm):
    """An award line and its voucher's terms, checked before they reach the redeem call:
    minimums are whole minor units, texts are by a language the pages speak."""

    class Meta:
        model = AwardLine
        fields = [
            "code",
            "kind",
            "service_scope",
            "amount_minor",
            "count",
            "position",
            "redemption_mode",
            "bound_to_account",
            "reversal_grace_days",
            "min_order_minor",
            "min_order_by_segment",
            "excluded_categories",
            "excluded_categories_text",
        ]

    def clean_min_order_by_segment(self):
        value = self.cleaned_data.get("min_order_by_segment") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError('A minimum per segment: {"member": 0, "guest": 30000}.')
        for segment, minimum in value.items():
            if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
                raise forms.ValidationError(
                    f"The minimum of segment {segment!r} must be a whole number of minor units, "
                    f"0 or more (found {minimum!r})."
                )
        return value

    def clean_excluded_categories_text(self):
        value = self.cleaned_data.get("excluded_categories_text") or {}
        languages = set(Language.values)
        if not isinstance(value, dict):
            raise forms.ValidationError('Texts by language: {"ko": "...", "en": "..."}.')
        for language, text in value.items():
            if language not in languages:
                raise forms.ValidationError(
                    f"Unknown language {language!r}: use one of {', '.join(sorted(languages))}."
                )
            if not isinstance(text, str) or not text.strip():
                raise forms.ValidationError(f"The text in {language!r} is empty.")
        return value

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("excluded_categories_text") and not cleaned.get("excluded_categories"):
            self.add_error(
                "excluded_categories",
                "List the category codes the redeem call checks, as well as the text.",
            )
        return cleaned


class AwardLineInline(admin.StackedInline):
    model = AwardLine
    form = AwardLineForm
    extra = 0
    fieldsets = [
        (
            None,
            {"fields": [("code", "kind", "service_scope"), ("amount_minor", "count", "position")]},
        ),
        (
            "Voucher terms (shown to the holder, checked at redeem)",
            {
                "fields": [
                    ("redemption_mode", "bound_to_account", "reversal_grace_days"),
                    ("min_order_minor", "min_order_by_segment"),
                    ("excluded_categories", "excluded_categories_text"),
                ]
            },
        ),
    ]


@admin.register(Program)
class ProgramAdmin(AuditedModelAdmin):
    list_display = ["name", "incident", "status", "currency", "budget", "committed"]
    list_select_related = ["incident"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["committed", "pool_factor", "forecast"]
    inlines = [AwardLineInline]
    change_form_template = "admin/compensation/program/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # Once the program exists its budget changes only by a proposal (four eyes): the
        # "Change the budget" page.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if obj is None else ["budget", *fields]

    def get_fields(self, request, obj=None):
        # The amounts are shown formatted with their currency ("200,000,000 KRW"), never as
        # the stored minor units; the budget is typed only when the program is created.
        fields = [f for f in super().get_fields(request, obj) if f not in ("budget", "committed")]
        at = fields.index("budget_minor") if "budget_minor" in fields else len(fields)
        if obj is not None:
            fields[at : at + 1] = ["budget", "committed"]
        else:
            fields.insert(at + 1, "committed")
        return fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "budget_minor" and field is not None:
            field.label = _("Budget")
            field.help_text = _(
                "A whole amount in the program's currency, in its smallest unit (won for KRW, "
                "cents for USD)."
            )
        return field

    @admin.display(description=_("Budget"), ordering="budget_minor")
    def budget(self, obj):
        return money_format(obj.budget_minor, obj.currency) if obj.pk else "-"

    @admin.display(description=_("Committed"), ordering="committed_minor")
    def committed(self, obj):
        return money_format(obj.committed_minor, obj.currency) if obj.pk else "-"

    def get_urls(self):
        return [
            path(
                "<int:pk>/budget/",
                self.admin_site.admin_view(
                    lambda request, pk: program_budget_view(self, request, pk)
                ),
                name="compensation_program_budget",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Cost forecast against the budget")
    def forecast(self, obj):
        return program_forecast_html(obj) if obj.pk else "-"


@admin.register(ClaimType)
class ClaimTypeAdmin(AuditedModelAdmin):
    list_display = ["code", "program", "calculation", "cap_per_claim_minor"]
    list_select_related = ["program"]
