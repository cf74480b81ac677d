"""Helpers the claimant views share: who is signed in, and the domain error at the edge."""

from __future__ import annotations

import logging
import secrets
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from claims.selectors import program_public_get
from compensation.claimant_session import claimant_get
from config.ratelimit import RateLimitUnavailable

logger = logging.getLogger(__name__)

# The device cookie (random, signed, HttpOnly) the claimant pages give a browser: the limits
# of sign-in, the notice check and claim submission count per device before any network
# ceiling (claims/throttle.py), so people behind a carrier's shared address do not share one.
DEVICE_COOKIE = "claims_device"
DEVICE_SALT = "claims.signin.device"
DEVICE_MAX_AGE = 400 * 86400  # browsers cap cookie lifetimes at 400 days

# What a 503 asks the browser to wait before trying again, in seconds.
UNAVAILABLE_RETRY_AFTER = 60


def limits_required(view):
    """For pages that must not act without their limits (a sign-in code, a notice check):
    with Redis unreachable, a 503 page that says to try again in a minute, in the person's
    language, instead of an error."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except RateLimitUnavailable as exc:
            logger.warning("%s answered 503: limits unavailable (%s)", request.path, exc)
            response = render(request, "claims/unavailable.html", status=503)
            response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
            return response

    return wrapper


def claimant_required(view):
    """The signed-in claimant as `request.claimant`, or the program's sign-in page that comes
    back here afterwards."""

    @wraps(view)
    def wrapper(request, slug: str, *args, **kwargs):
        program = program_public_get(slug)
        claimant = claimant_get(request)
        if claimant is None or claimant.email_hash is None:
            url = reverse("claims:signin", args=[slug])
            return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        request.claimant = claimant
        return view(request, program, *args, **kwargs)

    return wrapper


def form_error(form, exc) -> None:
    """A ClaimError shown where the person will look for it: on the form."""
    form.add_error(None, str(exc.message))


def device_of(request) -> str | None:
    """This browser's device id from its signed cookie, or None (no cookie, or a forged one)."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
    return value if value and len(value) <= 64 else None


def device_cookie_set(request, response: HttpResponse) -> HttpResponse:
    """The response, giving the browser its device cookie if it has none."""
    if device_of(request) is None:
        response.set_signed_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(16),
            salt=DEVICE_SALT,
            max_age=DEVICE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response
