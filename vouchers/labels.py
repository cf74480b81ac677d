"""Names people read for the services a voucher is good at (the wallet, the staff dashboard)
and for an issuance run's status (the staff pages)."""

from django.utils.translation import gettext_lazy as _

SERVICES = {
    "store": _("Online store"),
    "eats": _("Food delivery (Eats)"),
    "travel": _("Travel"),
    "rlux": _("R.LUX fashion and beauty"),
}

# An issuance run's status as staff read it (the stored codes are English words).
RUN_STATUSES = {
    "running": _("Running"),
    "done": _("Done"),
    "failed": _("Failed: can be resumed"),
    "cancelled": _("Cancelled"),
}
