from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    """The support desk: find a person, see everything about them on one page, act for them.
    Reads the other apps (their selectors and models) and writes only through their services;
    nothing imports it."""

    name = "support"
    verbose_name = _("Support desk")

    def ready(self) -> None:
        # The inquiry queue's admin lives beside the desk's (support/admin.py).
        from support import inquiry_admin  # noqa: F401
