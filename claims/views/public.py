from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from audit.services import client_ip
from claims import notices
from claims.errors import THROTTLED
from claims.forms import VerifyForm, document_label
from claims.person_page import person_page
from claims.selectors import program_list_public, program_public_get
from claims.throttle import throttle_take, verify_limits
from claims.views.common import device_cookie_set, device_of, limits_required
from compensation.claimant_session import claimant_get
from compensation.engine.money import money_format
from compensation.selectors import program_terms_public
from compensation.services.forecast import program_forecast
from compensation.services.terms import default_faq
from vouchers.labels import SERVICES

AWARD_KINDS = {
    "voucher": _("Single-use voucher"),
    "credit": _("Account credit"),
    "cash": _("Cash reimbursement"),
    "replacement": _("Replacement"),
    "goodwill": _("Goodwill gesture"),
}


@require_GET
def home(request):
    return render(request, "claims/home.html", {"programs": program_list_public()})


@require_GET
def program_detail(request, slug: str):
    program = program_public_get(slug)
    language = request.LANGUAGE_CODE
    claim_types = [
        {
            "title": claim_type.title_in(language),
            "instructions": claim_type.instructions.get(language)
            or claim_type.instructions.get("en", ""),
            "documents": [document_label(kind) for kind in claim_type.required_documents],
            "requires_record": claim_type.requires_affected_record,
        }
        for claim_type in program.claim_types.order_by("id")
    ]
    claimant = claimant_get(request)
    terms = program_terms_public(program, language)
    return render(
        request,
        "claims/program.html",
        {
            "program": program,
            "award_lines": [
                {
                    "label": AWARD_KINDS.get(line.kind, line.get_kind_display()),
                    "scope": line.service_scope,
                    "service": SERVICES.get(line.service_scope, line.service_scope),
                    "amount_minor": line.amount_minor,
                    "amount": money_format(line.amount_minor, program.currency),
                    "count": line.count,
                }
                for line in program.award_lines.all()
            ],
            "claim_types": claim_types,
            "pool_percent": _pool_percent(program),
            "claimant": claimant,
            "coverage": _coverage(program, claimant, language),
            "terms": terms,
            # Until the program publishes its own questions, the ones every program answers.
            "faq": terms.faq
            if terms
            else [{"question": q, "answer": a} for q, a in default_faq(language)],
            "appeal_days": settings.CLAIMS_APPEAL_DAYS,
        },
    )


def _coverage(program, claimant, language: str):
    """Am I covered? For a signed-in person: this program's section of their own page (on
    the affected list or not, and the policy's reasons in their language); None otherwise."""
    if claimant is None:
        return None
    for section in person_page(claimant, language):
        if section.program.pk == program.pk:
            return section
    return None


def _pool_percent(program) -> int | None:
    """For a pro-rata pool while claims are open: the share of each approved amount that
    would be paid if the window closed now, when claims exceed the pool."""
    if program.allocation != program.Allocation.PRO_RATA or program.status != "open":
        return None
    factor = program_forecast(program=program).projected_factor
    return None if factor is None or factor >= 1 else int(factor * 100)


@require_http_methods(["GET", "POST"])
@limits_required
def verify_notice(request):
    """Is this notice genuine? Says yes or no, and nothing else about the notice."""
    result = None
    status = 200
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"]
        limits = verify_limits(
            reference=reference, device=device_of(request), ip_address=client_ip(request)
        )
        if not throttle_take(limits):
            form.add_error(None, THROTTLED)
            status = 429  # the page and its message, as a refusal
        else:
            result = notices.notice_is_genuine(reference)
    response = render(
        request, "claims/verify.html", {"form": form, "result": result}, status=status
    )
    return device_cookie_set(request, response)
