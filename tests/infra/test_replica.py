"""Against a real streaming replica (scripts/replica.sh; CI's replica step): the reports read
from it through the router, the hot path and a page's own writes from the primary, and a
replica that has stopped replaying is never shown as current."""

import os
import time

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR
from compensation.models import ClaimType, Program
from config import replica
from config.replica import REPLICA, STICKY_COOKIE, replica_lag, replica_reads
from oversight.services import snapshot_refresh
from tests.factories import ClaimFactory, ClaimTypeFactory, ProgramFactory

# CI's steps set INFRA_REQUIRED=1: there, a missing server is a failure, not a skip.
if os.environ.get("INFRA_REQUIRED") == "1" and REPLICA not in settings.DATABASES:
    pytest.fail("INFRA_REQUIRED=1 but DATABASE_REPLICA_URL is not set", pytrace=False)

pytestmark = [
    pytest.mark.skipif(
        REPLICA not in settings.DATABASES,
        reason="needs DATABASE_REPLICA_URL: a streaming replica of this PostgreSQL "
        "(scripts/replica.sh; CI's replica step sets it)",
    ),
    pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA]),
]


@pytest.fixture(autouse=True)
def replica_of_the_test_database():
    """In tests the replica alias mirrors the primary's settings (no test database is made
    on a read-only standby); point it back at the replica, at the test database, which the
    replica has by streaming."""
    configured = settings.DATABASES[REPLICA]
    wrapper = connections[REPLICA]
    wrapper.close()
    original = wrapper.settings_dict
    wrapper.settings_dict = {
        **connections[DEFAULT_DB_ALIAS].settings_dict,
        "HOST": configured["HOST"],
        "PORT": configured["PORT"],
    }
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        row = cursor.fetchone()
    assert row is not None
    assert row[0], "DATABASE_REPLICA_URL is not a standby"
    yield
    _replay(resume=True)
    wrapper.close()
    wrapper.settings_dict = original


@pytest.fixture
def roles():
    # A transactional test's flush empties the groups the migrations made.
    from django.apps import apps

    from accounts.roles import roles_sync

    roles_sync(apps)


def _replay(*, resume: bool) -> None:
    """Resume or pause the replica's replay. After a pause, wait past the second within which
    a replica counts as current (config.replica.CURRENT_WITHIN_SECONDS)."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(f"SELECT pg_wal_replay_{'resume' if resume else 'pause'}()")
    if not resume:
        time.sleep(replica.CURRENT_WITHIN_SECONDS + 0.2)


def _caught_up(timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica_lag() == (0.0, None):
            return
        time.sleep(0.05)
    pytest.fail("the replica did not catch up")


def _received(timeout: float = 20) -> None:
    """The replica has received everything the primary wrote (but may not have replayed it)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_flush_lsn()")
        row = cursor.fetchone()
    assert row is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", [str(row[0])])
            got = cursor.fetchone()
        if got and got[0]:
            return
        time.sleep(0.05)
    pytest.fail("the replica did not receive the primary's WAL")


def _program_with_claims(n: int) -> Program:
    program = ProgramFactory.create()
    claim_type = ClaimTypeFactory.create(program=program)
    for _ in range(n):
        ClaimFactory.create(program=program, claim_type=claim_type)
    return program


def _claims_counted(snapshot) -> int:
    return sum(row["n"] for row in snapshot.figures["claims"]["by_status_and_type"])


def test_the_snapshot_reads_the_replica_and_writes_the_primary():
    program = _program_with_claims(2)
    _caught_up()
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        snapshot = snapshot_refresh(program=program)
    replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    primary_sql = " ".join(q["sql"] for q in on_primary.captured_queries)
    assert "vouchers_voucher" in replica_sql  # the big tables' aggregates
    assert "claims_claim" in replica_sql
    assert "INSERT" not in replica_sql.upper()
    assert "UPDATE" not in replica_sql.upper()
    assert "oversight_programsnapshot" in primary_sql  # the snapshot row itself
    assert "vouchers_voucher" not in primary_sql
    assert _claims_counted(snapshot) == 2


