"""Schema post-processing that makes the documented API match what every endpoint can answer,
so generated clients and schemathesis see the whole contract."""

from config.problems import PROBLEM_REF, PROBLEM_SCHEMA

_COMMON = {
    "401": "Not signed in, or the credentials are not valid.",
    "403": "Signed in, but not allowed to do this.",
}


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    }


# What DRF trims is what Python's str.strip() removes (str.isspace()), which is more than a
# regular expression's \S excludes (the separators \x1c-\x1f, \x85): a text "\x1c" matched
# \S, so the schema allowed it, and DRF refused it as blank. The class names Python's set.
_PYTHON_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{_PYTHON_SPACE}][^\x00]*$"


def _body_required_when_always_needed(operation: dict, schemas: dict) -> None:
    """A body that needs a property on every branch (a `oneOf` of `required` sets, as the
    voucher API's code-or-voucher_id) cannot be left out either: drf-spectacular marks a body
    required only for a top-level required field."""
    body = operation.get("requestBody")
    if not body or body.get("required"):
        return
    for media in body.get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        component = schemas.get(ref.rsplit("/", 1)[-1], {})
        branches = component.get("oneOf") or []
        if branches and all(branch.get("required") for branch in branches):
            body["required"] = True


def document_error_responses(result, generator, request, public):
    """Every operation requires a session or a service key and may answer 401/403 with a
    problem body; one with a path parameter may answer 404; one with a body, 400."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name, component in schemas.items():
        # DRF refuses NUL characters in text and trims it before checking it is not blank:
        # say both in the schema of every request body.
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            if prop.get("type") != "string" or "pattern" in prop or "format" in prop:
                continue
            prop["pattern"] = NOT_BLANK if prop.get("minLength") else r"^[^\x00]*$"
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _body_required_when_always_needed(operation, schemas)
            if not operation.get("security"):
                operation["security"] = [{"cookieAuth": []}]
            responses = operation["responses"]
            for status, description in _COMMON.items():
                responses.setdefault(status, _problem(description))
            if "{" in path:
                responses.setdefault("404", _problem("No such object, or not yours."))
            if "requestBody" in operation:
                responses.setdefault("400", _problem("The request body is not valid."))
            if any(
                p.get("name", "").lower() == "idempotency-key"
                for p in operation.get("parameters", [])
            ):
                responses.setdefault(
                    "409", _problem("This Idempotency-Key was used for a different request.")
                )
            for response in responses.values():
                # Errors are served as application/problem+json (RFC 9457).
                content = response.get("content", {})
                body = content.get("application/json", {})
                if body.get("schema", {}).get("$ref", "").endswith("Problem"):
                    content.setdefault("application/problem+json", body)
    return result
