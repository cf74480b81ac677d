import pytest
from django.db.backends.postgresql.operations import DatabaseOperations
from django.utils import translation
from django_otp.plugins.otp_static.models import StaticDevice

from tests.factories import UserFactory


def otp_login(client, user):
    """Sign a user in as the admin requires: password *and* a verified second factor."""
    device = StaticDevice.objects.create(user=user, name="test backup codes")
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client(client):
    """A factory: staff_client(role) -> a test client signed in with two factors."""

    def make(role: str | None = None, **user_fields):
        user = UserFactory.create(role=role, **user_fields)
        otp_login(client, user)
        client.user = user
        return client

    return make


@pytest.fixture(autouse=True)
def _roles_after_a_flush(request):
    """A transactional test starts from tables the previous one flushed: the role groups and
    the permissions the migrations made are gone, as they never are in a real database. Put
    them back (roles_sync is idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from accounts.roles import roles_sync

    roles_sync(apps)


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request through the test client activates its language in the test's own thread
    (LocaleMiddleware, the staff site's language): the next test starts in the default."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Production serves hashed static files from a manifest built by collectstatic; tests
    # render templates without running it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _replica_only_where_asked(request, monkeypatch):
    """With DATABASE_REPLICA_URL set, only tests that name the replica among their databases
    read it (tests/infra/test_replica.py); the others' data lives in their own transaction,
    which a replica never sees, so their report blocks read the primary."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or "replica" not in (marker.kwargs.get("databases") or ()):
        monkeypatch.setattr("config.replica.replica_configured", lambda: False)


_sql_flush = DatabaseOperations.sql_flush


def _sql_flush_allowed(self, style, tables, **kwargs):
    """Transactional tests flush tables with TRUNCATE; the audit trail refuses TRUNCATE unless
    the transaction says otherwise (see audit/migrations/0002_append_only.py). Django runs the
    flush's statements in one transaction, so SET LOCAL first: nothing is left on the session,
    and it holds through PgBouncer in transaction mode (a session SET would land on one server
    connection and the TRUNCATE perhaps on another)."""
    statements = _sql_flush(self, style, tables, **kwargs)
    return ["SET LOCAL audit.allow_truncate = on", *statements] if statements else statements


DatabaseOperations.sql_flush = _sql_flush_allowed  # type: ignore[method-assign]
