"""The bank file and the bank's result file in the admin: download a released batch's bank
transfer file (streamed, audited with its SHA-256), upload the bank's result file for it, and
read each result file with its errors by line and column.

URL names (the batch page links them): admin:payouts_payoutbatch_download and
admin:payouts_payoutresultfile_upload, both taking the batch's id."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import ReadOnlyAdmin
from payouts.errors import PayoutError
from payouts.models import PayoutBatch, PayoutResultFile
from payouts.services.bank_files import bank_file_download
from payouts.services.results import COLUMNS, ResultRefused, header_parse, result_file_upload


class ResultUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Result file"),
        help_text=_(
            "The bank's CSV, UTF-8, with the header %(header)s. Every line is checked before "
            "anything is applied: a file with any error is refused whole."
        )
        % {"header": ",".join(COLUMNS)},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.PAYOUTS_RESULT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large. The limit is %(mb)s MB.")
                % {"mb": settings.PAYOUTS_RESULT_MAX_BYTES // 1024**2}
            )
        try:
            header_parse(upload.readline(64 * 1024))
        except ResultRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        upload.seek(0)
        return upload


@admin.register(PayoutResultFile)
class PayoutResultFileAdmin(ReadOnlyAdmin):
    list_display = (
        "file_name",
        "batch_link",
        "status",
        "lines",
        "paid",
        "failed",
        "returned",
        "error_count",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("batch", "uploaded_by")
    fields = (
        "file_name",
        "batch_link",
        "status",
        "sha256",
        "lines",
        "paid",
        "failed",
        "returned",
        "error_count",
        "uploaded_by",
        "created_at",
        "applied_at",
    )
    readonly_fields = fields
    change_form_template = "admin/payouts/payoutresultfile/change_form.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "batch/<int:batch_id>/download/",
                wrap(self.download_view),
                name="payouts_payoutbatch_download",
            ),
            path(
                "batch/<int:batch_id>/upload/",
                wrap(self.upload_view),
                name="payouts_payoutresultfile_upload",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, batch_id: int) -> HttpResponseBase:
        if not request.user.has_perm("payouts.export_payoutbatch"):
            raise PermissionDenied
        batch = get_object_or_404(PayoutBatch, pk=batch_id)
        try:
            stream = bank_file_download(batch=batch, actor=request.user)
        except PayoutError as exc:
            messages.error(request, exc.message)
            return redirect("admin:payouts_payoutbatch_change", batch.pk)
        response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="payouts-{str(batch.public_id)[:8]}.csv"'
        )
        response["Cache-Control"] = "no-store"
        return response

    def upload_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        if not request.user.has_perm("payouts.import_payoutresult"):
            raise PermissionDenied
        batch = get_object_or_404(PayoutBatch, pk=batch_id)
        form = ResultUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result_file = result_file_upload(
                    batch=batch, upload=form.cleaned_data["file"], actor=request.user
                )
            except PayoutError as exc:
                form.add_error("file", exc.message)
            else:
                self._say(request, result_file)
                return redirect("admin:payouts_payoutresultfile_change", result_file.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload the bank's result file"),
            "form": form,
            "batch": batch,
            "opts": self.model._meta,
            "batch_url": reverse("admin:payouts_payoutbatch_change", args=[batch.pk]),
        }
        return TemplateResponse(request, "admin/payouts/payoutresultfile/upload.html", context)

    def _say(self, request: HttpRequest, result_file: PayoutResultFile) -> None:
        if result_file.status == PayoutResultFile.Status.APPLIED:
            messages.success(
                request,
                _("Applied: %(paid)s paid, %(failed)s failed, %(returned)s returned.")
                % {
                    "paid": f"{result_file.paid:,}",
                    "failed": f"{result_file.failed:,}",
                    "returned": f"{result_file.returned:,}",
                },
            )
        elif result_file.status == PayoutResultFile.Status.REFUSED:
            messages.error(
                request,
                _("Refused with %(count)s errors: nothing of the file was applied.")
                % {"count": f"{result_file.error_count:,}"},
            )
        else:
            messages.info(request, _("The file is large: a worker checks and applies it."))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        result_file = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "result_errors": result_file.errors if result_file else [],
            "errors_more": result_file
            and max(result_file.error_count - len(result_file.errors), 0),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("batch"))
    def batch_link(self, obj: PayoutResultFile) -> str:
        url = reverse("admin:payouts_payoutbatch_change", args=[obj.batch_id])
        return format_html('<a href="{}">{}</a>', url, str(obj.batch.public_id)[:8])
