from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """The project shell: it wires the apps together (home page, /healthz, demo data, checks)."""

    name = "config"
    verbose_name = _("Project")

    def ready(self) -> None:
        from . import metrics  # noqa: F401  (counts failed sign-ins from here on)
        from .logs import request_log_signals_connect

        request_log_signals_connect()
