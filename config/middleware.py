from django.urls import Resolver404, resolve

from config.problems import problem_response


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
            return problem_response(
                status=404, code="not_found", title="There is no such API address."
            )
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
                return problem_response(
                    status=405,
                    code="method_not_allowed",
                    title=f"{request.method} is not allowed here.",
                    headers={"Allow": ", ".join(sorted(set(allowed)))},
                )
        return self.get_response(request)
