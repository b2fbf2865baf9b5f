"""The GP-system extract: each referral event a GP record would hold, as a SNOMED CT coded row.

A read, scoped to the reader (DESIGN.md, Who may see what): a referrer sees
their own practice's referrals, a coordinator the referrals a practice made to
their scheme, and the `gp_extract` command (run by the operator for scheduled
drops) every referral the practice made. Self-referrals have no referring
organisation, so they never appear. Events with no SNOMED CT concept are left
out: the file is for import into a GP clinical system, where a wrong code is
worse than none.

The extract carries no free text (no notes, summaries or reasons in words), so
both choices of `Referral.gp_feedback` ("everything" and "coded events only")
allow every row here: the channels that do carry the scheme's words ask
`referrals.selectors.referrer_may_see_text`, and a test proves no word of a
closure summary reaches this file under either choice.
"""

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from accounts.models import Organisation, Role
from core.exceptions import ValidationError
from referrals.models import ClosureReason, PersonAsReferred, Referral, ReferralEvent, Status
from referrals.selectors import referrals_visible_to


@dataclass(frozen=True)
class Concept:
    id: str
    term: str  # the preferred term, as a GP system shows it
    event_label: StrOrPromise  # what happened, in words, for the page


# The one table of SNOMED CT UK concepts this extract uses, keyed by the
# machine word in the `event` column, and when each is recorded. Only concepts
# whose id and term were confirmed in a public source are here; nothing is guessed.
#
# When: NHS England's guidance for social prescribing link workers (Social
# prescribing: reference guide and technical annex for primary care networks,
# https://www.england.nhs.uk/long-read/social-prescribing-reference-guide-and-technical-annex-for-primary-care-networks/)
# is to record "Referral to social prescribing service" when the person
# accepts the referral, at the first interaction of an episode, not when a
# referral arrives (many never lead to one), and "Social prescribing declined"
# when the person declines.
CONCEPTS: dict[str, Concept] = {
    # The person accepted the referral: the first contact, when the case went from
    # allocated to in progress (referrals.services.referral_start, called when a
    # link worker first reaches the person). A case reopened later is the same
    # episode and is not coded again.
    # Confirmed: https://github.com/UoM-Data-Science-Platforms/gm-sde/blob/
    #   30096ae1edf483497b4ac94ed2fec8aa28744bfc/shared/clinical-code-sets/referrals/
    #   social-care-prescribing-referral/1/social-care-prescribing-referral.snomed.txt
    #   (a Greater Manchester GP-data code set built from SNOMED CT UK 29.3.0)
    # and https://www.socialrx.co.uk/blogs/blog/social-prescribing-snomed-codes-why-important
    "accepted_by_person": Concept(
        id="871731000000106",
        term="Referral to social prescribing service",
        event_label=gettext_lazy("The person accepted the referral (first contact)"),
    ),
    # The person said they do not want social prescribing: a closure with the
    # reason "declined by the person". A scheme's rejection or a referrer's
    # cancellation is not the person declining, so neither is coded.
    # Confirmed: https://www.socialrx.co.uk/blogs/blog/social-prescribing-snomed-codes-why-important
    #   (id and term: "used when a person ... explicitly states they do not wish to make use
    #   of the social prescribing service"); the term as a GP record code also in the CPRD
    #   study https://sciety.org/articles/activity/10.1101/2025.04.04.25325237 (refusal
    #   "defined as having a medical code of 'social prescribing declined'").
    "declined_by_person": Concept(
        id="871711000000103",
        term="Social prescribing declined",
        event_label=gettext_lazy("The person declined social prescribing"),
    ),
}

# Machine headers for import into a GP system: fixed English snake_case in
# every language, because importers map columns by these names. Everything a
# person reads on the page is translated; these are not read, they are parsed.
HEADERS = [
    "practice_ods_code",
    "nhs_number",
    "family_name",
    "given_name",
    "date_of_birth",
    "referral_reference",
    "event_date",
    "snomed_concept_id",
    "snomed_term",
    "event",
]


