from django.apps import AppConfig
from django.core import checks


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "Payouts"

    def ready(self) -> None:
        # The provider methods' senders, by method code (payouts/methods.py SENDERS).
        from payouts.senders import senders_register

        senders_register()
        checks.register(account_credit_configured_check, checks.Tags.database)


def account_credit_configured_check(app_configs=None, databases=None, **kwargs):
    """payouts.E001 (W001 with DEBUG): a program offers account credit but
    PAYOUTS_CREDIT_HTTP_URL is unset, so its payouts could never be sent. Tagged `database`:
    it runs with `manage.py migrate` (every deploy) and `manage.py check --database default`."""
    from django.conf import settings
    from django.db import DatabaseError

    if not databases or settings.PAYOUTS_CREDIT_HTTP_URL:
        return []
    from payouts.methods import Method
    from payouts.models import PayoutOffer

    try:
        programs = list(
            PayoutOffer.objects.filter(methods__contains=[Method.ACCOUNT_CREDIT]).values_list(
                "program_id", flat=True
            )
        )
    except DatabaseError:  # a first deploy: the table is not there yet, nothing offers it
        return []
    if not programs:
        return []
    level = checks.Warning if settings.DEBUG else checks.Error
    return [
        level(
            f"Programs {programs} offer account credit but PAYOUTS_CREDIT_HTTP_URL is not set: "
            "their account-credit payouts cannot be sent.",
            hint="Set PAYOUTS_CREDIT_HTTP_URL and PAYOUTS_CREDIT_HTTP_TOKEN, or take account "
            "credit out of those programs' payout offers.",
            id="payouts.W001" if settings.DEBUG else "payouts.E001",
        )
    ]
