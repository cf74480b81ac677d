"""Marking compromised instruments frozen: a list of them, or every one of an import."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import Actor, audit_record
from compensation.models import Program
from instruments.errors import InstrumentError
from instruments.models import CompromisedInstrument, InstrumentImport


def instruments_freeze(
    *,
    program: Program,
    reason: str,
    actor: Actor,
    instrument_import: InstrumentImport | None = None,
    instrument_ids: list[int] | None = None,
    frozen_at: dt.datetime | None = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> int:
    """Mark the program's instruments of `instrument_import` (all of it) or `instrument_ids`
    frozen at `frozen_at` (when the company froze them; now if not given) for `reason`.
    One conditional UPDATE: instruments already frozen keep their first freeze, so a repeat
    changes nothing. Returns how many were frozen now; one audit row says which and why.
    InstrumentError, nothing changed, without a reason, a scope, or with a future time."""
    reason = reason.strip()
    if not reason:
        raise InstrumentError(_("Give the reason for the freeze."), code="freeze_reason")
    if (instrument_import is None) == (instrument_ids is None):
        raise InstrumentError(_("Freeze an import or a list of instruments."), code="scope")
    now = timezone.now()
    frozen_at = frozen_at or now
    if timezone.is_naive(frozen_at):
        raise InstrumentError(_("The freeze time needs a time zone."), code="freeze_time")
    if frozen_at > now:
        raise InstrumentError(_("The freeze time cannot be in the future."), code="freeze_time")
    instruments = CompromisedInstrument.objects.filter(program=program, frozen_at__isnull=True)
    if instrument_import is not None:
        if instrument_import.program_id != program.pk:
            raise InstrumentError(_("This import is of another program."), code="scope")
        instruments = instruments.filter(instrument_import=instrument_import)
        scope: dict = {"import": str(instrument_import.public_id)}
    else:
        instruments = instruments.filter(pk__in=instrument_ids or [])
        scope = {"instruments": len(instrument_ids or [])}
    with transaction.atomic(durable=True):
        count = instruments.update(frozen_at=frozen_at, freeze_reason=reason[:300])
        audit_record(
            action="instruments.freeze",
            object_type="instruments.compromisedinstrument",
            object_id=str(instrument_import.pk) if instrument_import else "",
            program_id=program.pk,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            after={**scope, "frozen": count, "frozen_at": frozen_at.isoformat(), "reason": reason},
        )
    return count
