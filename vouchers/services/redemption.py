"""Validate, redeem and reverse, for integrating services.

Exactly once: a redeem is one conditional UPDATE (issued, in scope, inside its window; a
frozen voucher is not 'issued') that must touch one row, backed by the unique live
redemption. Every refusal looks the same to the caller; the reason goes to the staff log
with the voucher's id, never the code. An Idempotency-Key makes a retry return the first
answer: a redeem records the key with its answer in the very statement that spends the
voucher (a reverse inserts it first in its transaction), so a concurrent retry waits at the
key's unique index for that transaction, fails, and replays the first answer. The answer is
kept as the very text that was sent (answer_render), so a replay is the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.services import audit_record
from config.db import violated_constraint
from config.problems import problem_body, problem_of
from config.ratelimit import RateLimitUnavailable
from vouchers.errors import CodeMalformed, IdempotencyMismatch, Throttled, VoucherUnusable
from vouchers.models import IdempotencyRecord, Redemption, ServiceKey, Voucher
from vouchers.services import throttle
from vouchers.services.codes import code_hash_candidates, code_normalize, keyring
from vouchers.services.freeze_marks import voucher_state_now, voucher_usable_sql

logger = logging.getLogger("vouchers.redemption")

# One answer for wrong, unknown, used, frozen, void, other-service and out-of-window codes:
# there is no usable voucher with this code (404), whatever the reason, which only staff see.
# The bodies are kept as idempotent answers and replayed: the API's one problem shape.
UNUSABLE_STATUS = VoucherUnusable.status
UNUSABLE_BODY = problem_of(VoucherUnusable("-"))
NOT_FOUND_BODY = problem_body(
    status=404,
    code="redemption_not_found",
    title="Redemption not found",
    detail="No live or reversed redemption with this id belongs to your service.",
)

# The conditional update and the live redemption in one statement (one round trip): the row
# is spent and its redemption written together, or neither. {usable}: issued (or marked only
# by a lifted freeze) and held by no active freeze of its run or window, which takes effect
# before its per-voucher marks are written (vouchers/services/freeze_marks.py).
_REDEEM_SQL = """
WITH spent AS (
    UPDATE vouchers_voucher SET state = 'redeemed', state_changed_at = %(now)s
    WHERE code_hash = ANY(%(hashes)s) AND {usable} AND service_scope = %(scope)s
      AND (valid_from IS NULL OR valid_from <= %(now)s)
      AND (valid_until IS NULL OR valid_until > %(now)s)
    RETURNING id, amount_minor, currency, program_id
), redeemed AS (
    INSERT INTO vouchers_redemption (public_id, voucher_id, service_key_id, order_reference,
        customer_ref, amount_minor, currency, status, created_at, reverse_reason)
    SELECT %(public_id)s, id, %(key)s, %(order)s, %(customer)s, amount_minor, currency, 'live',
        %(now)s, ''
    FROM spent
    RETURNING id, voucher_id, amount_minor, currency
){answer_cte}
SELECT r.id, r.voucher_id, r.amount_minor, r.currency, {answer_column}, s.program_id
FROM redeemed AS r JOIN spent AS s ON s.id = r.voucher_id
"""
# With an Idempotency-Key, the same statement records the key with its answer (201 and the
# redemption, or the uniform refusal). No ON CONFLICT: a key already used, or being used by
# a transaction still running, makes the unique index wait for that transaction and then
# fail the whole statement, so nothing of this attempt stays, and the caller replays the
# first answer (or refuses other content under the same key).
_REDEEM_ANSWER_CTE = """, answered AS (
    INSERT INTO vouchers_idempotencyrecord (service_key_id, key, operation, request_hash,
        response_status, response_body, created_at)
    SELECT %(key)s, %(idempotency_key)s, 'redeem', %(request_hash)s,
        CASE WHEN r.id IS NULL THEN %(refused_status)s ELSE 201 END,
        CASE WHEN r.id IS NULL THEN %(refused_body)s
             ELSE format(%(redeemed_body)s, r.amount_minor, to_json(r.currency))
        END,
        now()
    FROM (SELECT 1) AS one LEFT JOIN redeemed AS r ON true
    RETURNING response_body
)"""
_USABLE = voucher_usable_sql("vouchers_voucher")
_REDEEM_PLAIN = _REDEEM_SQL.format(answer_cte="", answer_column="NULL", usable=_USABLE)
_REDEEM_ANSWERED = _REDEEM_SQL.format(
    answer_cte=_REDEEM_ANSWER_CTE,
    answer_column="(SELECT response_body FROM answered)",
    usable=_USABLE,
)
# The members of a redemption's body that only the voucher row knows, as format()'s
# positional arguments in the statement above.
_REDEEMED_SLOTS = {"amount_minor": "%1$s", "currency": "%2$s"}
IDEMPOTENCY_CONSTRAINT = "idempotency_key_unique"


def answer_render(body: Any) -> str:
    """The JSON text of an answer, as sent and as kept for replays (compact, UTF-8)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _answer_template(body: dict[str, Any], slots: dict[str, str]) -> str:
    """answer_render(body) for format(), with each slot's member value replaced by its
    placeholder (so the statement fills in what only the database knows)."""
    members = []
    for name, value in body.items():
        rendered = slots[name] if name in slots else answer_render(value).replace("%", "%%")
        members.append(answer_render(name).replace("%", "%%") + ":" + rendered)
    return "{" + ",".join(members) + "}"


