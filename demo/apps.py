from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set for `make run`. Depends on every app; nothing depends on it."""

    name = "demo"
    verbose_name = "Demo data"
