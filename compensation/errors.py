class CompensationError(Exception):
    """A domain error of the compensation app, with a message fit for the person who acted."""

    code = "compensation_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class BudgetExceeded(CompensationError):
    code = "budget_exceeded"


class AlreadyAwarded(CompensationError):
    code = "already_awarded"


class ImportRefused(CompensationError):
    code = "import_refused"


class PolicyInvalid(CompensationError):
    code = "policy_invalid"
