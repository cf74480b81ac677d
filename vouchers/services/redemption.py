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

from audit.services import AUDIT_INSERT_SQL, audit_record
from compensation.models import AwardLine
from compensation.models.choices import RedemptionMode
from config.db import violated_constraint
from config.problems import problem_body, problem_of
from config.ratelimit import RateLimitUnavailable
from vouchers.errors import (
    CodeMalformed,
    IdempotencyMismatch,
    Throttled,
    VoucherConditionUnmet,
    VoucherUnusable,
)
from vouchers.models import IdempotencyRecord, Redemption, ServiceKey, Voucher
from vouchers.services import throttle
from vouchers.services.binding import (
    account_hash_params,
    account_hash_sql,
    account_ref_hash,
    voucher_ref_open,
)
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
#
# `target` locks the voucher and reads its balance as committed (READ COMMITTED re-reads a
# row another redeem changed meanwhile and checks every condition again), so two partial
# redemptions of one voucher queue on its row and each takes from what the other left; the
# conditions of its award line (minimum per segment, excluded categories, binding to the
# holder's account) are read by the same statement, from the line and the holder's row.
_REDEEM_SQL = """
WITH target AS (
    SELECT v.id, coalesce(v.balance_minor, v.amount_minor) AS before,
           l.redemption_mode IS NOT DISTINCT FROM 'partial' AS partial,
           coalesce(l.bound_to_account, false) AS bound
    FROM vouchers_voucher v
    JOIN compensation_award a ON a.id = v.award_id
    LEFT JOIN compensation_awardline l ON l.id = a.award_line_id
    JOIN compensation_affectedperson p ON p.id = v.person_id
    WHERE {match} AND {usable} AND v.service_scope = %(scope)s
      AND (v.valid_from IS NULL OR v.valid_from <= %(now)s)
      AND (v.valid_until IS NULL OR v.valid_until > %(now)s)
      AND coalesce(v.balance_minor, v.amount_minor) > 0
      AND coalesce(%(order_amount)s::bigint, 0) >= coalesce(
          (l.min_order_by_segment ->> p.segment)::bigint, l.min_order_minor, 0)
      AND NOT coalesce(l.excluded_categories && %(categories)s::varchar(40)[], false)
      AND (NOT coalesce(l.bound_to_account, false) OR {owner_hash} = %(customer_hash)s)
    FOR UPDATE OF v
), applied AS (
    SELECT id, before, partial, bound,
           least(coalesce(%(order_amount)s::bigint, before), before) AS applied
    FROM target
), spent AS (
    UPDATE vouchers_voucher v
    SET balance_minor = CASE WHEN x.partial THEN x.before - x.applied ELSE v.balance_minor END,
        state = CASE WHEN x.partial AND x.before > x.applied THEN v.state ELSE 'redeemed' END,
        state_changed_at = %(now)s
    FROM applied x WHERE v.id = x.id
    RETURNING v.id, x.applied,
        CASE WHEN x.partial THEN 0 ELSE x.before - x.applied END AS forfeited,
        CASE WHEN x.partial THEN x.before - x.applied END AS balance_after,
        x.bound, v.currency, v.program_id
), redeemed AS (
    INSERT INTO vouchers_redemption (public_id, voucher_id, service_key_id, order_reference,
        customer_ref, amount_minor, order_amount_minor, forfeited_minor, balance_after_minor,
        currency, status, created_at, reverse_reason)
    SELECT %(public_id)s, id, %(key)s, %(order)s, CASE WHEN bound THEN '' ELSE %(customer)s END,
        applied, %(order_amount)s,
        forfeited, balance_after, currency, 'live', %(now)s, ''
    FROM spent
    RETURNING id, voucher_id, amount_minor, currency, forfeited_minor, balance_after_minor
), audited AS (
    {audit_insert}
){answer_cte}
SELECT r.id, r.voucher_id, r.amount_minor, r.currency, r.forfeited_minor,
       r.balance_after_minor, {answer_column}, s.program_id
FROM redeemed AS r JOIN spent AS s ON s.id = r.voucher_id
"""
# With an Idempotency-Key, the same statement records the key with its answer (201 and the
# redemption, or the uniform refusal). No ON CONFLICT: a key already used, or being used by
# a transaction still running, makes the unique index wait for that transaction and then
# fail the whole statement, so nothing of this attempt stays, and the caller replays the
# first answer (or refuses other content under the same key). A refusal that names a
# condition (below the minimum) replaces the uniform one in the same transaction.
_REDEEM_ANSWER_CTE = """, answered AS (
    INSERT INTO vouchers_idempotencyrecord (service_key_id, key, operation, request_hash,
        response_status, response_body, created_at)
    SELECT %(key)s, %(idempotency_key)s, 'redeem', %(request_hash)s,
        CASE WHEN r.id IS NULL THEN %(refused_status)s ELSE 201 END,
        CASE WHEN r.id IS NULL THEN %(refused_body)s
             ELSE format(%(redeemed_body)s, r.amount_minor, to_json(r.currency),
                         r.forfeited_minor, coalesce(r.balance_after_minor, 0))
        END,
        now()
    FROM (SELECT 1) AS one LEFT JOIN redeemed AS r ON true
    RETURNING response_body
)"""
_USABLE = voucher_usable_sql("v")
_OWNER_HASH = account_hash_sql("p.external_id")
_BY_CODE = "v.code_hash = ANY(%(hashes)s)"
# Auto-apply: the opaque id of the shop list, for bound vouchers only.
_BY_ID = "v.id = %(voucher_id)s AND l.bound_to_account"


