from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        # Register this app's tasks in every process, so services can queue them by name.
        from . import tasks  # noqa: F401
