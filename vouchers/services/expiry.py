"""No silent forfeiture: holders of unused value are reminded before their vouchers end, and an
operator can extend the validity window of a run's or a whole program's vouchers in bulk.

Reminders: once a day (beat, VOUCHERS_EXPIRY_REMINDER_HOUR) each expiry day of usable vouchers
with value left that falls within a reminder's reach (VOUCHERS_EXPIRY_REMINDER_DAYS: 30 and 7
days) gets one campaign per channel, started at most once per program, day and reminder (the
campaign's unique dedupe key), so a person gets each reminder once, with their own count and
value left (the `expiring_holders` audiences, vouchers/audiences.py); nobody who spent
everything is in them. A day beat missed is caught up the next day; when the 7-day reminder is
due the 30-day one is no longer sent.

Extensions: approved under four eyes (vouchers/proposals.py), recorded as a ValidityExtension,
then written in chunks of voucher ids (VOUCHERS_EXTENSION_CHUNK), each its own transaction
with the extension's cursor, so a killed worker resumes where it stopped (beat's
`vouchers.extensions_resume`); only vouchers that are issued or frozen and end before the new
date move. When the last chunk is done the holders with value left are told, once.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Actor, actor_user, audit_record
from compensation.models import Program
from config import queueing
from notifications.kinds import Channel, Kind
from notifications.services import campaign_start_once
from vouchers.errors import VoucherError
from vouchers.models import ValidityExtension, Voucher, VoucherBatch
from vouchers.services.delivery import ME_PATH

EXTENSION_TASK = "vouchers.extension_work"

# The value a voucher still holds: its balance once a partial redemption has touched it (null
# while untouched: the face value). A single-use voucher is spent whole (state redeemed).
VALUE_LEFT_SQL = "coalesce(v.balance_minor, v.amount_minor)"

# Email to those with an address, SMS to those with only a phone: one notice per person.
_REMINDER_AUDIENCES = ((Channel.EMAIL, "expiring_holders"), (Channel.SMS, "expiring_holders_sms"))
_EXTENSION_AUDIENCES = (
    (Channel.EMAIL, "extension_holders"),
    (Channel.SMS, "extension_holders_sms"),
)

# Expiry days of usable vouchers within reach, per program: one scan of the vouchers that end
# in the next days (nothing else is read per voucher).
_EXPIRY_DAYS_SQL = f"""
SELECT v.program_id, (v.valid_until AT TIME ZONE %(tz)s)::date AS day
FROM vouchers_voucher AS v
WHERE v.state = 'issued' AND v.valid_until > %(now)s AND v.valid_until < %(horizon)s
  AND {VALUE_LEFT_SQL} > 0
