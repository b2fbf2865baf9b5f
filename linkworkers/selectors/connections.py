"""Connections to services, unmet needs, the social prescription and a listing's reply figures."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from math import ceil
from statistics import median

from django.db.models import Prefetch
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timezone import localdate
from django.utils.translation import gettext as _

from accounts.models import Role
from directory import postcodes
from directory.maps import nearest_distance_m
from directory.models import Service, ServiceAtLocation, ServiceCheck
from directory.selectors import service_latest_checks
from referrals.models import Person, ReferralEvent

from ..models import (
    OPEN_GOAL_STATUSES,
    Connection,
    ConnectionStatus,
    DeclineReason,
    PersonMessage,
    UnmetNeed,
)
from .cases import cases_visible_to, goals_for
from .team import peer_cases_for

CONNECTION_RELATED = ("service", "service__provider", "created_by")


def connections_for_case(referral):
    """A case's connections, newest first, with their service (for the case workspace)."""
    return Connection.objects.filter(referral=referral).select_related(*CONNECTION_RELATED)


def unmet_needs_for_case(referral):
    return UnmetNeed.objects.filter(referral=referral).select_related("category", "recorded_by")


def connection_events_for_case(referral):
    """The timeline rows about this case's connections (their history on the tab)."""
    return ReferralEvent.objects.filter(
        referral=referral, kind=ReferralEvent.Kind.CONNECTION
    ).select_related("actor")


@dataclass(frozen=True)
class SearchResult:
    """A compact card of the in-case search: the service, its number in the list and on the
    map, how far it is from the person's home, its latest pre-referral check, and whether the
    person is already connected to it."""

    number: int
    service: Service
    distance_m: float | None
    latest_check: ServiceCheck | None
    connected: bool


def home_of(person: Person) -> tuple[postcodes.Place | None, str]:
    """Where the person lives, for distances; else None and a sentence saying why it is unknown."""
    if not person.postcode:
        return None, _("The person's record has no postcode.")
    try:
        return postcodes.lookup(person.postcode), ""
    except postcodes.PostcodeError as error:
        return None, str(error)


def search_results_for_case(
    services: Iterable[Service], *, home: postcodes.Place | None, connected_ids: set[int]
) -> list[SearchResult]:
    """The cards for a page of services from the directory's search, in its order.

    The distances come from the locations the search prefetched, so every
    result has one (or says it is unknown) whatever the order asked for; the
    checks come in one query.
    """
    found = list(services)
    latest = service_latest_checks(service.pk for service in found)
    return [
        SearchResult(
            number=number,
            service=service,
            distance_m=nearest_distance_m(service, home) if home is not None else None,
            latest_check=latest.get(service.pk),
            connected=service.pk in connected_ids,
        )
        for number, service in enumerate(found, start=1)
    ]


def connections_for_provider(user):
    """Connections sent to the services `user`'s organisation keeps; none for anyone else.

    Only referred-or-later connections: a proposal is the link worker's idea
    until they refer, and the provider has no business seeing it.
    """
    if not (
        user.is_authenticated and user.role == Role.PROVIDER and user.organisation_id is not None
    ):
        return Connection.objects.none()
    return (
        Connection.objects.filter(service__provider__organisation_id=user.organisation_id)
        .exclude(status=ConnectionStatus.PROPOSED)
        .select_related("service", "service__provider", "referral", "referral__person")
        .order_by("-referred_at", "-pk")
    )


