from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "instruments"
    verbose_name = "Compromised instruments"

    def ready(self) -> None:
        # Four eyes: lifting a freeze is a proposal (audit.proposals).
        from instruments.proposals import proposals_register

        proposals_register()
