"""Helpers the claimant views share: who is signed in, and the domain error at the edge."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from claims.selectors import program_public_get
from compensation.claimant_session import claimant_get


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
