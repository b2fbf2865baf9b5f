"""The secret address of a link worker's diary feed: made (or replaced) and revoked."""

import secrets

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Role, User
from accounts.services import audit_record, token_hash
from core.exceptions import Refused

from ..models import DiaryFeedToken

# The feed's own prefix, so a leaked address is recognisable for what it is.
FEED_TOKEN_START = "spd_"


def diary_feed_token_rotate(*, user: User, request: HttpRequest | None = None) -> str:
    """A new secret for `user`'s diary feed, replacing any before it; returned once, kept hashed.

    Only a link worker has a feed: it carries their own cases' dates and nobody else's.
    """
    if user.role != Role.LINK_WORKER or not user.is_active:
        raise Refused(_("Only a link worker has a diary feed."))
    token = FEED_TOKEN_START + secrets.token_urlsafe(32)
    with transaction.atomic():
        DiaryFeedToken.objects.update_or_create(
            user=user, defaults={"token_hash": token_hash(token), "created_at": timezone.now()}
        )
        audit_record(
            actor=user, action=AuditEvent.Action.CHANGE, obj=user, request=request,
            detail="diary feed address made",
        )  # fmt: skip
    return token


def diary_feed_token_revoke(*, user: User, request: HttpRequest | None = None) -> bool:
    """The feed's address stops working; True when there was one."""
    with transaction.atomic():
        deleted, _ = DiaryFeedToken.objects.filter(user=user).delete()
        if deleted:
            audit_record(
                actor=user, action=AuditEvent.Action.CHANGE, obj=user, request=request,
                detail="diary feed address revoked",
            )  # fmt: skip
    return bool(deleted)
