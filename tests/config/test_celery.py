"""Celery against the real Redis broker and a real worker process."""

import time
import uuid

import pytest
from django.conf import settings

from compensation.models import PopulationImport
from config.celery import app, ping
from tests.factories import ProgramFactory
from tests.support import celery_worker_running


def test_visibility_timeout_outlasts_the_longest_task_and_its_retry_delay():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > settings.CELERY_TASK_TIME_LIMIT + settings.CELERY_RETRY_BACKOFF_MAX
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.task_acks_late
    assert app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.fixture
def worker():
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with celery_worker_running(queue):
        yield queue


@pytest.mark.slow
def test_a_real_worker_answers_through_redis(worker):
    assert ping.apply_async(queue=worker).get(timeout=60) == "pong"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_population_import_against_postgresql(worker, tmp_path):
    from compensation.tasks import population_import_run_task

    csv_path = tmp_path / "people.csv"
    csv_path.write_text(
        "external_id,name,email,phone,language,region,segment,data_categories\n"
        "A1,Kim,a1@example.com,010-1234-5678,ko,seoul,member,email;phone\n"
        "A2,Lee,a2@example.com,,en,busan,member,email\n"
    )
    population_import = PopulationImport.objects.create(
        program=ProgramFactory.create(), source_path=str(csv_path), original_name="people.csv"
    )
    population_import_run_task.apply_async(args=(population_import.pk,), queue=worker)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        population_import.refresh_from_db()
        if population_import.status == PopulationImport.Status.DONE:
            break
        time.sleep(0.2)
    assert population_import.status == PopulationImport.Status.DONE
    assert population_import.rows_inserted == 2
    assert population_import.program.population.count() == 2
