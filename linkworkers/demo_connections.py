"""Demo connections: the demo link worker's people referred to the demo provider's services.

Teg Valley Growing Together (login "provider") has one referral waiting 9
days for an answer (its reminder is due), one it accepted where the person
is attending, and the link worker has one proposal not yet sent. Everything
is invented; deterministic; safe to run twice.
"""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from directory.models import Service
from referrals.models import Referral, ReferralEvent, Status

from .models import Connection, ConnectionStatus
from .services import connection_stats_refresh

PROVIDER = "Teg Valley Growing Together"
# (service name starts with, status, days since proposed, note for the provider)
PLAN = [
    ("Green gym", ConnectionStatus.REFERRED, 9, "Would like to be outdoors; mornings suit best."),
    ("Grow and cook", ConnectionStatus.ATTENDING, 30, "Keen cook; a little nervous in groups."),
    ("Allotment buddies", ConnectionStatus.PROPOSED, 1, ""),
]


def seed_connections(stdout):
    worker = User.objects.filter(username="linkworker").first()
    if worker is None or Connection.objects.filter(created_by=worker).exists():
        stdout.write("linkworkers: demo connections already there (or no link worker)")
        return
    # The newest cases in progress, leaving the older ones free for the browser tests.
    cases = list(
        Referral.objects.filter(link_worker=worker, status=Status.IN_PROGRESS).order_by(
            "-received_at", "-pk"
        )[: len(PLAN)]
    )
    now = timezone.now()
    made = []
    for case, (prefix, status, days, note) in zip(cases, PLAN, strict=False):
        service = (
            Service.objects.filter(provider__name=PROVIDER, name__startswith=prefix)
            .order_by("name")
            .first()
        )
        if service is None:
            continue
        proposed_at = now - timedelta(days=days)
        referred_at = proposed_at if status != ConnectionStatus.PROPOSED else None
        answered_at = proposed_at + timedelta(days=3) if status == "attending" else None
        made.append(
            Connection.objects.create(
                referral=case, service=service, status=status, note_for_provider=note,
                proposed_at=proposed_at, referred_at=referred_at, answered_at=answered_at,
                attending_since=answered_at + timedelta(days=4) if answered_at else None,
                created_by=worker,
            )
        )  # fmt: skip
        ReferralEvent.objects.create(
            referral=case, kind=ReferralEvent.Kind.CONNECTION, actor=worker,
            note=f"{service.name}: {ConnectionStatus(status).label}.",
            visible_to_referrer=False, created_at=proposed_at,
        )  # fmt: skip
    for connection in made:
        connection_stats_refresh(service_id=connection.service_id)
    stdout.write(f"linkworkers: {len(made)} connections to {PROVIDER}'s services")
