import uuid

import pytest

from tests.notifications.smtp import SmtpServer


@pytest.fixture(autouse=True)
def queued(request, monkeypatch, settings):
    """Unit tests keep tasks off the broker: what would have been queued is recorded here.
    Tests marked slow run real workers and use the real broker."""
    settings.NOTIFICATIONS_SITE_URL = "https://compensation.example.com"
    settings.NOTIFICATIONS_RATE_PER_SECOND = {"email": 0, "sms": 0}
    calls: list[tuple[str, dict]] = []
    if request.node.get_closest_marker("slow") is None:

        def record(task_name: str, kwargs: dict, **options) -> bool:
            calls.append((task_name, kwargs))
            return True

        monkeypatch.setattr("config.queueing.task_send", record)
    return calls


@pytest.fixture
def smtp_server(settings):
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield server.handler


@pytest.fixture(autouse=True)
def _default_templates(request):
    """The templates come from a data migration; transactional tests flush every table, so a
    later test seeds them again the way the migration does."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")

    from notifications.models import NoticeTemplate
    from tests.support import notice_templates_seed

    if not NoticeTemplate.objects.exists():
        notice_templates_seed()


@pytest.fixture(autouse=True)
def _own_cache_keys(settings):
    """Redis is shared between test runs: every test gets its own key prefix."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}"}
    }


@pytest.fixture(autouse=True)
def _claim_floors():
    """The claim floors are per process; every test starts looking from the lowest id."""
    from notifications.services import sending

    sending._floors.clear()
    sending._floors_reset_at.clear()
