"""Payout batches in the admin: build one (count and total first, then confirm; a worker
builds it), watch it, release it (four eyes: someone other than its builder), discard it.
Payouts, payment choices and offers: payouts/admin_records.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import ReadOnlyAdmin
from compensation.engine.money import money_exponent, money_format
from compensation.models import Program
from payouts import admin_files  # noqa: F401  (registers the bank file and result file pages)
from payouts.admin_records import NotFoundAs404, choice_label, method_name
from payouts.errors import PayoutError
from payouts.methods import METHODS, Method
from payouts.models import Payout, PayoutBatch
from payouts.selectors import BatchProgress, batch_progress, program_methods
from payouts.services.bank_files import bank_file_offered
from payouts.services.batches import (
    payout_batch_create,
    payout_batch_discard,
    payout_batch_preview,
    payout_batch_release,
)

# The pages of the bank file and the bank's result file (payouts/admin_files.py), by URL name.
DOWNLOAD_URL = "admin:payouts_payoutbatch_download"
RESULT_UPLOAD_URL = "admin:payouts_payoutresultfile_upload"


def _reverse_or_empty(name: str, *args: object) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


class MajorAmountField(forms.DecimalField):
    """An amount as a person types it, in major units ("10,000" or "12.50")."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace(" ", "")
        return super().to_python(value)


class BuildForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.order_by("name"), label=_("Program"))
    method = forms.ChoiceField(
        label=_("Payout method"),
        choices=Method.choices,
        error_messages={
            "invalid_choice": _("This program does not offer this payout method."),
        },
    )
    amount_min = MajorAmountField(
        label=_("Smallest amount"),
        required=False,
        min_value=Decimal(0),
        max_digits=18,
        help_text=_("In the program's currency, e.g. 10,000. Empty: no lower limit."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    amount_max = MajorAmountField(
        label=_("Largest amount"),
        required=False,
        min_value=Decimal(0),
        max_digits=18,
        help_text=_("In the program's currency. Empty: no upper limit."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    approved_before = forms.DateField(
        label=_("Approved before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only awards granted before this day began. Empty: every granted award."),
    )

    def __init__(self, *args, program: Program | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = program or self._program_from_data()
        if chosen is not None:
            method = cast(forms.ChoiceField, self.fields["method"])
            method.choices = [(code, Method(code).label) for code in program_methods(chosen)]

    def _program_from_data(self) -> Program | None:
        raw = self.data.get("program") if self.is_bound else self.initial.get("program")
        if isinstance(raw, Program):
            return raw
        text = str(raw or "")
        return Program.objects.filter(pk=int(text)).first() if text.isdigit() else None

    def clean(self):
        super().clean()
        data = self.cleaned_data
        program = data.get("program")
        if program is None:
            return data
        exponent = money_exponent(program.currency)
        for name in ("amount_min", "amount_max"):
            data[f"{name}_minor"] = None
            value = data.get(name)
            if value is None:
                continue
            try:
                minor = value.scaleb(exponent)
                whole = minor == minor.to_integral_value()
            except InvalidOperation:
                whole = False
            if not whole:
                self.add_error(
                    name,
                    _("Amounts in %(currency)s have at most %(n)s decimal places.")
                    % {"currency": program.currency, "n": exponent},
                )
                continue
            data[f"{name}_minor"] = int(minor)
        low, high = data.get("amount_min_minor"), data.get("amount_max_minor")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("The largest amount is below the smallest."))
        day = data.get("approved_before")
        data["approved_before_at"] = (
            timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else None
        )
        return data

    def selection(self) -> dict:
        data = self.cleaned_data
        return {
            "program": data["program"],
            "method": data["method"],
            "amount_min_minor": data["amount_min_minor"],
            "amount_max_minor": data["amount_max_minor"],
            "approved_before": data["approved_before_at"],
        }


# Which form field a refusal of the batch service is about.
_ERROR_FIELDS = {"method": "method", "amount_range": "amount_max"}


@admin.register(PayoutBatch)
class PayoutBatchAdmin(NotFoundAs404, ReadOnlyAdmin):
    list_display = [
        "batch_name",
        "program",
        "method_label",
        "status_label",
        "payouts",
        "total",
        "built_by",
        "created_at",
    ]
    list_filter = ["status", "method", "program"]
    list_select_related = ["program", "built_by"]
    readonly_fields = (
        "status_label",
        "method_label",
        "program",
        "selection",
        "figures",
        "built_by",
        "built_at",
        "released_by",
        "released_at",
        "settled_at",
        "progress",
        "delivery",
        "last_error",
    )
    fields = readonly_fields
    change_form_template = "admin/payouts/payoutbatch/change_form.html"

    def has_add_permission(self, request):
        return request.user.has_perm("payouts.add_payoutbatch")

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:payouts_payoutbatch_build")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("build/", wrap(self.build_view), name="payouts_payoutbatch_build"),
            path("<int:pk>/release/", wrap(self.release_view), name="payouts_payoutbatch_release"),
            path("<int:pk>/discard/", wrap(self.discard_view), name="payouts_payoutbatch_discard"),
            *super().get_urls(),
        ]

    # --- Build: preview (count and total), then confirm ------------------------------------

    def build_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial: dict[str, object] = {}
        if request.GET.get("program"):
            initial["program"] = request.GET["program"]
        if not initial and Program.objects.count() == 1:
            initial = {"program": Program.objects.get().pk}
        form = BuildForm(request.POST or None, initial=initial)
        preview, changed = None, False
        if request.method == "POST" and form.is_valid():
            selection = form.selection()
            try:
                count, total = payout_batch_preview(**selection)
                seen = (request.POST.get("seen_count"), request.POST.get("seen_total"))
                changed = "confirm" in request.POST and seen != (str(count), str(total))
                if "confirm" in request.POST and not changed and count:
                    batch = payout_batch_create(**selection, actor=request.user)
                    messages.success(
                        request,
                        _(
                            "Batch created for %(count)s payouts (%(total)s). A worker is "
                            "building it; someone other than you releases it."
                        )
                        % {"count": f"{count:,}", "total": money_format(total, batch.currency)},
                    )
                    return redirect("admin:payouts_payoutbatch_change", batch.pk)
                currency = selection["program"].currency
                preview = {
                    "count": count,
                    "total_minor": total,
                    "total": money_format(total, currency),
                    "method": method_name(selection["method"]),
                }
            except PayoutError as exc:
                form.add_error(_ERROR_FIELDS.get(exc.code), exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Build a payout batch"),
            "form": form,
            "preview": preview,
            "changed": changed,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/payouts/payoutbatch/build.html", context)

    # --- Release (four eyes) and discard -----------------------------------------------------

    def _may_release(self, request: HttpRequest) -> bool:
        return request.user.has_perm("payouts.release_payoutbatch")

    def _may_discard(self, request: HttpRequest, batch: PayoutBatch) -> bool:
        return batch.built_by_id == request.user.pk or request.user.has_perm(
            "payouts.add_payoutbatch"
        )

    def release_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self._may_release(request):
            raise PermissionDenied
        batch = get_object_or_404(PayoutBatch, pk=pk)
        try:
            released = payout_batch_release(batch=batch, actor=request.user)
        except PayoutError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Batch released: %(count)s payouts (%(total)s) go to %(method)s.")
                % {
                    "count": f"{released.payouts_count:,}",
                    "total": money_format(released.total_minor, released.currency),
                    "method": method_name(released.method),
                },
            )
        return redirect("admin:payouts_payoutbatch_change", pk)

    def discard_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(PayoutBatch, pk=pk)
        if request.method != "POST" or not self._may_discard(request, batch):
            raise PermissionDenied
        try:
            payout_batch_discard(batch=batch, actor=request.user)
        except PayoutError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Batch discarded: its awards can go into another batch."))
        return redirect("admin:payouts_payoutbatch_change", pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, unquote(object_id))
        if batch is None:
            raise Http404
        user = request.user
        is_bank_file = (
            METHODS[batch.method].delivery == "file" if batch.method in METHODS else False
        )
        # The file is offered until the bank's first result: after it, a download could be
        # sent to the bank again and pay people twice (bank_file_offered).
        offered = is_bank_file and bank_file_offered(batch)
        extra_context = {
            **(extra_context or {}),
            "can_release": batch.status == PayoutBatch.Status.BUILT
            and self._may_release(request)
            and batch.built_by_id != user.pk,
            "is_builder": batch.built_by_id == user.pk,
            "can_discard": batch.status in (PayoutBatch.Status.BUILDING, PayoutBatch.Status.BUILT)
            and self._may_discard(request, batch),
            "download_url": offered
            and user.has_perm("payouts.export_payoutbatch")
            and _reverse_or_empty(DOWNLOAD_URL, batch.pk),
            # Released: a worker records the file's SHA-256 first (payouts.batch_released).
            "file_preparing": is_bank_file
            and batch.status == PayoutBatch.Status.RELEASED
            and not batch.file_sha256,
            "file_closed": is_bank_file
            and batch.status in (PayoutBatch.Status.RELEASED, PayoutBatch.Status.SETTLED)
            and bool(batch.file_sha256)
            and not offered,
            "upload_url": is_bank_file
            and batch.status == PayoutBatch.Status.RELEASED
            and user.has_perm("payouts.import_payoutresult")
            and _reverse_or_empty(RESULT_UPLOAD_URL, batch.pk),
            "payouts_url": reverse("admin:payouts_payout_changelist") + f"?batch={batch.pk}",
            # The heading and breadcrumb name the batch with labels, not codes.
            "subtitle": self.batch_title(batch),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- What the pages show ---------------------------------------------------------------

    @admin.display(description=_("batch"), ordering="created_at")
    def batch_name(self, obj: PayoutBatch) -> str:
        return str(obj.public_id)[:8]

    def batch_title(self, obj: PayoutBatch) -> str:
        return str(
            _("%(method)s batch %(name)s: %(status)s")
            % {
                "method": method_name(obj.method),
                "name": self.batch_name(obj),
                "status": obj.get_status_display(),
            }
        )

    @admin.display(description=_("payouts"), ordering="payouts_count")
    def payouts(self, obj: PayoutBatch) -> str:
        return f"{obj.payouts_count:,}"

    @admin.display(description=_("payouts and total"))
    def figures(self, obj: PayoutBatch) -> str:
        if obj.status == PayoutBatch.Status.BUILDING:
            return str(_("Counted when the build ends (see the progress below)."))
        return str(
            _("%(count)s payouts, %(total)s")
            % {"count": f"{obj.payouts_count:,}", "total": self.total(obj)}
        )

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj: PayoutBatch) -> str:
        return obj.get_status_display()

    @admin.display(description=_("method"), ordering="method")
    def method_label(self, obj: PayoutBatch) -> str:
        return method_name(obj.method)

    @admin.display(description=_("total"), ordering="total_minor")
    def total(self, obj: PayoutBatch) -> str:
        return money_format(obj.total_minor, obj.currency)

    @admin.display(description=_("selection"))
    def selection(self, obj: PayoutBatch) -> str:
        parts = []
        if obj.amount_min_minor is not None:
            parts.append(
                _("from %(amount)s") % {"amount": money_format(obj.amount_min_minor, obj.currency)}
            )
        if obj.amount_max_minor is not None:
            parts.append(
                _("up to %(amount)s") % {"amount": money_format(obj.amount_max_minor, obj.currency)}
            )
        if obj.approved_before is not None:
            day = timezone.localtime(obj.approved_before).date().isoformat()
            parts.append(_("approved before %(day)s") % {"day": day})
        return ", ".join(str(p) for p in parts) or str(_("every granted award"))

    def _progress(self, obj: PayoutBatch) -> BatchProgress:
        """Read once per page: the progress and the delivery rows show the same figures."""
        if not hasattr(obj, "_payout_progress"):
            obj._payout_progress = batch_progress(obj)  # type: ignore[attr-defined]
        return obj._payout_progress  # type: ignore[attr-defined]

    @admin.display(description=_("progress"))
    def progress(self, obj: PayoutBatch) -> str:
        progress = self._progress(obj)
        rows = [
            (
                choice_label(Payout.Status, status),
                f"{count:,}",
                money_format(amount, obj.currency),
            )
            for status, (count, amount) in progress.by_status.items()
        ]
        table = format_html(
            '<table class="payout-progress"><tr><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th></tr>{}</table>',
            _("Payouts"),
            _("Count"),
            _("Amount"),
            format_html_join(
                "", '<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td></tr>', rows
            )
            if rows
            else format_html('<tr><td colspan="3">{}</td></tr>', _("No payouts yet.")),
        )
        if obj.status == PayoutBatch.Status.BUILDING:
            return format_html("{}<p>{}</p>", table, _("Building: the page refreshes itself."))
        return table

    @admin.display(description=_("delivery"))
    def delivery(self, obj: PayoutBatch) -> str:
        spec = METHODS.get(obj.method)
        if spec is not None and spec.delivery == "provider":
            progress = self._progress(obj)
            return format_html(
                "{}: {} · {}: {}",
                _("Chunks sent"),
                f"{progress.chunks_done:,}",
                _("waiting"),
                f"{progress.chunks_pending:,}",
            )
        if not obj.file_sha256:
            return str(_("Bank file not downloaded yet."))
        return format_html(
            "{}: <code>{}</code><br>{}: {} · {}: {}",
            _("Bank file SHA-256"),
            obj.file_sha256,
            _("lines"),
            f"{obj.file_lines or 0:,}",
            _("exported"),
            timezone.localtime(obj.exported_at).strftime("%Y-%m-%d %H:%M")
            if obj.exported_at
            else "-",
        )
