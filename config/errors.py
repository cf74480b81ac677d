"""The one base of every app's domain error (CompensationError, ClaimError, VoucherError,
NotificationError): a message fit for the person who acted, a stable `code` for the API and
the HTTP status the API answers it with. The edge turns it into a form error for a person, or
a problem JSON body (config.problems) for a program."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    code = "error"
    status = 400
    # The problem JSON title: one short summary per kind of refusal (RFC 9457 `title`).
    title = "Request refused"
    # Seconds after which asking again may succeed (the Retry-After header), when known.
    retry_after: int | None = None

    def __init__(
        self, message: StrOrPromise, *, code: str | None = None, status: int | None = None
    ):
        super().__init__(str(message))
        self.message = message  # may be a lazy translation, rendered in the reader's language
        if code:
            self.code = code
        if status:
            self.status = status
