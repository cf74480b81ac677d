from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html

from audit.admin_mixins import ReadOnlyAdmin
from audit.services import audit_record, client_ip
from compensation.errors import CompensationError, ImportRefused
from compensation.models import PopulationImport, PopulationReject
from compensation.services.population_files import source_gone_message
from compensation.services.population_import import (
    file_header_check,
    population_import_create,
)
from compensation.services.population_runs import OPEN_STATUSES, population_import_resume
from config.csv_stream import csv_stream
from config.db import rows_stream


class PopulationUploadForm(forms.ModelForm):
    file = forms.FileField(
        help_text="UTF-8 CSV with the header external_id,name,email,phone,language,region,"
        "segment,data_categories[,account_status]. Categories are separated by ';'. "
        "For files of millions of rows on the server, use `manage.py population_import`."
    )

    class Meta:
        model = PopulationImport
        fields = ["program"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.POPULATION_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; uploads stop at "
                f"{settings.POPULATION_UPLOAD_MAX_BYTES:,}. Put it on the server and use "
                "`manage.py population_import`."
            )
        try:
            file_header_check(upload.read(65536))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        upload.seek(0)
        return upload


@admin.register(PopulationImport)
class PopulationImportAdmin(ReadOnlyAdmin):
    list_display = [
        "original_name",
        "program",
        "status",
        "rows_read",
        "rows_rejected",
        "rows_inserted",
        "rows_updated",
        "rate",
        "created_at",
    ]
    list_filter = ["status", "program"]
    list_select_related = ["program"]
    readonly_fields = (
        "program",
        "original_name",
        "size_bytes",
        "status",
        "error",
        "progress",
        "rows_read",
        "rows_rejected",
        "rows_staged",
        "rows_merged",
        "rows_inserted",
        "rows_updated",
        "unchanged",
        "rate",
        "rejects_report",
        "source_file",
        "created_by",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    )
    fields = readonly_fields
    change_form_template = "admin/compensation/populationimport/change_form.html"

    def has_add_permission(self, request):
        return request.user.has_perm("compensation.add_populationimport")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PopulationUploadForm
            kwargs["fields"] = ["program", "file"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["program", "file"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data["file"]
        try:
            created = population_import_create(
                program=form.cleaned_data["program"],
                source=upload,
                original_name=upload.name,
                actor=request.user,
                ip_address=client_ip(request),
            )
        except ImportRefused as exc:  # raced past the form's check: say so, write nothing
            messages.error(request, exc.message)
            raise PermissionDenied(exc.message) from exc
        # The admin goes on with `obj` (the redirect, the message): make it the row the
        # service wrote.
        obj.pk = created.pk
        obj.refresh_from_db()

    def log_addition(self, request, obj, message):
        pass  # the service wrote the audit row

    @admin.display(description="progress")
    def progress(self, obj):
        if obj.status == PopulationImport.Status.LOADING:
            return f"Reading the file: {obj.rows_read:,} rows so far"
        if obj.status == PopulationImport.Status.MERGING and obj.rows_staged:
            share = obj.rows_merged / obj.rows_staged
            return f"Merging: {obj.rows_merged:,} of {obj.rows_staged:,} ({share:.0%})"
        return obj.get_status_display()

    @admin.display(description="file")
    def source_file(self, obj):
        return source_gone_message(obj) or (
            "On the server, readable by the application only; deleted when the import ends."
        )

    @admin.display(description="unchanged rows")
    def unchanged(self, obj):
        return obj.rows_unchanged

    @admin.display(description="rows/s")
    def rate(self, obj):
        rate = obj.rate_per_second
        return f"{rate:,.0f}" if rate else "-"

    @admin.display(description="rejected rows")
    def rejects_report(self, obj):
        if not obj.rows_rejected:
            return "none"
        url = reverse("admin:compensation_populationimport_rejects", args=[obj.pk])
        return format_html(
            '<a href="{}">Download the {} rejected rows (CSV)</a>', url, f"{obj.rows_rejected:,}"
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/rejects.csv",
                self.admin_site.admin_view(self.rejects_csv),
                name="compensation_populationimport_rejects",
            ),
            path(
                "<int:pk>/resume/",
                self.admin_site.admin_view(self.resume_view),
                name="compensation_populationimport_resume",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_resume": self.has_add_permission(request),
            "resumable": [*OPEN_STATUSES, PopulationImport.Status.FAILED],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def resume_view(self, request, pk: int):
        """Wake a worker for an import whose worker died (or that failed): it goes on from
        the chunks not yet merged."""
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        population_import = get_object_or_404(PopulationImport, pk=pk)
        try:
            population_import_resume(
                population_import=population_import,
                actor=request.user,
                ip_address=client_ip(request),
            )
            messages.success(request, "A worker will go on with the import where it stopped.")
        except CompensationError as exc:
            messages.error(request, str(exc.message))
        return redirect("admin:compensation_populationimport_change", pk)

    def rejects_csv(self, request, pk: int):
        """Stream the reject report: line, column, reason. Never the row's content."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        population_import = get_object_or_404(PopulationImport, pk=pk)
        audit_record(
            action="population_import.rejects_export",
            obj=population_import,
            actor=request.user,
            ip_address=client_ip(request),
        )
        sql, params = (
            PopulationReject.objects.filter(population_import=population_import)
            .order_by("line", "id")
            .values_list("line", "column", "message")
            .query.sql_with_params()
        )
        rows = rows_stream(sql, params)  # a cursor in a transaction: flat memory, pooler-safe
        response = StreamingHttpResponse(
            csv_stream(["line", "column", "problem"], rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="rejects-{population_import.public_id}.csv"'
        )
        return response
