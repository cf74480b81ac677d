from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Dashboards, reports, exports and periodic reviews. Reads every other app; nothing
    imports it."""

    name = "oversight"
    verbose_name = "Oversight"