# The moves that may carry a code: into in progress (accepted) and closed (declined).
CODED_STATUSES = (Status.IN_PROGRESS, Status.CLOSED)


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive


# Who may use it ------------------------------------------------------------


def _practices():
    return Organisation.objects.filter(
        kind=Organisation.Kind.GP_PRACTICE, ods_code__isnull=False
    ).exclude(ods_code="")


def may_use_gp_extract(user) -> bool:
    """Referrers of a GP practice and scheme coordinators; everyone else is answered 403."""
    if not (user.is_authenticated and user.is_active and user.organisation_id):
        return False
    if user.role == Role.COORDINATOR:
        return True
    if user.role == Role.REFERRER:
        organisation = user.organisation
        return organisation.kind == Organisation.Kind.GP_PRACTICE and bool(organisation.ods_code)
    return False


def practices_for(user):
    """The practices whose extract `user` may download, by name."""
    if not may_use_gp_extract(user):
        return Organisation.objects.none()
    if user.role == Role.REFERRER:
        return _practices().filter(pk=user.organisation_id)
    referred_to_scheme = Referral.objects.filter(scheme_id=user.organisation_id).values(
        "referring_organisation_id"
    )
    return _practices().filter(pk__in=referred_to_scheme).order_by("name", "ods_code")


def get_practice_for(user, ods_code):
    """The practice, or 404 alike for "no such practice" and "not one of yours"."""
    practice = practices_for(user).filter(ods_code=ods_code).first()
    if practice is None:
        raise Http404
    return practice


def practice_by_ods_code(ods_code):
    """For the command, which runs with no user: any GP practice, or None."""
    return _practices().filter(ods_code=(ods_code or "").strip().upper()).first()


# The period ----------------------------------------------------------------


def default_period(today: date | None = None) -> Period:
    """The previous calendar month."""
    today = today or timezone.localdate()
    end = today.replace(day=1) - timedelta(days=1)
    return Period(start=end.replace(day=1), end=end)


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_day(value, *, missing, invalid):
    """A day from YYYY-MM-DD (what <input type="date"> sends), or what is wrong with it."""
    value = (value or "").strip()
    if not value:
        return None, missing
    try:
        if ISO_DAY.fullmatch(value):
            return date.fromisoformat(value), None
    except ValueError:
        pass
    return None, invalid


def _a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return date(day.year + 1, 3, 1)


def parse_period(start, end) -> Period:
    """Check a period given as two YYYY-MM-DD strings; raise ValidationError naming the field.

    The field keys are "from" and "to", as in the download's query string.
    """
    errors = {}
    first, error = _parse_day(
        start,
        missing=_("Enter the from date."),
        invalid=_("Enter the from date as YYYY-MM-DD, for example 2026-04-01."),
    )
    if error:
        errors["from"] = [error]
    last, error = _parse_day(
        end,
        missing=_("Enter the to date."),
        invalid=_("Enter the to date as YYYY-MM-DD, for example 2026-04-30."),
    )
    if error:
        errors["to"] = [error]
    if first and last:
        if first > last:
            errors["to"] = [_("The to date must not be before the from date.")]
        elif last >= _a_year_after(first):
            errors["to"] = [
                _(
                    "The period can be a year at most: choose a to date within a year "
                    "of the from date."
                )
            ]
    if errors:
        raise ValidationError(_("Please correct the dates."), field_errors=errors)
    return Period(start=first, end=last)


