"""Demo data for the coordinator side: a peer navigator on two cases, supervision notes.

Called by the linkworkers demo after the casework; safe to run twice (each
row is found or made by its natural key).
"""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from referrals.models import Referral, Status

from .models import PeerNavigatorAssignment, SupervisionNote

NOTES = [
    ("coordinator", 14, "Caseload review: two first contacts are slipping; agreed to call them "
     "first thing on Monday."),
    ("linkworker", 7, "Found the home visit with the bereaved client hard. Would like to talk "
     "it through at supervision."),
    ("coordinator", 2, "Talked through the home visit. Book the bereavement awareness course; "
     "pair with Dafydd for the next visit."),
]  # fmt: skip


def seed_coordination(stdout):
    users = {u.username: u for u in User.objects.filter(
        username__in=["linkworker", "coordinator", "peernavigator"])}  # fmt: skip
    worker, coordinator, peer = (
        users.get(k) for k in ("linkworker", "coordinator", "peernavigator")
    )
    if worker is None or coordinator is None or peer is None:
        return
    now = timezone.now()
    cases = list(
        Referral.objects.filter(link_worker=worker, status=Status.IN_PROGRESS).order_by(
            "received_at", "pk"
        )[:2]
    )
    for case in cases:
        PeerNavigatorAssignment.objects.get_or_create(
            referral=case, user=peer, defaults={"added_by": worker, "added_at": now}
        )
    if not SupervisionNote.objects.filter(link_worker=worker).exists():
        SupervisionNote.objects.bulk_create(
            SupervisionNote(
                link_worker=worker,
                author=worker if author == "linkworker" else coordinator,
                text=text,
                created_at=now - timedelta(days=days_ago),
            )
            for author, days_ago, text in NOTES
        )
    stdout.write(
        f"linkworkers: peer navigator {peer.username} on {len(cases)} cases; supervision notes"
    )
