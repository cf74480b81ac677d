import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    """Own media folder, fresh throttle counters, and no broker: notices are recorded in the
    outbox (the database), the dispatch hint is dropped."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    yield
    cache.clear()
