from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkworkersConfig(AppConfig):
    name = "linkworkers"
    verbose_name = _("Link workers")

    def ready(self):
        from accounts.home import register_home_context
        from accounts.models import Role

        from . import home

        register_home_context(Role.LINK_WORKER, home.link_worker_home)
        register_home_context(Role.PEER_NAVIGATOR, home.peer_navigator_home)
        register_home_context(Role.PROVIDER, home.provider_home)
