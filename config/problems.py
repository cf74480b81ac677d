"""Problem details (RFC 9457, `application/problem+json`): the one shape of every error the API
answers, built here and nowhere else.

Every body has the same five members: `type` (`urn:problem:<code>`), `title`, `status`,
`code` (stable, for programs) and `detail` (for the person reading it). `api_exception_handler`
is DRF's EXCEPTION_HANDLER; `problem_response` answers outside DRF (the /api/ middleware);
`problem_body` builds the bodies kept as idempotent answers for replay."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.views import set_rollback

from config.errors import DomainError
from config.ratelimit import RateLimitUnavailable

PROBLEM_CONTENT_TYPE = "application/problem+json"
# The OpenAPI component of the body (config.openapi adds it; views refer to PROBLEM_REF).
PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "urn:problem:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable: programs may rely on it."},
        "detail": {"type": "string"},
    },
    "required": ["type", "title", "status", "code", "detail"],
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_body(*, status: int, code: str, title: str, detail: str | None = None) -> dict:
    return {
        "type": f"urn:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": title if detail is None else detail,
    }


def problem_of(error: DomainError) -> dict:
    """The body that answers a domain error."""
    return problem_body(
        status=error.status, code=error.code, title=error.title, detail=str(error.message)
    )


def problem_response(
    body: dict | None = None, *, headers: dict[str, str] | None = None, **fields: Any
) -> JsonResponse:
    """A problem answer: a body from problem_body, or its fields (status, code, title,
    detail)."""
    body = body if body is not None else problem_body(**fields)
    response = JsonResponse(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{field}: {_flatten(value)}" for field, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def _api_problem(exc: exceptions.APIException, view: Any) -> tuple[dict, dict[str, str]]:
    headers: dict[str, str] = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    if isinstance(exc, exceptions.ValidationError):
        body = problem_body(
            status=400, code="invalid_request", title="Invalid request", detail=_flatten(exc.detail)
        )
        return body, headers
    detail = _flatten(exc.detail)
    code = exc.detail.code if isinstance(exc.detail, exceptions.ErrorDetail) else None
    # Not signed in is 401 whoever answers: DRF would make it 403 for a view whose
    # authenticators name no scheme for WWW-Authenticate (a claimant's session).
    status = (
        401
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed)
        else exc.status_code
    )
    title = getattr(exc, "title", None) or getattr(view, "problem_title", None) or detail
    body = problem_body(status=status, code=code or exc.default_code, title=title, detail=detail)
    return body, headers


def api_exception_handler(exc: Exception, context: dict) -> JsonResponse | None:
    """DRF's EXCEPTION_HANDLER: every error of every API view is a problem body. A view may
    name `problem_title` for the errors that bring no title of their own."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        body = problem_of(exc)
        if exc.retry_after:
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, RateLimitUnavailable):
        # Fail closed: without the limiter nothing limited is done.
        body = problem_body(
            status=503, code="unavailable", title="Try again shortly", detail="Try again shortly."
        )
    elif isinstance(exc, exceptions.APIException):
        body, headers = _api_problem(exc, context.get("view"))
    else:
        return None
    set_rollback()
    return problem_response(body, headers=headers)
