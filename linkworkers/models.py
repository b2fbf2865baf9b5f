from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LinkWorker(models.Model):
    """A link worker's working profile: where they work, how many cases they hold, languages."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="link_worker_profile",
    )
    scheme = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("scheme"),
        on_delete=models.PROTECT,
        related_name="link_workers",
        limit_choices_to={"kind": "scheme"},
    )
    areas = models.ManyToManyField(
        "accounts.Area", verbose_name=_("areas covered"), related_name="link_workers", blank=True
    )
    capacity = models.PositiveIntegerField(_("capacity (open cases)"), default=25)
    # Language codes such as ["en", "cy"]; a short list read whole, never filtered in SQL.
    languages = models.JSONField(_("languages"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("link worker")
        verbose_name_plural = _("link workers")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=0), name="linkworker_capacity_gte_0")
        ]

    def __str__(self):
        return str(self.user)
