from config.errors import DomainError


class CompensationError(DomainError):
    """A domain error of the compensation app, with a message fit for the person who acted."""

    code = "compensation_error"


class BudgetExceeded(CompensationError):
    code = "budget_exceeded"


class AlreadyAwarded(CompensationError):
    code = "already_awarded"


class ImportRefused(CompensationError):
    code = "import_refused"


class ImportNotResumable(CompensationError):
    code = "import_not_resumable"


class PolicyInvalid(CompensationError):
    code = "policy_invalid"
