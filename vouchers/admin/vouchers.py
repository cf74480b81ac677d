"""Vouchers, freezes and redemptions in the admin. Codes are never shown here: staff find a
voucher by pasting its code (looked up by hash) or by the person's external id."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from audit.admin_mixins import ReadOnlyAdmin
from audit.services import client_ip
from compensation.models import Program
from vouchers.errors import CodeMalformed, VoucherError
from vouchers.models import Redemption, Voucher, VoucherBatch, VoucherFreeze
from vouchers.services.codes import code_hash_candidates, code_normalize
from vouchers.services.freeze import (
    codes_parse,
    voucher_freeze_lift,
    voucher_void_and_reissue,
    vouchers_freeze,
)

CODES_FILE_MAX_BYTES = 20 * 1024 * 1024


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


def _reason_page(modeladmin, request, queryset, title, action):
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        return form.cleaned_data["reason"]
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset[:50],
        "count": queryset.count(),
        "action": action,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/vouchers/voucher/reason.html", context)


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ["id", "masked_code", "service_scope", "amount_minor", "state", "issued_at"]
    list_filter = ["state", "service_scope"]
    search_fields = ["=person__external_id"]
    search_help_text = "A person's external id. To find a code, use 'Find by code' above."
    change_list_template = "admin/vouchers/voucher/change_list.html"
    raw_id_fields = ["award", "person", "batch", "freeze"]
    exclude = ["code_hash"]
    readonly_fields = ["masked_code", "program"]
    show_full_result_count = False
    actions = ["freeze_selected", "void_and_reissue"]

    def get_urls(self):
        return [
            path(
                "find/",
                self.admin_site.admin_view(self.find_view),
                name="vouchers_voucher_find",
            ),
            *super().get_urls(),
        ]

    def find_view(self, request):
        """Find a voucher by its code. POST only: a code in a URL would end up in logs."""
        if request.method != "POST" or not self.has_view_permission(request):
            raise PermissionDenied
        try:
            symbols = code_normalize(request.POST.get("code", ""))
        except CodeMalformed:
            messages.error(request, "That is not a voucher code (check the symbols).")
            return redirect("admin:vouchers_voucher_changelist")
        voucher = Voucher.objects.filter(code_hash__in=code_hash_candidates(symbols)).first()
        if voucher is None:
            messages.error(request, "No voucher has that code.")
            return redirect("admin:vouchers_voucher_changelist")
        return redirect("admin:vouchers_voucher_change", voucher.pk)

    def _may_freeze(self, request):
        return request.user.has_perm("vouchers.freeze_vouchers")

    @admin.action(description="Freeze the selected vouchers (asks for a reason)")
    def freeze_selected(self, request, queryset):
        if not self._may_freeze(request):
            raise PermissionDenied
        reason = _reason_page(self, request, queryset, "Freeze vouchers", "freeze_selected")
        if not isinstance(reason, str):
            return reason
        by_program: dict[int, list[int]] = {}
        for voucher_id, program_id in queryset.values_list("id", "program_id"):
            by_program.setdefault(program_id, []).append(voucher_id)
        for program_id, ids in by_program.items():
            freeze = vouchers_freeze(
                program=Program.objects.get(pk=program_id),
                method=VoucherFreeze.Method.SELECTION,
                reason=reason,
                voucher_ids=ids,
                actor=request.user,
                ip_address=client_ip(request),
            )
            messages.success(request, f"{freeze.vouchers_frozen} voucher(s) frozen.")
        return None

    @admin.action(description="Void and reissue to the same person (asks for a reason)")
    def void_and_reissue(self, request, queryset):
        if not self._may_freeze(request):
            raise PermissionDenied
        reason = _reason_page(self, request, queryset, "Void and reissue", "void_and_reissue")
        if not isinstance(reason, str):
            return reason
        for voucher in queryset:
            try:
                new = voucher_void_and_reissue(
                    voucher=voucher,
                    reason=reason,
                    actor=request.user,
                    ip_address=client_ip(request),
                )
                messages.success(request, f"Voucher {voucher.pk} is void; {new.pk} replaces it.")
            except VoucherError as exc:
                messages.error(request, f"Voucher {voucher.pk}: {exc.message}")
        return None


class FreezeForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.all())
    method = forms.ChoiceField(
        choices=[c for c in VoucherFreeze.Method.choices if c[0] != "selection"]
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)
    batch = forms.ModelChoiceField(
        queryset=VoucherBatch.objects.all(), required=False, label="Issuance run"
    )
    external_ids = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One external id a line (or separated by commas).",
    )
    codes_file = forms.FileField(required=False, help_text="A text file, one code a line.")
    window_start = forms.DateTimeField(required=False, help_text="Issued at or after.")
    window_end = forms.DateTimeField(required=False, help_text="Issued before.")

    def clean_codes_file(self):
        upload = self.cleaned_data.get("codes_file")
        if upload and upload.size > CODES_FILE_MAX_BYTES:
            raise forms.ValidationError("The file is too large (20 MB at most).")
        return upload


def _freeze_message(freeze: VoucherFreeze) -> str:
    if freeze.marks_done_at is not None:
        return f"{freeze.vouchers_frozen:,} voucher(s) frozen."
    held = int(freeze.parameters.get("held", 0))
    return (
        f"{held:,} voucher(s) frozen: none of them can be redeemed now. Each voucher's frozen "
        "state is being written in the background (see Marks done at)."
    )


@admin.register(VoucherFreeze)
class VoucherFreezeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "program", "method", "vouchers_frozen", "created_at", "lifted_at"]
    list_filter = ["method", "program"]
    readonly_fields = [
        "program",
        "method",
        "reason",
        "parameters",
        "vouchers_frozen",
        "vouchers_unfrozen",
        "created_by",
        "created_at",
        "lifted_by",
        "lifted_at",
        "scope_batch",
        "scope_issued_from",
        "scope_issued_until",
        "scope_voucher_id_max",
        "marks_cursor",
        "marks_done_at",
    ]
    actions = ["lift"]

    def has_add_permission(self, request):
        return request.user.has_perm("vouchers.freeze_vouchers")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = FreezeForm(request.POST or None, request.FILES or None, initial=request.GET)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                freeze = self._freeze(request, data)
                messages.success(request, _freeze_message(freeze))
                return redirect("admin:vouchers_voucherfreeze_change", freeze.pk)
            except VoucherError as exc:
                form.add_error(None, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": "Freeze vouchers",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/vouchers/voucherfreeze/add.html", context)

    def _freeze(self, request, data):
        kwargs = {}
        method = data["method"]
        if method == VoucherFreeze.Method.PEOPLE:
            raw = data["external_ids"].replace(",", "\n")
            kwargs["external_ids"] = raw.splitlines()
        elif method == VoucherFreeze.Method.CODES:
            upload = data["codes_file"]
            lines = (
                upload.read().decode("utf-8-sig", errors="replace").splitlines() if upload else []
            )
            kwargs["code_hashes"], kwargs["codes_rejected"] = codes_parse(lines)
        elif method == VoucherFreeze.Method.WINDOW:
            start, end = data["window_start"], data["window_end"]
            kwargs["window"] = (start, end) if start and end else None
        elif method == VoucherFreeze.Method.RUN:
            kwargs["batch"] = data["batch"]
        return vouchers_freeze(
            program=data["program"],
            method=method,
            reason=data["reason"],
            actor=request.user,
            ip_address=client_ip(request),
            **kwargs,
        )

    @admin.action(description="Lift the selected freezes (unfreeze)")
    def lift(self, request, queryset):
        if not self.has_add_permission(request):
            raise PermissionDenied
        for freeze in queryset:
            lifted = voucher_freeze_lift(
                freeze=freeze, actor=request.user, ip_address=client_ip(request)
            )
            if lifted.marks_done_at is None:  # usable now; the marks are cleared behind
                messages.success(request, f"{lifted}: lifted, its vouchers are usable now.")
            else:
                messages.success(request, f"{lifted}: {lifted.vouchers_unfrozen:,} unfrozen.")

    def get_urls(self):
        return [
            path(
                "<int:pk>/lift/",
                self.admin_site.admin_view(self.lift_view),
                name="vouchers_voucherfreeze_lift",
            ),
            *super().get_urls(),
        ]

    def lift_view(self, request, pk: int):
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        freeze = get_object_or_404(VoucherFreeze, pk=pk)
        voucher_freeze_lift(freeze=freeze, actor=request.user, ip_address=client_ip(request))
        messages.success(request, "The freeze was lifted.")
        return redirect("admin:vouchers_voucherfreeze_change", pk)


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "order_reference", "amount_minor", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["=order_reference", "=public_id"]
    raw_id_fields = ["voucher"]
    show_full_result_count = False
