"""The whole delivery with real worker processes, real Redis and a real SMTP server: a run's
finish queues the campaign by name, the workers build and send it, and the sending marks the
holders' awards delivered (the audiences are registered in the workers' app ready too)."""

import pytest

from compensation.models import Award
from notifications.models import Campaign, Notice, NoticeTemplate
from tests.notifications.smtp import SmtpServer
from tests.notifications.workers import Workers, wait_for
from tests.support import notice_templates_seed
from tests.vouchers.conftest import people_make, run_issue

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def workers(tmp_path, smtp, settings):
    pool = Workers(tmp_path, smtp_port=smtp.port)
    settings.NOTIFICATIONS_QUEUE = pool.queue
    settings.NOTIFICATIONS_SITE_URL = "https://compensation.example.com"
    yield pool
    pool.stop_all()


@pytest.fixture(autouse=True)
def _templates():
    """A transactional test's flush empties the templates: seed them as the migrations do."""
    if not NoticeTemplate.objects.exists():
        notice_templates_seed()


def test_a_finished_run_reaches_each_holder_once_through_the_workers_and_delivers(
    coupang, no_dispatch, workers, smtp
):
    workers.start("a")
    people_make(coupang, 40)
    run_issue(coupang, chunk_size=15)
    wait_for(
        lambda: Notice.objects.filter(kind="vouchers_ready", status="sent").count() == 40,
        timeout=90,
        workers=workers,
        what="40 ready notices sent",
    )
    wait_for(
        lambda: Award.objects.filter(status="delivered").count() == 160,
        timeout=30,
        workers=workers,
        what="the holders' awards delivered",
    )
    assert smtp.handler.total == 40
    assert smtp.handler.duplicates() == 0
    assert Notice.objects.filter(kind="vouchers_ready").count() == 40
    assert Award.objects.filter(status="granted").count() == 0
    assert Campaign.objects.filter(kind="vouchers_ready", channel="email").get().status == "done"
