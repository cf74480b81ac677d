"""Every page sends the Content-Security-Policy (django-csp): walked over the URL patterns, as a
visitor, as a signed-in claimant and as a verified staff member."""

import re

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from tests.claims.helpers import file_claim
from tests.conftest import otp_login
from tests.factories import (
    ClaimantPersonFactory,
    ClaimTypeFactory,
    ProgramFactory,
    UserFactory,
    published_policy,
)

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def _assert_strict(response, path: str, *, styles_relaxed: bool = False) -> None:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{path} ({response.status_code}) sends no Content-Security-Policy"
    directives = _directives(header)
    for name, value in STRICT.items():
        if name == "style-src" and styles_relaxed:
            assert directives[name] == "'self' 'unsafe-inline'", path
            continue
        assert directives.get(name) == value, f"{path}: {name} is {directives.get(name)!r}"


def _patterns(resolver=None, prefix: str = ""):
    """(route text, pattern) for every non-admin URL pattern, nested includes flattened."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("admin/"):
                continue
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


@pytest.fixture
def filed(settings, tmp_path):
    # The claim's notices wait in the outbox: the test transaction never commits, so nothing
    # is handed to the broker.
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    program = ProgramFactory.create(name="Account breach compensation")
    published_policy(program)
    claim_type = ClaimTypeFactory(program=program, code="documented-loss")
    person = ClaimantPersonFactory.create(program=program, email="minji@example.com", language="en")
    claimant = Claimant(person=person, email_hash=email_hash(person.email))
    claim, _ = file_claim(program=program, claim_type=claim_type, claimant=claimant)
    yield program, claim_type, person, claim
    cache.clear()


def _fill(route: str, program, claim_type, claim) -> str:
    values = {
        "slug": program.slug,
        "type_code": claim_type.code,
        "reference": claim.reference,
        "draft_key": "no-such-draft",
        "document_id": str(claim.documents.first().pk),
    }

    def value(match: re.Match) -> str:
        return values.get(match.group(1), "1")

    path = re.sub(r"<(?:\w+:)?(\w+)>", value, route)
    return "/" + path.lstrip("^").rstrip("$")


def test_every_claimant_wallet_and_api_page_sends_the_strict_policy(client, filed):
    from tests.claims.conftest import claimant_session

    program, claim_type, person, claim = filed
    routes = list(_patterns())
    assert any("sign-in" in route for route, _ in routes)
    assert any(route.startswith("wallet") for route, _ in routes)
    for signed_in in (False, True):
        if signed_in:
            claimant_session(client, person=person, email=person.email)
        for route, _pattern in routes:
            path = _fill(route, program, claim_type, claim)
            response = client.get(path)
            if "documents/" in route and response.status_code == 200:
                # A claimant's own document carries its own, stricter policy (a sandbox).
                assert "sandbox" in response["Content-Security-Policy"]
                continue
            _assert_strict(response, path, styles_relaxed=route == "api/v1/docs/")


def test_the_api_docs_page_runs_no_inline_script(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    assert re.search(r"<script>", response.text) is None
    script = re.search(r'<script src="([^"]*\?[^"]*script[^"]*)"', response.text)
    assert script is not None, "Swagger UI's start-up script is not a file of this site"
    started = client.get(script.group(1).replace("&amp;", "&"))
    assert started.status_code == 200
    assert "SwaggerUIBundle" in started.text


def test_admin_login_index_case_and_every_change_list_send_the_strict_policy(client, filed):
    *_, claim = filed
    _assert_strict(client.get(reverse("admin:login")), "admin login")
    staff = UserFactory(is_superuser=True)
    otp_login(client, staff)
    paths = [reverse("admin:index"), reverse("admin:claims_claim_change", args=[claim.pk])]
    for model in admin.site._registry:
        opts = model._meta
        paths.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 302), path
        _assert_strict(response, path)


def test_no_template_has_an_inline_script_handler_or_style():
    from pathlib import Path

    from django.conf import settings

    found = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text()
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"\son[a-z]+\s*=",
            r"\sstyle\s*=",
            "<style",
        ):
            if re.search(pattern, text):
                found.append(f"{template.relative_to(settings.BASE_DIR)}: {pattern}")
    assert not found
