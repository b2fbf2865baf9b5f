"""Coordination: the team, the waiting list, supervision and peer navigators."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from referrals.models import OPEN_STATUSES, Referral, Status
from referrals.selectors import referrals_visible_to

from ..models import (
    LinkWorker,
    PeerNavigatorAssignment,
    SupervisionNote,
)
from .cases import CASE_RELATED, can_work_on, caseload_for


@dataclass
class TeamRow:
    link_worker: LinkWorker
    open_cases: int = 0
    by_status: dict = field(default_factory=dict)
    overdue: int = 0

    @property
    def user(self):
        return self.link_worker.user

    @property
    def over_capacity(self) -> bool:
        return self.open_cases > self.link_worker.capacity

    @property
    def at_capacity(self) -> bool:
        return self.open_cases >= self.link_worker.capacity


def team_for(user, *, today=None) -> list[TeamRow]:
    """Every link worker of the coordinator's scheme with their load against capacity.

    Two queries whatever the size of the scheme: the link workers, and the
    scheme's open cases with what is due on each (the caseload's own query).
    Open cases count every case a link worker holds, inactive profiles too.
    """
    if user.role != Role.COORDINATOR or not user.organisation_id:
        return []
    workers = (
        LinkWorker.objects.filter(scheme_id=user.organisation_id)
        .select_related("user")
        .order_by("-active", "user__last_name", "user__first_name", "pk")
    )
    rows = {worker.user_id: TeamRow(link_worker=worker) for worker in workers}
    for case in caseload_for(user, today=today).rows:
        row = rows.get(case.referral.link_worker_id or 0)
        if row is None:
            continue
        row.open_cases += 1
        status = case.referral.status
        row.by_status[status] = row.by_status.get(status, 0) + 1
        row.overdue += case.overdue
    return list(rows.values())


def team_statuses():
    return [(status.value, status.label) for status in Status if status in OPEN_STATUSES]


def reassign_choices_for(user, referral):
    """Who a coordinator may hand `referral` to: the scheme's active link workers but its holder."""
    if user.role != Role.COORDINATOR or user.organisation_id != referral.scheme_id:
        return User.objects.none()
    return (
        User.objects.filter(
            role=Role.LINK_WORKER, organisation_id=referral.scheme_id, is_active=True
        )
        .exclude(pk=referral.link_worker_id)
        .order_by("last_name", "first_name", "pk")
    )


@dataclass(frozen=True)
class WaitingRow:
    referral: Referral
    waiting_days: int
    stage: str

    @property
    def stage_label(self):
        return WAITING_STAGES[self.stage]


WAITING_STAGES = {
    "allocation": _("Awaiting allocation"),
    "first_contact": _("Awaiting first contact"),
}


def waiting_list_for(user, *, today=None) -> list[WaitingRow]:
    """The scheme's waiting list, oldest first: accepted referrals awaiting a link worker,
    and allocated ones awaiting first contact, with the days waited since received.

    One query whatever the length of the list.
    """
    if user.role != Role.COORDINATOR or not user.organisation_id:
        return []
    today = today or timezone.localdate()
    referrals = (
        referrals_visible_to(user)
        .filter(
            Q(status=Status.ACCEPTED) | Q(status=Status.ALLOCATED, first_contact_at__isnull=True)
        )
        .select_related("person", "link_worker")
        .order_by("received_at", "pk")
    )
    return [
        WaitingRow(
            referral=referral,
            waiting_days=(today - timezone.localdate(referral.received_at)).days,
            stage="allocation" if referral.status == Status.ACCEPTED else "first_contact",
        )
        for referral in referrals
    ]


def supervisee_for(viewer, link_worker_uuid) -> User:
    """The link worker whose supervision notes `viewer` may read and write.

    The link worker themself, or a coordinator of their scheme; 404 alike for
    everyone else and for "not there".
    """
    if not (viewer.is_authenticated and viewer.is_active):
        raise Http404
    try:
        supervisee = User.objects.get(uuid=link_worker_uuid, role=Role.LINK_WORKER)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if may_supervise(viewer, supervisee):
        return supervisee
    raise Http404


def may_supervise(viewer, supervisee) -> bool:
    """Only the link worker and their manager (a coordinator of their scheme)."""
    if supervisee.role != Role.LINK_WORKER:
        return False
    if viewer.pk == supervisee.pk:
        return True
    return (
        viewer.role == Role.COORDINATOR
        and viewer.organisation_id is not None
        and viewer.organisation_id == supervisee.organisation_id
    )


def supervision_notes_for(viewer, supervisee):
    if not may_supervise(viewer, supervisee):
        return SupervisionNote.objects.none()
    return SupervisionNote.objects.filter(link_worker=supervisee).select_related(
        "author", "referral__person"
    )


def supervision_cases_for(supervisee):
    """The cases a supervision note may be about: those the link worker holds or held."""
    return (
        Referral.objects.filter(link_worker=supervisee)
        .select_related("person")
        .order_by("-received_at")
    )


def peer_cases_for(user):
    """The cases a peer navigator is attached to (and only while attached and open)."""
    if not (user.is_authenticated and user.is_active and user.role == Role.PEER_NAVIGATOR):
        return Referral.objects.none()
    return Referral.objects.filter(
        peer_navigators__user=user, peer_navigators__active=True, link_worker__isnull=False
    )


def get_peer_case_for(user, referral_uuid):
    """A case for a peer navigator's limited view, or 404 alike for "not there" and "not yours"."""
    try:
        return peer_cases_for(user).select_related(*CASE_RELATED).get(uuid=referral_uuid)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_attached_peer(user, referral) -> bool:
    return (
        user.role == Role.PEER_NAVIGATOR
        and PeerNavigatorAssignment.objects.filter(
            referral_id=referral.pk, user_id=user.pk, active=True
        ).exists()
    )


def can_log_contact(user, referral) -> bool:
    """The link worker holding the case, or a peer navigator attached to it."""
    return can_work_on(user, referral) or is_attached_peer(user, referral)


def may_attach_peer(user, referral) -> bool:
    """The allocated link worker or a coordinator of the scheme attaches peer navigators."""
    return can_work_on(user, referral) or (
        user.role == Role.COORDINATOR
        and user.organisation_id is not None
        and user.organisation_id == referral.scheme_id
    )


def peer_navigators_on(referral):
    return PeerNavigatorAssignment.objects.filter(referral=referral, active=True).select_related(
        "user"
    )


def peer_navigator_choices_for(referral):
    """Peer navigators of the case's scheme not already attached to it."""
    return (
        User.objects.filter(
            role=Role.PEER_NAVIGATOR, organisation_id=referral.scheme_id, is_active=True
        )
        .exclude(peer_assignments__referral=referral, peer_assignments__active=True)
        .order_by("last_name", "first_name", "pk")
    )


def peer_case_list_for(user):
    return (
        peer_cases_for(user)
        .open()
        .select_related("person", "link_worker")
        .order_by("received_at", "pk")
    )
