from django.apps import AppConfig


class CompensationConfig(AppConfig):
    name = "compensation"
    verbose_name = "Compensation"

    def ready(self) -> None:
        # Four eyes: publishing a policy and changing a budget are proposals (audit.proposals).
        from compensation.proposals import proposals_register

        proposals_register()