@dataclass(frozen=True)
class Answer:
    """What the API answers: the status, the body and its text (`content`, what is sent),
    kept as the first answer for retries."""

    status: int
    body: dict[str, Any]
    replayed: bool = False
    content: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content:
            object.__setattr__(self, "content", answer_render(self.body))


def _voucher_find(symbols: str) -> Voucher | None:
    return Voucher.objects.filter(code_hash__in=code_hash_candidates(symbols)).first()


def _refusal_reason(voucher: Voucher | None, scope: str, now: dt.datetime) -> str:
    if voucher is None:
        return "unknown"
    state = voucher_state_now(voucher)  # a run's freeze holds it before its mark is written
    if state != Voucher.State.ISSUED:
        return state  # redeemed, frozen, void
    if voucher.service_scope != scope:
        return "other_service"
    if voucher.valid_from and voucher.valid_from > now:
        return "not_yet_valid"
    if voucher.valid_until and voucher.valid_until <= now:
        return "expired"
    return "lost_race"


def _refuse(
    service_key: ServiceKey, customer_ref: str, reason: str, voucher_id: int | None = None
) -> VoucherUnusable:
    """The uniform refusal, once the throttle took it: only a guess counts (a code that
    exists, or a lost race, does not); Throttled instead when there is no room left."""
    throttle.attempt_settle(
        service_key_id=service_key.pk,
        customer_ref=customer_ref,
        guessed=reason in throttle.GUESSING,
    )
    # Staff log: the reason and the voucher's id, never the code or the customer.
    logger.info(
        "voucher refused: reason=%s voucher=%s service_key=%s",
        reason,
        voucher_id or "-",
        service_key.prefix,
    )
    return VoucherUnusable(reason)


def voucher_validate(*, service_key: ServiceKey, code: str, customer_ref: str = "") -> dict:
    """What a cart needs to know about a code it may redeem now. Raises VoucherUnusable
    (the same for every reason) or Throttled; changes nothing but the failure counters."""
    throttle.attempts_check(service_key_id=service_key.pk, customer_ref=customer_ref)
    now = timezone.now()
    try:
        symbols = code_normalize(code)
    except CodeMalformed:
        raise _refuse(service_key, customer_ref, "malformed") from None
    voucher = _voucher_find(symbols)
    reason = _refusal_reason(voucher, service_key.service_scope, now)
    if voucher is None or reason != "lost_race":
        raise _refuse(service_key, customer_ref, reason, voucher.pk if voucher else None)
    throttle.attempt_settle(service_key_id=service_key.pk, customer_ref=customer_ref, guessed=False)
    return {
        "valid": True,
        "last4": voucher.last4,
        "service_scope": voucher.service_scope,
        "amount_minor": voucher.amount_minor,
        "currency": voucher.currency,
        "valid_until": voucher.valid_until.isoformat() if voucher.valid_until else None,
    }


def _request_hash(operation: str, **fields: str) -> bytes:
    ring = keyring()
    canonical = json.dumps({"op": operation, **fields}, sort_keys=True).encode()
    return hmac.digest(ring.hash_keys[ring.hash_version], canonical, "sha256")


def _replay(record: IdempotencyRecord, request_hash: bytes) -> Answer:
    if not hmac.compare_digest(bytes(record.request_hash), request_hash):
        raise IdempotencyMismatch(
            "This Idempotency-Key was used for a different request; use a new key."
        )
    text = record.response_body
    return Answer(status=record.response_status, body=json.loads(text), replayed=True, content=text)


