"""The claimant's own claims: status, the one thing to fix, appeal, feedback, documents."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import client_ip
from claims.errors import ClaimError
from claims.forms import AppealForm, FeedbackForm, InfoAnswerForm, document_label
from claims.models import Claim, ClaimDocument
from claims.payout_presenter import payout_state
from claims.presenters import claim_outlook, claim_reasons
from claims.selectors import claim_documents, claim_of, claim_public_events, claims_of
from claims.services import claim_appeal, claim_feedback, claim_info_respond
from claims.services.claimant import appeal_deadline
from claims.services.info_deadlines import DECIDE_ON_FILE, DENY, claim_no_answer_rule
from claims.storage import document_open
from claims.views.common import claimant_required, form_error
from compensation.claimant_session import claimant_get
from payouts.selectors import payout_views


def claim_of_program(request, program, reference: str) -> Claim:
    """The signed-in claimant's own claim in this program; 404 for any other."""
    claim = claim_of(request.claimant, reference)
    if claim.program_id != program.pk:
        raise Http404
    return claim


@claimant_required
@require_GET
def my_claims(request, program):
    claims = claims_of(request.claimant).filter(program=program)
    return render(request, "claims/list.html", {"program": program, "claims": claims})


@claimant_required
@require_GET
def status(request, program, reference: str):
    claim = claim_of_program(request, program, reference)
    return _status_page(request, program, claim)


def _status_page(request, program, claim, *, answer_form=None, feedback_form=None):
    language = request.LANGUAGE_CODE
    info_open = claim.status == Claim.Status.INFO_REQUESTED
    return render(
        request,
        "claims/status.html",
        {
            "program": program,
            "claim": claim,
            "title": claim.claim_type.title_in(language),
            "outlook": claim_outlook(claim),
            "reasons": claim_reasons(claim, language),
            "events": claim_public_events(claim),
            "documents": [(document_label(d.kind), d) for d in claim_documents(claim)],
            "answer_form": answer_form or (InfoAnswerForm() if info_open else None),
            "info_document": document_label(claim.info_document_kind)
            if claim.info_document_kind
            else "",
            "appeal_until": appeal_deadline(claim),
            "payout": payout_state(
                claim, payout_views(program.pk, [claim.reference]).get(claim.reference)
            ),
            "pro_rata_pending": bool(claim.entitlement_minor and not claim.award_id),
            "feedback_form": feedback_form
            or (
                FeedbackForm()
                if claim.status in (Claim.Status.APPROVED, Claim.Status.DENIED)
                and claim.feedback_rating is None
                else None
            ),
        },
    )


# What happens without an answer, as the claim's policy says (info_requests.on_no_answer).
IF_NO_ANSWER = {
    DECIDE_ON_FILE: gettext_lazy(
        "If we do not hear from you by then, we will decide on what we have."
    ),
    DENY: gettext_lazy(
        "If we do not hear from you by then, your claim will be closed as not approved, for "
        "lack of an answer."
    ),
}


@claimant_required
@require_http_methods(["GET", "POST"])
def answer(request, program, reference: str):
    """The answer page the information request's link opens: the question, the deadline and
    what happens without an answer, and the form (text and/or one document). Only while the
    claim waits for an answer; otherwise its status page says where it is."""
    claim = claim_of_program(request, program, reference)
    if claim.status != Claim.Status.INFO_REQUESTED:
        messages.info(request, _("Nothing is being asked on this claim now."))
        return redirect("claims:status", program.slug, claim.reference)
    form = InfoAnswerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            claim_info_respond(
                claim=claim,
                claimant=request.claimant,
                answer=form.cleaned_data["answer"],
                upload=form.cleaned_data["document"],
                ip_address=client_ip(request),
            )
        except ClaimError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Thank you. We have your answer and will continue."))
            return redirect("claims:status", program.slug, claim.reference)
    return render(
        request,
        "claims/answer.html",
        {
            "program": program,
            "claim": claim,
            "title": claim.claim_type.title_in(request.LANGUAGE_CODE),
            "answer_form": form,
            "info_document": document_label(claim.info_document_kind)
            if claim.info_document_kind
            else "",
            "deadline_passed": bool(claim.info_due_at and timezone.now() > claim.info_due_at),
            "if_no_answer": IF_NO_ANSWER[claim_no_answer_rule(claim)],
        },
    )


@claimant_required
@require_http_methods(["GET", "POST"])
def appeal(request, program, reference: str):
    claim = claim_of_program(request, program, reference)
    deadline = appeal_deadline(claim)
    if deadline is None:
        return redirect("claims:status", program.slug, claim.reference)
    form = AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            claim_appeal(
                claim=claim,
                claimant=request.claimant,
                statement=form.cleaned_data["statement"],
                upload=form.cleaned_data["document"],
                ip_address=client_ip(request),
            )
        except ClaimError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, _("Your appeal was received. A senior reviewer will look at it.")
            )
            return redirect("claims:status", program.slug, claim.reference)
    return render(
        request,
        "claims/appeal.html",
        {"program": program, "claim": claim, "form": form, "deadline": deadline},
    )


@claimant_required
@require_POST
def feedback(request, program, reference: str):
    claim = claim_of_program(request, program, reference)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            claim_feedback(
                claim=claim,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                ip_address=client_ip(request),
            )
        except ClaimError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Thank you for your feedback."))
            return redirect("claims:status", program.slug, claim.reference)
    return _status_page(request, program, claim, feedback_form=form)


@require_GET
def document(request, slug: str, reference: str, document_id: int):
    """A document, to its owner or to staff allowed to see the claim; 404 to anyone else.
    Always an attachment, except inline for staff viewing an image the upload check re-encoded
    (served as its own type, nosniff, under a CSP that allows nothing else). A PDF is never
    shown inline: it is downloaded and opened outside the browser's origin."""
    from claims.selectors import staff_can_see_claim

    claim = get_object_or_404(Claim.objects.select_related("program"), reference=reference)
    if claim.program.slug != slug:
        raise Http404
    staff = staff_can_see_claim(request.user, claim)
    if not staff:
        claimant = claimant_get(request)
        if claimant is None or not claims_of(claimant).filter(pk=claim.pk).exists():
            raise Http404
    doc = get_object_or_404(ClaimDocument, pk=document_id, claim=claim)
    stored = document_open(doc.storage_name)
    if stored is None:
        raise Http404
    inline = staff and request.GET.get("inline") == "1" and doc.shown_inline
    extension = doc.storage_name.rsplit(".", 1)[-1]
    response = FileResponse(
        stored,
        as_attachment=not inline,
        filename=f"{claim.reference}-{doc.pk}.{extension}",
        content_type=doc.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    response["Cache-Control"] = "private, no-store"
    return response
