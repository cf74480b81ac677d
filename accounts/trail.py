"""Who changed a staff account, group, permission or second-factor device.

Database triggers (accounts/migrations/0009_staff_trail.py) write an audit row for every
change to these tables, whoever makes it. They name the staff member behind the change when
the application said who it is for the transaction: `staff_actor(user_id)` sets
`audit.actor_id` with SET LOCAL (set_config(..., true)) just before each write to one of the
tables. SET LOCAL ends with its transaction, so a pooled connection (PgBouncer in
transaction mode) never carries it to someone else's; a write outside a transaction is
wrapped in one for the purpose. Without it (the shell, a job, raw SQL) the row names the
database role instead."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

# The tables the triggers watch (the migration holds its own frozen copy).
TRAILED_TABLES = (
    "accounts_user",
    "accounts_user_groups",
    "accounts_user_user_permissions",
    "auth_group",
    "auth_group_permissions",
    "otp_totp_totpdevice",
    "otp_static_staticdevice",
    "otp_static_statictoken",
    "django_otp_webauthn_webauthncredential",
)
_QUOTED = tuple(f'"{table}"' for table in TRAILED_TABLES)
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_SET_ACTOR = "SELECT set_config('audit.actor_id', %s, true)"


def _writes_trailed_table(sql: str) -> bool:
    return bool(_WRITE.match(sql)) and any(table in sql for table in _QUOTED)


class _ActorTagger:
    """A connection execute wrapper: before a write to a trailed table, name the actor."""

    def __init__(self, user_id: Callable[[], int | None]):
        self.user_id = user_id

    def __call__(self, execute, sql: Any, params: Any, many: bool, context: dict) -> Any:
        # psycopg's composed statements (sql.SQL(...).format(...)) are read as their text.
        text = sql if isinstance(sql, str) else sql.as_string(context["connection"].connection)
        if not _writes_trailed_table(text):
            return execute(sql, params, many, context)
        user_id = self.user_id()
        if user_id is None:
            return execute(sql, params, many, context)
        db = context["connection"]
        raw = context["cursor"].cursor  # past the wrappers: this is not itself tagged
        if db.in_atomic_block:
            raw.execute(_SET_ACTOR, [str(user_id)])
            return execute(sql, params, many, context)
        with transaction.atomic(using=db.alias):
            raw.execute(_SET_ACTOR, [str(user_id)])
            return execute(sql, params, many, context)


@contextmanager
def staff_actor(user_id: int | Callable[[], int | None] | None) -> Iterator[None]:
    """Within the block, the staff trail names `user_id` (or what the callable returns at
    the moment of the write) as the one who changed staff tables. For the shell:
    `with staff_actor(me.pk): group.permissions.add(...)`."""
    getter = user_id if callable(user_id) else (lambda: user_id)
    with connection.execute_wrapper(_ActorTagger(getter)):
        yield
