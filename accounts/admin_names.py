"""The names the admin's index and side bar show for the apps and their models, marked for
translation here (their verbose names are plain English, and changing them in each model
would be a migration in every app): StaffAdminSite.get_app_list translates them. A name not
listed is shown as it is."""

from django.utils.translation import gettext_noop

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
    # Models.
    gettext_noop("Audit events"),
    gettext_noop("Proposals"),
    gettext_noop("Canned responses"),
    gettext_noop("Affected people"),
    gettext_noop("Awards"),
    gettext_noop("Claim types"),
    gettext_noop("Incidents"),
    gettext_noop("Policy versions"),
    gettext_noop("Population imports"),
    gettext_noop("Program terms versions"),
    gettext_noop("Programs"),
    gettext_noop("Instrument imports"),
    gettext_noop("Instrument purchases"),
    gettext_noop("Purchase routes"),
    gettext_noop("Campaigns"),
    gettext_noop("Notice templates"),
    gettext_noop("Notices"),
    gettext_noop("Program dashboards"),
    gettext_noop("Program reviews"),
    gettext_noop("Payout batches"),
    gettext_noop("Payout instructions"),
    gettext_noop("Payout offers"),
    gettext_noop("Payout result files"),
    gettext_noop("Users"),
    gettext_noop("People"),
    gettext_noop("Issuance runs"),
    gettext_noop("Redemptions"),
    gettext_noop("Service keys"),
    gettext_noop("Voucher freezes"),
    gettext_noop("Inquiries"),
    # Second factors (django-otp's and django-otp-webauthn's own names).
    gettext_noop("OTP WebAuthn"),
    gettext_noop("WebAuthn credentials"),
]
