from celery import shared_task

from compensation.services.population_import import population_import_run


@shared_task(name="compensation.population_import_run", acks_late=True)
def population_import_run_task(import_id: int) -> None:
    """Run or resume one population import. Idempotent: the database holds its progress."""
    population_import_run(import_id=import_id)