# The redeem's audit row, written by the same statement (audit_record's row, in SQL).
_AUDIT_INSERT = AUDIT_INSERT_SQL.format(
    created_at="%(now)s",
    actor_label="%(actor_label)s",
    action="'voucher.redeem'",
    object_type="'vouchers.voucher'",
    object_id="r.voucher_id::text",
    after="jsonb_build_object('redemption', %(public_id)s::text, 'order', %(order)s, "
    "'applied_minor', r.amount_minor, 'forfeited_minor', r.forfeited_minor, "
    "'balance_after_minor', r.balance_after_minor)",
    program_id="s.program_id",
    source="redeemed AS r JOIN spent AS s ON s.id = r.voucher_id",
)


def _redeem_sql(match: str, *, answered: bool) -> str:
    return _REDEEM_SQL.format(
        audit_insert=_AUDIT_INSERT,
        match=match,
        usable=_USABLE,
        owner_hash=_OWNER_HASH,
        answer_cte=_REDEEM_ANSWER_CTE if answered else "",
        answer_column="(SELECT response_body FROM answered)" if answered else "NULL",
    )


_REDEEM_STATEMENTS = {
    (match, answered): _redeem_sql(sql, answered=answered)
    for match, sql in (("code", _BY_CODE), ("id", _BY_ID))
    for answered in (False, True)
}
# The members of a redemption's body that only the voucher row knows, as format()'s
# positional arguments in the statement above.
_REDEEMED_SLOTS = {
    "amount_minor": "%1$s",
    "currency": "%2$s",
    "forfeited_minor": "%3$s",
    "balance_after_minor": "%4$s",
}
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


@dataclass(frozen=True)
class Order:
    """What the service says of the order a voucher would pay for: its amount (None: not
    sent, the whole value applies and a minimum cannot be met) and its category codes."""

    amount_minor: int | None = None
    categories: tuple[str, ...] = ()


def _voucher_find(*, symbols: str | None = None, voucher_id: int | None = None) -> Voucher | None:
    """The voucher of a code (or of an opaque id), with its award line and holder, for the
    refusal's reason and for validate; one query."""
    if symbols:
        found = Voucher.objects.filter(code_hash__in=code_hash_candidates(symbols))
    elif voucher_id:
        found = Voucher.objects.filter(pk=voucher_id)
    else:
        return None
    return found.select_related("award__award_line", "person").first()


def _line(voucher: Voucher) -> AwardLine:
    """The voucher's award line; a voucher paying a claim's award has none, and the
    defaults (single use, no conditions) are its terms, as in the redeem statement."""
    return voucher.award.award_line or AwardLine()


def _owner_matches(voucher: Voucher, customer_ref: str) -> bool:
    if not customer_ref:
        return False
    return hmac.compare_digest(
        account_ref_hash(voucher.person.external_id), account_ref_hash(customer_ref)
    )


def _balance(voucher: Voucher) -> int:
    return voucher.amount_minor if voucher.balance_minor is None else voucher.balance_minor


