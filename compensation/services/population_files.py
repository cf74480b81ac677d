"""The population file: stored through Django's Storage API (STORAGES["population_files"]:
IMPORT_ROOT by default, an object store by settings alone), so the worker that imports it
may run on another host than the web process that took the upload. It holds everyone's
personal data: readable by its owner only, kept while the import may still need it, deleted
once the import is done or refused. The reject report lives in the database and never needs
the file.

`PopulationImport.source_path` is the stored file's name in that storage, or, for a file an
operator imports in place (`manage.py population_import --in-place`), its absolute path on
the server: that one is the operator's, read and never deleted."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.utils import timezone

from compensation.models import PopulationImport

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "population_files"


def _storage() -> Storage:
    return storages[STORAGE_ALIAS]


def source_store(source: IO[bytes]) -> tuple[str, int]:
    """Store an upload under a server-made name. Returns the name and its size. On the file
    system the file is mode 0600 in a folder of mode 0700 (never readable by others, not even
    before its mode is set)."""
    name = f"population-{uuid.uuid4().hex}.csv"
    source.seek(0)
    storage = _storage()
    # An upload Django spooled to a temporary file is moved there, not copied.
    saved = storage.save(name, source if isinstance(source, File) else File(source, name=name))
    if saved != name:
        # 128 random bits never collide; a backend that renamed the file would strand it.
        storage.delete(saved)
        raise RuntimeError("the population storage did not keep the name it was given")
    return name, storage.size(name)


def source_is_stored(source_path: str) -> bool:
    """Whether the import stored this file itself (a name in the population storage). A file
    the operator named in place is an absolute path: theirs, read but never deleted."""
    return not Path(source_path).is_absolute()


def source_open(population_import: PopulationImport) -> IO[bytes]:
    """The import's file, open for reading from its start (a stream: the caller closes it)."""
    if source_is_stored(population_import.source_path):
        return _storage().open(population_import.source_path, "rb")
    return Path(population_import.source_path).open("rb")


def source_gone_message(population_import: PopulationImport) -> str | None:
    """Why the file cannot be read, for the operator; None while it is there."""
    if population_import.source_deleted_at is not None:
        when = timezone.localtime(population_import.source_deleted_at)
        return (
            f"The file was deleted from the server on {when:%Y-%m-%d %H:%M} when the import "
            "ended; upload it again to import it again."
        )
    name = population_import.source_path
    there = _storage().exists(name) if source_is_stored(name) else Path(name).is_file()
    return None if there else "The file is no longer on the server; upload it again."


def source_delete(population_import: PopulationImport) -> None:
    """Delete the stored file of a finished import and record when. Idempotent: a file
    already gone counts as deleted. A file the operator named in place is left alone."""
    name = population_import.source_path
    if population_import.source_deleted_at is not None or not source_is_stored(name):
        return
    try:
        _storage().delete(name)
    except OSError:  # the row says it is still there, and a later call tries again
        logger.exception(
            "population import %s: the file could not be deleted", population_import.pk
        )
        return
    now = timezone.now()
    PopulationImport.objects.filter(pk=population_import.pk, source_deleted_at=None).update(
        source_deleted_at=now
    )
    population_import.source_deleted_at = now
