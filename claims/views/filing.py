"""Filing: choose a claim type, answer its questions and upload its documents, check the
summary, submit. The draft (answers in the session, files stored against the draft key) is
what the summary shows; the draft key is the submission's idempotency key.

The payment choice is kept by the payouts app against the draft key, encrypted; the session
holds only the method, the bank, the last four digits and the account's keyed hash (for the
shared-account signal), never the account number or the holder's name."""

import secrets
from decimal import Decimal

from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from audit.services import client_ip
from claims.errors import ClaimError
from claims.forms import (
    PAYMENT_SECRETS,
    ClaimDetailsForm,
    PaymentChoice,
    document_label,
    from_minor,
    payment_error,
    payment_methods_for,
)
from claims.models import ClaimDocument
from claims.payout_presenter import method_text
from claims.purchase_fields import purchase_summary
from claims.selectors import claim_types_for
from claims.services import claim_document_add, claim_draft_documents_replace, claim_submit
from claims.services.intake import payout_account_fingerprint
from claims.storage import documents_delete
from claims.views.common import claimant_required, device_of, form_error
from claims.views.signin import CONTACT_EMAIL
from compensation.claimant_session import claimant_owner
from instruments.services.purchases import PurchaseAnswers
from payouts.errors import PayoutError
from payouts.selectors import program_methods
from payouts.services.instructions import instruction_draft_save

_DRAFTS = "claims_drafts"


def _drafts(request) -> dict:
    """This claimant's drafts in the session; a draft made by another identity (a shared
    browser) is never shown or submitted."""
    owner = claimant_owner(request.claimant)
    return {
        key: draft
        for key, draft in request.session.get(_DRAFTS, {}).items()
        if draft.get("owner") == owner
    }


def _claim_type(request, program, code: str):
    for claim_type in claim_types_for(program, request.claimant):
        if claim_type.code == code:
            return claim_type
    raise Http404


@claimant_required
def start(request, program):
    claim_types = claim_types_for(program, request.claimant)
    language = request.LANGUAGE_CODE
    choices = [
        {
            "code": t.code,
            "title": t.title_in(language),
            "instructions": t.instructions.get(language) or t.instructions.get("en", ""),
            "documents": [document_label(k) for k in t.required_documents],
        }
        for t in claim_types
    ]
    return render(
        request,
        "claims/start.html",
        {"program": program, "choices": choices, "on_list": request.claimant.person is not None},
    )


def _payment_draft_save(request, program, draft_key: str, choice: PaymentChoice) -> dict:
    """Keep the payment choice with the draft (payouts encrypts the details) and return what
    the session may hold of it."""
    if choice.later:
        return {"method": ""}
    instruction = instruction_draft_save(
        program=program,
        owner_email_hash=request.claimant.email_hash,
        draft_key=draft_key,
        method=choice.method,
        bank_code=choice.bank_code,
        fields=choice.fields,
        language=request.LANGUAGE_CODE,
    )
    digest = payout_account_fingerprint(
        currency=program.currency,
        method=instruction.method,
        bank_code=instruction.bank_code,
        fields=choice.fields,
    )
    return {
        "method": instruction.method,
        "bank_code": instruction.bank_code,
        "last4": instruction.details_last4,
        "account_hash": digest.hex() if digest else "",
    }


