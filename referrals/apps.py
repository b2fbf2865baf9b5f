from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        from accounts.home import register_home_context
        from accounts.models import Role

        from . import home

        register_home_context(Role.REFERRER, home.referrer_home)
        register_home_context(Role.COORDINATOR, home.coordinator_home)
        register_home_context(Role.LINK_WORKER, home.link_worker_home)