# The rows --------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def coded_events(*, practice, period: Period, user=None):
    """The coded events of referrals `practice` made, recorded in `period`, that `user` may see.

    `user=None` is the command: every referral the practice made. Each event
    carries `event_word`, a key of CONCEPTS, and `event_at`, when it happened.

    The period is of when an event was recorded, so that each event falls in
    exactly one monthly drop even when it was recorded a day after it happened;
    the row is dated when it happened (a first contact logged late carries the
    day of the conversation).
    """
    referrals = referrals_visible_to(user) if user is not None else Referral.objects.all()
    referrals = referrals.filter(referring_organisation=practice)
    # The person accepted: the first move into in progress. A later one (resumed from
    # hold, reopened) is the same episode.
    earlier_start = ReferralEvent.objects.filter(
        referral_id=OuterRef("referral_id"),
        kind=ReferralEvent.Kind.STATUS,
        to_status=Status.IN_PROGRESS,
    ).filter(
        Q(created_at__lt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
    )
    accepted = Q(kind=ReferralEvent.Kind.STATUS, to_status=Status.IN_PROGRESS) & ~Exists(
        earlier_start
    )
    # The closure event of a referral closed as declined by the person. The
    # reason lives on the referral, and a reopen clears it, so only the closure
    # that still stands carries it: its event was written in the same moment as
    # `closed_at` (referral_transition stamps both with one `now`).
    declined = Q(
        kind=ReferralEvent.Kind.STATUS,
        to_status=Status.CLOSED,
        referral__status=Status.CLOSED,
        referral__closure_reason=ClosureReason.DECLINED,
        created_at=F("referral__closed_at"),
    )
    return (
        ReferralEvent.objects.filter(
            referral__in=referrals,
            # Whole local days, as bounds on the indexed timestamp.
            created_at__gte=_day_start(period.start),
            created_at__lt=_day_start(period.end + timedelta(days=1)),
        )
        .filter(Q(kind=ReferralEvent.Kind.STATUS, to_status__in=CODED_STATUSES))
        .alias(is_accepted=ExpressionWrapper(accepted, output_field=BooleanField()))
        .filter(Q(is_accepted=True) | declined)
        .annotate(
            event_word=Case(
                When(is_accepted=True, then=Value("accepted_by_person")),
                default=Value("declined_by_person"),
                output_field=CharField(),
            ),
            event_at=Case(
                When(
                    is_accepted=True,
                    then=Coalesce("referral__first_contact_at", "created_at"),
                ),
                default=F("created_at"),
                output_field=DateTimeField(),
            ),
        )
        .order_by("event_at", "pk")
    )


def _safe(value) -> str:
    """Keep a spreadsheet from reading a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class Extract:
    """The CSV's rows (without the header), and whom they are about, for the audit trail."""

    rows: list[list[str]]
    people: list[UUID]
    references: list[str]


def extract(*, practice, period: Period, user=None) -> Extract:
    """The extract's rows, in one query whatever their number."""
    # The person as the practice itself supplied them on each referral, never the
    # scheme's record: the scheme may have linked the referral to a person whose
    # details the practice never gave (DESIGN.md, Who may see what).
    events = coded_events(practice=practice, period=period, user=user).values_list(
        "referral__person_details_as_referred",
        "referral__reference",
        "event_at",
        "event_word",
        "referral__person__uuid",
    )
    rows = []
    people: dict[UUID, None] = {}
    for as_referred, reference, when, word, person_uuid in events:
        people[person_uuid] = None
        concept = CONCEPTS[word]
        person = PersonAsReferred.from_snapshot(as_referred)
        rows.append(
            [
                practice.ods_code,
                person.nhs_number or "",
                _safe(person.family_name),
                _safe(person.given_name),
                person.date_of_birth.isoformat() if person.date_of_birth else "",
                reference,
                timezone.localdate(when).isoformat(),
                concept.id,
                concept.term,
                word,
            ]
        )
    references = list(dict.fromkeys(row[5] for row in rows))
    return Extract(rows=rows, people=list(people), references=references)


def write_csv(stream, rows) -> None:
    writer = csv.writer(stream)
    writer.writerow(HEADERS)
    writer.writerows(rows)


def filename(practice, period: Period) -> str:
    return (
        f"gp-extract-{practice.ods_code}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    )


def audit_detail(*, practice, period: Period, row_count: int, by_command: bool = False) -> str:
    """What the audit row says of a download: practice, period, rows, and how."""
    detail = (
        f"GP extract for practice {practice.ods_code}, "
        f"{period.start.isoformat()} to {period.end.isoformat()}, {row_count} rows"
    )
    return f"{detail}, by the gp_extract command" if by_command else detail
