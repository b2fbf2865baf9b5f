from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares. It imports no other app of the project."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Register the outbox tasks in every process (web included), so the
        # services can queue them by name without importing them.
        from . import checks, tasks  # noqa: F401