def _refusal_reason(
    voucher: Voucher | None,
    scope: str,
    now: dt.datetime,
    *,
    customer_ref: str = "",
    by_id: bool = False,
) -> str:
    """Why a voucher cannot be spent, for the staff log: 'lost_race' when nothing but the
    order's conditions (checked after, by _condition_unmet) or another redeem stopped it."""
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
    if _balance(voucher) <= 0:
        return "spent"
    line = _line(voucher)
    if by_id and not line.bound_to_account:
        return "not_bound"  # an opaque id applies only a bound voucher
    if line.bound_to_account and not _owner_matches(voucher, customer_ref):
        return "not_owner"
    return "lost_race"


def _condition_unmet(voucher: Voucher, order: Order) -> VoucherConditionUnmet | None:
    """The refusal naming a condition of the order, for a voucher otherwise usable."""
    line = _line(voucher)
    minimum = line.min_order_for(voucher.person.segment)
    if minimum and (order.amount_minor is None or order.amount_minor < minimum):
        return VoucherConditionUnmet(
            f"This voucher can be used on orders of at least {minimum} (minor units of "
            f"{voucher.currency}); send the order's amount in order_amount_minor.",
            code="order_below_minimum",
            members={"minimum_order_minor": minimum, "currency": voucher.currency},
        )
    excluded = sorted(set(line.excluded_categories) & set(order.categories))
    if excluded:
        return VoucherConditionUnmet(
            "This voucher cannot pay for these categories: " + ", ".join(excluded) + ".",
            code="category_excluded",
            members={"excluded_categories": excluded},
        )
    return None


def _refuse(
    service_key: ServiceKey, customer_ref: str, reason: str, voucher_id: int | None = None
) -> VoucherUnusable:
    """The uniform refusal, once the throttle took it: only a guess counts (a code that
    exists, or a lost race, does not; someone else's bound voucher or a made-up opaque id
    does); Throttled instead when there is no room left."""
    throttle.attempt_settle(
        service_key_id=service_key.pk,
        customer_ref=customer_ref,
        guessed=reason in throttle.GUESSING or reason in _GUESSING_TOO,
    )
    # Staff log: the reason and the voucher's id, never the code or the customer.
    logger.info(
        "voucher refused: reason=%s voucher=%s service_key=%s",
        reason,
        voucher_id or "-",
        service_key.prefix,
    )
    return VoucherUnusable(reason)


_GUESSING_TOO = frozenset({"not_owner", "bad_ref"})


def voucher_terms(voucher: Voucher) -> dict[str, Any]:
    """The conditions of a voucher as the API shows them (validate, the shop list)."""
    line = _line(voucher)
    return {
        "redemption_mode": line.redemption_mode,
        "minimum_order_minor": line.min_order_for(voucher.person.segment),
        "excluded_categories": list(line.excluded_categories),
        "bound_to_account": line.bound_to_account,
    }


