from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from . import (
            receivers,  # noqa: F401 (connects the sign-in receivers)
            tasks,  # noqa: F401 (registers the webhook tasks by name)
        )
