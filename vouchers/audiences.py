"""The campaign audiences vouchers gives notifications (registered in VouchersConfig.ready:
notifications never imports vouchers). "Holders of vouchers from run X": one notice per person
who holds a live voucher of the run, with their own count, total and dates, and once the
notice is sent their awards from the run are marked delivered."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from compensation.engine.money import money_sql
from compensation.models import Program
from compensation.services.ledger import awards_delivered_mark
from notifications.audiences import AUDIENCES, Audience
from vouchers.models import Voucher

# A person's live vouchers of the run (voucher_person_idx finds them).
_HELD = "v.person_id = p.id AND v.batch_id = %s AND v.state <> 'void'"

# Dates as each language writes them: 2026년 1월 15일, 15 January 2026, 2026年1月15日.
_DATE_FORMATS = {
    "ko": 'YYYY"년" FMMM"월" FMDD"일"',
    "en": "FMDD FMMonth YYYY",
    "zh-hans": 'YYYY"年"FMMM"月"FMDD"日"',
}


# A person's own values, from their live vouchers of the run. Filled with this module's own
# SQL only; every value is a parameter.
_CONTEXT_SQL = """(SELECT jsonb_build_object(
    'voucher_count', count(*)::text,
    'voucher_total', {voucher_total},
    'valid_from', {valid_from},
    'valid_until', coalesce({valid_until}, ''))
FROM vouchers_voucher AS v WHERE {held})"""


def _run_id(params: dict) -> int:
    return int(params["run"])


def _holders(program_id: int, params: dict) -> tuple[str, list]:
    return (
        # Only this module's own SQL is put in; every value is a parameter.
        f"p.program_id = %s AND EXISTS (SELECT 1 FROM vouchers_voucher AS v WHERE {_HELD})",  # noqa: S608
        [program_id, _run_id(params)],
    )


def _holders_without_email(program_id: int, params: dict) -> tuple[str, list]:
    condition, condition_params = _holders(program_id, params)
    return f"{condition} AND p.email = ''", condition_params


def _date_sql(column: str) -> tuple[str, list]:
    """The day of `column` in the site's time zone, written in the person's language."""
    sql = (
        f"to_char(({column} AT TIME ZONE %s)::date, CASE p.language "
        "WHEN 'en' THEN %s WHEN 'zh-hans' THEN %s ELSE %s END)"
    )
    return sql, [
        settings.TIME_ZONE,
        _DATE_FORMATS["en"],
        _DATE_FORMATS["zh-hans"],
        _DATE_FORMATS["ko"],
    ]


def _holder_context(program_id: int, params: dict) -> tuple[str, list]:
    """voucher_count, voucher_total (as money_format writes it in the person's language:
    50,000원, ₩50,000), valid_from (the earliest start) and valid_until (the earliest end:
    nobody is told a later date than one of their vouchers really has; empty when none
    ends)."""
    valid_from, from_params = _date_sql("min(coalesce(v.valid_from, v.issued_at))")
    valid_until, until_params = _date_sql("min(v.valid_until)")
    sql = _CONTEXT_SQL.format(
        voucher_total=_money_sql(program_id, "sum(v.amount_minor)"),
        valid_from=valid_from,
        valid_until=valid_until,
        held=_HELD,
    )
    return sql, [
        *from_params,
        *until_params,
        _run_id(params),
    ]


def run_holders_delivered(params: dict, person_ids: list[int]) -> None:
    """The notice reached these people: their awards from the run are delivered."""
    run_id = _run_id(params)
    rows = (
        Voucher.objects.filter(batch_id=run_id, person_id__in=person_ids)
        .exclude(state=Voucher.State.VOID)
        .values_list("program_id", "award_id")
    )
    by_program: dict[int, list[int]] = {}
    for program_id, award_id in rows:
        by_program.setdefault(program_id, []).append(award_id)
    for program_id, award_ids in by_program.items():
        awards_delivered_mark(
            program_id=program_id,
            award_ids=award_ids,
            actor_label="job:vouchers.delivery",
            reason=f"vouchers of run {run_id} noticed",
        )


HOLDER_VARIABLES = frozenset({"voucher_count", "voucher_total", "valid_from", "valid_until"})


# --- No silent forfeiture (vouchers/services/expiry.py) ------------------------------------------
# A person's usable vouchers with value left that end on one day (site time). The value left and
# the bounds of the day are this module's SQL and parameters only.
def _expiring(params: dict) -> tuple[str, list]:
    from vouchers.services.expiry import VALUE_LEFT_SQL, day_bounds

    start, end = day_bounds(dt.date.fromisoformat(str(params["expires_on"])))
    held = (
        "v.person_id = p.id AND v.program_id = p.program_id AND v.state = 'issued' "
        f"AND {VALUE_LEFT_SQL} > 0 AND v.valid_until >= %s AND v.valid_until < %s "
        "AND v.valid_until > now()"
    )
    return held, [start, end]


def _expiring_holders(program_id: int, params: dict) -> tuple[str, list]:
    held, held_params = _expiring(params)
    return (
        f"p.program_id = %s AND EXISTS (SELECT 1 FROM vouchers_voucher AS v WHERE {held})",  # noqa: S608
        [program_id, *held_params],
    )


def _expiring_holders_without_email(program_id: int, params: dict) -> tuple[str, list]:
    condition, condition_params = _expiring_holders(program_id, params)
    return f"{condition} AND p.email = ''", condition_params


def _money_sql(program_id: int, amount_sql: str) -> str:
    """`amount_sql` (minor units of the program's currency) as money_format writes it in the
    person's language."""
    currency = Program.objects.values_list("currency", flat=True).get(pk=program_id)
    return money_sql(amount_sql, currency, "p.language")


def _expiring_context(program_id: int, params: dict) -> tuple[str, list]:
    """voucher_count and voucher_total (the value left) of the person's vouchers ending that
    day, and expires_on, the day in their language."""
    from vouchers.services.expiry import VALUE_LEFT_SQL

    held, held_params = _expiring(params)
    total = _money_sql(program_id, f"sum({VALUE_LEFT_SQL})")
    expires_on, date_params = _date_sql("min(v.valid_until)")
    # This module's own SQL only; every value is a parameter.
    sql = (
        "(SELECT jsonb_build_object('voucher_count', count(*)::text, "  # noqa: S608
        f"'voucher_total', {total}, 'expires_on', {expires_on}) "
        f"FROM vouchers_voucher AS v WHERE {held})"
    )
    return sql, [*date_params, *held_params]


def _extension_held(params: dict) -> tuple[str, list]:
    """The person's usable vouchers with value left that an extension moved (those of its
    scope now ending on its date)."""
    from vouchers.models import ValidityExtension
    from vouchers.services.expiry import VALUE_LEFT_SQL

    extension = ValidityExtension.objects.get(pk=int(params["extension"]))
    held = (
        "v.person_id = p.id AND v.program_id = p.program_id AND v.state = 'issued' "
        f"AND {VALUE_LEFT_SQL} > 0 AND v.valid_until = %s"
    )
    held_params: list = [extension.valid_until]
    if extension.batch_id is not None:
        held += " AND v.batch_id = %s"
        held_params.append(extension.batch_id)
    return held, held_params


def _extension_holders(program_id: int, params: dict) -> tuple[str, list]:
    held, held_params = _extension_held(params)
    return (
        f"p.program_id = %s AND EXISTS (SELECT 1 FROM vouchers_voucher AS v WHERE {held})",  # noqa: S608
        [program_id, *held_params],
    )


def _extension_holders_without_email(program_id: int, params: dict) -> tuple[str, list]:
    condition, condition_params = _extension_holders(program_id, params)
    return f"{condition} AND p.email = ''", condition_params


def _extension_context(program_id: int, params: dict) -> tuple[str, list]:
    from vouchers.services.expiry import VALUE_LEFT_SQL

    held, held_params = _extension_held(params)
    total = _money_sql(program_id, f"sum({VALUE_LEFT_SQL})")
    valid_until, date_params = _date_sql("min(v.valid_until)")
    # This module's own SQL only; every value is a parameter.
    sql = (
        "(SELECT jsonb_build_object('voucher_count', count(*)::text, "  # noqa: S608
        f"'voucher_total', {total}, 'valid_until', {valid_until}) "
        f"FROM vouchers_voucher AS v WHERE {held})"
    )
    return sql, [*date_params, *held_params]


EXPIRING_VARIABLES = frozenset({"voucher_count", "voucher_total", "expires_on"})
EXTENDED_VARIABLES = frozenset({"voucher_count", "voucher_total", "valid_until"})


def _expiry_audiences_register() -> None:
    AUDIENCES["expiring_holders"] = Audience(
        "Holders of usable vouchers with value left that end on one day",
        ("expires_on",),
        _expiring_holders,
        context=_expiring_context,
        provides=EXPIRING_VARIABLES,
    )
    AUDIENCES["expiring_holders_sms"] = Audience(
        "Holders of usable vouchers with value left that end on one day, without email",
        ("expires_on",),
        _expiring_holders_without_email,
        context=_expiring_context,
        provides=EXPIRING_VARIABLES,
    )
    AUDIENCES["extension_holders"] = Audience(
        "Holders of usable vouchers with value left whose window an extension moved",
        ("extension",),
        _extension_holders,
        context=_extension_context,
        provides=EXTENDED_VARIABLES,
    )
    AUDIENCES["extension_holders_sms"] = Audience(
        "Holders of usable vouchers whose window an extension moved, without email",
        ("extension",),
        _extension_holders_without_email,
        context=_extension_context,
        provides=EXTENDED_VARIABLES,
    )


def audiences_register() -> None:
    _expiry_audiences_register()
    AUDIENCES["run_holders"] = Audience(
        "Holders of vouchers from one issuance run",
        ("run",),
        _holders,
        context=_holder_context,
        provides=HOLDER_VARIABLES,
        on_sent=run_holders_delivered,
    )
    AUDIENCES["run_holders_sms"] = Audience(
        "Holders of vouchers from one issuance run who have no email address",
        ("run",),
        _holders_without_email,
        context=_holder_context,
        provides=HOLDER_VARIABLES,
        on_sent=run_holders_delivered,
    )
