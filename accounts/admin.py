from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.enrolment import enrolment_link_send
from accounts.models import User


class StaffCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class StaffChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = StaffCreationForm
    form = StaffChangeForm
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "language")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ["groups"]
    actions = ["send_enrolment_link"]

    @admin.action(
        description=_("Send a link to set up their authenticator"), permissions=["change"]
    )
    def send_enrolment_link(self, request, queryset):
        """Each chosen active staff member gets a one-time link by email to enrol their own
        authenticator; any enrolment still open for them ends."""
        users = list(queryset.filter(is_active=True, is_staff=True))
        for user in users:
            enrolment_link_send(
                user=user, actor=request.user, site_url=settings.NOTIFICATIONS_SITE_URL
            )
        self.message_user(
            request,
            ngettext(
                "An enrolment link was emailed to %(count)d staff member.",
                "Enrolment links were emailed to %(count)d staff members.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )


# --- Second factors: revoked by an administrator, never read -----------------------------------

admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice, StaticDevice, WebAuthnCredential)
class SecondFactorAdmin(admin.ModelAdmin):
    """A staff member's authenticator, backup codes or security key: whose, since when, last
    used, and a delete that revokes it. No key, no QR code, no codes, no credential id or
    public key: a device is made by its owner (accounts/enrolment.py,
    accounts/security_keys.py), and nobody else ever sees its secret."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__email", "user__full_name"]
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = ("user", "name", "confirmed", "created_at", "last_used_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
