"""The campaign audiences vouchers gives notifications (registered in VouchersConfig.ready:
notifications never imports vouchers). "Holders of vouchers from run X": one notice per person
who holds a live voucher of the run, with their own count, total and dates, and once the
notice is sent their awards from the run are marked delivered."""

from __future__ import annotations

from django.conf import settings

from compensation.engine.money import money_exponent
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
    'voucher_total', to_char(sum(v.amount_minor)::numeric / %s, %s) || ' ' || %s,
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
    """voucher_count, voucher_total (as money_format writes it: 50,000 KRW), valid_from (the
    earliest start) and valid_until (the earliest end: nobody is told a later date than one of
    their vouchers really has; empty when none ends)."""
    currency = Program.objects.values_list("currency", flat=True).get(pk=program_id)
    exponent = money_exponent(currency)
    number_format = "FM999,999,999,999,999,990" + ("." + "0" * exponent if exponent else "")
    valid_from, from_params = _date_sql("min(coalesce(v.valid_from, v.issued_at))")
    valid_until, until_params = _date_sql("min(v.valid_until)")
    sql = _CONTEXT_SQL.format(valid_from=valid_from, valid_until=valid_until, held=_HELD)
    return sql, [
        10**exponent,
        number_format,
        currency,
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


def audiences_register() -> None:
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
