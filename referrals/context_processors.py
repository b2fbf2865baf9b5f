"""What the header shows on every page: the signed-in user's unread notifications.

`unread_notification_count` is a callable the template calls only where it is
shown: one query at most per request (kept on the request), and never an
error page for it: should the count fail (the database at its limit, say),
the header shows no count and the page goes on.
"""

import logging

from django.db import DatabaseError

from . import selectors

logger = logging.getLogger(__name__)
_CACHE = "_unread_notification_count"
# Counted no further: the header says "99+" beyond it, and the count stays cheap.
HEADER_CAP = 100


def unread_count_for(request) -> int | None:
    if not hasattr(request, _CACHE):
        count = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                count = selectors.unread_notification_count(user, cap=HEADER_CAP)
            except DatabaseError:
                logger.warning("Unread notification count not shown", exc_info=True)
        setattr(request, _CACHE, count)
    return getattr(request, _CACHE)


def header(request):
    return {"unread_notification_count": lambda: unread_count_for(request)}
