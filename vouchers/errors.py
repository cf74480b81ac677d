from config.errors import DomainError


class VoucherError(DomainError):
    """A domain error of the vouchers app, with a message fit for the person who acted and a
    stable code for the API."""

    code = "voucher_error"


class CodeMalformed(VoucherError):
    code = "code_malformed"


class VoucherUnusable(VoucherError):
    """Wrong, unknown, used, frozen, void, out of scope or outside its window: the caller is
    told only this; the real reason is in `reason` for the staff log."""

    code = "voucher_unusable"
    status = 404
    title = "No usable voucher has this code"
    MESSAGE = "This voucher code cannot be used."

    def __init__(self, reason: str):
        super().__init__(self.MESSAGE)
        self.reason = reason
        self.voucher_id: int | None = None


class IdempotencyMismatch(VoucherError):
    code = "idempotency_key_reused"
    status = 409
    title = "Idempotency-Key reused"


class Throttled(VoucherError):
    code = "too_many_failed_attempts"
    status = 429
    title = "Too many failed attempts"
    retry_after: int  # always known: when the window ends

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after  # seconds, for the Retry-After header


class ListThrottled(Throttled):
    """A customer's voucher list asked too often (vouchers.services.list_throttle)."""

    code = "too_many_requests"
    title = "Too many requests"


class IssuanceRefused(VoucherError):
    code = "issuance_refused"


class BudgetExhausted(VoucherError):
    code = "budget_exhausted"


class FreezeRefused(VoucherError):
    code = "freeze_refused"


class VoucherConditionUnmet(VoucherError):
    """A code that is otherwise usable, refused for a condition of the order the shop can
    fix or tell the customer about: below the minimum, or an excluded category. Answered
    with the condition named (`minimum_order_minor` and `currency`, or
    `excluded_categories`), unlike the uniform refusal."""

    code = "voucher_condition_unmet"
    status = 422
    title = "The order does not meet this voucher's conditions"

    def __init__(self, message: str, *, code: str, members: dict):
        super().__init__(message, code=code)
        self.members = members

    def body(self) -> dict:
        return {
            "type": f"urn:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": str(self.message),
            **self.members,
        }
