"""Population imports after a crash: resumed by an operator (the admin's Resume button) or by
beat's sweep of imports whose worker went quiet, as issuance runs are
(vouchers.services.runs). The import itself is resumable by design (population_import): the
staging table and the chunk table say what is left, so a wake-up is all that is needed."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from audit.services import Actor, audit_record
from compensation.errors import ImportNotResumable
from compensation.models import PopulationImport
from compensation.services.population_files import source_gone_message
from compensation.services.population_import import IMPORT_TASK
from config import queueing

OPEN_STATUSES = [
    PopulationImport.Status.PENDING,
    PopulationImport.Status.LOADING,
    PopulationImport.Status.MERGING,
]
RESUME_SWEEP_TASK = "compensation.population_imports_resume"


def population_import_resume(
    *,
    population_import: PopulationImport,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
    queue: str | None = None,
) -> PopulationImport:
    """Wake a worker for an unfinished or failed import, after commit. It goes on from what
    the database says is done: chunks merged stay merged and are never counted twice.
    Refused (ImportNotResumable, nothing written) once the import is done or refused, or when
    it still had to read its file and the file is gone."""
    population_import.refresh_from_db()
    if population_import.staged_at is None and (gone := source_gone_message(population_import)):
        raise ImportNotResumable(gone)
    with transaction.atomic(durable=True):
        # Counted as touched now: beat's sweep does not send a second wake-up behind this one.
        resumed = PopulationImport.objects.filter(
            pk=population_import.pk, status__in=[*OPEN_STATUSES, PopulationImport.Status.FAILED]
        ).update(heartbeat_at=Now())
        if not resumed:
            raise ImportNotResumable("Only an unfinished or failed import can be resumed.")
        audit_record(
            action="population_import.resume",
            obj=population_import,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            after={"status": population_import.status},
        )
        queueing.task_send_on_commit(IMPORT_TASK, {"import_id": population_import.pk}, queue=queue)
    population_import.refresh_from_db()
    return population_import


def population_imports_resume_stale(
    *, stale_seconds: int | None = None, queue: str | None = None
) -> list[int]:
    """Wake a worker for every unfinished import nobody touched for `stale_seconds` (None:
    POPULATION_IMPORT_STALE_SECONDS): its worker was killed, or its message lost. Called by
    beat. Each is marked touched in the same conditional UPDATE that picks it, so two sweeps
    never both wake one import; a wake-up for an import still being worked is harmless (its
    runner holds the import's advisory lock and the second returns at once)."""
    seconds = settings.POPULATION_IMPORT_STALE_SECONDS if stale_seconds is None else stale_seconds
    cutoff = timezone.now() - dt.timedelta(seconds=seconds)
    quiet = Q(status__in=OPEN_STATUSES) & (
        Q(heartbeat_at__lte=cutoff) | Q(heartbeat_at__isnull=True, created_at__lte=cutoff)
    )
    woken = []
    for import_id in list(PopulationImport.objects.filter(quiet).values_list("pk", flat=True)):
        with transaction.atomic(durable=True):
            if PopulationImport.objects.filter(quiet, pk=import_id).update(heartbeat_at=Now()):
                queueing.task_send_on_commit(IMPORT_TASK, {"import_id": import_id}, queue=queue)
                woken.append(import_id)
    return woken
