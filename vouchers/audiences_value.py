"""The voucher-state audience vouchers gives notifications (registered in VouchersConfig.ready
next to the run holders of vouchers/audiences.py): "holders of unused value", one notice per
person who holds a voucher of the program that can still be used (issued, not past its end,
with value left), with their own count, the value left and the earliest end among them."""

from __future__ import annotations

from compensation.engine.money import money_sql
from compensation.models import Program
from notifications.audiences import AUDIENCES, Audience, local_date_sql

# A person's usable vouchers of the program, with value left (voucher_person_idx finds them).
_UNUSED = (
    "v.person_id = p.id AND v.program_id = %s AND v.state = 'issued' "
    "AND (v.valid_until IS NULL OR v.valid_until > now()) "
    "AND coalesce(v.balance_minor, v.amount_minor) > 0"
)

_CONTEXT_SQL = """(SELECT jsonb_build_object(
    'voucher_count', count(*)::text,
    'voucher_total', {voucher_total},
    'expires_on', coalesce({valid_until}, ''))
FROM vouchers_voucher AS v WHERE {unused})"""


def _unused(program_id: int, params: dict) -> tuple[str, list]:
    return (
        # Only this module's own SQL is put in; every value is a parameter.
        f"p.program_id = %s AND EXISTS (SELECT 1 FROM vouchers_voucher AS v WHERE {_UNUSED})",  # noqa: S608
        [program_id, program_id],
    )


def _unused_context(program_id: int, params: dict) -> tuple[str, list]:
    """voucher_count, voucher_total (the value left, as money_format writes it) and
    expires_on (the earliest end among them, in the person's language; empty when none
    ends)."""
    currency = Program.objects.values_list("currency", flat=True).get(pk=program_id)
    total = money_sql("sum(coalesce(v.balance_minor, v.amount_minor))", currency, "p.language")
    valid_until, until_params = local_date_sql("min(v.valid_until)")
    sql = _CONTEXT_SQL.format(voucher_total=total, valid_until=valid_until, unused=_UNUSED)
    return sql, [*until_params, program_id]


def audiences_value_register() -> None:
    AUDIENCES["unused_value_holders"] = Audience(
        "Holders of vouchers of the program with unused value",
        (),
        _unused,
        context=_unused_context,
        provides=frozenset({"voucher_count", "voucher_total", "expires_on"}),
    )
