"""Creating notices: the outbox row in the caller's transaction, the dispatch after commit."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from compensation.models import AffectedPerson, Program
from compensation.models.choices import Language
from config import queueing
from config.db import violated_constraint
from notifications.errors import NotificationError
from notifications.kinds import KINDS, Channel
from notifications.models import Notice
from notifications.sealed import PREFIX as SEALED_PREFIX
from notifications.sealed import context_seal

DISPATCH_TASK = "notifications.dispatch"
# The priority lane: its own task and queue (NOTIFICATIONS_PRIORITY_QUEUE), which sends only
# transactional notices, so a sign-in code never waits behind a campaign's chunks.
PRIORITY_DISPATCH_TASK = "notifications.dispatch_priority"


def notices_dispatch_kick(*, channel: str, priority_lane: bool = False) -> bool:
    """Ask a worker to send what is pending on `channel`, now (on the priority lane: only
    its transactional notices). Best effort: the outbox is the truth, and the periodic
    re-dispatch (notifications.redispatch) sends what a lost kick left behind."""
    if priority_lane:
        return queueing.task_send(
            PRIORITY_DISPATCH_TASK,
            {"channel": channel},
            queue=settings.NOTIFICATIONS_PRIORITY_QUEUE,
        )
    return queueing.task_send(
        DISPATCH_TASK, {"channel": channel}, queue=settings.NOTIFICATIONS_QUEUE
    )


class _Kicks:
    """The dispatches asked for by one transaction, sent once per channel after it commits,
    so a transaction that creates 10,000 notices queues one dispatch per channel, not 10,000.

    Every call registers its own on-commit callback, so a savepoint that rolls back takes
    only its own callbacks with it; the callbacks share this object and the first to run for
    a channel sends the kick, the others see it sent. Once one has run, the object belongs to
    a commit that happened and the next transaction starts a new one. A transaction that
    rolled back never ran one: the next transaction may share its object, harmlessly."""

    def __init__(self) -> None:
        self.running = False
        self.sent: set[str] = set()

    def kick(self, channel: str) -> None:
        self.running = True
        if channel not in self.sent:
            self.sent.add(channel)
            notices_dispatch_kick(channel=channel)


_pending = threading.local()  # a connection, and so its transaction, belongs to one thread


def dispatch_after_commit(channel: str) -> None:
    """Queue one dispatch of `channel` when the current transaction commits, however many
    notices it creates on that channel."""
    kicks = getattr(_pending, "kicks", None)
    if kicks is None or kicks.running:
        kicks = _pending.kicks = _Kicks()
    transaction.on_commit(lambda: kicks.kick(channel))


def _context_check(kind: str, context: dict) -> None:
    if kind not in KINDS:
        raise NotificationError(f"Unknown notice kind {kind!r}.", code="unknown_kind")
    missing = sorted(KINDS[kind].variables - set(context))
    if missing:
        raise NotificationError(
            f"A {kind} notice needs {', '.join(missing)} in its context.", code="missing_context"
        )


def notice_enqueue(
    *,
    kind: str,
    channel: str,
    language: str,
    to_address: str,
    context: dict,
    program: Program | None = None,
    person: AffectedPerson | None = None,
    dedupe_key: str | None = None,
    priority_lane: bool = False,
) -> Notice:
    """Create one notice in the caller's transaction and have it sent after that commits
    (with `priority_lane`, by the priority lane's workers, whatever the bulk queue holds).
    The kind's sealed variables are stored encrypted (notifications/sealed.py).

    Guarantees: the notice exists if and only if the caller's transaction commits; with a
    `dedupe_key`, calling again (an event re-run, a concurrent duplicate) returns the first
    notice and creates nothing; sending starts only after commit. The caller writes the audit
    row for its event; the notice row itself records what happens to the message."""
    if not connection.in_atomic_block:
        raise NotificationError(
            "notice_enqueue must be called inside the transaction of the event that causes "
            "the notice (transaction.atomic).",
            code="outside_transaction",
        )
    _context_check(kind, context)
    if channel not in Channel.values:
        raise NotificationError(f"Unknown channel {channel!r}.", code="unknown_channel")
    if language not in Language.values:
        raise NotificationError(f"Unknown language {language!r}.", code="unknown_language")
    if not to_address:
        raise NotificationError("A notice needs an address to go to.", code="no_address")
    if dedupe_key is not None:
        existing = Notice.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    try:
        # A savepoint: a concurrent duplicate leaves the caller's transaction usable.
        with transaction.atomic():
            notice = Notice.objects.create(
                kind=kind,
                channel=channel,
                language=language,
                to_address=to_address,
                context=context_seal(KINDS[kind].sealed, context),
                program=program,
                person=person,
                dedupe_key=dedupe_key,
                priority=Notice.Priority.TRANSACTIONAL,
            )
    except IntegrityError as exc:
        if dedupe_key is None or violated_constraint(exc) != "notice_dedupe_key_unique":
            raise
        return Notice.objects.get(dedupe_key=dedupe_key)
    if priority_lane:
        transaction.on_commit(lambda: notices_dispatch_kick(channel=channel, priority_lane=True))
    else:
        dispatch_after_commit(channel)
    return notice


# The bulk insert around a caller's SELECT of (to_address, language, context, program_id,
# person_id, dedupe_key). The CTE counts, in the same pass, the rows whose language is
# unknown, whose context lacks a variable of the kind or holds a sealed variable not sealed
# (notifications/sealed.py: the caller seals them), so a bad SELECT is refused whole.
# The rows go in in the order of their (random) references, so each one's entry in the
# reference's indexes lands next to the previous one's: in the order they came, each landed
# on a random page of those indexes, and a million of them read, wrote and evicted most of
# the pages of indexes far larger than the buffer cache (a third of the insert's time at
# 200,000 notices among 1.8 million, and more as the table grows).
_BULK_SQL = """
WITH inserted AS (
    INSERT INTO notifications_notice (
        reference, kind, channel, language, to_address, context, program_id, person_id,
        campaign_id, dedupe_key, priority, status, attempts, last_error, provider_message_id
    )
    SELECT s.reference, %(kind)s, %(channel)s, s.language, s.to_address, s.context,
           s.program_id, s.person_id, NULL, s.dedupe_key, %(priority)s, 'pending', 0, '', ''
    FROM (
        SELECT notifications_reference_new() AS reference, s.*
        FROM ({select}) AS s (to_address, language, context, program_id, person_id, dedupe_key)
        WHERE s.to_address <> ''
    ) s
    ORDER BY s.reference
    ON CONFLICT ON CONSTRAINT notice_dedupe_key_unique DO NOTHING
    RETURNING language, context
)
SELECT count(*),
       count(*) FILTER (
           WHERE NOT (language = ANY(%(languages)s) AND context ?& %(variables)s)
              OR EXISTS (
                  SELECT 1 FROM jsonb_each(context) AS v
                  WHERE v.key = ANY(%(sealed)s)
                    AND (jsonb_typeof(v.value) <> 'string'
                         OR v.value #>> '{{}}' NOT LIKE %(prefix)s)
              )
       )
FROM inserted
"""


def notices_enqueue_select(
    *,
    kind: str,
    channel: str,
    select: str,
    params: dict[str, Any] | None = None,
    priority: int = Notice.Priority.BULK,
) -> int:
    """Create one notice per row of `select`, set-based, in the caller's transaction, and have
    them sent after it commits (one dispatch per channel). Returns how many were created.

    `select` is SQL written by the calling code (never input) returning, in this order,
    (to_address, language, context jsonb, program_id, person_id, dedupe_key); its values
    come as %(name)s parameters in `params`; the kind's sealed variables come sealed
    (notifications.sealed.seal), as the statement cannot encrypt. Rows with an empty address
    are skipped; a row
    whose dedupe key exists already creates nothing (re-running creates nothing). References
    come from notifications_reference_new(), as a campaign build's do.

    Guarantees as notice_enqueue's: the notices exist if and only if the caller commits; a
    row with an unknown language or a context missing a variable of the kind refuses the
    whole call (NotificationError, nothing inserted)."""
    if not connection.in_atomic_block:
        raise NotificationError(
            "notices_enqueue_select must be called inside the transaction of the event that "
            "causes the notices (transaction.atomic).",
            code="outside_transaction",
        )
    if kind not in KINDS:
        raise NotificationError(f"Unknown notice kind {kind!r}.", code="unknown_kind")
    if channel not in Channel.values:
        raise NotificationError(f"Unknown channel {channel!r}.", code="unknown_channel")
    reserved = {"kind", "channel", "priority", "languages", "variables", "sealed", "prefix"} & set(
        params or {}
    )
    if reserved:
        raise ValueError(f"Parameter names reserved by the bulk insert: {sorted(reserved)}")
    values = {
        **(params or {}),
        "kind": kind,
        "channel": channel,
        "priority": int(priority),
        "languages": list(Language.values),
        "variables": sorted(KINDS[kind].variables),
        "sealed": sorted(KINDS[kind].sealed),
        "prefix": SEALED_PREFIX + "%",
    }
    # A savepoint: a refused call leaves the caller's transaction as it was.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_BULK_SQL.format(select=select), values)
        created, bad = cursor.fetchone()
        if bad:
            raise NotificationError(
                f"{bad} {kind} notices would have an unknown language, miss a variable or "
                "hold a sealed variable unsealed.",
                code="bad_rows",
            )
    if created:
        dispatch_after_commit(channel)
    return int(created)
