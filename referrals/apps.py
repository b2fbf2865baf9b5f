from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        from . import receivers  # noqa: F401 (connects the receivers)
        from .services import notifications  # noqa: F401 (registers the notice email's renderer)
