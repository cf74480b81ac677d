"""The payout notices (PAYOUT_PAID, PAYOUT_FAILED), created set-based for the payouts one
settle call just settled.

Each person's notice is in their language: the method text ("Bank transfer to ****1234") is
translated here once per language and filled in by PostgreSQL, the amounts are formatted by
money_format once per distinct amount and language and joined in, so a batch of a million
payouts costs one INSERT ... SELECT per kind, not a million Python calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from compensation.engine.money import money_format
from compensation.models.choices import Language
from notifications.models import Notice
from notifications.services import notices_enqueue_select
from payouts.methods import Method

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What the notice says about how the person was (or was to be) paid.
METHOD_TEXTS: dict[str, StrOrPromise] = {
    Method.BANK_TRANSFER: _("Bank transfer to %(account)s"),
    Method.ACCOUNT_CREDIT: _("Credit to your account at the service (%(account)s)"),
    Method.VOUCHER: _("A voucher for the amount"),
}
_ACCOUNT = "\x1eaccount\x1e"  # stands for the masked account in a translated text

# The settled payouts (`{settled}`, made by payouts/services/settle.py), joined to the
# instruction that says where and in which language to write, with the texts per language
# and per amount given as arrays.
_SELECT = """
SELECT i.notify_email, l.language,
       jsonb_build_object(
           'claim_reference', i.claim_reference,
           'amount', f.amount_text,
           'method', replace(l.method_text, %(account_token)s, '****' || i.details_last4),
           {extra}
       ),
       s.program_id, a.person_id, 'payout:' || s.reference || ':' || %(dedupe)s
FROM {settled} s
JOIN payouts_payoutinstruction i ON i.id = s.instruction_id
JOIN compensation_award a ON a.id = s.award_id
JOIN unnest(%(text_languages)s::text[], %(method_texts)s::text[]) AS l (language, method_text)
  ON l.language = CASE WHEN i.language = ANY(%(text_languages)s) THEN i.language ELSE 'ko' END
JOIN unnest(%(amounts)s::bigint[], %(currencies)s::text[], %(amount_languages)s::text[],
            %(amount_texts)s::text[])
  AS f (amount_minor, currency, language, amount_text)
  ON f.amount_minor = s.amount_minor AND f.currency = s.currency AND f.language = l.language
WHERE s.status = ANY(%(statuses)s)
"""

_PAID_EXTRA = """'paid_on', to_char(s.settled_at AT TIME ZONE %(time_zone)s, 'YYYY-MM-DD'),
           'claim_url', %(claims_url)s || i.claim_reference || '/'"""
_FAILED_EXTRA = """'fix_url', %(claims_url)s || i.claim_reference || '/payment/'"""


def _method_texts(method: str) -> tuple[list[str], list[str]]:
    languages, texts = [], []
    for language in Language.values:
        with translation.override(language):
            text = str(METHOD_TEXTS.get(method, METHOD_TEXTS[Method.BANK_TRANSFER]))
        languages.append(language)
        texts.append(text % {"account": _ACCOUNT} if "%(account)s" in text else text)
    return languages, texts


def _amounts(
    settled: str, statuses: list[str]
) -> tuple[list[int], list[str], list[str], list[str]]:
    """Each distinct amount of the rows, written in each language."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT amount_minor, currency FROM {settled} WHERE status = ANY(%s)",  # noqa: S608 (our table)
            [statuses],
        )
        rows = [(*row, language) for row in cursor.fetchall() for language in Language.values]
    return (
        [amount for amount, _currency, _language in rows],
        [currency for _amount, currency, _language in rows],
        [language for _amount, _currency, language in rows],
        [money_format(amount, currency, language) for amount, currency, language in rows],
    )


def payout_notices_enqueue(*, settled: str, program_slug: str, method: str) -> tuple[int, int]:
    """Create the PAYOUT_PAID notices of the paid rows of the `settled` table and the
    PAYOUT_FAILED ones of its failed and returned rows, in the caller's transaction (which
    is the settle's). `settled` is the settle's own temporary table, never input. Returns
    (paid notices, failed notices) created; a person without an address gets none, and a
    payout notified before (dedupe key payout:<reference>:paid|failed) gets no second one."""
    claims_url = settings.NOTIFICATIONS_SITE_URL.rstrip("/") + f"/programs/{program_slug}/claims/"
    languages, texts = _method_texts(method)
    created = []
    for kind, statuses, dedupe, extra, priority in (
        ("payout_paid", ["paid"], "paid", _PAID_EXTRA, Notice.Priority.BULK),
        # A failure asks the person to act: it goes before bulk mail.
        (
            "payout_failed",
            ["failed", "returned"],
            "failed",
            _FAILED_EXTRA,
            Notice.Priority.TRANSACTIONAL,
        ),
    ):
        amounts, currencies, amount_languages, amount_texts = _amounts(settled, statuses)
        if not amounts:
            created.append(0)
            continue
        created.append(
            notices_enqueue_select(
                kind=kind,
                channel="email",
                select=_SELECT.format(settled=settled, extra=extra),
                params={
                    "account_token": _ACCOUNT,
                    "dedupe": dedupe,
                    "text_languages": languages,
                    "method_texts": texts,
                    "amounts": amounts,
                    "currencies": currencies,
                    "amount_languages": amount_languages,
                    "amount_texts": amount_texts,
                    "statuses": statuses,
                    "time_zone": settings.TIME_ZONE,
                    "claims_url": claims_url,
                },
                priority=priority,
            )
        )
    return created[0], created[1]
