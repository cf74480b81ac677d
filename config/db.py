"""Database helpers every app shares."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL says an IntegrityError broke (None when it names
    none, as for a NOT NULL column), so a caller can treat only the one conflict it expects
    and re-raise the rest."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


# --- Safe through PgBouncer in transaction pooling mode (docs/configuration.md) ----------------
# Each transaction (each statement, in autocommit) may run on another server connection, so
# nothing here leaves state on a session: the lock lives in a transaction, the cursor too.


@contextmanager
def advisory_lock_held(
    namespace: int, key: int, *, using: str = DEFAULT_DB_ALIAS
) -> Iterator[bool]:
    """Try to take the two-key advisory lock (namespace, key) for as long as the block runs;
    yields False at once when another session holds it.

    The lock is transaction-level (pg_try_advisory_xact_lock) on a connection of its own whose
    transaction stays open while the block runs: the block itself may commit many times, and
    a pooler keeps that one open transaction on one server connection, so the lock can never
    be left behind on a pooled connection (a session-level lock and its unlock may land on two
    different ones). The transaction writes nothing, and in READ COMMITTED holds no snapshot
    between statements, so it keeps no vacuum waiting. Ending the block (or the process)
    releases the lock."""
    holder = connections.create_connection(using)
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [namespace, key])
            row = cursor.fetchone()
        yield bool(row and row[0])
    finally:
        try:
            holder.rollback()
        finally:
            holder.close()


def rows_stream(
    sql: str,
    params: Sequence[Any] = (),
    *,
    using: str = DEFAULT_DB_ALIAS,
    chunk: int = 5000,
) -> Iterator[tuple[Any, ...]]:
    """The rows of one query, `chunk` at a time, from a cursor declared inside a transaction
    that lasts as long as the iteration: memory stays flat however many rows there are, and a
    pooler keeps the transaction, and so the cursor, on one server connection (Django's own
    server-side cursors are WITH HOLD outside a transaction, which a pooler breaks, and are
    switched off when pooled: DATABASE_POOLED)."""
    name = f"rows_stream_{secrets.token_hex(8)}"
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}", params)
        while True:
            cursor.execute(f"FETCH FORWARD {int(chunk)} FROM {name}")
            rows = cursor.fetchall()
            if not rows:
                break
            yield from rows
        cursor.execute(f"CLOSE {name}")
