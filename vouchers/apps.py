from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "vouchers"
    verbose_name = "Vouchers"

    def ready(self) -> None:
        # Notifications never imports vouchers: vouchers plugs its audiences into its registry.
        from vouchers.audiences import audiences_register

        audiences_register()
