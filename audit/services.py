"""Writing the audit trail. Every service that changes state calls `audit_record` inside its
own transaction, so the change and its audit row commit or roll back together."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import uuid
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
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


_PROGRAM_LABEL = "compensation.program"


def _is_program(model: type[models.Model] | None) -> bool:
    concrete = model._meta.concrete_model if model is not None else None
    return concrete is not None and concrete._meta.label_lower == _PROGRAM_LABEL


@functools.cache
def _program_path(model: type[models.Model]) -> str | None:
    """How a row of `model` names its program: "pk" (a program), "program_id" (its own
    column), "<fk>__program_id" (through one foreign key, as a dry run through its policy),
    or None (it belongs to no one program)."""
    if _is_program(model):
        return "pk"
    foreign_keys = [f for f in model._meta.concrete_fields if f.many_to_one]
    if any(f.name == "program" and _is_program(f.related_model) for f in foreign_keys):
        return "program_id"
    for field in foreign_keys:
        related = field.related_model
        if isinstance(related, type) and _program_path(related) == "program_id":
            return f"{field.name}__program_id"
    return None


def audit_program_id(
    obj: models.Model | None, object_type: str = "", object_id: str = ""
) -> int | None:
    """The program an audited object belongs to, from the object or from its type and id (one
    look-up by primary key); None when it belongs to no one program."""
    if obj is not None:
        model: type[models.Model] | None = type(obj)
        pk: Any = obj.pk
    else:
        try:
            model = apps.get_model(object_type) if object_type.count(".") == 1 else None
        except LookupError:
            model = None
        pk = object_id
    if model is None or pk in (None, ""):
        return None
    path = _program_path(model)
    if path is None:
        return None
    if obj is not None and path in ("pk", "program_id"):
        return cast(int | None, getattr(obj, path))
    try:
        pk = model._meta.pk.to_python(pk) if model._meta.pk is not None else None
    except ValidationError:  # several ids in one row (a bulk action): no one program
        return None
    if path == "pk":
        return cast(int | None, pk)
    found = model._default_manager.filter(pk=pk).values_list(path, flat=True).first()
    return cast(int | None, found)


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
    program_id: int | None = None,
) -> AuditEvent:
    """Append one audit row. `actor` is a staff user; jobs and services pass `actor_label`.
    The row names the program of the object it is about (given as `program_id`, or found from
    `obj` or `object_type`/`object_id`), so each program's trail can be read alone."""
    if program_id is None:
        program_id = audit_program_id(obj, object_type, object_id)
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
        program_id=program_id,
    )


# The audit row as a statement's part, for a hot path that writes its effect and its audit in
# one round trip (the voucher redeem): `INSERT ... SELECT` of these columns, in this order, from
# the statement's own rows. The same row audit_record writes; jobs and services only (no actor).
AUDIT_INSERT_SQL = (
    "INSERT INTO audit_auditevent (created_at, actor_id, actor_label, action, object_type, "
    "object_id, object_repr, before, after, ip_address, program_id) "
    "SELECT {created_at}, NULL, {actor_label}, {action}, {object_type}, {object_id}, '', NULL, "
    "{after}, NULL, {program_id} FROM {source}"
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
