import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxEmail(models.Model):
    """An email waiting to go (transactional outbox), for every app.

    Written in the same transaction as the change it reports, so it exists
    exactly when the change does; a task sends it after commit and marks it
    sent, and a periodic task sends whatever a broker or SMTP outage left.
    `about` names what the email concerns (`referrals.referral:<uuid>`), as a
    string, since core knows no app.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    about = models.CharField(_("about"), max_length=100, blank=True, db_index=True)
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    # An email whose words are written when it is sent (core.outbox.outbox_email_queue_later):
    # the renderer an app registered under this name, and what it renders (say, a row's id).
    # Empty once it is written, and for an email written at once.
    renderer = models.CharField(_("written by"), max_length=50, blank=True)
    render_key = models.CharField(_("written from"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        # The table referrals created, kept as it is: moving the model lost no row.
        db_table = "referrals_outboxemail"
        verbose_name = _("outbox email")
        verbose_name_plural = _("outbox emails")
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class Heartbeat(models.Model):
    """When a Celery worker or beat last showed it was alive, for /healthz (core/heartbeat.py).

    One row per process, updated in place: `worker:<hostname>` for each worker,
    written while it is connected to the broker; `beat` for the scheduler,
    written each time it queues the heartbeat task.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
