from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkworkersConfig(AppConfig):
    name = "linkworkers"
    verbose_name = _("Link workers")

    def ready(self):
        from . import tasks  # noqa: F401 (registers the tasks by name, for core.queue.enqueue)
