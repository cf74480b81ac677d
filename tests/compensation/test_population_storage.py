"""The population file goes through STORAGES["population_files"] only: stored there by the
upload, streamed from there by the import (both load paths and the non-UTF-8 check), deleted
there, so an object store in that entry serves a worker on another host."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import storages
from django.core.management import call_command

from compensation.models import AffectedPerson, PopulationImport, PopulationReject
from compensation.services import population_import as importer
from config import queueing
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "external_id,name,email,phone,language,region,segment,data_categories\n"
GOOD = "A1,Kim Minji,minji@example.com,010-1234-5678,ko,seoul,member,email;phone\n"


@pytest.fixture
def in_memory(settings, tmp_path, monkeypatch):
    """The population storage in memory (another process could not read it: nothing of the
    import may go through the file system), and IMPORT_ROOT an empty folder that must stay
    empty."""
    settings.IMPORT_ROOT = tmp_path / "imports"
    settings.STORAGES = {
        **settings.STORAGES,
        "population_files": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    monkeypatch.setattr(queueing, "task_send", lambda *a, **k: True)
    return storages["population_files"]


def _upload(text: bytes) -> PopulationImport:
    return importer.population_import_create(
        program=ProgramFactory.create(),
        source=io.BytesIO(text),
        original_name="people.csv",
        actor_label="test",
    )


@pytest.mark.parametrize(
    ("rows", "inserted", "rejected"),
    [
        (GOOD, 1, 0),  # PostgreSQL's COPY on the file's bytes
        (GOOD + "A2,Lee Jun,jun@example.com\n", 1, 1),  # a short record: Python's csv reader
    ],
    ids=["fast", "careful"],
)
def test_an_import_streams_its_file_from_the_storage_and_deletes_it_there(
    in_memory, settings, rows, inserted, rejected
):
    created = _upload((HEADER + rows).encode())
    assert in_memory.exists(created.source_path)
    assert not settings.IMPORT_ROOT.exists()

    done = importer.population_import_run(import_id=created.pk)
    assert done.status == PopulationImport.Status.DONE, done.error
    assert (done.rows_inserted, done.rows_rejected) == (inserted, rejected)
    assert AffectedPerson.objects.filter(external_id="A1").exists()
    assert not in_memory.exists(created.source_path)
    assert done.source_deleted_at is not None
    assert not settings.IMPORT_ROOT.exists()


def test_a_stored_file_that_is_not_utf8_is_refused_by_line_from_the_storage(in_memory):
    # Past the upload's 64 KiB header check: the import finds it, reading from the storage.
    rows = "".join(f"P{n},Kim,p{n}@example.com,,ko,seoul,member,email\n" for n in range(1500))
    bad = "M1,Müller,m@example.com,,en,x,y,email\n".encode("latin-1")
    created = _upload((HEADER + rows).encode() + bad)
    refused = importer.population_import_run(import_id=created.pk)
    assert refused.status == PopulationImport.Status.REFUSED
    assert refused.error.startswith("Line 1502 is not UTF-8"), refused.error
    assert not AffectedPerson.objects.exists()
    assert not PopulationReject.objects.exists()
    assert not in_memory.exists(created.source_path)


def test_a_file_gone_from_the_storage_is_refused_with_the_reason(in_memory):
    created = _upload((HEADER + GOOD).encode())
    in_memory.delete(created.source_path)
    ended = importer.population_import_run(import_id=created.pk)
    assert ended.status == PopulationImport.Status.REFUSED
    assert "no longer on the server" in ended.error
    assert not AffectedPerson.objects.exists()


def test_the_command_copies_a_queued_file_into_the_storage_and_leaves_the_original(
    in_memory, tmp_path
):
    program = ProgramFactory.create()
    path = tmp_path / "on-the-server.csv"
    path.write_text(HEADER + GOOD)
    call_command("population_import", program.slug, str(path), stdout=io.StringIO())
    queued = PopulationImport.objects.get()
    assert queued.source_path != str(path)
    assert in_memory.open(queued.source_path).read() == path.read_bytes()

    # What a worker on another host does: read the stored copy.
    assert importer.population_import_run(import_id=queued.pk).status == "done"
    assert path.is_file()  # the operator's file is theirs
    assert not in_memory.exists(queued.source_path)
