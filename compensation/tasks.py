from celery import shared_task

from compensation.services.policy import (
    DRY_RUN_SWEEP_TASK,
    DRY_RUN_TASK,
    dry_run_execute,
    dry_runs_resume_stale,
)
from compensation.services.population_import import IMPORT_TASK, population_import_run
from compensation.services.population_runs import (
    RESUME_SWEEP_TASK,
    population_imports_resume_stale,
)


@shared_task(name=IMPORT_TASK, acks_late=True)
def population_import_run_task(import_id: int) -> None:
    """Run or resume one population import. Idempotent: the database holds its progress."""
    population_import_run(import_id=import_id)


@shared_task(name=DRY_RUN_TASK, acks_late=True)
def dry_run_execute_task(dry_run_id: int) -> None:
    """Run one policy dry run. Idempotent: a finished dry run is left as it is."""
    dry_run_execute(dry_run_id=dry_run_id)


@shared_task(name=RESUME_SWEEP_TASK, acks_late=True)
def population_imports_resume_task() -> list[int]:
    """Wake imports whose worker went quiet (killed, or their message lost)."""
    return population_imports_resume_stale()


@shared_task(name=DRY_RUN_SWEEP_TASK, acks_late=True)
def dry_runs_resume_task() -> list[int]:
    """Start dry runs whose start was never queued, and those whose worker died."""
    return dry_runs_resume_stale()
