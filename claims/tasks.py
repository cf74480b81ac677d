from celery import shared_task

from claims.services.sla import claims_flag_overdue


@shared_task(name="claims.flag_overdue", ignore_result=True)
def claims_flag_overdue_task() -> int:
    """Periodic (beat): flag claims past their SLA. Idempotent."""
    return claims_flag_overdue()


@shared_task(name="claims.drafts_purge", ignore_result=True)
def claims_drafts_purge_task() -> int:
    """Periodic (beat): delete uploads of drafts never submitted. Idempotent."""
    from claims.services.drafts import claims_drafts_purge

    return claims_drafts_purge()
