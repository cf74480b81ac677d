import re

from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

_TOTP_TOKEN = re.compile(r"^\d{6,8}$")


class StaffLoginForm(OTPAdminAuthenticationForm):
    """django-otp's admin login, with one convenience: when no device is picked, the shape
    of the code picks it (six digits: the authenticator app; letters too: a backup code).
    Exactly one device is then checked, so unrelated devices are never throttled."""

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if not token:
            return None
        model = TOTPDevice if _TOTP_TOKEN.match(token) else StaticDevice
        return model.objects.devices_for_user(user, confirmed=True).first()


class StaffAdminSite(OTPAdminSite):
    """The admin: a staff user must have signed in with a password *and* a verified device.

    A session that passed the password only is treated as not logged in: every admin URL
    answers with the login page, which asks for the one-time code.
    """

    login_form = StaffLoginForm
    site_header = "Breach compensation: staff"
    site_title = "Breach compensation"
    index_title = "Programs, claims, vouchers and notices"
