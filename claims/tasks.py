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


@shared_task(name="claims.info_reminders_send", ignore_result=True)
def claims_info_reminders_task() -> int:
    """Periodic (beat): remind claimants of a request for information before its deadline,
    once per request. Idempotent."""
    from claims.services.info_reminders import claims_info_remind

    return claims_info_remind()


@shared_task(name="claims.info_deadlines_apply", ignore_result=True)
def claims_info_deadlines_task() -> int:
    """Periodic (beat): move claims whose request for information ran out unanswered, by the
    policy's rule. Idempotent."""
    from claims.services.info_deadlines import claims_info_expire

    return claims_info_expire()
