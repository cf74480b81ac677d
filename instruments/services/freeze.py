"""Marking compromised instruments frozen (a list of them, or every one of an import), and
lifting the freeze of chosen ones (under four eyes: instruments/proposals.py)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, Sum
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
        count = instruments.update(
            frozen_at=frozen_at, freeze_reason=reason[:300], unfrozen_at=None, unfreeze_reason=""
        )
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


def instruments_unfreeze_figures(*, program: Program, instrument_ids: list[int]) -> dict:
    """What lifting the freeze of `instrument_ids` would do, for the proposal's approver:
    how many of them are frozen now, the value they make usable again, and how many have a
    good-faith claim (which refuses the lift)."""
    chosen = CompromisedInstrument.objects.filter(program=program, pk__in=instrument_ids)
    totals = chosen.aggregate(
        frozen=Count("pk", filter=Q(frozen_at__isnull=False)),
        value_minor=Sum("loaded_value_minor", filter=Q(frozen_at__isnull=False)),
        claimed=Count("pk", filter=Q(purchases__isnull=False), distinct=True),
    )
    return {
        "chosen": len(set(instrument_ids)),
        "frozen": totals["frozen"],
        "value_minor": totals["value_minor"] or 0,
        "currency": program.currency,
        "claimed": totals["claimed"],
    }


def instruments_unfreeze_refusal(*, program: Program, instrument_ids: list[int]) -> str | None:
    """Why the freeze of these instruments cannot be lifted, or None: none of them is frozen
    now, or some have a good-faith claim (its buyer is being compensated for a card that
    would then work again: settle or refuse the claim first)."""
    claimed = list(
        CompromisedInstrument.objects.filter(
            program=program, pk__in=instrument_ids, purchases__isnull=False
        )
        .order_by("pk")
        .values_list("last4", flat=True)
        .distinct()[:6]
    )
    if claimed:
        return str(
            _(
                "A good-faith claim was filed on some of these instruments (ending %(last4)s): "
                "their freeze stays. Leave them out of the selection."
            )
            % {"last4": ", ".join(claimed[:5]) + (", ..." if len(claimed) > 5 else "")}
        )
    frozen = CompromisedInstrument.objects.filter(
        program=program, pk__in=instrument_ids, frozen_at__isnull=False
    )
    if not frozen.exists():
        return str(_("None of these instruments is frozen now."))
    return None


def instruments_unfreeze(
    *,
    program: Program,
    instrument_ids: list[int],
    reason: str,
    actor: Actor,
    actor_label: str = "",
    ip_address: str | None = None,
) -> int:
    """Lift the freeze of the program's `instrument_ids` for `reason`: each becomes usable
    again, and a good-faith claim on it is answered that its freeze was lifted. The chosen
    rows are locked first (a claim being filed on one of them waits, then sees it unfrozen);
    instruments not frozen are left as they are. Returns how many were unfrozen; one audit
    row names them, with the freeze each had. InstrumentError, nothing changed, without a
    reason, or when instruments_unfreeze_refusal refuses (a claimed instrument, none frozen)."""
    reason = reason.strip()
    if not reason:
        raise InstrumentError(_("Give the reason for lifting the freeze."), code="unfreeze_reason")
    ids = sorted(set(instrument_ids))
    with transaction.atomic():  # inside the approval's transaction (instruments/proposals.py)
        frozen = list(
            CompromisedInstrument.objects.select_for_update()
            .filter(program=program, pk__in=ids, frozen_at__isnull=False)
            .order_by("pk")
            .values_list("pk", "frozen_at", "freeze_reason")
        )
        if refusal := instruments_unfreeze_refusal(program=program, instrument_ids=ids):
            raise InstrumentError(refusal, code="unfreeze_refused")
        count = CompromisedInstrument.objects.filter(
            pk__in=[pk for pk, _at, _reason in frozen], frozen_at__isnull=False
        ).update(
            frozen_at=None,
            freeze_reason="",
            unfrozen_at=timezone.now(),
            unfreeze_reason=reason[:300],
        )
        audit_record(
            action="instruments.unfreeze",
            object_type="instruments.compromisedinstrument",
            program_id=program.pk,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            after={"unfrozen": count, "reason": reason},
            before={
                "freezes": [
                    {"id": pk, "frozen_at": at.isoformat() if at else None, "reason": why}
                    for pk, at, why in frozen
                ]
            },
        )
    return count
