"""The population import after it ends or breaks: its file (0600, deleted when it is done or
refused, the reject report kept), and an import whose worker died (beat's sweep of quiet
imports, the admin's Resume button, a real worker killed with SIGKILL mid-merge)."""

from __future__ import annotations

import datetime as dt
import io
import signal
import stat
import time
import uuid

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR
from audit.models import AuditEvent
from compensation.errors import ImportNotResumable
from compensation.models import AffectedPerson, PopulationImport, PopulationImportChunk
from compensation.services import population_import as importer
from compensation.services.population_runs import (
    population_import_resume,
    population_imports_resume_stale,
)
from config import queueing
from tests.factories import ProgramFactory
from tests.support import celery_worker_start, process_stop

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "external_id,name,email,phone,language,region,segment,data_categories\n"
ROWS = (
    "A1,Kim Minji,minji@example.com,010-1234-5678,ko,seoul,member,email;phone\n"
    "A2,Lee Jun,not-an-email,,en,busan,wow,email\n"
)


@pytest.fixture
def program():
    return ProgramFactory.create()


@pytest.fixture
def import_root(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path / "imports"
    return settings.IMPORT_ROOT


def _upload(program, text: str) -> PopulationImport:
    return importer.population_import_create(
        program=program,
        source=io.BytesIO(text.encode()),
        original_name="people.csv",
        actor_label="test",
    )


@pytest.mark.django_db  # the staff roles are migration data, kept here
def test_a_stored_file_is_readable_by_its_owner_only_and_deleted_when_the_import_is_done(
    program, import_root, staff_client
):
    created = _upload(program, HEADER + ROWS)
    stored = import_root / created.source_path.rsplit("/", 1)[-1]
    assert stored.is_file()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600

    done = importer.population_import_run(import_id=created.pk)
    assert done.status == PopulationImport.Status.DONE
    assert not stored.exists()
    assert done.source_deleted_at is not None
    assert list(import_root.iterdir()) == []

    # The reject report is in the database: it needs no file.
    client = staff_client(PROGRAM_OPERATOR)
    report = client.get(reverse("admin:compensation_populationimport_rejects", args=[done.pk]))
    body = b"".join(report.streaming_content).decode()
    assert body.splitlines() == ["line,column,problem", "3,email,is not an email address"]
    page = client.get(reverse("admin:compensation_populationimport_change", args=[done.pk]))
    assert "The file was deleted from the server" in page.text


def test_a_refused_import_deletes_its_file_too(program, import_root):
    created = _upload(program, HEADER + ROWS + "A3,Müller,m@example.com,,en,x,y,email\n")
    path = import_root / created.source_path.rsplit("/", 1)[-1]
    path.write_bytes(path.read_bytes().replace("ü".encode(), "ü".encode("latin-1")))
    refused = importer.population_import_run(import_id=created.pk)
    assert refused.status == PopulationImport.Status.REFUSED
    assert not path.exists()
    assert refused.source_deleted_at is not None


def test_an_import_whose_file_is_gone_says_so_instead_of_failing_on_it(program, import_root):
    created = _upload(program, HEADER + ROWS)
    (import_root / created.source_path.rsplit("/", 1)[-1]).unlink()  # say, a cleaned-up disk
    with pytest.raises(ImportNotResumable, match="no longer on the server"):
        population_import_resume(population_import=created, actor_label="test")
    ended = importer.population_import_run(import_id=created.pk)
    assert ended.status == PopulationImport.Status.REFUSED
    assert "no longer on the server" in ended.error
    assert not AffectedPerson.objects.exists()
    # Run again, a finished import reads nothing and stays as it is.
    assert importer.population_import_run(import_id=created.pk).status == ended.status
    with pytest.raises(ImportNotResumable):
        population_import_resume(population_import=ended, actor_label="test")


def test_a_file_named_to_the_command_is_the_operators_and_stays(program, tmp_path, import_root):
    path = tmp_path / "on-the-server.csv"
    path.write_text(HEADER + ROWS)
    created = importer.population_import_create(
        program=program, source=path, original_name=path.name, copy_to_store=False, actor_label="t"
    )
    assert importer.population_import_run(import_id=created.pk).status == "done"
    assert path.is_file()


def _aged(population_import: PopulationImport, *, status: str, minutes: int) -> None:
    then = timezone.now() - dt.timedelta(minutes=minutes)
    PopulationImport.objects.filter(pk=population_import.pk).update(
        status=status, heartbeat_at=then, created_at=then
    )


def test_the_sweep_wakes_only_unfinished_imports_nobody_touched_and_each_once(
    program, import_root, settings
):
    settings.POPULATION_IMPORT_STALE_SECONDS = 300
    merging, pending, fresh, done, failed = (_upload(program, HEADER + ROWS) for _ in range(5))
    _aged(merging, status="merging", minutes=10)
    _aged(pending, status="pending", minutes=10)
    PopulationImport.objects.filter(pk=pending.pk).update(heartbeat_at=None)
    _aged(fresh, status="merging", minutes=1)
    _aged(done, status="done", minutes=10)
    _aged(failed, status="failed", minutes=10)  # an error, not a lost worker: the button's
    assert sorted(population_imports_resume_stale()) == sorted([merging.pk, pending.pk])
    assert population_imports_resume_stale() == []  # marked as touched: not woken twice


@pytest.mark.django_db  # the staff roles are migration data, kept here
def test_the_admin_resume_button_wakes_a_worker_and_is_audited(program, import_root, staff_client):
    created = _upload(program, HEADER + ROWS)
    _aged(created, status="failed", minutes=10)
    client = staff_client(PROGRAM_OPERATOR)
    page = client.get(reverse("admin:compensation_populationimport_change", args=[created.pk]))
    url = reverse("admin:compensation_populationimport_resume", args=[created.pk])
    assert url in page.text
    response = client.post(url)
    assert response.status_code == 302
    assert "go on with the import" in str(next(iter(get_messages(response.wsgi_request))))
    assert AuditEvent.objects.filter(
        action="population_import.resume", object_id=str(created.pk), actor=client.user
    ).exists()
    created.refresh_from_db()
    assert created.heartbeat_at is not None
    assert created.heartbeat_at > timezone.now() - dt.timedelta(minutes=1)

    done = importer.population_import_run(import_id=created.pk)
    assert done.status == PopulationImport.Status.DONE
    page = client.get(reverse("admin:compensation_populationimport_change", args=[created.pk]))
    assert url not in page.text
    response = client.post(url)
    assert "Only an unfinished or failed import" in str(
        next(iter(get_messages(response.wsgi_request)))
    )
    assert AuditEvent.objects.filter(action="population_import.resume").count() == 1


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_a_worker_killed_mid_merge_is_resumed_by_the_sweep_to_the_exact_count(
    program, tmp_path, monkeypatch
):
    people = 30_000
    monkeypatch.setenv("POPULATION_IMPORT_CHUNK_LINES", "200")
    monkeypatch.setenv("POPULATION_IMPORT_WORKERS", "1")
    path = tmp_path / "big.csv"
    path.write_text(
        HEADER
        + "".join(f"K{i},Name {i},k{i}@example.com,,ko,seoul,member,email\n" for i in range(people))
    )
    created = importer.population_import_create(
        program=program, source=path, original_name="big.csv", copy_to_store=False, actor_label="t"
    )
    queue = f"test-imports-{uuid.uuid4().hex[:8]}"
    first = celery_worker_start(queue)
    try:
        queueing.task_send(importer.IMPORT_TASK, {"import_id": created.pk}, queue=queue)
        _wait(
            lambda: (
                PopulationImportChunk.objects.filter(
                    population_import=created, done_at__isnull=False
                ).count()
                >= 5
            ),
            90,
            "the first worker to merge some chunks",
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    half = PopulationImport.objects.get(pk=created.pk)
    assert half.status == PopulationImport.Status.MERGING
    assert 0 < half.rows_inserted == AffectedPerson.objects.count() < people

    second = celery_worker_start(queue)
    try:
        # What beat does every minute; stale_seconds=0 stands for "a few minutes later". The
        # killed worker's session may hold the import's lock a moment longer: sweep again.
        def finished():
            population_imports_resume_stale(stale_seconds=0, queue=queue)
            time.sleep(1)
            return PopulationImport.objects.get(pk=created.pk).status == "done"

        _wait(finished, 120, "the sweep's worker to finish the import")
    finally:
        process_stop(second)
    done = PopulationImport.objects.get(pk=created.pk)
    assert AffectedPerson.objects.count() == people == done.rows_inserted == done.rows_merged
    assert done.rows_updated == 0
    assert not done.chunks.filter(done_at__isnull=True).exists()
