"""Names people read for the services a voucher is good at (the wallet, the staff dashboard)."""

from django.utils.translation import gettext_lazy as _

SERVICES = {
    "store": _("Online store"),
    "eats": _("Food delivery (Eats)"),
    "travel": _("Travel"),
    "rlux": _("R.LUX fashion and beauty"),
}
