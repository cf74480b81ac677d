"""The names the admin shows for the apps and their models (the index, the side bar, the
breadcrumbs, page titles, confirmations, result counts), in the staff member's language.

Most verbose names are plain English, and changing them in each model would be a migration
in every app: StaffAdminSite.register wraps each registered model's names, and its app's, in
a lazy translation instead (`admin_names_translate`), and the msgids are marked here. A name
not listed is shown as it is."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

NAMES = [
    # Apps.
    gettext_noop("Audit trail"),
    gettext_noop("Claims"),
    gettext_noop("Compensation"),
    gettext_noop("Compromised instruments"),
    gettext_noop("Notifications"),
    gettext_noop("Oversight"),
    gettext_noop("Payouts"),
    gettext_noop("Staff accounts"),
    gettext_noop("Support desk"),
    gettext_noop("Vouchers"),
    # Models, singular and plural.
    gettext_noop("user"),
    gettext_noop("users"),
    gettext_noop("audit event"),
    gettext_noop("audit events"),
    gettext_noop("proposal"),
    gettext_noop("proposals"),
    gettext_noop("canned response"),
    gettext_noop("canned responses"),
    gettext_noop("claim"),
    gettext_noop("claims"),
    gettext_noop("affected person"),
    gettext_noop("affected people"),
    gettext_noop("award"),
    gettext_noop("awards"),
    gettext_noop("claim type"),
    gettext_noop("claim types"),
    gettext_noop("incident"),
    gettext_noop("incidents"),
    gettext_noop("policy version"),
    gettext_noop("policy versions"),
    gettext_noop("population import"),
    gettext_noop("population imports"),
    gettext_noop("program"),
    gettext_noop("programs"),
    gettext_noop("program terms version"),
    gettext_noop("program terms versions"),
    gettext_noop("compromised instrument"),
    gettext_noop("compromised instruments"),
    gettext_noop("instrument import"),
    gettext_noop("instrument imports"),
    gettext_noop("instrument purchase"),
    gettext_noop("instrument purchases"),
    gettext_noop("purchase route"),
    gettext_noop("purchase routes"),
    gettext_noop("campaign"),
    gettext_noop("campaigns"),
    gettext_noop("notice"),
    gettext_noop("notices"),
    gettext_noop("notice template"),
    gettext_noop("notice templates"),
    gettext_noop("program dashboard"),
    gettext_noop("program dashboards"),
    gettext_noop("program review"),
    gettext_noop("program reviews"),
    gettext_noop("payout"),
    gettext_noop("payouts"),
    gettext_noop("payout instruction"),
    gettext_noop("payout instructions"),
    gettext_noop("payout offer"),
    gettext_noop("payout offers"),
    gettext_noop("payout result file"),
    gettext_noop("payout result files"),
    gettext_noop("redemption"),
    gettext_noop("redemptions"),
    gettext_noop("service key"),
    gettext_noop("service keys"),
    gettext_noop("validity extension"),
    gettext_noop("validity extensions"),
    gettext_noop("voucher"),
    gettext_noop("vouchers"),
    gettext_noop("issuance run"),
    gettext_noop("issuance runs"),
    gettext_noop("voucher freeze"),
    gettext_noop("voucher freezes"),
    # The index's table headers for screen readers: Django's own Chinese catalog lacks them.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # Second factors: django-otp-webauthn's own names, which it has no Korean or Chinese for.
    gettext_noop("OTP WebAuthn"),
    gettext_noop("WebAuthn credential"),
    gettext_noop("WebAuthn credentials"),
]


def _lazy(name: Any) -> Any:
    """The name as a lazy translation of its English text (a name already lazy is kept)."""
    return gettext_lazy(name) if isinstance(name, str) else name


def admin_names_translate(model: Any) -> None:
    """Make the model's verbose names, and its app's, follow the active language. Only the
    runtime options change: migrations read the Meta as written (original_attrs)."""
    opts = model._meta
    plural = opts.verbose_name_plural
    if not isinstance(plural, str):  # derived from verbose_name ("{}s"), or already lazy
        with translation.override(None):
            plural = str(plural)
        if opts.original_attrs.get("verbose_name_plural") is not None:
            plural = opts.verbose_name_plural
    opts.verbose_name = _lazy(opts.verbose_name)
    opts.verbose_name_plural = _lazy(plural)
    opts.app_config.verbose_name = _lazy(opts.app_config.verbose_name)