@sensitive_post_parameters(*PAYMENT_SECRETS)
@claimant_required
@require_http_methods(["GET", "POST"])
def details(request, program, type_code: str):
    claim_type = _claim_type(request, program, type_code)
    form = ClaimDetailsForm(
        request.POST or None,
        request.FILES or None,
        claim_type=claim_type,
        currency=program.currency,
        methods=payment_methods_for(
            program_methods(program),
            program.currency,
            has_record=request.claimant.person is not None
            and request.claimant.person.program_id == program.pk,
        ),
        language=request.LANGUAGE_CODE,
    )
    if request.method == "POST" and form.is_valid():
        # One draft per claim type: posting the form again replaces the draft's answers and
        # files (the claimant's budget across drafts is in claim_document_add).
        draft_key = next(
            (
                key
                for key, draft in _drafts(request).items()
                if draft["program"] == program.pk and draft["type"] == claim_type.code
            ),
            None,
        ) or secrets.token_urlsafe(24)
        stored: list[ClaimDocument] = []
        try:
            with transaction.atomic():
                # The payment first: its refusal costs no document check.
                payment = _payment_draft_save(request, program, draft_key, form.choice())
                claim_draft_documents_replace(claimant=request.claimant, draft_key=draft_key)
                for kind in form.document_kinds:
                    upload = form.cleaned_data.get(f"doc_{kind}")
                    if upload:
                        stored.append(
                            claim_document_add(
                                claimant=request.claimant,
                                draft_key=draft_key,
                                kind=kind,
                                upload=upload,
                            )
                        )
        except PayoutError as exc:
            payment_error(form, exc)
        except ClaimError as exc:
            # The rows rolled back; the files written before the refused one go too.
            documents_delete(document.storage_name for document in stored)
            form_error(form, exc)
        else:
            drafts = _drafts(request)
            drafts.pop(draft_key, None)
            drafts = dict(list(drafts.items())[-4:])  # a few drafts at most per session
            hours = form.cleaned_data.get("hours")
            drafts[draft_key] = {
                "owner": claimant_owner(request.claimant),
                "program": program.pk,
                "type": claim_type.code,
                "amount_minor": form.amount_minor(),
                "hours": str(hours) if hours is not None else None,
                "statement": form.cleaned_data.get("statement", ""),
                "payment": payment,
                "purchase": form.purchase(),
            }
            request.session[_DRAFTS] = drafts
            return redirect("claims:review", program.slug, claim_type.code, draft_key)
    return render(
        request,
        "claims/details.html",
        {
            "program": program,
            "claim_type": claim_type,
            "title": claim_type.title_in(request.LANGUAGE_CODE),
            "instructions": claim_type.instructions.get(request.LANGUAGE_CODE)
            or claim_type.instructions.get("en", ""),
            "form": form,
        },
    )


@claimant_required
@require_http_methods(["GET", "POST"])
def review(request, program, type_code: str, draft_key: str):
    claim_type = _claim_type(request, program, type_code)
    draft = _drafts(request).get(draft_key)
    if draft is None or draft["type"] != type_code:
        # Already submitted from this draft (a retried submit): show that claim.
        from claims.models import Claim

        done = Claim.objects.filter(
            idempotency_key=draft_key, claimant_email_hash=request.claimant.email_hash
        ).first()
        if done is not None:
            return redirect("claims:status", program.slug, done.reference)
        raise Http404
    documents = ClaimDocument.objects.filter(
        draft_key=draft_key, owner_email_hash=request.claimant.email_hash
    ).order_by("id")
    error = None
    status = 200
    payment = draft.get("payment") or {}
    if request.method == "POST":
        try:
            claim, _created = claim_submit(
                program=program,
                claim_type=claim_type,
                claimant=request.claimant,
                contact_email=request.session.get(CONTACT_EMAIL, ""),
                language=request.LANGUAGE_CODE,
                idempotency_key=draft_key,
                amount_claimed_minor=draft["amount_minor"],
                hours_claimed=Decimal(draft["hours"]) if draft["hours"] else None,
                statement=draft["statement"],
                payout_chosen=bool(payment.get("method")),
                payout_account_hash=bytes.fromhex(payment["account_hash"])
                if payment.get("account_hash")
                else None,
                ip_address=client_ip(request),
                device=device_of(request),
                instrument_purchase=PurchaseAnswers.from_session(draft["purchase"])
                if draft.get("purchase")
                else None,
            )
        except ClaimError as exc:
            error = exc.message
            # A limit's refusal is a 429 with the page and its message (THROTTLED).
            status = 429 if exc.code == "throttled" else 200
        else:
            drafts = _drafts(request)
            drafts.pop(draft_key, None)
            request.session[_DRAFTS] = drafts
            return redirect("claims:status", program.slug, claim.reference)
    return render(
        request,
        "claims/review.html",
        {
            "program": program,
            "title": claim_type.title_in(request.LANGUAGE_CODE),
            "type_code": type_code,
            "draft": draft,
            "amount": from_minor(draft["amount_minor"], program.currency)
            if draft["amount_minor"]
            else None,
            "documents": [(document_label(d.kind), d) for d in documents],
            "payment": method_text(
                method=payment["method"],
                bank_code=payment.get("bank_code", ""),
                last4=payment.get("last4", ""),
                currency=program.currency,
            )
            if payment.get("method")
            else "",
            "error": error,
            "draft_key": draft_key,
            "purchase": purchase_summary(draft.get("purchase")),
        },
        status=status,
    )
