from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from claims.selectors import program_list_public


@require_GET
def home(request):
    return render(request, "claims/home.html", {"programs": program_list_public()})


@require_GET
def program_detail(request, slug: str):
    program = get_object_or_404(
        program_list_public().prefetch_related("award_lines", "claim_types"), slug=slug
    )
    return render(
        request, "claims/program.html", {"program": program, "language": request.LANGUAGE_CODE}
    )
