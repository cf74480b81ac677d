from django.http import JsonResponse
from django.urls import Resolver404, resolve


def _problem(status: int, code: str, title: str) -> JsonResponse:
    return JsonResponse(
        {
            "type": f"about:blank#{code}",
            "title": title,
            "status": status,
            "code": code,
            "detail": title,
        },
        status=status,
        content_type="application/problem+json",
    )


class ApiMethodNotAllowedMiddleware:
    """For /api/ paths: an unknown address is a problem-JSON 404 (never the HTML page), and a
    method the view does not implement is a 405 with Allow, answered before the view
    authenticates: the method is wrong whoever asks, and a 401 would hide that."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return _problem(404, "not_found", "There is no such API address.")
        view_class = getattr(match.func, "cls", None)
        if view_class is not None:
            allowed = [
                m.upper()
                for m in view_class.http_method_names
                if m != "options" and hasattr(view_class, m)
            ]
            if "GET" in allowed:
                allowed.append("HEAD")
            allowed.append("OPTIONS")
            if request.method not in allowed:
                response = _problem(
                    405, "method_not_allowed", f"{request.method} is not allowed here."
                )
                response["Allow"] = ", ".join(sorted(set(allowed)))
                return response
        return self.get_response(request)
