"""The claimant's side of inquiries: the question form (from /me/ or the program's page) and
its confirmation with the reference and what happens next. Thin: validate, limit, one service
call, respond."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from audit.services import client_ip
from claims.selectors import program_public_get
from claims.throttle import network_of
from claims.views.common import limits_required
from claims.views.signin import CONTACT_EMAIL
from compensation.claimant_session import claimant_get, claimant_people
from support.errors import SupportError
from support.inquiry_forms import InquiryForm
from support.inquiry_selectors import acknowledgement_of
from support.models import Inquiry
from support.services.inquiries import contact_normalize, inquiry_file, inquiry_rate_take

# The references this browser filed, so only it sees their confirmation page.
_SENT = "support_inquiries_sent"
_KEEP_SENT = 20


@never_cache
@limits_required
@require_http_methods(["GET", "POST"])
def inquiry_new(request, slug: str):
    program = program_public_get(slug)
    claimant = claimant_get(request)
    person = None
    address = ""
    if claimant is not None:
        person = next((p for p in claimant_people(claimant) if p.program_id == program.pk), None)
        address = request.session.get(CONTACT_EMAIL, "") or (person.email if person else "")
    signed_in = bool(address)
    form = InquiryForm(request.POST or None, request.FILES or None, anonymous=not signed_in)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        channel = "email" if signed_in else data["contact_channel"]
        contact = address if signed_in else data["contact"]
        try:
            _address, digest = contact_normalize(channel, contact)
            if not inquiry_rate_take(network=network_of(client_ip(request)), contact_hash=digest):
                raise SupportError(
                    _("Too many questions from here. Please wait a while and try again.")
                )
            inquiry = inquiry_file(
                program=program,
                category=data["category"],
                body=data["body"],
                language=request.LANGUAGE_CODE,
                contact_channel=channel,
                contact=contact,
                source=Inquiry.Source.SIGNED_IN if signed_in else Inquiry.Source.WEB,
                person=person,
                upload=data["document"],
                ip_address=client_ip(request),
            )
        except SupportError as exc:
            form.add_error(None, str(exc.message))
        else:
            sent = [*request.session.get(_SENT, []), inquiry.reference][-_KEEP_SENT:]
            request.session[_SENT] = sent
            return redirect("support:inquiry_sent", program.slug, inquiry.reference)
    return render(
        request,
        "support/inquiry_form.html",
        {
            "program": program,
            "form": form,
            "signed_in": signed_in,
            "sla_hours": settings.SUPPORT_INQUIRY_SLA_HOURS,
        },
    )


@never_cache
@require_GET
def inquiry_sent(request, slug: str, reference: str):
    """The confirmation: the reference, what happens next (the answer by the SLA's time), and
    the acknowledgement on its way with its own reference, which /verify/ confirms once it is
    sent. Only for the browser that sent it (the reference is in its session); any other
    answers 404, so a reference alone shows nothing."""
    program = program_public_get(slug)
    if reference not in request.session.get(_SENT, []):
        raise Http404
    inquiry = (
        Inquiry.objects.filter(program=program, reference=reference)
        .only("reference", "contact_channel", "contact_masked", "due_at", "category")
        .first()
    )
    if inquiry is None:
        raise Http404
    return render(
        request,
        "support/inquiry_sent.html",
        {
            "program": program,
            "inquiry": inquiry,
            "category": inquiry.get_category_display(),
            "acknowledgement": acknowledgement_of(inquiry),
            "sla_hours": settings.SUPPORT_INQUIRY_SLA_HOURS,
        },
    )
