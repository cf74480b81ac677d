from django.conf import settings
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

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


class RequestBodyLimitMiddleware:
    """A request whose Content-Length is over REQUEST_BODY_MAX_BYTES (or its view's entry in
    REQUEST_BODY_MAX_BYTES_BY_VIEW) is answered 413 before any byte of the body is read: Django
    reads no more than Content-Length (a body without one is read as empty), and this runs
    before CsrfViewMiddleware, the first to read a POST. gunicorn has no body limit of its
    own, but it drains at most 64 KB of an unread body before it closes the connection."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads such a body as empty
        match = request.resolver_match
        # By application namespace ("admin:", whatever the admin site's instance is called).
        view_name = ":".join([*match.app_names, match.url_name or ""]) if match else ""
        limit = settings.REQUEST_BODY_MAX_BYTES_BY_VIEW.get(
            view_name, settings.REQUEST_BODY_MAX_BYTES
        )
        if declared <= limit:
            return None
        mb = limit // 1024**2
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            response = problem_response(
                status=413,
                code="request_too_large",
                title=f"The request body is over {mb} MB.",
            )
        else:
            response = HttpResponse(
                _("This upload is too large: %(mb)s MB at most, all files together.") % {"mb": mb},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return response
