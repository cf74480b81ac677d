"""The claims app's one domain error type. Views turn it into a form error; the API into a
problem JSON body carrying `code`, a stable identifier clients can rely on."""

from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class ClaimError(DomainError):
    code = "claim_error"


THROTTLED = _("Too many attempts from here. Please wait a while and try again.")
