"""Dry runs after a broker outage or a killed worker: the database says what is left, beat's
sweep starts it, and a dry run never runs twice at once."""

import time
import uuid

import psycopg
import pytest
from celery import Celery
from django.db import connection
from django.urls import reverse

from accounts.roles import PROGRAM_OPERATOR
from compensation.models import DryRun
from compensation.services.policy import (
    dry_run_execute,
    dry_runs_resume_stale,
    policy_draft_create,
)
from config.celery import app
from tests.factories import AwardLineFactory, ProgramFactory
from tests.support import celery_worker_running, test_database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _roles():
    # A transactional test's flush empties the groups the migrations made.
    from django.apps import apps

    from accounts.roles import roles_sync

    roles_sync(apps)


@pytest.fixture
def policy():
    program = ProgramFactory.create(budget_minor=10_000_000)
    AwardLineFactory.create(program=program, code="store", amount_minor=5_000)
    return policy_draft_create(
        program=program, rules={"proactive": {"award_lines": ["store"]}}, actor_label="test"
    )


@pytest.fixture
def worker():
    queue = f"test-dry-runs-{uuid.uuid4().hex[:8]}"
    with celery_worker_running(queue):
        yield queue


def _wait_done(dry_run: DryRun, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dry_run.refresh_from_db()
        if dry_run.status == DryRun.Status.DONE:
            return
        time.sleep(0.2)
    pytest.fail(f"the dry run is still {dry_run.status}")


@pytest.mark.slow
def test_a_dry_run_requested_while_the_broker_is_down_answers_and_runs_once_it_is_back(
    staff_client, policy, worker
):
    client = staff_client(PROGRAM_OPERATOR)
    # The broker is a port nothing listens on for the request.
    Celery("dead-broker", broker="redis://127.0.0.1:1/0", set_as_current=True)
    try:
        response = client.post(
            reverse("admin:compensation_policyversion_dry_run", args=[policy.pk])
        )
    finally:
        app.set_current()
    assert response.status_code == 302
    dry_run = DryRun.objects.get(policy=policy)
    assert dry_run.status == DryRun.Status.PENDING

    # Too fresh for the sweep: its own start may still be on the way.
    assert dry_runs_resume_stale(queue=worker) == []
    # The broker is back; beat's sweep finds the pending dry run and a real worker runs it.
    assert dry_runs_resume_stale(pending_seconds=0, queue=worker) == [dry_run.pk]
    _wait_done(dry_run)
    assert dry_run.people_total == policy.program.population.count()
    assert dry_runs_resume_stale(pending_seconds=0, queue=worker) == []


def test_a_running_dry_run_is_taken_over_only_when_its_runner_is_gone(policy):
    orphan = DryRun.objects.create(
        policy=policy, budget_minor=policy.program.budget_minor, status=DryRun.Status.RUNNING
    )
    alive = DryRun.objects.create(
        policy=policy, budget_minor=policy.program.budget_minor, status=DryRun.Status.RUNNING
    )
    # Another session is running `alive`: it holds the dry run's lock, as a live worker does
    # (a transaction-level lock in a transaction left open: config.db.advisory_lock_held).
    with psycopg.connect(test_database_url()) as runner:
        runner.execute("SELECT pg_advisory_xact_lock(7303, %s)", [alive.pk])
        assert dry_runs_resume_stale(pending_seconds=0) == [orphan.pk]
        # A second wake-up of the one being run returns at once and changes nothing.
        assert dry_run_execute(dry_run_id=alive.pk).status == DryRun.Status.RUNNING
        alive.refresh_from_db()
        assert alive.status == DryRun.Status.RUNNING
        assert alive.finished_at is None
    assert dry_run_execute(dry_run_id=orphan.pk).status == DryRun.Status.DONE
    # The runner's session ended without finishing: now it is an orphan too.
    assert dry_runs_resume_stale(pending_seconds=0) == [alive.pk]
    assert dry_run_execute(dry_run_id=alive.pk).status == DryRun.Status.DONE
    # Nothing left holding a lock of ours (in this database: the server may run others).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7303"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert cursor.fetchone()[0] == 0


def test_a_finished_dry_run_is_never_run_again(policy):
    dry_run = DryRun.objects.create(policy=policy, budget_minor=policy.program.budget_minor)
    first = dry_run_execute(dry_run_id=dry_run.pk)
    assert first.status == DryRun.Status.DONE
    finished_at = first.finished_at
    assert dry_runs_resume_stale(pending_seconds=0) == []
    assert dry_run_execute(dry_run_id=dry_run.pk).finished_at == finished_at


def test_a_population_upload_while_the_broker_is_down_answers_and_the_sweep_starts_it(
    staff_client, policy, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from compensation.models import PopulationImport
    from compensation.services.population_runs import population_imports_resume_stale

    settings.IMPORT_ROOT = tmp_path
    client = staff_client(PROGRAM_OPERATOR)
    csv = (
        "external_id,name,email,phone,language,region,segment,data_categories\n"
        "A1,Kim,a1@example.com,,ko,seoul,member,email\n"
    )
    Celery("dead-broker", broker="redis://127.0.0.1:1/0", set_as_current=True)
    try:
        response = client.post(
            reverse("admin:compensation_populationimport_add"),
            {"program": policy.program.pk, "file": SimpleUploadedFile("p.csv", csv.encode())},
        )
    finally:
        app.set_current()
    assert response.status_code == 302
    population_import = PopulationImport.objects.get()
    assert population_import.status == PopulationImport.Status.PENDING
    queue = f"test-imports-{uuid.uuid4().hex[:8]}"
    assert population_imports_resume_stale(stale_seconds=0, queue=queue) == [population_import.pk]
