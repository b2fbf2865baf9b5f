"""The printable letter back to the GP and referrer (PRSB "Message back to GP and referrer").

One read for the page at /referrals/<uuid>/letter/: scoped like the referral page
(`referrals.selectors.get_referral_for`), and shaped by the person's choice of what
may go back to their GP (`referrals.selectors.referrer_may_see_text`). With "coded
events only" the letter carries coded facts alone (dates, the closure reason, the
categories of the services taken up and their status, the outcome scores, who to
contact); none of the scheme's words (what mattered, the follow-up advice, the
summary's parts, the names of the services) are even loaded into it.
"""

from dataclasses import dataclass, field

from django.http import Http404

from accounts.models import Organisation, User
from referrals.models import Referral, Status
from referrals.selectors import get_referral_for, referrer_may_see_text

from ..models import ClosureSummary, Connection, ConnectionStatus, LinkWorker
from .outcomes import InstrumentOutcomes, outcomes_for_case

TAKEN_UP = (ConnectionStatus.ACCEPTED, ConnectionStatus.ATTENDING, ConnectionStatus.COMPLETED)


@dataclass(frozen=True)
class WorkerContact:
    """Who the person (or their GP) calls: the link worker's number, else the scheme's."""

    name: str
    phone: str
    email: str
    scheme: str
    phone_is_scheme: bool


def worker_contact(referral: Referral) -> WorkerContact | None:
    """The link worker's name and contact for a referral; None when no one holds it.

    Two queries at most (the profile, the scheme is already on the referral when selected).
    """
    worker: User | None = referral.link_worker
    scheme: Organisation | None = referral.scheme
    if worker is None:
        if scheme is None or not scheme.phone:
            return None
        return WorkerContact("", scheme.phone, "", scheme.display_name, True)
    profile = LinkWorker.objects.filter(user_id=worker.pk).only("phone").first()
    own = profile.phone if profile else ""
    return WorkerContact(
        name=worker.get_full_name() or worker.get_username(),
        phone=own or (scheme.phone if scheme else ""),
        email=worker.email,
        scheme=scheme.display_name if scheme else "",
        phone_is_scheme=not own and bool(scheme and scheme.phone),
    )


@dataclass(frozen=True)
class LetterConnection:
    """A service the person took up: its name only when words may go back, else its categories."""

    name: str
    provider: str
    categories: list[str]
    status: str


@dataclass
class GPLetter:
    referral: Referral
    words: bool  # the person chose "everything": the scheme's words go in the letter
    summary: ClosureSummary | None  # None when withheld, or a case closed before the parts
    # The summary as one text, for a case closed without its parts kept apart (older closures,
    # the demo); empty when withheld or when the parts are there.
    summary_text: str = ""
    connections: list[LetterConnection] = field(default_factory=list)
    outcomes: list[InstrumentOutcomes] = field(default_factory=list)
    contact: WorkerContact | None = None


def _category_names(connection: Connection) -> list[str]:
    return [term.display_name for term in connection.service.taxonomy_terms.all()]


def gp_letter_for(user, referral_uuid) -> GPLetter:
    """The letter for a closed referral the user may see; 404 otherwise (not closed: no letter).

    A fixed number of queries however many connections and measures the case has.
    """
    referral = get_referral_for(user, referral_uuid)
    if referral.status != Status.CLOSED:
        raise Http404
    # The letter goes to the GP whoever prints it: the person's choice holds for everyone.
    words = referrer_may_see_text(referral)
    summary = (
        ClosureSummary.objects.filter(referral=referral).order_by("-created_at", "-pk").first()
        if words
        else None
    )
    taken_up = (
        Connection.objects.filter(referral=referral, status__in=TAKEN_UP)
        .select_related("service__provider")
        .prefetch_related("service__taxonomy_terms")
        .order_by("proposed_at", "pk")
    )
    connections = [
        LetterConnection(
            name=connection.service.display_name if words else "",
            provider=connection.service.provider.display_name if words else "",
            categories=sorted(
                {term.display_name for term in connection.service.taxonomy_terms.all()}
            ),
            status=connection.get_status_display(),
        )
        for connection in taken_up
    ]
    return GPLetter(
        referral=referral,
        words=words,
        summary=summary,
        summary_text=referral.closure_summary if words and summary is None else "",
        connections=connections,
        outcomes=outcomes_for_case(referral),
        contact=worker_contact(referral),
    )
