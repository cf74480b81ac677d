"""Settling a pro-rata pool in the admin: a confirmation page with the pool, the approved
claims waiting for it (their entitlements and what each would be paid) and the factor, from
which the settlement is proposed; a second staff member holding `compensation.settle_program`
approves it on the proposal's page (four eyes, claims/proposals.py), and only then are the
awards written and the claimants told (claims_pool_settle).

URL name admin:claims_pool_settle, taking the program's id (the program's page links it)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from audit.models import Proposal
from audit.proposals import ProposalRefused, proposal_create
from audit.services import client_ip
from claims.proposals import POOL_SETTLE, pool_settle_figures
from claims.services.pool import pool_waiting
from claims.services.pool_notices import pool_share_text
from compensation.engine.money import money_format
from compensation.errors import CompensationError
from compensation.models import Program
from compensation.services.pool import pro_rata_allocate

SETTLE_PERMISSION = "compensation.settle_program"
SHOWN = 100  # entitlements listed on the page; the totals cover them all


class SettleForm(forms.Form):
    reason = forms.CharField(
        label=_("Why now"),
        max_length=500,
        required=False,
        help_text=_(
            "A few words for the approver (the claim period has closed...). No personal data."
        ),
    )


@dataclass(frozen=True)
class PoolPreview:
    claims: int
    entitled_minor: int
    paid_minor: int
    factor: Fraction
    rows: list[tuple[str, str, str, str]]  # reference, claim type, entitled, final

    @property
    def reduced(self) -> bool:
        return self.factor < 1


def pool_preview(program: Program) -> PoolPreview:
    """What settling now would pay: the same entitlements, order and arithmetic as
    claims_pool_settle (oldest claim first), computed without writing anything."""
    waiting = [
        (reference, code, amount or 0)  # never None: pool_waiting wants more than 0
        for reference, code, amount in pool_waiting(program)
        .order_by("submitted_at", "id")
        .values_list("reference", "claim_type__code", "entitlement_minor")
    ]
    factor, finals = pro_rata_allocate(
        [(reference, amount) for reference, _code, amount in waiting],
        program.claim_pool_minor or 0,
    )

    def money(minor: int) -> str:
        return money_format(minor, program.currency)

    return PoolPreview(
        claims=len(waiting),
        entitled_minor=sum(amount for _ref, _code, amount in waiting),
        paid_minor=sum(finals.values()),
        factor=factor,
        rows=[
            (reference, code, money(amount), money(finals[reference]))
            for reference, code, amount in waiting[:SHOWN]
        ],
    )


class PoolSettleMixin:
    """Adds the settle page to the claims admin (ClaimAdmin)."""

    def get_urls(self):
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path(
                "pool/<int:program_id>/settle/",
                wrap(self.pool_settle_view),
                name="claims_pool_settle",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def pool_settle_view(self, request: HttpRequest, program_id: int) -> HttpResponse:
        if not request.user.has_perm(SETTLE_PERMISSION):
            raise PermissionDenied
        program = get_object_or_404(Program, pk=program_id)
        if program.allocation != Program.Allocation.PRO_RATA or program.claim_pool_minor is None:
            raise Http404
        waiting_proposal = Proposal.objects.filter(
            action=POOL_SETTLE, object_id=str(program.pk), status=Proposal.Status.PROPOSED
        ).first()
        form = SettleForm(request.POST or None)
        settled = program.pool_factor is not None
        if request.method == "POST" and not settled and form.is_valid():
            params, figures = pool_settle_figures(program)
            try:
                proposal = proposal_create(
                    action=POOL_SETTLE,
                    target=program,
                    params=params,
                    figures=figures,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except (ProposalRefused, CompensationError) as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Settlement proposed: a staff member other than you, who may settle "
                        "pools, approves it here. Nothing is paid until then."
                    ),
                )
                return redirect("admin:audit_proposal_change", proposal.pk)
        preview = None if settled else pool_preview(program)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": Program._meta,
            "original": program,
            "title": _("Settle the pool of %(program)s") % {"program": program},
            "form": form,
            "pool": money_format(program.claim_pool_minor, program.currency),
            "settled": settled,
            "preview": preview,
            "entitled": money_format(preview.entitled_minor, program.currency) if preview else "",
            "paid": money_format(preview.paid_minor, program.currency) if preview else "",
            "share": pool_share_text(preview.factor) if preview else "",
            "factor": f"{float(preview.factor):.6f}" if preview else str(program.pool_factor),
            "more": max(preview.claims - SHOWN, 0) if preview else 0,
            "waiting_proposal": waiting_proposal,
        }
        return TemplateResponse(request, "claims/admin/pool_settle.html", context)
