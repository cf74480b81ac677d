from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "vouchers"
    verbose_name = "Vouchers"

    def ready(self) -> None:
        # Claims (which owns /me/) never imports vouchers: vouchers plugs into the registry.
        from compensation.registry import PERSON_VOUCHERS
        from vouchers.presenters import vouchers_by_person

        PERSON_VOUCHERS["vouchers"] = vouchers_by_person

        # Notifications never imports vouchers: vouchers plugs its audiences into its registry.
        from vouchers.audiences import audiences_register

        audiences_register()
