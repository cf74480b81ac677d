"""The payouts' records in the admin, read-only (payouts, payment choices: only ever the
masked account, never decrypted) and the methods a program offers (operators, audited)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import AuditedModelAdmin, ReadOnlyAdmin
from compensation.engine.money import money_format
from compensation.models import Award
from payouts.banks import bank_get
from payouts.methods import Method
from payouts.models import Payout, PayoutBatch, PayoutInstruction, PayoutOffer


class NotFoundAs404:
    """An id that names no row (`abc`, or a number nobody has) answers 404, as a claim's
    case page does, instead of a redirect or a server error."""

    def _object_or_404(self, request: HttpRequest, object_id: str) -> None:
        if self.get_object(request, unquote(object_id)) is None:  # type: ignore[attr-defined]
            raise Http404

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def history_view(self, request, object_id, extra_context=None):
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]


def choice_label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def method_name(code: str) -> str:
    return choice_label(Method, code)


class BatchFilter(admin.SimpleListFilter):
    """The latest batches (the payouts table holds millions of rows: no DISTINCT over it)."""

    title = _("batch")
    parameter_name = "batch"

    def lookups(self, request, model_admin):
        batches = PayoutBatch.objects.select_related("program").order_by("-created_at")[:30]
        return [
            (str(b.pk), f"{str(b.public_id)[:8]} · {method_name(b.method)} · {b.program}")
            for b in batches
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(batch_id=int(value))
        return queryset


@admin.register(Payout)
class PayoutAdmin(NotFoundAs404, ReadOnlyAdmin):
    list_display = (
        "reference",
        "claim_reference",
        "method_label",
        "amount",
        "account",
        "status_label",
        "settled_at",
    )
    list_filter = ("status", "method", BatchFilter, "program")
    search_fields = ("reference",)  # exact matches only: see get_search_results
    search_help_text = _("A payout reference (20 characters) or a claim reference, exactly.")
    show_full_result_count = False
    fields = (
        "reference",
        "batch_link",
        "claim_reference",
        "program",
        "method_label",
        "amount",
        "status_label",
        "failure_code",
        "provider_reference",
        "account",
        "attempts",
        "settled_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("batch", "program", "instruction")
            .defer("instruction__details_encrypted", "instruction__owner_email_hash")
        )

    def get_search_results(self, request, queryset, search_term):
        """Exact look-ups on indexed columns: the payout's reference, or the claim's (through
        the award's unique claim reference)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        claim_awards = Award.objects.filter(
            source="claim", claim_reference__in={term, term.upper()}
        ).exclude(status="reversed")
        return queryset.filter(Q(reference=term.upper()) | Q(award__in=claim_awards)), False

    @admin.display(description=_("claim"))
    def claim_reference(self, obj: Payout) -> str:
        return obj.instruction.claim_reference

    @admin.display(description=_("method"), ordering="method")
    def method_label(self, obj: Payout) -> str:
        return method_name(obj.method)

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj: Payout) -> str:
        return obj.get_status_display()

    @admin.display(description=_("amount"), ordering="amount_minor")
    def amount(self, obj: Payout) -> str:
        return money_format(obj.amount_minor, obj.currency)

    @admin.display(description=_("account"))
    def account(self, obj: Payout) -> str:
        return obj.instruction.masked or "-"

    @admin.display(description=_("batch"))
    def batch_link(self, obj: Payout) -> str:
        url = reverse("admin:payouts_payoutbatch_change", args=[obj.batch_id])
        return format_html('<a href="{}">{}</a>', url, str(obj.batch.public_id)[:8])


@admin.register(PayoutInstruction)
class PayoutInstructionAdmin(NotFoundAs404, ReadOnlyAdmin):
    """How each claimant chose to be paid. The details are never decrypted here: the account
    shows as its last four digits."""

    list_display = ("claim_reference", "program", "method_label", "bank", "account", "hold_code")
    list_filter = ("method", "program")
    search_fields = ("claim_reference",)
    search_help_text = _("A claim reference, exactly.")
    show_full_result_count = False
    fields = (
        "claim_reference",
        "program",
        "method_label",
        "bank",
        "account",
        "language",
        "hold_code",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("program")
            .defer("details_encrypted", "owner_email_hash", "notify_email")
            .exclude(claim_reference="")  # drafts belong to a claimant still filing
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(claim_reference__in={term, term.upper()}), False

    @admin.display(description=_("method"), ordering="method")
    def method_label(self, obj: PayoutInstruction) -> str:
        return method_name(obj.method)

    @admin.display(description=_("bank"))
    def bank(self, obj: PayoutInstruction) -> str:
        bank = bank_get(obj.program.currency, obj.bank_code) if obj.bank_code else None
        return bank.name_in(get_language() or "en") if bank else obj.bank_code or "-"

    @admin.display(description=_("account"))
    def account(self, obj: PayoutInstruction) -> str:
        return obj.masked or "-"


class PayoutOfferForm(forms.ModelForm):
    methods = forms.MultipleChoiceField(
        label=_("Methods offered"),
        choices=Method.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Claimants of the program choose one of these. Without a row: bank transfer."),
    )

    class Meta:
        model = PayoutOffer
        fields = ("program", "methods")


@admin.register(PayoutOffer)
class PayoutOfferAdmin(NotFoundAs404, AuditedModelAdmin):
    form = PayoutOfferForm
    list_display = ("program", "methods_offered")
    list_select_related = ("program",)

    @admin.display(description=_("methods offered"))
    def methods_offered(self, obj: PayoutOffer) -> str:
        return ", ".join(method_name(code) for code in obj.methods)
