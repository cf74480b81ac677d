"""The staff member's own authenticator enrolment (accounts/enrolment.py): the one-time link
asks for their password, then shows the QR code and asks for a first code."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.enrolment import (
    EnrolmentRefused,
    enrolment_confirm,
    enrolment_device,
    enrolment_secret_new,
    enrolment_secret_show,
)

_PROVEN = "accounts.enrolment.proven"  # the session's mark: this device's owner gave the password


def _page(request: HttpRequest, step: str, status: int = 200, **context) -> HttpResponse:
    return render(
        request,
        "accounts/enrol.html",
        {**admin.site.each_context(request), "step": step, **context},
        status=status,
    )


@never_cache
@sensitive_post_parameters("password", "code")
def enrol(request: HttpRequest, token: str) -> HttpResponse:
    try:
        device = enrolment_device(token)
    except EnrolmentRefused:
        return _page(request, "refused", status=404)
    user = device.user
    if request.method != "POST":
        return _page(request, "password", email=user.email)
    if request.POST.get("step") == "code" and request.session.get(_PROVEN) == device.pk:
        if enrolment_confirm(
            device=device,
            code=request.POST.get("code", ""),
            ip_address=request.META.get("REMOTE_ADDR"),
        ):
            request.session.pop(_PROVEN, None)
            return _page(request, "done")
        qr, secret = enrolment_secret_show(device)
        return _page(request, "secret", qr=qr, secret=secret, wrong_code=True)
    # The password goes through authenticate(), so django-axes counts a wrong one and locks
    # the account out like a wrong sign-in.
    proven = authenticate(request, username=user.email, password=request.POST.get("password", ""))
    if proven is None or proven.pk != user.pk:
        return _page(request, "password", email=user.email, wrong_password=True)
    request.session[_PROVEN] = device.pk
    qr, secret = enrolment_secret_new(device)
    return _page(request, "secret", qr=qr, secret=secret)
