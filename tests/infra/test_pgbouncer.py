"""Through a real PgBouncer in transaction pooling mode (scripts/pgbouncer.sh; CI's pooled
step): what relied on session state holds when every transaction may get another server
connection. The rest of the pooled step is the suite's own tests of issuance, redemption,
imports and notices, run through the same PgBouncer."""

import os
import threading

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from compensation.models import Program
from config.db import advisory_lock_held, rows_stream
from tests.factories import ProgramFactory
from tests.support import test_database_url

# CI's steps set INFRA_REQUIRED=1: there, a missing server is a failure, not a skip.
if os.environ.get("INFRA_REQUIRED") == "1" and not settings.DATABASE_POOLED:
    pytest.fail("INFRA_REQUIRED=1 but DATABASE_POOLED is not set", pytrace=False)

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASE_POOLED,
        reason="needs DATABASE_POOLED=1 and DATABASE_URL through PgBouncer in transaction mode "
        "(scripts/pgbouncer.sh; CI's pooled step sets both)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _server_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def _locks_held(namespace: int, key: int) -> int:
    """Advisory locks (namespace, key) held in the test database, seen from a plain session."""
    with psycopg.connect(test_database_url(), autocommit=True) as other:
        row = other.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s AND objid = %s AND objsubid = 2"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [namespace, key],
        ).fetchone()
    assert row is not None
    return int(row[0])


def _busy(stop: threading.Event) -> None:
    """Other clients' transactions, so the pool hands server connections around (psycopg
    prepares a statement run five times unless told not to: PgBouncer 1.18 cannot carry
    that, so prepare_threshold=None, as Django's connections have it)."""
    with psycopg.connect(test_database_url(), autocommit=True, prepare_threshold=None) as other:
        while not stop.is_set():
            try:
                other.execute("SELECT pg_sleep(0.002)")
            except psycopg.OperationalError:  # its server ended (the leak test's clean-up)
                return


@pytest.fixture
def busy_pool():
    stop = threading.Event()
    threads = [threading.Thread(target=_busy, args=(stop,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    yield
    stop.set()
    for thread in threads:
        thread.join()


def test_the_database_url_really_goes_through_a_transaction_pooler():
    # PgBouncer answers on its own port and forwards to the server's.
    with connection.cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")
        row = cursor.fetchone()
    assert row is not None
    assert str(row[0]) != str(connection.settings_dict["PORT"])
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] is None


def test_an_advisory_lock_holds_across_many_transactions_and_goes_with_its_block(busy_pool):
    with advisory_lock_held(7399, 1) as held:
        assert held
        pids = set()
        for _ in range(30):  # autocommit: each statement its own transaction
            pids.add(_server_pid())
            ProgramFactory.create()
            assert _locks_held(7399, 1) == 1
        with advisory_lock_held(7399, 1) as again:  # a second runner is turned away
            assert not again
    assert _locks_held(7399, 1) == 0
    # What made the old session-level lock unsafe: the statements ran on several servers.
    assert len(pids) > 1


def test_a_session_level_lock_would_be_left_behind_on_a_pooled_connection(busy_pool):
    """Why advisory_lock_held exists: lock and unlock as two autocommit statements land on
    different server connections, and the lock stays with one of them."""
    leaked = False
    for key in range(20):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(7398, %s)", [key])
            cursor.execute("SELECT pg_advisory_unlock(7398, %s)", [key])
            row = cursor.fetchone()
        assert row is not None
        if not row[0]:
            leaked = True
            break
    if not leaked:
        pytest.skip("the pool handed back the same server connection every time")
    assert _locks_held(7398, key) == 1
    with psycopg.connect(test_database_url(), autocommit=True) as other:  # clean up
        other.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
            " AND classid = 7398 AND objid = %s",
            [key],
        )


def test_a_stream_keeps_its_cursor_through_the_pool(busy_pool):
    sql = "SELECT g, md5(g::text) FROM generate_series(1, 12345) AS g ORDER BY g"
    rows = list(rows_stream(sql, chunk=1000))
    assert len(rows) == 12345
    assert [r[0] for r in rows] == list(range(1, 12346))


def test_iterator_outside_a_transaction_reads_every_row(busy_pool):
    # Django's .iterator() would be a WITH HOLD cursor here, its FETCHes sent to whichever
    # server connection the pool hands out; pooled, it is a plain cursor (every row at once).
    created = {ProgramFactory.create().pk for _ in range(40)}
    seen = {p.pk for p in Program.objects.filter(pk__in=created).iterator(chunk_size=3)}
    assert seen == created


def test_a_flush_truncates_the_audit_trail_with_set_local_only():
    # The suite's flush (tests/conftest.py) sets audit.allow_truncate for its own transaction:
    # nothing is left on any server connection for the next client.
    for _ in range(10):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('audit.allow_truncate', true)")
            row = cursor.fetchone()
        assert row is not None
        assert row[0] in (None, "", "off")
