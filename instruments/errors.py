from config.errors import DomainError


class InstrumentError(DomainError):
    """A domain error of the instruments app, with a message fit for the person who acted."""

    code = "instrument_error"
