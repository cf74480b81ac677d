class VoucherError(Exception):
    """A domain error of the vouchers app, with a message fit for the person who acted and a
    stable code for the API."""

    code = "voucher_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class CodeMalformed(VoucherError):
    code = "code_malformed"


class VoucherUnusable(VoucherError):
    """Wrong, unknown, used, frozen, void, out of scope or outside its window: the caller is
    told only this; the real reason is in `reason` for the staff log."""

    code = "voucher_unusable"

    def __init__(self, reason: str):
        super().__init__("This voucher code cannot be used.")
        self.reason = reason


class IdempotencyMismatch(VoucherError):
    code = "idempotency_key_reused"


class RedemptionNotFound(VoucherError):
    code = "redemption_not_found"


class Throttled(VoucherError):
    code = "too_many_failed_attempts"


class IssuanceRefused(VoucherError):
    code = "issuance_refused"


class BudgetExhausted(VoucherError):
    code = "budget_exhausted"


class FreezeRefused(VoucherError):
    code = "freeze_refused"