def voucher_validate(
    *,
    service_key: ServiceKey,
    code: str = "",
    voucher_ref: str = "",
    customer_ref: str = "",
    order_amount_minor: int | None = None,
    categories: list[str] | None = None,
) -> dict:
    """What a cart needs to know about a code (or a bound voucher's opaque id) it may redeem
    now, and with an order's amount what would be applied and what lost (single use) or
    left (partial). Raises VoucherUnusable (the same for every reason), VoucherConditionUnmet
    (otherwise usable, but not for this order) or Throttled; changes nothing but the
    failure counters."""
    throttle.attempts_check(service_key_id=service_key.pk, customer_ref=customer_ref)
    now = timezone.now()
    order = Order(order_amount_minor, tuple(categories or ()))
    voucher_id = voucher_ref_open(voucher_ref) if voucher_ref else None
    if voucher_ref and voucher_id is None:
        raise _refuse(service_key, customer_ref, "bad_ref")
    symbols = None
    if not voucher_ref:
        try:
            symbols = code_normalize(code)
        except CodeMalformed:
            raise _refuse(service_key, customer_ref, "malformed") from None
    voucher = _voucher_find(symbols=symbols, voucher_id=voucher_id)
    reason = _refusal_reason(
        voucher,
        service_key.service_scope,
        now,
        customer_ref=customer_ref,
        by_id=voucher_id is not None,
    )
    if voucher is None or reason != "lost_race":
        raise _refuse(service_key, customer_ref, reason, voucher.pk if voucher else None)
    throttle.attempt_settle(service_key_id=service_key.pk, customer_ref=customer_ref, guessed=False)
    unmet = _condition_unmet(voucher, order)
    if unmet is not None:
        raise unmet
    balance = _balance(voucher)
    applied = balance if order.amount_minor is None else min(order.amount_minor, balance)
    partial = _line(voucher).redemption_mode == RedemptionMode.PARTIAL
    return {
        "valid": True,
        "last4": voucher.last4,
        "service_scope": voucher.service_scope,
        "amount_minor": voucher.amount_minor,
        "balance_minor": balance,
        "currency": voucher.currency,
        "valid_until": voucher.valid_until.isoformat() if voucher.valid_until else None,
        **voucher_terms(voucher),
        "order_amount_minor": order.amount_minor,
        "applied_minor": applied,
        "forfeited_minor": 0 if partial else balance - applied,
        "balance_after_minor": balance - applied if partial else 0,
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
    code: str = "",
    voucher_ref: str = "",
    order_reference: str,
    customer_ref: str = "",
    order_amount_minor: int | None = None,
    categories: list[str] | None = None,
    idempotency_key: str | None = None,
) -> Answer:
    """Redeem a code (or a bound voucher's opaque id) for an order, exactly once. Returns
    the answer (201 with the redemption; 422 naming the condition an otherwise usable voucher
    does not meet for this order; or 404 with the uniform refusal); a retry with the same
    Idempotency-Key returns the first answer, with other content raises IdempotencyMismatch.
    Raises Throttled when the customer's (or key's) failed attempts or the key's circuit are
    used up, before touching anything, or, when they were used up meanwhile, rolling back
    what it did (a retry of a request already answered still gets its first answer).

    A single-use voucher is spent whole: what the order leaves unused is forfeited (kept on
    the redemption). A partial one gives min(order, balance) and keeps the rest; each part
    is its own redemption row.

    Round trips: the throttle read (Redis), then one transaction: the redeem statement
    (lock, conditional update, live redemption and, with a key, the key and its answer text),
    the throttle's settle (Redis: a guess takes its place atomically) and the audit row."""
    order = Order(order_amount_minor, tuple(sorted(set(categories or ()))))
    # What the request says (the members added with order conditions only when sent, so a
    # retry of a request made before them hashes as it did).
    fields = {"code": code.strip(), "order": order_reference, "customer": customer_ref}
    if voucher_ref:
        fields["voucher_ref"] = voucher_ref.strip()
    if order.amount_minor is not None:
        fields["order_amount"] = str(order.amount_minor)
    if order.categories:
        fields["categories"] = ",".join(order.categories)
    request_hash = _request_hash("redeem", **fields)
    try:
        throttle.attempts_check(service_key_id=service_key.pk, customer_ref=customer_ref)
    except (Throttled, RateLimitUnavailable):
        # A retry of an answered request is not a new attempt: it gets its first answer
        # (also while Redis is down; a new attempt then fails closed).
        earlier = _earlier_answer(service_key, idempotency_key) if idempotency_key else None
        if earlier is not None:
            return _replay(earlier, request_hash)
        raise
    symbols = voucher_id = None
    if voucher_ref:
        voucher_id = voucher_ref_open(voucher_ref)
    else:
        try:
            symbols = code_normalize(code)
        except CodeMalformed:
            symbols = None
    try:
        return _redeem_once(
            service_key=service_key,
            symbols=symbols,
            voucher_id=voucher_id,
            by_id=bool(voucher_ref),
            order_reference=order_reference,
            customer_ref=customer_ref,
            order=order,
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
    voucher_id: int | None,
    by_id: bool,
    order_reference: str,
    customer_ref: str,
    order: Order,
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
        order_amount_minor=order.amount_minor,
        created_at=now,
    )
    with transaction.atomic(durable=True):
        row = None
        if symbols or voucher_id:
            params: dict[str, Any] = {
                "now": now,
                "hashes": code_hash_candidates(symbols) if symbols else [],
                "voucher_id": voucher_id,
                "scope": service_key.service_scope,
                "public_id": public_id,
                "actor_label": f"service:{service_key.prefix}",
                "key": service_key.pk,
                "order": order_reference,
                "customer": customer_ref,
                "order_amount": order.amount_minor,
                "categories": list(order.categories),
                "customer_hash": account_ref_hash(customer_ref) if customer_ref else None,
                **account_hash_params(),
            }
            sql = _REDEEM_STATEMENTS["id" if voucher_id else "code", bool(idempotency_key)]
            if idempotency_key:
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
            voucher = _voucher_find(symbols=symbols, voucher_id=voucher_id)
            if symbols or voucher_id:
                reason = _refusal_reason(
                    voucher,
                    service_key.service_scope,
                    now,
                    customer_ref=customer_ref,
                    by_id=by_id,
                )
            else:
                reason = "bad_ref" if by_id else "malformed"
            unmet = _condition_unmet(voucher, order) if voucher and reason == "lost_race" else None
            if unmet is not None:
                # Otherwise usable: the answer names the condition (not a guess).
                throttle.attempt_settle(
                    service_key_id=service_key.pk, customer_ref=customer_ref, guessed=False
                )
                answer = Answer(status=unmet.status, body=unmet.body())
                _idempotency_store(service_key, idempotency_key, answer)
                return answer
            # In the transaction: a refusal the throttle turns into 429 keeps no answer.
            _refuse(service_key, customer_ref, reason, voucher.pk if voucher else None)
            return Answer(status=UNUSABLE_STATUS, body=UNUSABLE_BODY)
        # Checked before the commit: once the budget is used up even a right code is refused,
        # and nothing of it stays.
        throttle.attempt_settle(
            service_key_id=service_key.pk, customer_ref=customer_ref, guessed=False
        )
        (
            redemption.pk,
            redemption.voucher_id,
            redemption.amount_minor,
            redemption.currency,
            redemption.forfeited_minor,
            redemption.balance_after_minor,
        ) = row[:6]
        content = row[6] or ""  # the kept text, when there is a key: exactly what is sent
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
        "order_amount_minor": redemption.order_amount_minor,
        "forfeited_minor": redemption.forfeited_minor,
        "balance_after_minor": redemption.balance_after_minor or 0,
        "currency": redemption.currency,
        "service_scope": service_key.service_scope,
        "redeemed_at": redemption.created_at.isoformat(),
        "reversed_at": redemption.reversed_at.isoformat() if redemption.reversed_at else None,
    }