GROUP BY 1, 2
ORDER BY 1, 2
"""  # noqa: S608 (module constants only)


class ExtensionRefused(VoucherError):
    code = "extension_refused"


def _me_url() -> str:
    return settings.NOTIFICATIONS_SITE_URL.rstrip("/") + ME_PATH


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start of `day` and of the next one, in the site's time zone."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=_zone())
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=_zone())


def reminder_due(days_left: int) -> int | None:
    """The reminder (in days before the end) due for vouchers ending in `days_left` days: the
    closest one not yet passed, or None when none is due yet."""
    due = [days for days in settings.VOUCHERS_EXPIRY_REMINDER_DAYS if days_left <= days]
    return min(due) if due else None


def voucher_expiry_reminders_start(*, now: dt.datetime | None = None) -> int:
    """Start the reminder campaigns due now: for each program and expiry day of usable vouchers
    with value left, within the longest reminder's reach, the closest reminder not yet
    passed, between VOUCHERS_EXPIRY_REMINDER_HOURS of the site's time. Each campaign starts
    at most once (program, day, reminder, channel); re-running starts nothing new. Returns how
    many campaigns started."""
    now = now or timezone.now()
    local = now.astimezone(_zone())
    opens, closes = settings.VOUCHERS_EXPIRY_REMINDER_HOURS
    if not opens <= local.hour < closes:  # nobody is texted at night: the next hour in catches up
        return 0
    today = local.date()
    longest = max(settings.VOUCHERS_EXPIRY_REMINDER_DAYS)
    _, horizon = day_bounds(today + dt.timedelta(days=longest))
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRY_DAYS_SQL, {"tz": settings.TIME_ZONE, "now": now, "horizon": horizon})
        due_days = cursor.fetchall()
    started = 0
    programs = Program.objects.in_bulk({program_id for program_id, _day in due_days})
    for program_id, day in due_days:
        reminder = reminder_due((day - today).days)
        if reminder is None:
            continue
        with transaction.atomic(durable=True):
            for channel, audience in _REMINDER_AUDIENCES:
                key = f"{program_id}:{day.isoformat()}:{reminder}:{channel}"
                campaign = campaign_start_once(
                    dedupe_key=f"vouchers:expiry:{key}",
                    name=f"Vouchers ending {day.isoformat()}: {reminder}-day reminder ({channel})",
                    program=programs[program_id],
                    kind=Kind.VOUCHER_EXPIRY_REMINDER,
                    channel=channel,
                    audience=audience,
                    audience_params={"expires_on": day.isoformat()},
                    context={"me_url": _me_url()},
                    actor_label="job:vouchers.expiry_reminders",
                )
                started += campaign is not None
    return started


# --- Bulk extension -----------------------------------------------------------------------------


def _scope(program: Program, batch: VoucherBatch | None) -> QuerySet[Voucher]:
    vouchers = Voucher.objects.filter(program_id=program.pk)
    return vouchers.filter(batch_id=batch.pk) if batch is not None else vouchers


def validity_extension_refusal(
    *,
    program: Program,
    batch: VoucherBatch | None,
    valid_until: dt.datetime,
    now: dt.datetime | None = None,
) -> str | None:
    """Why this extension cannot be made (a run of another program or still issuing, a date
    not after today's end of the window), or None."""
    now = now or timezone.now()
    if batch is not None:
        if batch.program_id != program.pk:
            return str(_("This run belongs to another program."))
        if batch.status == VoucherBatch.Status.RUNNING:
            return str(
                _(
                    "This run is still issuing: extend the program's window instead, or wait "
                    "until the run has finished."
                )
            )
    if timezone.is_naive(valid_until):
        raise ValueError("valid_until must be timezone-aware")
    if valid_until <= now:
        return str(_("The new end of the window must be in the future."))
    current = validity_current_end(program=program, batch=batch)
    if current is not None and valid_until <= current:
        return str(
            _("The vouchers are valid until %(until)s already: an extension must end later.")
            % {"until": f"{timezone.localtime(current):%Y-%m-%d %H:%M %Z}"}
        )
    return None


def validity_current_end(*, program: Program, batch: VoucherBatch | None) -> dt.datetime | None:
    """The window's current end: the program's, or the latest of the run's vouchers."""
    if batch is None:
        return Program.objects.values_list("voucher_valid_until", flat=True).get(pk=program.pk)
    return _scope(program, batch).aggregate(end=Max("valid_until"))["end"]


def validity_extension_figures(
    *, program: Program, batch: VoucherBatch | None, valid_until: dt.datetime
) -> dict:
    """What an extension would move: usable or frozen vouchers ending before the new date,
    how many hold value and how much, and how many people hold them (one scan of the scope)."""
    batch_id = batch.pk if batch is not None else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*),
                       count(*) FILTER (WHERE v.state = 'issued' AND {VALUE_LEFT_SQL} > 0),
                       coalesce(sum({VALUE_LEFT_SQL}) FILTER (WHERE v.state = 'issued'), 0),
                       count(DISTINCT v.person_id)
                FROM vouchers_voucher AS v
                WHERE v.program_id = %s AND (%s::bigint IS NULL OR v.batch_id = %s)
                  AND v.state IN ('issued', 'frozen') AND v.valid_until < %s""",  # noqa: S608
            [program.pk, batch_id, batch_id, valid_until],
        )
        vouchers, with_value, value_left, people = cursor.fetchone()
    current = validity_current_end(program=program, batch=batch)
    return {
        "currency": program.currency,
        "batch_id": batch.pk if batch else None,
        "previous_until": current.isoformat() if current else None,
        "valid_until": valid_until.isoformat(),
        "vouchers": vouchers,
        "vouchers_with_value": with_value,
        "value_left_minor": int(value_left),
        "people": people,
    }


def validity_extension_start(
    *,
    program: Program,
    batch: VoucherBatch | None,
    valid_until: dt.datetime,
    reason: str,
    actor: Actor,
    ip_address: str | None = None,
) -> ValidityExtension:
    """Record an extension and queue its worker after commit; for the whole program, its
    window moves too (so later runs issue with it). Refused (ExtensionRefused, nothing written)
    when validity_extension_refusal says so or without a reason. Audited. In the caller's
    transaction (an approved proposal's), or its own."""
    if not reason.strip():
        raise ExtensionRefused(_("Say why the window is extended."))
    with transaction.atomic():
        # The program's row is locked: two extensions, or an extension and a run's start, are
        # done one after the other, each seeing the other's window.
        program = Program.objects.select_for_update().get(pk=program.pk)
        if refusal := validity_extension_refusal(
            program=program, batch=batch, valid_until=valid_until
        ):
            raise ExtensionRefused(refusal)
        previous = validity_current_end(program=program, batch=batch)
        id_max = _scope(program, batch).aggregate(top=Max("id"))["top"] or 0
        extension = ValidityExtension.objects.create(
            program=program,
            batch=batch,
            valid_until=valid_until,
            previous_until=previous,
            reason=reason.strip(),
            voucher_id_max=id_max,
            created_by=actor_user(actor),
            touched_at=timezone.now(),
        )
        if batch is None:
            program.voucher_valid_until = valid_until
            program.save(update_fields=["voucher_valid_until", "updated_at"])
        audit_record(
            action="voucher_validity.extend",
            obj=extension,
            actor=actor,
            ip_address=ip_address,
            before={"valid_until": previous},
            after={
                "program": program.pk,
                "batch": batch.pk if batch else None,
                "valid_until": valid_until,
                "voucher_id_max": id_max,
                "reason": extension.reason,
            },
        )
        queueing.task_send_on_commit(EXTENSION_TASK, {"extension_id": extension.pk})
    return extension


_EXTEND_CHUNK_SQL = """
UPDATE vouchers_voucher AS v SET valid_until = %(until)s
WHERE v.id > %(low)s AND v.id <= %(high)s AND v.program_id = %(program)s
  AND (%(batch)s::bigint IS NULL OR v.batch_id = %(batch)s)
  AND v.state IN ('issued', 'frozen') AND v.valid_until < %(until)s
"""


def validity_extension_work(*, extension_id: int, time_budget_seconds: float = 240.0) -> bool:
    """Move the extension's vouchers chunk by chunk until done or out of time. Returns True
    when chunks are left (the caller queues itself again).

    Guarantees: each chunk and the cursor commit together (a killed worker redoes at most the
    chunk it held, which moves nothing twice: only vouchers ending before the new date
    change); two workers at once take turns on the extension's row; the holders are told once,
    in the transaction of the last chunk."""
    deadline = time.monotonic() + time_budget_seconds
    chunk = settings.VOUCHERS_EXTENSION_CHUNK
    while time.monotonic() < deadline:
        with transaction.atomic(durable=True):
            extension = ValidityExtension.objects.select_for_update().get(pk=extension_id)
            if extension.done_at is not None:
                return False
            if extension.cursor >= extension.voucher_id_max:
                _extension_finish(extension)
                return False
            low = extension.cursor
            high = min(low + chunk, extension.voucher_id_max)
            with connection.cursor() as cursor:
                cursor.execute(
                    _EXTEND_CHUNK_SQL,
                    {
                        "until": extension.valid_until,
                        "low": low,
                        "high": high,
                        "program": extension.program_id,
                        "batch": extension.batch_id,
                    },
                )
                moved = cursor.rowcount
            extension.cursor = high
            extension.vouchers_extended += moved
            extension.touched_at = timezone.now()
            extension.save(update_fields=["cursor", "vouchers_extended", "touched_at"])
    return True


def _extension_finish(extension: ValidityExtension) -> None:
    extension.done_at = timezone.now()
    extension.save(update_fields=["done_at"])
    audit_record(
        action="voucher_validity.extended",
        obj=extension,
        actor_label="job:vouchers.extension",
        after={"vouchers_extended": extension.vouchers_extended},
    )
    program = Program.objects.get(pk=extension.program_id)
    for channel, audience in _EXTENSION_AUDIENCES:
        campaign_start_once(
            dedupe_key=f"vouchers:extension:{extension.pk}:{channel}",
            name=f"Vouchers extended to {extension.valid_until:%Y-%m-%d} ({channel})",
            program=program,
            kind=Kind.VOUCHERS_EXTENDED,
            channel=channel,
            audience=audience,
            audience_params={"extension": str(extension.pk)},
            context={"me_url": _me_url()},
            actor_label="job:vouchers.extension",
        )


def validity_extensions_resume(*, stale_seconds: int = 60) -> list[int]:
    """Queue again the extensions no worker has moved for `stale_seconds` (a killed worker, a
    lost message); the work itself is safe to run twice."""
    stale = timezone.now() - dt.timedelta(seconds=stale_seconds)
    ids = list(
        ValidityExtension.objects.filter(done_at__isnull=True, touched_at__lt=stale).values_list(
            "pk", flat=True
        )
    )
    for extension_id in ids:
        queueing.task_send(EXTENSION_TASK, {"extension_id": extension_id})
    return ids
