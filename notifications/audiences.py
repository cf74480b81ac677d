"""Who a campaign goes to. An explicit registry: each audience is a SQL condition over the
program's AffectedPerson rows (alias `p`), so creating a campaign's notices stays one
INSERT ... SELECT per chunk of ids, whatever the audience.

Audiences that need claims (claims in a state) or vouchers (holders from a run) belong with
those apps; notifications does not import claims or vouchers, so those apps register their
audiences here in their AppConfig.ready() (claims/audiences.py, vouchers/audiences.py,
vouchers/audiences_value.py), passing SQL in, never being imported.

An audience is people by default. One whose recipients are rows of another table (a claim,
whose claimant may not be on the affected list) gives a `source`: SQL of a FROM item with the
columns id, program_id, person_id, email, phone and language (and any its condition reads),
aliased `p` like the people, so the build is the same statement over it, one notice per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from compensation.models import Award
from notifications.errors import NotificationError


@dataclass(frozen=True)
class Audience:
    label: str
    params: tuple[str, ...]
    # (program_id, params) -> (SQL condition on alias p, its parameters)
    condition: Callable[[int, dict], tuple[str, list]]
    # (program_id, params) -> (SQL jsonb expression on alias p, its parameters): each
    # person's own values (their voucher count and total), for the kind's variables in
    # `provides`. None: every notice has the campaign's context only.
    context: Callable[[int, dict], tuple[str, list]] | None = None
    provides: frozenset[str] = frozenset()
    # (params, person ids) -> None: called once the notices of a campaign to this audience
    # have been sent to those people (services/outcomes.py), e.g. to mark their awards
    # delivered. Must be idempotent: a person may be reported again.
    on_sent: Callable[[dict, list[int]], None] | None = None
    # (program_id, params) -> (SQL FROM item aliased as p, its parameters); None: people.
    source: Callable[[int, dict], tuple[str, list]] | None = None
    # What a row is, in each notice's dedupe key ("campaign:1:claim:42").
    key: str = "person"
    # The values a parameter may take, where it is a choice (a claim state, an award status).
    param_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def source_sql(self, program_id: int, params: dict) -> tuple[str, list]:
        if self.source is None:
            return "compensation_affectedperson", []
        sql, values = self.source(program_id, params)
        return f"({sql})", values

    def params_check(self, params: dict) -> None:
        missing = [name for name in self.params if not str(params.get(name, "")).strip()]
        if missing:
            raise NotificationError(
                f"This audience needs: {', '.join(missing)}.", code="audience_params"
            )
        extra = sorted(set(params) - set(self.params))
        if extra:
            raise NotificationError(
                f"This audience does not take: {', '.join(extra)}.", code="audience_params"
            )
        for name, choices in self.param_choices.items():
            if str(params.get(name, "")).strip() not in choices:
                raise NotificationError(
                    f"{name} must be one of: {', '.join(choices)}.", code="audience_params"
                )


# Dates as each language writes them: 2026년 1월 15일, 15 January 2026, 2026年1月15日.
DATE_FORMATS = {
    "ko": 'YYYY"년" FMMM"월" FMDD"일"',
    "en": "FMDD FMMonth YYYY",
    "zh-hans": 'YYYY"年"FMMM"月"FMDD"日"',
}


def local_date_sql(column: str, language_column: str = "p.language") -> tuple[str, list]:
    """SQL for the day of `column` in the site's time zone, written in the row's language
    (an audience's per-person context: a deadline, a validity date)."""
    sql = (
        f"to_char(({column} AT TIME ZONE %s)::date, CASE {language_column} "
        "WHEN 'en' THEN %s WHEN 'zh-hans' THEN %s ELSE %s END)"
    )
    return sql, [
        settings.TIME_ZONE,
        DATE_FORMATS["en"],
        DATE_FORMATS["zh-hans"],
        DATE_FORMATS["ko"],
    ]


def _population(program_id: int, params: dict) -> tuple[str, list]:
    return "p.program_id = %s", [program_id]


def _segment(program_id: int, params: dict) -> tuple[str, list]:
    return "p.program_id = %s AND p.segment = %s", [program_id, params["segment"]]


AWARD_STATUSES = tuple(Award.Status.values)


def _award_status(program_id: int, params: dict) -> tuple[str, list]:
    """People holding an award of the program in a status (granted: not yet delivered)."""
    return (
        "p.program_id = %s AND EXISTS (SELECT 1 FROM compensation_award AS a "
        "WHERE a.person_id = p.id AND a.program_id = %s AND a.status = %s)",
        [program_id, program_id, params["status"]],
    )


AUDIENCES: dict[str, Audience] = {
    "population": Audience("The program's whole affected population", (), _population),
    "segment": Audience("One segment of the program's population", ("segment",), _segment),
    "award_status": Audience(
        "People holding an award of the program in a status (granted, delivered, reversed)",
        ("status",),
        _award_status,
        param_choices={"status": AWARD_STATUSES},
    ),
}


def audience_choices() -> list[tuple[str, str]]:
    """Every registered audience (the apps' included: read when a form is drawn)."""
    return [(name, audience.label) for name, audience in AUDIENCES.items()]


AUDIENCE_CHOICES = audience_choices()  # notifications' own; forms use audience_choices


def audience_get(name: str) -> Audience:
    try:
        return AUDIENCES[name]
    except KeyError:
        raise NotificationError(f"Unknown audience {name!r}.", code="unknown_audience") from None
