from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        # Register this app's tasks in every process, so services can queue them by name.
        from . import tasks  # noqa: F401
