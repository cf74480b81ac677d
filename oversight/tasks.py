from celery import shared_task

from compensation.models import Program
from oversight.services import snapshot_refresh


@shared_task(name="oversight.snapshots_refresh")
def snapshots_refresh_task() -> None:
    """Recompute the dashboard figures of every program that is not settled."""
    for program in Program.objects.exclude(status=Program.Status.SETTLED).only("pk"):
        snapshot_refresh(program=program)
