"""Extending vouchers' validity window in bulk, in the admin: the operator chooses a run (or the
whole program), the new last day and the reason, sees what would move, and proposes it; another
staff member who may issue vouchers approves it (four eyes, vouchers/proposals.py), and a
worker then moves the vouchers in chunks. The list shows each extension's progress."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import ReadOnlyAdmin
from audit.proposals import ProposalRefused
from audit.services import client_ip
from compensation.engine.money import money_format
from compensation.models import Program
from vouchers.errors import VoucherError
from vouchers.models import ValidityExtension, VoucherBatch
from vouchers.proposals import validity_extend_proposal
from vouchers.services.expiry import validity_extension_figures, validity_extension_refusal


class RunChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("Run %(run)s of %(program)s") % {"run": obj.pk, "program": obj.program}


class ExtensionForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.all(), label=_("Program"))
    batch = RunChoiceField(
        queryset=VoucherBatch.objects.select_related("program"),
        required=False,
        label=_("Issuance run"),
        help_text=_("Empty: every voucher of the program, and the program's window."),
    )
    last_day = forms.DateField(
        label=_("New last day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The vouchers stay usable until the end of this day (site time)."),
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def clean(self):
        data = super().clean() or {}
        program, batch = data.get("program"), data.get("batch")
        if program and batch and batch.program_id != program.pk:
            raise forms.ValidationError(_("Choose a run of the chosen program."))
        if data.get("last_day"):
            zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
            next_day = data["last_day"] + dt.timedelta(days=1)
            end = dt.datetime.combine(next_day, dt.time.min, tzinfo=zone)
            data["valid_until"] = end - dt.timedelta(seconds=1)
        return data


@admin.register(ValidityExtension)
class ValidityExtensionAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "program",
        "batch",
        "valid_until",
        "previous_until",
        "vouchers_extended",
        "done_at",
        "created_by",
    ]
    list_filter = ["program"]
    list_select_related = ["program", "batch", "created_by"]

    def has_add_permission(self, request):
        return request.user.has_perm("vouchers.issue_vouchers")

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:vouchers_validityextension_propose")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("propose/", wrap(self.propose_view), name="vouchers_validityextension_propose"),
            *super().get_urls(),
        ]

    def propose_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ExtensionForm(request.POST or None)
        figures = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            program, batch, until = data["program"], data["batch"], data["valid_until"]
            if refusal := validity_extension_refusal(
                program=program, batch=batch, valid_until=until
            ):
                form.add_error("last_day", refusal)
            elif "confirm" in request.POST:
                try:
                    proposal = validity_extend_proposal(
                        program=program,
                        batch=batch,
                        valid_until=until,
                        reason=data["reason"],
                        actor=request.user,
                        ip_address=client_ip(request),
                    )
                except (VoucherError, ProposalRefused) as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(
                        request,
                        _("Extension proposed: a staff member other than you approves it here."),
                    )
                    return redirect("admin:audit_proposal_change", proposal.pk)
            else:
                figures = validity_extension_figures(
                    program=program, batch=batch, valid_until=until
                )
                figures["value_left"] = money_format(figures["value_left_minor"], program.currency)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Extend the validity window of vouchers"),
            "form": form,
            "figures": figures,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/vouchers/validityextension/propose.html", context)
