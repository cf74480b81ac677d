"""Who a campaign goes to. An explicit registry: each audience is a SQL condition over the
program's AffectedPerson rows (alias `p`), so creating a campaign's notices stays one
INSERT ... SELECT per chunk of ids, whatever the audience.

Audiences that need claims (claims in a state) or vouchers (holders from a run) belong with
those apps; notifications does not import claims or vouchers, so those apps register their
audiences here in their AppConfig.ready() (vouchers/audiences.py), passing SQL in, never
being imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


def _population(program_id: int, params: dict) -> tuple[str, list]:
    return "p.program_id = %s", [program_id]


def _segment(program_id: int, params: dict) -> tuple[str, list]:
    return "p.program_id = %s AND p.segment = %s", [program_id, params["segment"]]


AUDIENCES: dict[str, Audience] = {
    "population": Audience("The program's whole affected population", (), _population),
    "segment": Audience("One segment of the program's population", ("segment",), _segment),
}

AUDIENCE_CHOICES = [(name, audience.label) for name, audience in AUDIENCES.items()]


def audience_get(name: str) -> Audience:
    try:
        return AUDIENCES[name]
    except KeyError:
        raise NotificationError(f"Unknown audience {name!r}.", code="unknown_audience") from None
