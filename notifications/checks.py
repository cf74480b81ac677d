"""Deployment checks of the notifications settings (`manage.py check --deploy`)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def site_url_check(app_configs, **kwargs):
    """Every notice prints <NOTIFICATIONS_SITE_URL>/verify/ so people can check that it is
    genuine: in production it must be the site's own https address."""
    url = settings.NOTIFICATIONS_SITE_URL
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host and host != "localhost" and not host.startswith("127."):
        return []
    return [
        Error(
            f"NOTIFICATIONS_SITE_URL={url!r} is not the site's https:// address.",
            hint="Notices print it for people to verify them, e.g. "
            "NOTIFICATIONS_SITE_URL=https://compensation.example.com",
            id="notifications.E001",
        )
    ]
