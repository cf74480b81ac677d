"""The dashboard's inquiry figures (the support desk's queue): how many came in, how many
wait and how many of those are past their SLA now, how many were answered late, and the time
to a first answer. One aggregate query over the program's inquiries, live; read as SQL, like
the other tables the dashboard counts (nothing imports the support app)."""

from __future__ import annotations

from django.db import connection

from compensation.models import Program


def inquiries_figures(program: Program) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
                count(*),
                count(*) FILTER (WHERE status = 'open'),
                count(*) FILTER (WHERE status = 'open' AND due_at < now()),
                count(*) FILTER (WHERE first_answered_at IS NOT NULL),
                count(*) FILTER (WHERE first_answered_at > due_at),
                count(*) FILTER (WHERE status = 'closed' AND first_answered_at IS NULL),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                    first_answered_at - created_at)) FILTER (WHERE first_answered_at IS NOT NULL),
                percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM
                    first_answered_at - created_at)) FILTER (WHERE first_answered_at IS NOT NULL)
            FROM support_inquiry WHERE program_id = %s
            """,
            [program.pk],
        )
        total, waiting, overdue, answered, late, closed_unanswered, median, p90 = cursor.fetchone()
    return {
        "total": total,
        "waiting": waiting,
        "overdue": overdue,
        "answered": answered,
        "answered_late": late,
        "closed_unanswered": closed_unanswered,
        "median_hours": median / 3600 if median is not None else None,
        "p90_hours": p90 / 3600 if p90 is not None else None,
    }
