"""The claims app's one domain error type. Views turn it into a form error; the API into a
problem JSON body carrying `code`, a stable identifier clients can rely on."""

from django.utils.translation import gettext_lazy as _


class ClaimError(Exception):
    def __init__(self, message, *, code: str = "claim_error", status: int = 400):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.status = status


THROTTLED = _("Too many attempts from here. Please wait a while and try again.")
