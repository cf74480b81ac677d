class NotificationError(Exception):
    """A domain error of the notifications app, with a message fit for the person who acted."""

    code = "notification_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
