"""Who a campaign goes to. An explicit registry: each audience is a SQL condition over the
program's AffectedPerson rows (alias `p`), so creating a campaign's notices stays one
INSERT ... SELECT per chunk of ids, whatever the audience.

Audiences that need claims (claims in a state) or vouchers (expiring within N days) belong
with those apps' selectors; notifications does not import claims or vouchers, so they are not
here yet: they will be registered by passing their condition in, not by importing upwards.
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
