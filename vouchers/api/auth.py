"""Service-key authentication for the redemption API: `Authorization: ServiceKey vk_...`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from vouchers.models import ServiceKey
from vouchers.services.keys import service_key_authenticate


class ServiceKeyNeeded(AuthenticationFailed):
    """No service key, or one that is unknown or revoked: 401 with WWW-Authenticate."""

    default_code = "unauthenticated"
    title = "Service key needed"


class ServicePrincipal:
    """request.user for a service: authenticated, not a person, no staff rights."""

    is_authenticated = True
    is_staff = False
    pk = None

    def __init__(self, service_key: ServiceKey):
        self.service_key = service_key

    def __str__(self) -> str:
        return f"service:{self.service_key.prefix}"


class ServiceKeyAuthentication(BaseAuthentication):
    keyword = "servicekey"

    def authenticate(self, request: Request) -> tuple[ServicePrincipal, ServiceKey] | None:
        scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != self.keyword:
            return None
        key = service_key_authenticate(raw.strip())
        if key is None:
            raise ServiceKeyNeeded("The service key is unknown or revoked.")
        return ServicePrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return 'ServiceKey realm="vouchers"'


class HasServiceKey(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.auth, ServiceKey):
            raise ServiceKeyNeeded(NotAuthenticated.default_detail)
        return True


class ServiceKeyScheme(OpenApiAuthenticationExtension):
    target_class = "vouchers.api.auth.ServiceKeyAuthentication"
    name = "ServiceKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`ServiceKey vk_<prefix>_<secret>`, issued once in the admin, "
            "scoped to one service (store, eats, travel...).",
        }
