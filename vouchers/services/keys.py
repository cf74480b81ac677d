"""Service keys of integrating services: made here, shown once, stored as a hash."""

from __future__ import annotations

import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, actor_user, audit_record
from vouchers.errors import VoucherError
from vouchers.models import ServiceKey
from vouchers.services.codes import secret_digest

KEY_PREFIX = "vk_"


def service_key_create(
    *,
    name: str,
    service_scope: str,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> tuple[ServiceKey, str]:
    """A new key for one service. Returns the record and the key itself, which is shown to
    the operator once and never stored (only its SHA-256: 256 random bits need no key)."""
    scope = service_scope.strip().lower()
    if not scope or not name.strip():
        raise VoucherError("A service key needs a name and a service scope.")
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic(durable=True):
        key = ServiceKey.objects.create(
            name=name.strip(),
            service_scope=scope,
            prefix=prefix,
            key_hash=secret_digest(raw),
            created_by=actor_user(actor),
        )
        audit_record(
            action="service_key.create",
            obj=key,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            after={"name": key.name, "service_scope": scope, "prefix": prefix},
        )
    return key, raw


def service_key_revoke(
    *,
    service_key: ServiceKey,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> ServiceKey:
    """Revoke a key: every later request with it is refused. Revoking twice does nothing."""
    with transaction.atomic(durable=True):
        changed = ServiceKey.objects.filter(pk=service_key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(),
            revoked_by=actor_user(actor),
        )
        if changed:
            audit_record(
                action="service_key.revoke",
                obj=service_key,
                actor=actor,
                actor_label=actor_label,
                ip_address=ip_address,
            )
    service_key.refresh_from_db()
    return service_key


def service_key_authenticate(raw: str) -> ServiceKey | None:
    """The active key a request presents, or None. Constant-time on the secret."""
    if not raw.startswith(KEY_PREFIX):
        return None
    prefix, _, _secret = raw[len(KEY_PREFIX) :].partition("_")
    key = ServiceKey.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(bytes(key.key_hash), secret_digest(raw)):
        return None
    return key
