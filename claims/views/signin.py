from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import client_ip
from claims.errors import ClaimError
from claims.forms import CodeForm, EmailForm
from claims.selectors import program_public_get
from claims.services import signin_code_request, signin_code_verify
from claims.views.common import form_error, limits_required
from compensation.claimant_session import claimant_sign_in, claimant_sign_out

_PENDING_EMAIL = "claims_signin_email"
CONTACT_EMAIL = "claims_contact_email"


def _next(request, slug: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("claims:me")


@require_http_methods(["GET", "POST"])
@limits_required
def signin(request, slug: str):
    program = program_public_get(slug)
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            signin_code_request(
                program=program,
                email=email,
                language=request.LANGUAGE_CODE,
                ip_address=client_ip(request),
            )
        except ClaimError as exc:
            form_error(form, exc)
        else:
            request.session[_PENDING_EMAIL] = email
            url = reverse("claims:signin_code", args=[slug])
            return redirect(f"{url}?{urlencode({'next': _next(request, slug)})}")
    return render(
        request,
        "claims/signin.html",
        {"program": program, "form": form, "next": _next(request, slug)},
    )


@require_http_methods(["GET", "POST"])
@limits_required
def signin_code(request, slug: str):
    program = program_public_get(slug)
    email = request.session.get(_PENDING_EMAIL)
    if not email:
        return redirect("claims:signin", slug)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person, digest = signin_code_verify(
                program=program,
                email=email,
                code=form.cleaned_data["code"],
                ip_address=client_ip(request),
            )
        except ClaimError as exc:
            form_error(form, exc)
        else:
            target = _next(request, slug)
            claimant_sign_in(request, person=person, email_hash=digest)
            request.session[CONTACT_EMAIL] = email
            request.session.pop(_PENDING_EMAIL, None)
            return redirect(target)
    return render(
        request,
        "claims/signin_code.html",
        {"program": program, "form": form, "next": _next(request, slug)},
    )


@require_POST
def signout(request):
    claimant_sign_out(request)
    return redirect("claims:home")
