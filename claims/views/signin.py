"""Claimant sign-in: a code by email or SMS, or a personal link from a notice.

Every sign-in page gives the browser a device cookie (random, signed, HttpOnly) if it has
none: the sign-in limits count per device and per address before any network ceiling
(claims.throttle.signin_limits), so people behind a carrier's shared address do not share one
budget. A refused request answers 429 with the page and its message."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import client_ip
from claims.errors import THROTTLED, ClaimError
from claims.forms import CodeForm, EmailForm, PhoneForm
from claims.selectors import program_public_get
from claims.services.personal_links import (
    personal_link_find,
    personal_link_of,
    personal_link_use,
)
from claims.services.signin import signin_address_hash, signin_code_request, signin_code_verify
from claims.throttle import device_trust, network_of, throttle_hit
from claims.views.common import (
    device_cookie_set,
    device_of,
    form_error,
    limits_required,
)
from compensation.claimant_session import claimant_sign_in, claimant_sign_out

_PENDING_EMAIL = "claims_signin_email"
_PENDING_PHONE = "claims_signin_phone"
CONTACT_EMAIL = "claims_contact_email"
# What a 429 asks the browser to wait before trying again, in seconds.
THROTTLED_RETRY_AFTER = 900


def _next(request, slug: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("claims:me")


def _page(request, template: str, context: dict, error: ClaimError | None = None):
    """The page, answering 429 (with Retry-After) when `error` is a limit's refusal."""
    throttled = error is not None and error.code == "throttled"
    response = render(request, template, context, status=429 if throttled else 200)
    if throttled:
        response["Retry-After"] = str(THROTTLED_RETRY_AFTER)
    return device_cookie_set(request, response)


@require_http_methods(["GET", "POST"])
@limits_required
def signin(request, slug: str):
    program = program_public_get(slug)
    # One form a page: by email, or by SMS (?by=sms, a link on the page).
    chosen = request.POST.get("channel") if request.method == "POST" else request.GET.get("by")
    channel = "sms" if chosen == "sms" else "email"
    form: EmailForm | PhoneForm = (PhoneForm if channel == "sms" else EmailForm)(
        request.POST or None
    )
    error = None
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["phone" if channel == "sms" else "email"]
        try:
            signin_code_request(
                program=program,
                address=address,
                channel=channel,
                language=request.LANGUAGE_CODE,
                ip_address=client_ip(request),
                device=device_of(request),
            )
        except ClaimError as exc:
            error = exc
            form_error(form, exc)
        else:
            request.session.pop(_PENDING_EMAIL if channel == "sms" else _PENDING_PHONE, None)
            request.session[_PENDING_PHONE if channel == "sms" else _PENDING_EMAIL] = address
            url = reverse("claims:signin_code", args=[slug])
            response = redirect(f"{url}?{urlencode({'next': _next(request, slug)})}")
            return device_cookie_set(request, response)
    return _page(
        request,
        "claims/signin.html",
        {"program": program, "active_form": form, "channel": channel, "next": _next(request, slug)},
        error,
    )


@require_http_methods(["GET", "POST"])
@limits_required
def signin_code(request, slug: str):
    program = program_public_get(slug)
    phone = request.session.get(_PENDING_PHONE)
    email = request.session.get(_PENDING_EMAIL)
    channel, address = ("sms", phone) if phone else ("email", email)
    if not address:
        return redirect("claims:signin", slug)
    form = CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            person, identity = signin_code_verify(
                program=program,
                address=address,
                code=form.cleaned_data["code"],
                ip_address=client_ip(request),
                channel=channel,
            )
        except ClaimError as exc:
            error = exc
            form_error(form, exc)
        else:
            target = _next(request, slug)
            claimant_sign_in(request, person=person, email_hash=identity)
            if channel == "email":
                request.session[CONTACT_EMAIL] = email
            elif person is not None and person.email:
                request.session[CONTACT_EMAIL] = person.email
            request.session.pop(_PENDING_EMAIL, None)
            request.session.pop(_PENDING_PHONE, None)
            digest = signin_address_hash(channel, address)
            if digest is not None:
                device_trust(address_hash=digest, device=device_of(request))
            return redirect(target)
    return _page(
        request,
        "claims/signin_code.html",
        {"program": program, "form": form, "next": _next(request, slug), "channel": channel},
        error,
    )


@require_http_methods(["GET", "POST"])
@limits_required
def personal_link(request, token: str):
    """A notice's personal link. GET shows one button (a mail scanner fetching the link
    spends nothing); POST signs the recipient in once and opens the page it leads to. A used,
    expired or re-addressed link shows the code sign-in with the reason."""
    try:
        link = personal_link_find(token)
        if request.method == "POST":
            if not throttle_hit("signin_network", network_of(client_ip(request))):
                raise ClaimError(THROTTLED, code="throttled", status=429)
            link = personal_link_use(token=token, ip_address=client_ip(request))
    except ClaimError as exc:
        return _link_fallback(request, token, exc)
    if request.method == "GET":
        return render(request, "claims/personal_link.html", {"program": link.program})
    claimant_sign_in(request, person=link.person, email_hash=bytes(link.identity_hash))
    if link.person is not None and link.person.email:
        request.session[CONTACT_EMAIL] = link.person.email
    return redirect(link.next_path)


def _link_fallback(request, token: str, exc: ClaimError):
    if exc.code == "throttled":
        response = render(request, "claims/personal_link.html", {"error": exc.message}, status=429)
        response["Retry-After"] = str(THROTTLED_RETRY_AFTER)
        return response
    link = personal_link_of(token)
    if link is None:
        return render(request, "claims/personal_link.html", {"error": exc.message}, status=404)
    return _page(
        request,
        "claims/signin.html",
        {
            "program": link.program,
            "active_form": EmailForm(),
            "channel": "email",
            "next": link.next_path,
            "link_message": exc.message,
        },
    )


@require_POST
def signout(request):
    claimant_sign_out(request)
    return redirect("claims:home")
