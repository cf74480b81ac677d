"""The program's budget page: a new budget is proposed with the committed total and the
forecast beside it (four eyes, compensation.proposals); a different staff member approves it.
A budget below what is committed is refused on the field."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from audit.models import Proposal
from audit.proposals import ProposalRefused, proposal_create
from audit.services import client_ip
from compensation.admin.forecast import program_forecast_html
from compensation.engine.money import money_format
from compensation.models import Program
from compensation.proposals import BUDGET_CHANGE, budget_change_figures
from compensation.services.budget import BudgetChangeRefused, program_budget_refusal


class BudgetForm(forms.Form):
    budget_minor = forms.IntegerField(
        label=_("New budget"), min_value=0, help_text=_("In minor units of the currency.")
    )
    reason = forms.CharField(
        label=_("Why"),
        max_length=500,
        required=False,
        help_text=_("A few words for the approver. No personal data."),
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["budget_minor"].help_text = _(
            "In minor units of %(currency)s. Now %(budget)s; committed %(committed)s."
        ) % {
            "currency": program.currency,
            "budget": money_format(program.budget_minor, program.currency),
            "committed": money_format(program.committed_minor, program.currency),
        }

    def clean_budget_minor(self) -> int:
        budget = self.cleaned_data["budget_minor"]
        if refusal := program_budget_refusal(program=self.program, budget_minor=budget):
            raise forms.ValidationError(refusal, code="below_committed")
        return budget


def program_budget_view(model_admin, request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("compensation.change_program"):
        raise PermissionDenied
    program = get_object_or_404(Program, pk=pk)
    form = BudgetForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        params, figures = budget_change_figures(program, form.cleaned_data["budget_minor"])
        try:
            proposal = proposal_create(
                action=BUDGET_CHANGE,
                target=program,
                params=params,
                figures=figures,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                ip_address=client_ip(request),
            )
        except BudgetChangeRefused as exc:
            form.add_error("budget_minor", exc.message)
        except ProposalRefused as exc:
            form.add_error(None, exc.message)
        else:
            if proposal.status == Proposal.Status.EXECUTED:
                messages.success(request, _("Budget changed (under the two-person threshold)."))
                return redirect("admin:compensation_program_change", program.pk)
            messages.success(
                request,
                _("Budget change proposed: a staff member other than you approves it here."),
            )
            return redirect("admin:audit_proposal_change", proposal.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": program,
        "title": _("Change the budget of %(program)s") % {"program": program},
        "form": form,
        "forecast": program_forecast_html(program),
    }
    return TemplateResponse(request, "admin/compensation/program/budget.html", context)
