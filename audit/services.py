"""Writing the audit trail. Every service that changes state calls `audit_record` inside its
own transaction, so the change and its audit row commit or roll back together."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from audit.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

# Who acted: a staff user (a request's user may be anonymous), or nobody: a job, which names
# itself with an actor_label instead.
Actor: TypeAlias = "User | AnonymousUser | None"

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


def actor_user(actor: Actor) -> User | None:
    """The staff user who acted, or None (a job, or a request nobody signed in to)."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        return cast("User", actor)  # only a User is authenticated (AnonymousUser never is)
    return None


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    actor: Actor = None,
    actor_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one audit row. `actor` is a staff user; jobs and services pass `actor_label`."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    user = actor_user(actor)
    if user is not None:
        actor_label = actor_label or f"user:{user.pk}"
    if not actor_label:
        raise ValueError("audit_record needs an actor or an actor_label saying which job acted.")
    return AuditEvent.objects.create(
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=str(obj)[:200] if obj is not None else "",
        actor=user,
        actor_label=actor_label,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip_address=ip_address,
    )


def client_ip(request: HttpRequest | None) -> str | None:
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