def _idempotency_claim(
    service_key: ServiceKey, key: str, operation: str, request_hash: bytes
) -> IdempotencyRecord | None:
    """Insert the key's row in the current transaction. Returns the earlier record when the
    key was already used (after its transaction committed), or None when this call owns it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO vouchers_idempotencyrecord (service_key_id, key, operation, "
            "request_hash, response_status, response_body, created_at) "
            "VALUES (%s, %s, %s, %s, 0, '', now()) "
            "ON CONFLICT (service_key_id, key) DO NOTHING RETURNING id",
            [service_key.pk, key, operation, request_hash],
        )
        if cursor.fetchone() is not None:
            return None
    return IdempotencyRecord.objects.get(service_key=service_key, key=key)


def _idempotency_store(service_key: ServiceKey, key: str | None, answer: Answer) -> None:
    if key:
        IdempotencyRecord.objects.filter(service_key=service_key, key=key).update(
            response_status=answer.status, response_body=answer.content
        )


def _earlier_answer(service_key: ServiceKey, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(service_key=service_key, key=key).first()


def voucher_redeem(
    *,
    service_key: ServiceKey,
    code: str,
    order_reference: str,
    customer_ref: str = "",
    idempotency_key: str | None = None,
) -> Answer:
    """Redeem a code for an order, exactly once. Returns the answer (201 with the
    redemption, or 404 with the uniform refusal); a retry with the same Idempotency-Key
    returns the first answer, with other content raises IdempotencyMismatch. Raises Throttled
    when the customer's (or key's) failed attempts or the key's circuit are used up, before
    touching anything, or, when they were used up meanwhile, rolling back what it did (a
    retry of a request already answered still gets its first answer).

    Round trips: the throttle read (Redis), then one transaction: the redeem statement
    (conditional update, live redemption and, with a key, the key and its answer text), the
    throttle's settle (Redis: a guess takes its place atomically) and the audit row."""
    request_hash = _request_hash(
        "redeem", code=code.strip(), order=order_reference, customer=customer_ref
    )
    try:
        throttle.attempts_check(service_key_id=service_key.pk, customer_ref=customer_ref)
    except (Throttled, RateLimitUnavailable):
        # A retry of an answered request is not a new attempt: it gets its first answer
        # (also while Redis is down; a new attempt then fails closed).
        earlier = _earlier_answer(service_key, idempotency_key) if idempotency_key else None
        if earlier is not None:
            return _replay(earlier, request_hash)
        raise
    try:
        symbols = code_normalize(code)
    except CodeMalformed:
        symbols = None
    try:
        return _redeem_once(
            service_key=service_key,
            symbols=symbols,
            order_reference=order_reference,
            customer_ref=customer_ref,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
        )
    except IntegrityError as exc:
        if not (idempotency_key and violated_constraint(exc) == IDEMPOTENCY_CONSTRAINT):
            raise
        # The key was used first by another request (committed now): its answer, not ours.
        earlier = _earlier_answer(service_key, idempotency_key)
        if earlier is None:
            raise
        return _replay(earlier, request_hash)


