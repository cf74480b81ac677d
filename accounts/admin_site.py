import re
from functools import wraps

from django import forms
from django.contrib.admin import ModelAdmin
from django.contrib.admin.utils import unquote
from django.contrib.auth import user_login_failed
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models.base import ModelBase
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin_names import admin_names_translate
from accounts.security_keys import security_key_pending_set, security_keys_of

_TOTP_TOKEN = re.compile(r"^\d{6,8}$")

SIGN_IN_REFUSED = _(
    "Enter the email, the password and the one-time code of a staff account. "
    "All three are checked together."
)


class StaffLoginForm(OTPAdminAuthenticationForm):
    """django-otp's admin login, asking for the password and the one-time code together.

    Every failure answers the same (a wrong password, a missing or wrong code, an account with
    no device, a non-staff account), so the form never tells that a password was right. A
    wrong code with the right password counts as a failed sign-in for the lockout (django-axes,
    per email and network address), like a wrong password. django-otp's per-device throttle is
    off (settings OTP_*_THROTTLE_FACTOR = 0): it is global to the device, so a holder of the
    password could lock a staff member's authenticator from anywhere.

    When no device is picked, the shape of the code picks it (six digits: the authenticator
    app; letters too: a backup code). Exactly one device is then checked.

    A staff member with a security key (accounts/security_keys.py) leaves the code empty:
    the right password then leads to the key step instead of the refusal. That step tells
    that the password was right, but only for an account with a key, which is what it asks
    for next; a wrong key counts as a failed sign-in like a wrong code."""

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if not token:
            return None
        model = TOTPDevice if _TOTP_TOKEN.match(token) else StaticDevice
        return model.objects.devices_for_user(user, confirmed=True).first()

    def clean(self):
        username = self.cleaned_data.get("username")
        if not (username and self.cleaned_data.get("password")):
            raise self._refused()
        try:
            AuthenticationForm.clean(self)  # the password, through axes' lockout check
        except forms.ValidationError:
            raise self._refused() from None
        user = self.get_user()
        if (
            not self.cleaned_data.get("otp_token")
            and self.request is not None
            and security_keys_of(user).exists()
        ):
            # Not signed in: the key step follows (StaffAdminSite.login).
            security_key_pending_set(self.request, user)
            self.request.security_key_pending = True
            raise self._refused()
        try:
            if not self.cleaned_data.get("otp_token"):
                raise forms.ValidationError("no code", code="token_required")
            self.clean_otp(self.get_user())
        except forms.ValidationError:
            # The password was right: count it as a failed sign-in all the same.
            user_login_failed.send(
                sender=type(self), credentials={"username": username}, request=self.request
            )
            raise self._refused() from None
        return self.cleaned_data

    def confirm_login_allowed(self, user):
        try:
            super().confirm_login_allowed(user)
        except forms.ValidationError:
            raise self._refused() from None

    def _refused(self) -> forms.ValidationError:
        self.user_cache = None
        return forms.ValidationError(SIGN_IN_REFUSED, code="invalid_login")


class StaffAdminSite(OTPAdminSite):
    """The admin: a staff user must have signed in with a password *and* a verified device.

    A session that passed the password only is treated as not logged in: every admin URL
    answers with the login page, which asks for the one-time code.
    """

    login_form = StaffLoginForm
    site_header = _("Breach compensation: staff")
    site_title = _("Breach compensation")
    index_title = _("Programs, claims, vouchers and notices")

    def login(self, request, extra_context=None):
        """The admin's sign-in; a right password with no code from a staff member who has a
        security key goes on to the key step (StaffLoginForm)."""
        response = super().login(request, extra_context)
        if not getattr(request, "security_key_pending", False):
            return response
        url = reverse("accounts:security_key_sign_in")
        target = request.POST.get("next") or request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            url += "?" + urlencode({"next": target})
        return redirect(url)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model is named in the staff member's language wherever the admin names it:
        the index, the side bar, breadcrumbs, titles, confirmations (accounts/admin_names.py).
        """
        super().register(model_or_iterable, admin_class, **options)
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        )
        for model in models:
            admin_names_translate(model)

    def admin_view(self, view, cacheable=False):
        """Every model page's view, with its object id checked against the model's primary key
        first: an id that cannot be one (/admin/vouchers/voucherbatch/abc/change/) answers
        404, as an unknown id does, instead of reaching a query that raises (a 500)."""
        wrapped = super().admin_view(view, cacheable)
        model_admin = getattr(view, "__self__", None)
        if not isinstance(model_admin, ModelAdmin):
            return wrapped
        pk = model_admin.model._meta.pk
        assert pk is not None

        @wraps(wrapped)
        def checked(request, *args, **kwargs):
            object_id = kwargs.get("object_id")
            if object_id is not None:
                try:
                    pk.to_python(unquote(object_id))
                except (ValidationError, ValueError, TypeError):
                    raise Http404 from None
            return wrapped(request, *args, **kwargs)

        return checked
