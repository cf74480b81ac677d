from config.errors import DomainError


class SupportError(DomainError):
    """A refusal of the support desk, with a message fit for the agent who acted."""

    code = "support_error"
