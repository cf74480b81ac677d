"""Writing the audit trail. Every service that changes state calls `audit_record` inside its
own transaction, so the change and its audit row commit or roll back together."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.conf import settings
from django.db import models

from audit.models import AuditEvent

# Fields whose values never go into the trail: personal data and secrets. The trail records
# that they changed, not what they became.
REDACTED_FIELDS = {
    "email",
    "phone",
    "name",
    "password",
    "code_hash",
    "key_hash",
    "full_name",
    "email_hash",
    "phone_hash",
    "contact_email",
    "contact_phone",
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def audit_snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The object's concrete field values as JSON-ready data, personal data redacted."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {
        name: "[redacted]" if name in REDACTED_FIELDS else _plain(getattr(obj, name))
        for name in names
    }


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    actor=None,
    actor_label: str = "",
    before: dict | None = None,
    after: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one audit row. `actor` is a staff user; jobs and services pass `actor_label`."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_label = actor_label or f"user:{actor.pk}"
    else:
        actor = None
    if not actor_label:
        raise ValueError("audit_record needs an actor or an actor_label saying which job acted.")
    return AuditEvent.objects.create(
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=str(obj)[:200] if obj is not None else "",
        actor=actor,
        actor_label=actor_label,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip_address=ip_address,
    )


def client_ip(request) -> str | None:
    """The caller's address. Behind N trusted proxies (TRUSTED_PROXY_COUNT), the address the
    outermost trusted proxy saw; otherwise REMOTE_ADDR, so a client cannot spoof it."""
    if request is None:
        return None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")
