"""The person's own page: where a claimant lands after signing in."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from claims.person_page import person_page
from compensation.claimant_session import claimant_get


@never_cache
@require_GET
def me(request):
    claimant = claimant_get(request)
    if claimant is None:
        return render(request, "claims/me_signin.html", status=403)
    sections = person_page(claimant, request.LANGUAGE_CODE)
    return render(request, "claims/me.html", {"sections": sections})
