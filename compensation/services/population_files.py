"""The population file on the server: written readable by its owner only (it holds everyone's
personal data), kept while the import may still need it, deleted once the import is done or
refused. The reject report lives in the database and never needs the file."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils import timezone

from compensation.models import PopulationImport

logger = logging.getLogger(__name__)

FILE_MODE = 0o600


def source_store(source: BinaryIO) -> tuple[Path, int]:
    """Copy an upload under IMPORT_ROOT with a server-made name, mode 0600 from its creation
    (never readable by others, not even for a moment). Returns the path and its size."""
    root = Path(settings.IMPORT_ROOT)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    stored = root / f"population-{uuid.uuid4().hex}.csv"
    size = 0
    descriptor = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as out:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            out.write(chunk)
            size += len(chunk)
    return stored, size


def source_is_stored(path: Path) -> bool:
    """Whether the import stored this file itself (under IMPORT_ROOT). A file the operator
    named to `manage.py population_import` is theirs: it is read, never deleted."""
    return path.resolve().is_relative_to(Path(settings.IMPORT_ROOT).resolve())


def source_gone_message(population_import: PopulationImport) -> str | None:
    """Why the file cannot be read, for the operator; None while it is there."""
    if population_import.source_deleted_at is not None:
        when = timezone.localtime(population_import.source_deleted_at)
        return (
            f"The file was deleted from the server on {when:%Y-%m-%d %H:%M} when the import "
            "ended; upload it again to import it again."
        )
    if not Path(population_import.source_path).is_file():
        return "The file is no longer on the server; upload it again."
    return None


def source_delete(population_import: PopulationImport) -> None:
    """Delete the stored file of a finished import and record when. Idempotent: a file
    already gone counts as deleted. Files outside IMPORT_ROOT are left alone."""
    path = Path(population_import.source_path)
    if population_import.source_deleted_at is not None or not source_is_stored(path):
        return
    try:
        path.unlink(missing_ok=True)
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
