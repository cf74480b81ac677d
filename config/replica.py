"""Reads for reports from a streaming replica (DATABASE_REPLICA_URL), through a router.

Only code that asks for it reads from the replica: a `replica_reads()` block (the dashboard
snapshot's computation and the dashboard page, the exports, the regulator's report). Every
other read, and every write, goes to the primary; so the hot path (redemptions, issuance,
claims) never touches the replica. Inside a block:

- reads go to the replica when it answers and is less than DATABASE_REPLICA_MAX_LAG_SECONDS
  behind the primary; otherwise to the primary. A replica that is behind, but within the
  limit, is used and the block knows as of when its data is (`ReplicaRead.as_of`, the time of
  the last transaction it replayed): pages say so, snapshots carry that time;
- a model written inside the block is read from the primary from then on (its own write);
- after a POST, PUT, PATCH or DELETE the browser holds a cookie for
  DATABASE_REPLICA_STICKY_SECONDS during which its blocks read the primary
  (`ReplicaStickyMiddleware`), so the page a form redirects to shows what the form wrote.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
STICKY_COOKIE = "primary_reads"
# A replica less than this far behind counts as current (its figures carry no "as of").
CURRENT_WITHIN_SECONDS = 1.0

# Inside a replica_reads() block: where its reads go, and the models it wrote.
_reads: ContextVar[str | None] = ContextVar("replica_reads", default=None)
_written: ContextVar[frozenset[str]] = ContextVar("replica_written", default=frozenset())
# This request wrote a moment ago (the sticky cookie): its blocks read the primary.
_primary_only: ContextVar[bool] = ContextVar("replica_primary_only", default=False)


@dataclass(frozen=True)
class ReplicaRead:
    """Where a block reads from and how current that is."""

    alias: str
    # The replica's data is as of this time (it is behind the primary); None: current.
    as_of: dt.datetime | None = None
    lag_seconds: float = 0.0
    # Why the primary, when it is: "none" (no replica), "sticky" (a write a moment ago),
    # "lag" (further behind than allowed), "unreachable".
    fallback: str = ""

    @property
    def from_replica(self) -> bool:
        return self.alias == REPLICA


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_lag() -> tuple[float, dt.datetime | None]:
    """(seconds behind, as of when its data is) of the replica against the primary: (0, None)
    when it has replayed everything the primary had flushed a moment ago. Behind: the time
    since the last transaction it replayed, and that transaction's time."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_flush_lsn()")
        primary_row = cursor.fetchone()
    assert primary_row is not None
    primary_lsn = primary_row[0]
    for attempt in range(3):  # streaming replays within milliseconds: a short second look
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false),"
                " pg_last_xact_replay_timestamp(), now()",
                [str(primary_lsn)],
            )
            row = cursor.fetchone()
        assert row is not None
        caught_up, replayed_at, now = row
        if caught_up:
            return 0.0, None
        if attempt < 2:
            time.sleep(0.05)
    if replayed_at is None:
        return float("inf"), None
    return max(0.0, (now - replayed_at).total_seconds()), replayed_at


def replica_choose() -> ReplicaRead:
    """Where a block's reads go now (see the module's docstring)."""
    if not replica_configured():
        return ReplicaRead(DEFAULT_DB_ALIAS, fallback="none")
    if _primary_only.get():
        return ReplicaRead(DEFAULT_DB_ALIAS, fallback="sticky")
    try:
        lag, as_of = replica_lag()
    except DatabaseError:
        logger.warning("read replica unreachable: reading from the primary", exc_info=True)
        connections[REPLICA].close()
        return ReplicaRead(DEFAULT_DB_ALIAS, fallback="unreachable")
    if lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        logger.warning("read replica %.1fs behind: reading from the primary", lag)
        return ReplicaRead(DEFAULT_DB_ALIAS, lag_seconds=lag, fallback="lag")
    if lag <= CURRENT_WITHIN_SECONDS:  # a busy primary: always a few milliseconds ahead
        as_of = None
    return ReplicaRead(REPLICA, as_of=as_of, lag_seconds=lag)


@contextmanager
def replica_reads() -> Iterator[ReplicaRead]:
    """Route the block's reads as the module's docstring says; yields where they go."""
    choice = replica_choose()
    reads_token = _reads.set(choice.alias)
    written_token = _written.set(frozenset())
    try:
        yield choice
    finally:
        _written.reset(written_token)
        _reads.reset(reads_token)


def read_alias() -> str:
    """The database raw SQL of a replica_reads() block reads from (the primary outside one)."""
    return _reads.get() or DEFAULT_DB_ALIAS


class ReplicaRouter:
    """DATABASE_ROUTERS: reads in a replica_reads() block to the replica, the rest (and every
    write, and every migration) to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        alias = _reads.get()
        if alias is None or model._meta.label_lower in _written.get():
            return None
        return alias

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        if _reads.get() is not None:
            _written.set(_written.get() | {model._meta.label_lower})
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaStickyMiddleware:
    """After a request that may have written (POST, PUT, PATCH, DELETE), that browser reads
    the primary for DATABASE_REPLICA_STICKY_SECONDS: the page a form redirects to shows what
    the form wrote, even from a replica that is a moment behind. Without a replica it does
    nothing. The cookie says nothing but "read the primary": forging it only costs the
    primary a read."""

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if not replica_configured():
            return self.get_response(request)
        token = _primary_only.set(STICKY_COOKIE in request.COOKIES)
        try:
            response = self.get_response(request)
        finally:
            _primary_only.reset(token)
        if request.method in self.UNSAFE:
            response.set_cookie(
                STICKY_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_STICKY_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
