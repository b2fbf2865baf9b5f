"""Helpers for the GP-system extract stories: give a referral its timeline at given moments."""

from datetime import datetime
from zoneinfo import ZoneInfo

from referrals.models import ReferralEvent, Status
from tests.factories import PersonFactory, ReferralFactory

LONDON = ZoneInfo("Europe/London")


def at(year, month, day, hour=10, minute=0):
    """A moment in the practice's local time."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def referred(*, practice, scheme, when, person=None, reference=None, **fields):
    """A referral the practice made at `when`, with its created event."""
    extra = {"reference": reference} if reference else {}
    referral = ReferralFactory(
        referring_organisation=practice,
        scheme=scheme,
        received_at=when,
        person=person or PersonFactory(),
        **extra,
        **fields,
    )
    ReferralEvent.objects.create(
        referral=referral, kind=ReferralEvent.Kind.CREATED, to_status=Status.RECEIVED,
        created_at=when,
    )  # fmt: skip
    return referral


def moved(referral, *, to_status, when, from_status=Status.RECEIVED):
    return ReferralEvent.objects.create(
        referral=referral, kind=ReferralEvent.Kind.STATUS, from_status=from_status,
        to_status=to_status, created_at=when,
    )  # fmt: skip


def closed(referral, *, reason, when, link_worker):
    """Close as the transition service does: `closed_at` and the event share one moment."""
    referral.status = Status.CLOSED
    referral.closure_reason = reason
    referral.closed_at = when
    referral.link_worker = link_worker
    referral.save()
    return moved(referral, to_status=Status.CLOSED, when=when, from_status=Status.IN_PROGRESS)


def started(referral, *, when, link_worker, recorded=None):
    """The person's first contact at `when` (recorded at `recorded`, that moment by default):
    the case moves from allocated to in progress, as referral_start does."""
    referral.status = Status.IN_PROGRESS
    referral.link_worker = link_worker
    referral.first_contact_at = when
    referral.save()
    return moved(
        referral, to_status=Status.IN_PROGRESS, when=recorded or when, from_status=Status.ALLOCATED
    )
