from config.errors import DomainError


class PayoutError(DomainError):
    """A refusal of the payouts app, with a message fit for the person who acted."""

    code = "payout_error"
    # The form field the refusal is about ("account_number", "bank_code"...), when one is.
    field = ""


class DetailsLocked(PayoutError):
    """The payout is in a released batch: its method and details can no longer change."""

    code = "payout_details_locked"
    status = 409


class FourEyes(PayoutError):
    """The staff member who built a batch cannot release it."""

    code = "payout_four_eyes"
    status = 403
