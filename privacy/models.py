"""What the data protection work keeps of its own: the history of corrections."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

REASON_LIMIT = 1000


class PersonCorrection(models.Model):
    """One correction of a person's details (rectification): from what, to what, who, when, why.

    The person's record holds the current values; this keeps what they were,
    so a correction can be explained and, if wrong, put back. Kept here rather
    than on a referral's timeline: the details belong to the person, not to one
    referral, and the timeline is shown to referrers, who see only what they
    supplied. An erasure blanks the values and the reason (they are the
    person's details) and keeps which fields were corrected, by whom and when.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "referrals.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    # {"family_name": ["Jonse", "Jones"], ...}: each field's old and new value as text.
    changes = models.JSONField(_("changes"), default=dict)
    reason = models.TextField(_("reason"), max_length=REASON_LIMIT)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("corrected"))

    class Meta:
        verbose_name = _("correction of a person's details")
        verbose_name_plural = _("corrections of people's details")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["person", "-created_at"], name="correction_person_when")]

    def __str__(self):
        return f"{self.person_id} {self.created_at:%Y-%m-%d %H:%M}"
