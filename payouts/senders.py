"""The provider methods' senders (registered in SENDERS by PayoutsConfig.ready()).

Each takes (program id, [SendItem]) and answers every item once: paid (with the provider's
reference), failed (with a code: the person is told and can correct their details) or retry
(try the same payout again later, with the same idempotency key). A sender that cannot send
at all raises SendRefused: the chunk waits and nobody is failed for our side's problem.

Account credit (`account_credit`): one JSON POST per payout to PAYOUTS_CREDIT_HTTP_URL over
one keep-alive connection per chunk, `Authorization: Bearer PAYOUTS_CREDIT_HTTP_TOKEN`,
`Idempotency-Key: <payout reference>`, body {amount_minor, currency, customer_ref,
reference}. One payout a request, so each answer is about one payout and the key is the
provider's unit of deduplication.
- 2xx: paid; the provider's reference is the body's "id" (or "reference"), else the payout's.
- 408, 409 (the same key still in progress), 425, 429, 5xx, a timeout or a broken connection:
  retry. The first of these in a chunk stops the chunk's calls (the rest are answered retry
  without a call), so an outage costs one timeout a chunk, not one a payout.
- 401, 403, 404, 405, 407 and 3xx: our credentials or address are wrong, not the person's
  details: SendRefused, the chunk waits.
- any other 4xx: failed, code `credit_refused_<status>` (an unknown customer, say).
The customer reference and the body are never logged; only statuses are kept.

With PAYOUTS_CREDIT_HTTP_URL unset the sender refuses (SendRefused naming the setting): a
released batch waits instead of failing its payouts, and `manage.py migrate` reports every
program that offers the method (payouts/apps.py, check payouts.E001).

Voucher (`voucher`): a voucher of the award's amount, issued by the vouchers app through
compensation's AWARD_VOUCHER_ISSUE registry in the chunk's transaction (so the voucher exists
if and only if the payout is recorded paid; a re-sent chunk finds the award's live voucher,
unique voucher_one_live_per_award). A voucher belongs to an affected person: a claimant with
no affected record (award.person is null, a good-faith buyer) cannot hold one, and the payout
fails with `voucher_needs_record`, telling them to choose another method.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Callable

from django.conf import settings

from compensation.models import Award
from compensation.registry import AWARD_VOUCHER_ISSUE
from payouts.methods import SENDERS, Method, SendItem, SendResult
from payouts.services.sending import SendRefused

_RETRY_STATUSES = {408, 409, 425, 429}
_OUR_FAULT_STATUSES = {401, 403, 404, 405, 407}


class CreditClient:
    """One keep-alive connection to the account-credit service, for one chunk."""

    def __init__(self) -> None:
        if not settings.PAYOUTS_CREDIT_HTTP_URL:
            raise SendRefused(
                "PAYOUTS_CREDIT_HTTP_URL is not set: account credit cannot be sent. Set it "
                "(and PAYOUTS_CREDIT_HTTP_TOKEN); the batch is sent when the sweep next runs."
            )
        url = urllib.parse.urlsplit(settings.PAYOUTS_CREDIT_HTTP_URL)
        self.scheme, self.host = url.scheme, url.netloc
        self.path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.connection is None:
            cls = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            self.connection = cls(self.host, timeout=settings.PAYOUTS_CREDIT_HTTP_TIMEOUT)
        return self.connection

    def credit(self, item: SendItem) -> SendResult:
        customer_ref = item.details.get("customer_ref", "")
        if not customer_ref:
            return SendResult(item.payout_id, "failed", failure_code="customer_ref_missing")
        payload = json.dumps(
            {
                "amount_minor": item.amount_minor,
                "currency": item.currency,
                "customer_ref": customer_ref,
                "reference": item.reference,
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.PAYOUTS_CREDIT_HTTP_TOKEN}",
            "Idempotency-Key": item.reference,
        }
        connection = self._connection()
        try:
            connection.request("POST", self.path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return SendResult(item.payout_id, "retry")
        status = response.status
        if 200 <= status < 300:
            return SendResult(item.payout_id, "paid", provider_reference=_reference(raw, item))
        if status in _RETRY_STATUSES or status >= 500:
            return SendResult(item.payout_id, "retry")
        if status in _OUR_FAULT_STATUSES or status < 400:
            raise SendRefused(
                f"The account-credit service answered {status}: check PAYOUTS_CREDIT_HTTP_URL "
                "and PAYOUTS_CREDIT_HTTP_TOKEN."
            )
        return SendResult(item.payout_id, "failed", failure_code=f"credit_refused_{status}")


def _reference(raw: bytes, item: SendItem) -> str:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = {}
    found = (body.get("id") or body.get("reference")) if isinstance(body, dict) else None
    return str(found or item.reference)[:80]


def account_credit_send(program_id: int, items: list[SendItem]) -> list[SendResult]:
    client = CreditClient()
    results: list[SendResult] = []
    try:
        for item in items:
            if results and results[-1].outcome == "retry":
                # The service is down or busy: the rest of the chunk waits with it.
                results.append(SendResult(item.payout_id, "retry"))
                continue
            results.append(client.credit(item))
    finally:
        client.close()
    return results


def _voucher_issuer() -> Callable[[int], str | None]:
    issue = AWARD_VOUCHER_ISSUE.get("vouchers")
    if issue is None:
        raise SendRefused("No voucher issuer is registered (the vouchers app is not installed).")
    return issue


def voucher_send(program_id: int, items: list[SendItem]) -> list[SendResult]:
    issue = _voucher_issuer()
    people = dict(
        Award.objects.filter(pk__in=[item.award_id for item in items]).values_list(
            "pk", "person_id"
        )
    )
    results = []
    for item in items:
        if people.get(item.award_id) is None:
            results.append(
                SendResult(item.payout_id, "failed", failure_code="voucher_needs_record")
            )
            continue
        reference = issue(item.award_id)
        if reference is None:
            # The program has no voucher service, or its vouchers' validity has ended.
            results.append(SendResult(item.payout_id, "failed", failure_code="voucher_not_issued"))
        else:
            results.append(SendResult(item.payout_id, "paid", provider_reference=reference))
    return results


def senders_register() -> None:
    SENDERS[Method.ACCOUNT_CREDIT] = account_credit_send
    SENDERS[Method.VOUCHER] = voucher_send