def test_outside_a_block_and_for_what_a_block_wrote_reads_go_to_the_primary():
    program = ProgramFactory.create()
    _caught_up()
    _replay(resume=False)
    # Nothing outside a replica_reads() block reads the replica: the hot path, for one.
    assert Program.objects.filter(pk=program.pk).db == DEFAULT_DB_ALIAS
    with replica_reads() as reads:
        assert reads.alias == REPLICA
        fresh = ProgramFactory.create()  # written inside the block...
        assert Program.objects.filter(pk=fresh.pk).exists()  # ...so read where it was written
        assert ClaimType.objects.all().db == REPLICA


def test_a_replica_that_stopped_replaying_gives_figures_as_of_its_time_not_as_current():
    program = _program_with_claims(2)
    _caught_up()
    _replay(resume=False)
    written_at = timezone.now()
    ClaimFactory.create(program=program, claim_type=program.claim_types.get())
    _received()
    snapshot = snapshot_refresh(program=program)
    # Read from the replica: its two claims, and the snapshot says as of when they were,
    # before the third was written.
    assert _claims_counted(snapshot) == 2
    assert snapshot.computed_at < written_at


def test_beyond_the_lag_limit_the_primary_answers(settings):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 0
    program = _program_with_claims(2)
    _caught_up()
    _replay(resume=False)
    ClaimFactory.create(program=program, claim_type=program.claim_types.get())
    _received()
    with replica_reads() as reads:
        assert reads.alias == DEFAULT_DB_ALIAS
        assert reads.fallback == "lag"
    snapshot = snapshot_refresh(program=program)
    assert _claims_counted(snapshot) == 3


def test_the_dashboard_says_its_figures_are_from_a_replica_behind(staff_client, roles):
    program = _program_with_claims(1)
    _caught_up()
    _replay(resume=False)
    ClaimFactory.create(program=program, claim_type=program.claim_types.get())
    _received()
    client = staff_client(PROGRAM_OPERATOR)
    page = client.get(reverse("admin:oversight_programdashboard_change", args=[program.pk]))
    assert page.status_code == 200
    reads = page.context["reads"]
    assert reads.alias == REPLICA
    assert reads.as_of is not None
    assert "Read from the replica, which is behind" in page.content.decode()
    _replay(resume=True)
    _caught_up()
    page = client.get(reverse("admin:oversight_programdashboard_change", args=[program.pk]))
    assert page.context["reads"].alias == REPLICA
    assert page.context["reads"].as_of is None
    assert "Read from the replica" not in page.content.decode()


def test_after_a_form_post_the_browser_reads_the_primary(staff_client, roles):
    program = _program_with_claims(1)
    _caught_up()
    _replay(resume=False)  # the refresh's snapshot row has not reached the replica
    client = staff_client(PROGRAM_OPERATOR)
    posted = client.post(reverse("admin:oversight_programdashboard_refresh", args=[program.pk]))
    assert posted.status_code == 302
    assert posted.cookies[STICKY_COOKIE]["max-age"] == settings.DATABASE_REPLICA_STICKY_SECONDS
    page = client.get(posted["Location"])
    assert page.context["reads"].fallback == "sticky"
    assert page.context["snapshot"] is not None  # the snapshot it just computed, from the primary


def test_an_unreachable_replica_falls_back_to_the_primary():
    wrapper = connections[REPLICA]
    wrapper.close()
    reachable = wrapper.settings_dict
    wrapper.settings_dict = {**reachable, "PORT": "1"}
    try:
        with replica_reads() as reads:
            assert reads.alias == DEFAULT_DB_ALIAS
            assert reads.fallback == "unreachable"
            assert replica.read_alias() == DEFAULT_DB_ALIAS
    finally:
        wrapper.close()
        wrapper.settings_dict = reachable