def get_connection_for_provider(user, connection_uuid):
    """One connection on the provider side, or 404 alike for "not there" and "not yours"."""
    try:
        return connections_for_provider(user).get(uuid=connection_uuid)
    except (Connection.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_case_connection(referral, connection_uuid):
    """A connection of this case (already reached through get_case_for), or 404."""
    try:
        return connections_for_case(referral).get(uuid=connection_uuid)
    except (Connection.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def connections_for_prescription(referral):
    """Where the person goes: referred, accepted and attending connections, with schedules."""
    return (
        connections_for_case(referral)
        .filter(
            status__in=(
                ConnectionStatus.REFERRED,
                ConnectionStatus.ACCEPTED,
                ConnectionStatus.ATTENDING,
            )
        )
        .prefetch_related(
            "service__schedules",
            Prefetch(
                "service__at_locations",
                queryset=ServiceAtLocation.objects.select_related("location").order_by("pk"),
            ),
        )
        .order_by("proposed_at", "pk")
    )


def service_referral_stats(service_id, *, now=None) -> tuple[int | None, Decimal | None]:
    """Usual reply time (median days from referred to answered) and share accepted, last 12 months.

    Days are calendar days in UK time, as a person counts them: an answer on
    the day of the referral took 0 days ("the same day"), one the next morning
    1, whatever the hours between. The median of an even count is rounded up,
    so "usually within 2 days" is never an understatement. Answers the provider
    gave count; automatic declines for no response count as declines (the
    person was not taken on) but have no reply time.
    """
    now = now or timezone.now()
    answered = Connection.objects.filter(
        service_id=service_id,
        answered_at__isnull=False,
        referred_at__gte=now - timedelta(days=365),
    ).values_list("referred_at", "answered_at", "status", "decline_reason")
    days, accepted, total = [], 0, 0
    for referred_at, answered_at, status, reason in answered:
        total += 1
        if status != ConnectionStatus.DECLINED:
            accepted += 1
        if reason != DeclineReason.NO_RESPONSE and referred_at and answered_at:
            days.append((localdate(answered_at) - localdate(referred_at)).days)
    if not total:
        return None, None
    usual = ceil(median(days)) if days else None
    return usual, (Decimal(accepted) / Decimal(total)).quantize(Decimal("0.001"))


def prescription_for(referral) -> dict:
    """What the printable social prescription shows: the plan agreed, and where to go."""
    return {
        "goals": [goal for goal in goals_for(referral) if goal.status in OPEN_GOAL_STATUSES],
        "connections": list(connections_for_prescription(referral)),
    }


def prescription_text(*, referral, prescription: dict) -> str:
    """The plain-text prescription (the email's text part), to copy into a text message.

    It is plain text, rendered with autoescape off as an email must be, and yet
    marked safe by Django's template renderer: a page shows it with `force_escape`
    (a name such as `</textarea><script>` would otherwise break out), and never
    includes the template into its HTML.
    """
    context = {"referral": referral, "person": referral.person, **prescription}
    return render_to_string("linkworkers/email/prescription.txt", context)


def person_messages_for(referral):
    """A case's texts and emails through GOV.UK Notify, newest first, with their status."""
    return PersonMessage.objects.filter(referral=referral).order_by("-created_at", "-pk")


def connected_to_text(referral) -> str:
    """The closure summary's "what they were connected to", drafted from the connections."""
    taken_up = connections_for_case(referral).filter(
        status__in=(
            ConnectionStatus.ACCEPTED,
            ConnectionStatus.ATTENDING,
            ConnectionStatus.COMPLETED,
        )
    )
    return "; ".join(
        f"{connection.service.display_name} ({connection.get_status_display().lower()})"
        for connection in taken_up.order_by("proposed_at", "pk")
    )


def case_in_sight_of(user, referral) -> bool:
    """Whether `user` may see this case at all (a refusal on it is then a reason, not a 404)."""
    return (
        cases_visible_to(user).filter(pk=referral.pk).exists()
        or peer_cases_for(user).filter(pk=referral.pk).exists()
    )


def connection_in_sight_of(user, connection) -> bool:
    """Whether `user` may see this connection: on a case they see, or sent to their services."""
    return (
        case_in_sight_of(user, connection.referral)
        or connections_for_provider(user).filter(pk=connection.pk).exists()
    )
