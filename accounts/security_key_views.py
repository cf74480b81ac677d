"""The staff member's security keys page and the sign-in's key step, on django-otp-webauthn's
views and scripts (accounts/security_keys.py says how the two steps hold together). The
library's scripts are served from our static files, configured by the page itself."""

from __future__ import annotations

import json
from typing import Any, cast
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import admin
from django.contrib.auth import login as auth_login
from django.contrib.auth import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)
from rest_framework.exceptions import PermissionDenied

from accounts.models import User
from accounts.security_keys import (
    security_key_pending_end,
    security_key_pending_user,
    security_key_registered_record,
    security_keys_of,
)

_BACKEND = "django.contrib.auth.backends.ModelBackend"
_LOCKED = _("Too many failed sign-ins: try again later.")


def _configuration(request: HttpRequest) -> dict:
    # The library's script configuration (its template tag's keys), naming our views.
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": csrf.get_token(request),
        "beginAuthenticationUrl": reverse("accounts:security_key_sign_in_begin"),
        "completeAuthenticationUrl": reverse("accounts:security_key_sign_in_complete"),
        "beginRegistrationUrl": reverse("accounts:security_key_register_begin"),
        "completeRegistrationUrl": reverse("accounts:security_key_register_complete"),
    }


def _verified_staff(request: HttpRequest) -> bool:
    user: Any = request.user  # django-otp's middleware adds is_verified()
    return bool(user.is_authenticated and user.is_staff and user.is_verified())


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok else ""


@never_cache
def security_keys(request: HttpRequest) -> HttpResponse:
    """The signed-in staff member's keys and the button that registers another."""
    if not _verified_staff(request):
        return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.path})}")
    return render(
        request,
        "accounts/security_keys.html",
        {
            **admin.site.each_context(request),
            "keys": list(security_keys_of(cast(User, request.user))),
            "configuration": _configuration(request),
        },
    )


@never_cache
def security_key_sign_in(request: HttpRequest) -> HttpResponse:
    """The sign-in's second step: touch the key. Only after a right password (the mark), in
    the staff member's language, as the staff site they are signing in to speaks it."""
    user = security_key_pending_user(request)
    if user is None:
        return redirect(reverse("admin:login"))
    if user.language:
        translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()
    return render(
        request,
        "accounts/security_key_sign_in.html",
        {
            **admin.site.each_context(request),
            "next": _safe_next(request),
            "configuration": _configuration(request),
        },
    )


class _VerifiedStaffRegistration:
    """A key is registered only by a staff member signed in with both factors now (the
    library asks this only of users who have a device already)."""

    def check_can_register(self):
        if not _verified_staff(self.request):  # type: ignore[attr-defined]
            raise exceptions.NotVerified()


class SecurityKeyRegisterBegin(_VerifiedStaffRegistration, BeginCredentialRegistrationView):
    pass


class SecurityKeyRegisterComplete(_VerifiedStaffRegistration, CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        user = self.request.user
        with transaction.atomic():  # the trail's trigger names the user (StaffTrailMiddleware)
            response = super().post(*args, **kwargs)
            device = security_keys_of(user).get(pk=json.loads(response.content)["id"])
            security_key_registered_record(
                device=device, ip_address=self.request.META.get("REMOTE_ADDR")
            )
        return response


class _PendingUser:
    """The key step's user is the one whose password was right (not a signed-in user)."""

    def get_user(self):
        return security_key_pending_user(self.request)  # type: ignore[attr-defined]


class SecurityKeySignInBegin(_PendingUser, BeginCredentialAuthenticationView):
    pass


class SecurityKeySignInComplete(_PendingUser, CompleteCredentialAuthenticationView):
    def handle_exception(self, exc):
        # A key that fails after a right password counts as a failed sign-in (axes), like a
        # wrong code does on the login form.
        user = security_key_pending_user(self.request)
        if user is not None and isinstance(exc, exceptions.OTPWebAuthnApiError):
            user_login_failed.send(
                sender=type(self), credentials={"username": user.email}, request=self.request
            )
        return super().handle_exception(exc)

    def check_device_usable(self, device) -> None:
        """A key does not get round the lockout: a staff member locked out (axes, per email
        and address) after the password step is refused here too, and nothing more counts."""
        super().check_device_usable(device)
        if AxesProxyHandler.is_locked(self.request, credentials={"username": device.user.email}):
            raise PermissionDenied(_LOCKED)

    def complete_auth(self, device):
        user = device.user
        security_key_pending_end(self.request)
        auth_login(self.request, user, backend=_BACKEND)
        otp_login(self.request, device)
        return user

    def get_success_url(self):
        return self.get_redirect_url() or reverse("admin:index")