def _redeem_once(
    *,
    service_key: ServiceKey,
    symbols: str | None,
    order_reference: str,
    customer_ref: str,
    idempotency_key: str | None,
    request_hash: bytes,
) -> Answer:
    now = timezone.now()
    public_id = uuid.uuid4()
    redemption = Redemption(
        public_id=public_id,
        service_key=service_key,
        order_reference=order_reference,
        customer_ref=customer_ref,
        created_at=now,
    )
    with transaction.atomic(durable=True):
        row = None
        if symbols:
            params: dict[str, Any] = {
                "now": now,
                "hashes": code_hash_candidates(symbols),
                "scope": service_key.service_scope,
                "public_id": public_id,
                "key": service_key.pk,
                "order": order_reference,
                "customer": customer_ref,
            }
            sql = _REDEEM_PLAIN
            if idempotency_key:
                sql = _REDEEM_ANSWERED
                # The text the API answers, less what only the voucher row knows.
                params |= {
                    "idempotency_key": idempotency_key,
                    "request_hash": request_hash,
                    "refused_status": UNUSABLE_STATUS,
                    "refused_body": answer_render(UNUSABLE_BODY),
                    "redeemed_body": _answer_template(
                        redemption_body(redemption, service_key), _REDEEMED_SLOTS
                    ),
                }
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
        elif idempotency_key:
            _idempotency_answer(
                service_key, idempotency_key, "redeem", request_hash, UNUSABLE_STATUS, UNUSABLE_BODY
            )
        if row is None:
            # The reason is for the staff log only (read after the update found nothing).
            voucher = _voucher_find(symbols) if symbols else None
            reason = (
                _refusal_reason(voucher, service_key.service_scope, now) if symbols else "malformed"
            )
            # In the transaction: a refusal the throttle turns into 429 keeps no answer.
            _refuse(service_key, customer_ref, reason, voucher.pk if voucher else None)
            return Answer(status=UNUSABLE_STATUS, body=UNUSABLE_BODY)
        # Checked before the commit: once the budget is used up even a right code is refused,
        # and nothing of it stays.
        throttle.attempt_settle(
            service_key_id=service_key.pk, customer_ref=customer_ref, guessed=False
        )
        redemption.pk, redemption.voucher_id, redemption.amount_minor, redemption.currency = row[:4]
        content = row[4] or ""  # the kept text, when there is a key: exactly what is sent
        audit_record(
            action="voucher.redeem",
            object_type="vouchers.voucher",
            object_id=str(redemption.voucher_id),
            program_id=row[5],  # from the statement: no look-up on the hot path
            actor_label=f"service:{service_key.prefix}",
            after={"redemption": redemption.public_id, "order": order_reference},
        )
    body = redemption_body(redemption, service_key)
    return Answer(status=201, body=body, content=content)


def _idempotency_answer(
    service_key: ServiceKey,
    key: str,
    operation: str,
    request_hash: bytes,
    status: int,
    body: dict[str, Any],
) -> None:
    """Record a key with its answer in one INSERT (no ON CONFLICT: a used key fails the
    transaction, and the caller replays the first answer)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO vouchers_idempotencyrecord (service_key_id, key, operation, "
            "request_hash, response_status, response_body, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, now())",
            [service_key.pk, key, operation, request_hash, status, answer_render(body)],
        )


def redemption_body(redemption: Redemption, service_key: ServiceKey) -> dict:
    return {
        "redemption_id": str(redemption.public_id),
        "status": redemption.status,
        "order_reference": redemption.order_reference,
        "amount_minor": redemption.amount_minor,
        "currency": redemption.currency,
        "service_scope": service_key.service_scope,
        "redeemed_at": redemption.created_at.isoformat(),
        "reversed_at": redemption.reversed_at.isoformat() if redemption.reversed_at else None,
    }


def redemption_reverse(
    *,
    service_key: ServiceKey,
    redemption_id: str,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Answer:
    """Reverse a redemption on refund: the voucher is usable again (or frozen, if a freeze
    caught it while it was redeemed). Only a key of the same service may reverse; reversing
    twice changes nothing the second time and answers the same."""
    request_hash = _request_hash("reverse", redemption=str(redemption_id), reason=reason)
    with transaction.atomic(durable=True):
        if idempotency_key:
            earlier = _idempotency_claim(service_key, idempotency_key, "reverse", request_hash)
            if earlier is not None:
                return _replay(earlier, request_hash)
        redemption = (
            Redemption.objects.select_for_update()
            .filter(public_id=redemption_id, service_key__service_scope=service_key.service_scope)
            .first()
        )
        if redemption is None:
            answer = Answer(status=404, body=NOT_FOUND_BODY)
        else:
            if redemption.status == Redemption.Status.LIVE:
                redemption.status = Redemption.Status.REVERSED
                redemption.reversed_at = timezone.now()
                redemption.reverse_reason = reason[:200]
                redemption.save(update_fields=["status", "reversed_at", "reverse_reason"])
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE vouchers_voucher SET state = CASE WHEN freeze_id IS NULL "
                        "THEN 'issued' ELSE 'frozen' END, state_changed_at = now() "
                        "WHERE id = %s AND state = 'redeemed' RETURNING program_id",
                        [redemption.voucher_id],
                    )
                    restored = cursor.fetchone()
                audit_record(
                    action="voucher.reverse",
                    object_type="vouchers.voucher",
                    object_id=str(redemption.voucher_id),
                    program_id=restored[0] if restored else None,
                    actor_label=f"service:{service_key.prefix}",
                    after={"redemption": redemption.public_id, "reason": reason[:200]},
                )
            answer = Answer(status=200, body=redemption_body(redemption, service_key))
        _idempotency_store(service_key, idempotency_key, answer)
    return answer