# A refund gives back what the redemption took: a spent voucher is usable again (or frozen,
# if a freeze caught it meanwhile), a partial one gets its part back on its balance; one that
# expired meanwhile is usable again for its line's grace period (none: it stays expired).
_REVERSE_SQL = """
UPDATE vouchers_voucher v
SET state = CASE WHEN v.state = 'redeemed'
                 THEN CASE WHEN v.freeze_id IS NULL THEN 'issued' ELSE 'frozen' END
                 ELSE v.state END,
    balance_minor = CASE WHEN %(partial)s
        THEN least(coalesce(v.balance_minor, v.amount_minor) + %(amount)s, v.amount_minor)
        ELSE v.balance_minor END,
    valid_until = CASE WHEN coalesce(l.reversal_grace_days, 0) > 0 AND v.valid_until <= %(now)s
        THEN %(now)s + make_interval(days => l.reversal_grace_days)
        ELSE v.valid_until END,
    state_changed_at = %(now)s
FROM compensation_award a LEFT JOIN compensation_awardline l ON l.id = a.award_line_id
WHERE v.id = %(voucher)s AND a.id = v.award_id
  AND (v.state = 'redeemed' OR (%(partial)s AND v.state IN ('issued', 'frozen')))
RETURNING v.program_id, v.valid_until, coalesce(l.reversal_grace_days, 0) > 0
    AND v.valid_until = %(now)s + make_interval(days => l.reversal_grace_days)
"""


def redemption_reverse(
    *,
    service_key: ServiceKey,
    redemption_id: str,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Answer:
    """Reverse a redemption on refund: the voucher is usable again (or frozen, if a freeze
    caught it while it was redeemed), a partial one gets the part back; after its expiry,
    for its line's grace period (_REVERSE_SQL). Only a key of the same service may reverse;
    reversing twice changes nothing the second time and answers the same."""
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
                        _REVERSE_SQL,
                        {
                            "voucher": redemption.voucher_id,
                            "partial": redemption.balance_after_minor is not None,
                            "amount": redemption.amount_minor,
                            "now": redemption.reversed_at,
                        },
                    )
                    restored = cursor.fetchone()
                after: dict[str, Any] = {
                    "redemption": redemption.public_id,
                    "reason": reason[:200],
                }
                if restored and restored[2]:
                    after["valid_until"] = restored[1]  # given back for the grace period
                audit_record(
                    action="voucher.reverse",
                    object_type="vouchers.voucher",
                    object_id=str(redemption.voucher_id),
                    program_id=restored[0] if restored else None,
                    actor_label=f"service:{service_key.prefix}",
                    after=after,
                )
            answer = Answer(status=200, body=redemption_body(redemption, service_key))
        _idempotency_store(service_key, idempotency_key, answer)
    return answer
