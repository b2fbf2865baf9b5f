"""The scheduled jobs: daily digests, outcome reviews falling due, holds coming back."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Role, User
from core.exceptions import InvalidTransition
from core.outbox import outbox_email_queue
from referrals.models import (
    OPEN_STATUSES,
    Notification,
    Referral,
    Status,
)
from referrals.services import (
    colleague_notify,
    referral_resume,
)

from ..models import (
    DigestSent,
    OutcomeMeasure,
    OutcomeReviewNotice,
    Timepoint,
)
from ..selectors import (
    caseload_for,
)


def digest_send(*, link_worker: User, today: date) -> bool:
    """Email one link worker their overdue items, once a day. Returns True when sent now.

    The DigestSent row is the claim: it is written in the same transaction as
    the outbox email, and its unique (user, day) means a second run, or a
    second worker at the same moment, sends nothing.
    """
    rows = [row for row in caseload_for(link_worker, today=today).rows if row.overdue]
    if not rows or not link_worker.email:
        return False
    with transaction.atomic():
        _claim, created = DigestSent.objects.get_or_create(
            user=link_worker, sent_on=today, defaults={"created_at": timezone.now()}
        )
        if not created:
            return False
        with translation.override(link_worker.preferred_language):
            context = {
                "recipient": link_worker,
                "rows": rows,
                "today": today,
                "url": settings.SITE_URL.rstrip("/")
                + reverse("linkworkers:caseload")
                + "?due=overdue",
            }
            outbox_email_queue(
                to=link_worker.email,
                template="linkworkers/email/digest",
                context=context,
                now=timezone.now(),
            )
    return True


def digests_send(*, today: date | None = None) -> int:
    """The daily digest for every active link worker with something overdue."""
    today = today or timezone.localdate()
    workers = User.objects.filter(role=Role.LINK_WORKER, is_active=True).order_by("pk")
    return sum(digest_send(link_worker=worker, today=today) for worker in workers)


def outcome_reviews_notify(*, today: date | None = None) -> int:
    """Tell each link worker when a baseline's review falls due (OUTCOME_REVIEW_WEEKS on).

    Once per baseline: the OutcomeReviewNotice row (one per baseline) is the
    claim, written with the notification in one transaction.
    """
    today = today or timezone.localdate()
    cutoff = today - timedelta(weeks=settings.OUTCOME_REVIEW_WEEKS)
    followed_up = OutcomeMeasure.objects.filter(
        referral_id=OuterRef("referral_id"),
        instrument_id=OuterRef("instrument_id"),
        answered_on__gte=OuterRef("answered_on"),
    ).exclude(timepoint=Timepoint.BASELINE)
    due = (
        OutcomeMeasure.objects.filter(
            timepoint=Timepoint.BASELINE,
            answered_on__lte=cutoff,
            referral__status__in=OPEN_STATUSES,
            referral__link_worker__isnull=False,
        )
        .exclude(Exists(followed_up))
        .exclude(Exists(OutcomeReviewNotice.objects.filter(baseline_id=OuterRef("pk"))))
        .select_related(
            "referral__person", "referral__link_worker", "referral__scheme", "instrument"
        )
    )
    told = 0
    for baseline in due:
        due_on = baseline.answered_on + timedelta(weeks=settings.OUTCOME_REVIEW_WEEKS)
        with transaction.atomic():
            _notice, created = OutcomeReviewNotice.objects.get_or_create(
                baseline=baseline, defaults={"due_on": due_on, "notified_at": timezone.now()}
            )
            if not created:
                continue
            referral = baseline.referral
            colleague_notify(
                referral=referral, recipient=referral.link_worker, kind=Notification.Kind.REMINDER,
                message=lambda b=baseline, r=referral, d=due_on: _(
                    "The %(instrument)s review for %(name)s (%(ref)s) is due (%(date)s)."
                ) % {"instrument": b.instrument.display_name, "name": r.person,
                     "ref": r.reference, "date": date_format(d)},
            )  # fmt: skip
            told += 1
    return told


def holds_resume_due(*, today: date | None = None) -> int:
    """On-hold cases whose review date has come go back to in progress, by the system.

    The move goes through `referral_resume` (actor None: a system move the
    transition table allows); its from-status check means a second run, or a
    case the link worker resumed meanwhile, is left alone.
    """
    today = today or timezone.localdate()
    due = Referral.objects.filter(
        status=Status.ON_HOLD, hold_review_date__lte=today, link_worker__isnull=False
    ).values_list("pk", flat=True)
    resumed = 0
    for referral in Referral.objects.filter(pk__in=list(due)).select_related(
        "person", "link_worker", "scheme"
    ):
        with transaction.atomic():
            try:
                referral = referral_resume(
                    referral=referral, actor=None,
                    note=_("The review date came: the case is back in progress."),
                )  # fmt: skip
            except InvalidTransition:
                continue
            colleague_notify(
                referral=referral, recipient=referral.link_worker, kind=Notification.Kind.REMINDER,
                message=lambda r=referral: _(
                    "%(name)s (%(ref)s) was on hold until today and is back on your caseload."
                ) % {"name": r.person, "ref": r.reference},
            )  # fmt: skip
            resumed += 1
    return resumed
