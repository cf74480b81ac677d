"""The operator's side: upload a list (applied whole or refused with its reject report),
freeze an import or chosen instruments, propose lifting the freeze of chosen ones (four eyes),
say which claim type asks for an instrument, read the good-faith purchases and export the
seller clusters for the police."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin_mixins import AuditedModelAdmin, ReadOnlyAdmin
from audit.proposals import ProposalRefused
from audit.services import audit_record, client_ip
from compensation.engine.money import money_format
from compensation.models import Program
from config.csv_stream import csv_stream
from instruments.errors import InstrumentError
from instruments.models import (
    CompromisedInstrument,
    InstrumentImport,
    InstrumentPurchase,
    InstrumentReject,
    PurchaseRoute,
)
from instruments.proposals import instruments_unfreeze_propose
from instruments.selectors import seller_cluster_rows, seller_clusters
from instruments.services.freeze import instruments_freeze
from instruments.services.imports import COLUMNS, instrument_import_apply

FREEZE = "instruments.freeze_instruments"
EXPORT = "instruments.export_sellers"


class InstrumentUploadForm(forms.ModelForm):
    file = forms.FileField(
        help_text="UTF-8 CSV with the header " + ",".join(COLUMNS) + " (any order). "
        "compromised_at: YYYY-MM-DD or ISO 8601 (a time without an offset is in "
        f"{settings.TIME_ZONE}); loaded_value: in the program's currency, e.g. 50000 or "
        "300.00. One problem refuses the whole file; nothing is imported until it is clean."
    )

    class Meta:
        model = InstrumentImport
        fields = ["program", "kind"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.INSTRUMENT_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; uploads stop at "
                f"{settings.INSTRUMENT_UPLOAD_MAX_BYTES:,}."
            )
        return upload


class FreezeForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="Why, as the trail will say it.")
    frozen_at = forms.DateTimeField(
        required=False,
        help_text=f"When the company froze them ({settings.TIME_ZONE}); empty: now.",
        widget=forms.DateTimeInput(attrs={"placeholder": "2025-03-01 14:30"}),
    )


class UnfreezeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_(
            "Why these instruments may be used again, as the trail and the approver read it."
        ),
    )


@admin.register(InstrumentImport)
class InstrumentImportAdmin(ReadOnlyAdmin):
    list_display = [
        "original_name",
        "program",
        "kind",
        "status",
        "rows_read",
        "rows_imported",
        "rows_rejected",
        "frozen",
        "created_at",
    ]
    list_filter = ["status", "program", "kind"]
    list_select_related = ["program"]
    readonly_fields = (
        "program",
        "kind",
        "original_name",
        "sha256",
        "size_bytes",
        "status",
        "error",
        "rows_read",
        "rows_imported",
        "rows_rejected",
        "rejects_report",
        "frozen",
        "key_version",
        "created_by",
        "created_at",
    )
    fields = readonly_fields
    change_form_template = "admin/instruments/instrumentimport/change_form.html"

    def has_add_permission(self, request):
        return request.user.has_perm("instruments.add_instrumentimport")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = InstrumentUploadForm
            kwargs["fields"] = ["program", "kind", "file"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["program", "kind", "file"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data["file"]
        created = instrument_import_apply(
            program=form.cleaned_data["program"],
            kind=form.cleaned_data["kind"],
            source=upload.file,
            original_name=upload.name,
            actor=request.user,
            ip_address=client_ip(request),
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        if created.status == InstrumentImport.Status.REFUSED:
            messages.error(request, f"Refused, nothing imported: {created.error}.")

    def log_addition(self, request, obj, message):
        pass  # the service wrote the audit row

    @admin.display(description="frozen")
    def frozen(self, obj):
        if obj.status != InstrumentImport.Status.APPLIED:
            return "-"
        count = obj.instruments.filter(frozen_at__isnull=False).count()
        return f"{count:,} of {obj.rows_imported:,}"

    @admin.display(description="reject report")
    def rejects_report(self, obj):
        if obj.status != InstrumentImport.Status.REFUSED:
            return "none"
        url = reverse("admin:instruments_instrumentimport_rejects", args=[obj.pk])
        return format_html(
            '<a href="{}">Download the problems of {} line(s) (CSV)</a>',
            url,
            f"{obj.rows_rejected:,}",
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/rejects.csv",
                self.admin_site.admin_view(self.rejects_csv),
                name="instruments_instrumentimport_rejects",
            ),
            path(
                "<int:pk>/freeze/",
                self.admin_site.admin_view(self.freeze_view),
                name="instruments_instrumentimport_freeze",
            ),
            path(
                "sellers/<int:program_id>/",
                self.admin_site.admin_view(self.sellers_view),
                name="instruments_sellers",
            ),
            path(
                "sellers/<int:program_id>/export.csv",
                self.admin_site.admin_view(self.sellers_csv),
                name="instruments_sellers_export",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_freeze": request.user.has_perm(FREEZE),
            "freeze_form": FreezeForm(),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def freeze_view(self, request, pk: int):
        """Freeze every instrument of the import (those already frozen keep their freeze)."""
        if request.method != "POST" or not request.user.has_perm(FREEZE):
            raise PermissionDenied
        instrument_import = get_object_or_404(InstrumentImport, pk=pk)
        form = FreezeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give the reason for the freeze (and a valid time, if any).")
            return redirect("admin:instruments_instrumentimport_change", pk)
        try:
            count = instruments_freeze(
                program=instrument_import.program,
                instrument_import=instrument_import,
                reason=form.cleaned_data["reason"],
                frozen_at=form.cleaned_data.get("frozen_at"),
                actor=request.user,
                ip_address=client_ip(request),
            )
        except InstrumentError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, f"{count:,} instruments frozen.")
        return redirect("admin:instruments_instrumentimport_change", pk)

    def rejects_csv(self, request, pk: int):
        """The reject report: line, column, problem. Never the row's content."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        instrument_import = get_object_or_404(InstrumentImport, pk=pk)
        audit_record(
            action="instrument_import.rejects_export",
            obj=instrument_import,
            actor=request.user,
            ip_address=client_ip(request),
        )
        rows = (
            InstrumentReject.objects.filter(instrument_import=instrument_import)
            .order_by("line", "id")
            .values_list("line", "column", "message")
            .iterator(chunk_size=5000)
        )
        response = StreamingHttpResponse(
            csv_stream(["line", "column", "problem"], rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="instrument-rejects-{instrument_import.public_id}.csv"'
        )
        return response

    def sellers_view(self, request, program_id: int):
        """The sellers named on several good-faith claims of a program."""
        if not request.user.has_perm("instruments.view_instrumentpurchase"):
            raise PermissionDenied
        program = get_object_or_404(Program, pk=program_id)
        clusters = [
            {**row, "paid": money_format(row["paid_minor"] or 0, program.currency)}
            for row in seller_clusters(program)[:500]
        ]
        audit_record(
            action="instruments.sellers_view",
            obj=program,
            actor=request.user,
            ip_address=client_ip(request),
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Sellers on several claims: {program.name}",
            "program": program,
            "clusters": clusters,
            "minimum": settings.INSTRUMENTS_SELLER_CLUSTER_CLAIMS,
            "can_export": request.user.has_perm(EXPORT),
        }
        return TemplateResponse(request, "admin/instruments/sellers.html", context)

    def sellers_csv(self, request, program_id: int):
        if not request.user.has_perm(EXPORT):
            raise PermissionDenied
        program = get_object_or_404(Program, pk=program_id)
        audit_record(
            action="instruments.sellers_export",
            obj=program,
            actor=request.user,
            ip_address=client_ip(request),
        )
        header = [
            "seller",
            "seller_as_typed",
            "claim_reference",
            "purchased_on",
            "price_minor",
            "currency",
            "bought_where",
            "instrument_last4",
            "bought_before_freeze",
        ]
        response = StreamingHttpResponse(
            csv_stream(header, seller_cluster_rows(program)),
            content_type="text/csv; charset=utf-8",
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="sellers-{program.slug}-{stamp}.csv"'
        )
        return response


@admin.register(CompromisedInstrument)
class CompromisedInstrumentAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "program",
        "compromised_at",
        "loaded_value",
        "frozen_at",
        "freeze_reason",
    ]
    list_filter = ["program", "kind", ("frozen_at", admin.EmptyFieldListFilter)]
    list_select_related = ["program"]
    search_fields = ["last4"]
    fields = [
        "program",
        "instrument_import",
        "kind",
        "last4",
        "key_version",
        "compromised_at",
        "loaded_value",
        "frozen_at",
        "freeze_reason",
        "unfrozen_at",
        "unfreeze_reason",
    ]
    readonly_fields = (
        "program",
        "instrument_import",
        "kind",
        "last4",
        "key_version",
        "compromised_at",
        "loaded_value",
        "frozen_at",
        "freeze_reason",
        "unfrozen_at",
        "unfreeze_reason",
    )
    actions = ["freeze_selected", "unfreeze_selected"]
    show_full_result_count = False

    @admin.display(description="loaded value")
    def loaded_value(self, obj):
        return money_format(obj.loaded_value_minor, obj.currency)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(FREEZE):
            actions.pop("freeze_selected", None)
            actions.pop("unfreeze_selected", None)
        return actions

    @admin.action(description="Freeze the selected instruments (asks for the reason)")
    def freeze_selected(self, request, queryset):
        if not request.user.has_perm(FREEZE):
            raise PermissionDenied
        by_program: dict[int, list[int]] = {}
        for program_id, pk in queryset.values_list("program_id", "pk"):
            by_program.setdefault(program_id, []).append(pk)
        form = FreezeForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            total = 0
            try:
                for program in Program.objects.filter(pk__in=by_program):
                    total += instruments_freeze(
                        program=program,
                        instrument_ids=by_program[program.pk],
                        reason=form.cleaned_data["reason"],
                        frozen_at=form.cleaned_data.get("frozen_at"),
                        actor=request.user,
                        ip_address=client_ip(request),
                    )
            except InstrumentError as exc:
                messages.error(request, str(exc.message))
                return None
            messages.success(request, f"{total:,} instruments frozen.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Freeze instruments",
            "form": form,
            "ids": [pk for ids in by_program.values() for pk in ids],
            "count": sum(len(ids) for ids in by_program.values()),
        }
        return TemplateResponse(request, "admin/instruments/freeze_confirm.html", context)

    @admin.action(description=_("Propose lifting the freeze of the selected instruments"))
    def unfreeze_selected(self, request, queryset):
        """A proposal per program (asks for the reason): another operator approves it, and
        only then do the instruments work again (instruments/proposals.py)."""
        if not request.user.has_perm(FREEZE):
            raise PermissionDenied
        by_program: dict[int, list[int]] = {}
        for program_id, pk in queryset.values_list("program_id", "pk"):
            by_program.setdefault(program_id, []).append(pk)
        form = UnfreezeForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            proposals = []
            for program in Program.objects.filter(pk__in=by_program).order_by("pk"):
                try:
                    proposals.append(
                        instruments_unfreeze_propose(
                            program=program,
                            instrument_ids=by_program[program.pk],
                            reason=form.cleaned_data["reason"],
                            actor=request.user,
                            ip_address=client_ip(request),
                        )
                    )
                except (InstrumentError, ProposalRefused) as exc:
                    messages.error(request, f"{program}: {exc.message}")
            if proposals:
                messages.success(
                    request,
                    ngettext(
                        "Lifting the freeze is proposed: a staff member other than you "
                        "approves it on the proposal's page.",
                        "Lifting the freeze is proposed for %(count)d programs: a staff "
                        "member other than you approves each on its proposal's page.",
                        len(proposals),
                    )
                    % {"count": len(proposals)},
                )
                if len(proposals) == 1:
                    return redirect("admin:audit_proposal_change", proposals[0].pk)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Lift the freeze of instruments"),
            "form": form,
            "ids": [pk for ids in by_program.values() for pk in ids],
            "count": sum(len(ids) for ids in by_program.values()),
        }
        return TemplateResponse(request, "admin/instruments/unfreeze_confirm.html", context)


@admin.register(InstrumentPurchase)
class InstrumentPurchaseAdmin(ReadOnlyAdmin):
    list_display = [
        "claim_reference",
        "program",
        "instrument",
        "purchased_on",
        "price",
        "bought_where",
        "seller_handle",
        "before_freeze",
    ]
    list_filter = ["program", "before_freeze"]
    list_select_related = ["program", "instrument"]
    search_fields = ["claim_reference", "seller_key"]
    readonly_fields = [
        "program",
        "claim_reference",
        "instrument",
        "purchased_on",
        "price",
        "bought_where",
        "seller_handle",
        "before_freeze",
        "created_at",
    ]
    fields = tuple(readonly_fields)

    @admin.display(description="price paid")
    def price(self, obj):
        return money_format(obj.price_minor, obj.currency)


@admin.register(PurchaseRoute)
class PurchaseRouteAdmin(AuditedModelAdmin):
    list_display = ["claim_type", "kind"]
    list_select_related = ["claim_type__program"]
