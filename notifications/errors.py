from config.errors import DomainError


class NotificationError(DomainError):
    """A domain error of the notifications app, with a message fit for the person who acted."""

    code = "notification_error"
