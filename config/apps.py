from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """The Django admin, replaced by a site that requires a verified second factor."""

    default_site = "accounts.admin_site.StaffAdminSite"
