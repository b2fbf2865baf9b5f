"""What each referral contributes to the statistics, as querysets the database evaluates.

The rollup (services.py) inserts these querysets' rows straight into the fact
tables (INSERT ... SELECT), so a million referrals are classified inside the
database instead of travelling to Python and back. Every output column is an
annotation named `r_<fact field>`; `t_` annotations are working values.

The definitions are DESIGN.md's (Statistics) and the README's: month and week
received in local time, age on the day received, deprivation quintile from
the postcode's decile (for an erased person, both as kept before the erasure),
waiting days from received to the first contact and the same in working days
(Monday to Friday, less bank holidays).

Every fact row carries `record_key` (cellkey.py), worked out here in the same
INSERT: from the referral's uuid for a referral and for its outcome pairs (a
person counts), from the connection's or the unmet need's own uuid for those
(a connection counted under several categories has the same key in each).
"""

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    ExtractDay,
    ExtractIsoWeekDay,
    ExtractMonth,
    ExtractYear,
    Greatest,
    TruncDate,
    TruncMonth,
    TruncWeek,
)

from accounts.models import BankHoliday
from directory.models import Postcode, Service
from linkworkers.models import (
    Answer,
    Connection,
    ConnectionStatus,
    OutcomeMeasure,
    ScoringMethod,
    UnmetNeed,
)
from referrals.models import ClosureReason, Referral, Status

from .cellkey import RecordKey
from .models import AgeBand, DeprivationQuintile

SCORE = DecimalField(max_digits=7, decimal_places=2)


class DaysBetween(Func):
    """Whole days from the second date to the first (PostgreSQL and SQLite, the two we run on)."""

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


def flag(condition: Q):
    return ExpressionWrapper(condition, output_field=BooleanField())


def cell_columns(prefix: str = "") -> dict:
    """The cell a fact counts in (models.CellMixin), from the referral at `prefix`."""
    month = TruncMonth(f"{prefix}received_at", output_field=DateField())
    return {
        "r_month": month,
        "r_scheme_id": F(f"{prefix}scheme_id"),
        "r_area_id": F(f"{prefix}area_id"),
        "r_source_kind": F(f"{prefix}source_kind"),
        "r_cell": Concat(
            Cast(month, CharField()),
            Value("|"),
            Cast(F(f"{prefix}scheme_id"), CharField()),
            Value("|"),
            Coalesce(Cast(F(f"{prefix}area_id"), CharField()), Value("0")),
            Value("|"),
            F(f"{prefix}source_kind"),
            output_field=CharField(),
        ),
    }


def _age_band():
    steps = [(18, AgeBand.UNDER_18), (25, AgeBand.FROM_18), (45, AgeBand.FROM_25),
             (65, AgeBand.FROM_45), (75, AgeBand.FROM_65)]  # fmt: skip
    return Case(
        *[When(t_age__lt=limit, then=Value(band.value)) for limit, band in steps],
        default=Value(AgeBand.FROM_75.value),
        output_field=CharField(),
    )


def _quintile():
    """The person's deprivation quintile from their postcode's decile: one lookup per row."""
    quintile = Case(
        *[
            When(imd_decile__in=[2 * q - 1, 2 * q], then=Value(str(q)))
            for q in range(1, 6)  # deciles 1-2 are quintile 1 (most deprived) ... 9-10 are 5
        ],
        default=Value(DeprivationQuintile.NOT_KNOWN.value),
        output_field=CharField(),
    )
    looked_up = (
        Postcode.objects.filter(postcode=OuterRef("person__postcode"))
        .order_by()
        .annotate(t_quintile=quintile)
        .values("t_quintile")[:1]
    )
    return Coalesce(
        Subquery(looked_up, output_field=CharField()),
        Value(DeprivationQuintile.NOT_KNOWN.value),
        output_field=CharField(),
    )


def _bank_holidays_between(after: str, until: str):
    """How many bank holidays fall on a weekday after `after` and up to `until` (dates)."""
    holidays = (
        BankHoliday.objects.filter(
            date__gt=OuterRef(after),
            date__lte=OuterRef(until),
            date__week_day__gte=2,  # Monday (1 is Sunday)
            date__week_day__lte=6,  # Friday
        )
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Coalesce(Subquery(holidays, output_field=IntegerField()), Value(0))


_ACCEPTED = Q(accepted_at__isnull=False)
_ALLOCATED = _ACCEPTED & Q(allocated_at__isnull=False)
_FIRST_CONTACT = _ALLOCATED & Q(first_contact_at__isnull=False)
_COMPLETED = Q(status=Status.CLOSED, closure_reason=ClosureReason.COMPLETED)


def referral_facts(referrals: QuerySet[Referral]) -> QuerySet[Any]:
    """One row per referral for ReferralFact."""
    one, none = Value(1), Value(0)
    return (
        referrals.order_by()
        .annotate(
            # Connected: a provider accepted one of the referral's connections.
            t_connected=Exists(
                Connection.objects.filter(
                    referral_id=OuterRef("pk"), answered_at__isnull=False
                ).exclude(status=ConnectionStatus.DECLINED)
            ),
            t_received=TruncDate("received_at"),
            t_contacted=TruncDate("first_contact_at"),
            t_born=F("person__date_of_birth"),
        )
        .alias(
            t_rm=ExtractMonth("t_received"),
            t_bm=ExtractMonth("t_born"),
            t_rd=ExtractDay("t_received"),
            t_bd=ExtractDay("t_born"),
        )
        .annotate(
            # Age on the day received: years between, less one before the birthday.
            t_age=ExtractYear("t_received")
            - ExtractYear("t_born")
            - Case(
                When(
                    Q(t_rm__lt=F("t_bm")) | Q(t_rm=F("t_bm"), t_rd__lt=F("t_bd")),
                    then=one,
                ),
                default=none,
            ),
            t_wait=Greatest(DaysBetween("t_contacted", "t_received"), none),
            t_weekday=ExtractIsoWeekDay("t_received"),
        )
        .annotate(
            t_full_weeks=F("t_wait") / 7,
            # Days after received until the next Saturday and Sunday (1-7).
            t_to_saturday=Case(
                When(t_weekday__lt=6, then=Value(6) - F("t_weekday")),
                default=Value(13) - F("t_weekday"),
            ),
            t_to_sunday=Case(
                When(t_weekday__lt=7, then=Value(7) - F("t_weekday")), default=Value(7)
            ),
        )
        .annotate(t_rest=F("t_wait") - F("t_full_weeks") * 7)
        .annotate(
            **cell_columns(),
            r_referral_id=F("pk"),
            r_record_key=RecordKey("uuid"),
            r_week=TruncWeek("received_at", output_field=DateField()),
            r_reasons=F("reasons"),
            # An erased person's date of birth and postcode are gone: what they counted
            # as was kept first (models.KeptReferralFacts), and counts instead.
            r_age_band=Coalesce(F("kept_facts__age_band"), _age_band(), output_field=CharField()),
            r_gender=F("person__gender"),
            r_ethnic_group=F("person__ethnic_group"),
            r_deprivation=Coalesce(
                F("kept_facts__deprivation"), _quintile(), output_field=CharField()
            ),
            # The funnel is nested: each stage counts the referrals that reached it and
            # every stage before it, so no stage holds a referral the one before left out.
            r_accepted=flag(_ACCEPTED),
            r_rejected=flag(Q(rejected_at__isnull=False)),
            r_cancelled=flag(Q(cancelled_at__isnull=False)),
            r_allocated=flag(_ALLOCATED),
            r_first_contact=flag(_FIRST_CONTACT),
            r_connected=flag(_FIRST_CONTACT & Q(t_connected=True)),
            r_closed=flag(Q(status=Status.CLOSED)),
            # Closed as completed, connected or not: shown beside the funnel, not in it.
            r_completed=flag(_COMPLETED),
            r_connected_completed=flag(_FIRST_CONTACT & Q(t_connected=True) & _COMPLETED),
            r_wait_days=Case(When(first_contact_at__isnull=True, then=None), default="t_wait"),
            # Working days: five per whole week, then the days left over that are not
            # a Saturday or a Sunday, less the bank holidays on weekdays in between.
            r_wait_working_days=Case(
                When(first_contact_at__isnull=True, then=None),
                default=F("t_full_weeks") * 5
                + F("t_rest")
                - Case(When(t_to_saturday__lte=F("t_rest"), then=one), default=none)
                - Case(When(t_to_sunday__lte=F("t_rest"), then=one), default=none)
                - _bank_holidays_between("t_received", "t_contacted"),
            ),
            r_link_worker_id=Case(
                When(allocated_at__isnull=False, then=F("link_worker_id")), default=None
            ),
            r_allocated_month=TruncMonth("allocated_at", output_field=DateField()),
        )
    )


def _top_category(prefix: str):
    # The directory's categories are a shallow tree (a category and its kinds): the top is
    # the grandparent, else the parent, else the term itself.
    return Coalesce(f"{prefix}parent__parent_id", f"{prefix}parent_id", f"{prefix}id")


def connection_facts(connections: QuerySet[Connection]) -> QuerySet[Any]:
    """One row per connection and top-level category of its service, for ConnectionFact.

    The join to the service's categories gives a row per category (one row with
    no category for a service that has none); two categories with the same top
    give the same row twice, so the caller selects DISTINCT rows. The lowest top
    is the row that counts the connection itself (`counts_connection`).
    """
    lowest_top = (
        Service.taxonomy_terms.through.objects.filter(service_id=OuterRef("service_id"))
        .order_by(_top_category("taxonomyterm__").asc())
        .values(top=_top_category("taxonomyterm__"))[:1]
    )
    return connections.order_by().annotate(
        **cell_columns("referral__"),
        r_connection_id=F("pk"),
        r_record_key=RecordKey("uuid"),
        r_referral_id=F("referral_id"),
        r_category_id=_top_category("service__taxonomy_terms__"),
        r_counts_connection=Case(
            When(Q(r_category_id__isnull=True), then=Value(True)),
            When(Q(r_category_id=Subquery(lowest_top)), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        r_provider_id=F("service__provider_id"),
        r_referred=flag(Q(referred_at__isnull=False)),
        r_accepted=flag(Q(answered_at__isnull=False) & ~Q(status=ConnectionStatus.DECLINED)),
        r_declined=flag(Q(status=ConnectionStatus.DECLINED)),
        r_attended=flag(Q(attending_since__isnull=False) | Q(status=ConnectionStatus.COMPLETED)),
        r_completed=flag(Q(status=ConnectionStatus.COMPLETED)),
    )


def unmet_need_facts(unmet_needs: QuerySet[UnmetNeed]) -> QuerySet[Any]:
    return unmet_needs.order_by().annotate(
        **cell_columns("referral__"),
        r_unmet_need_id=F("pk"),
        r_record_key=RecordKey("uuid"),
        r_referral_id=F("referral_id"),
        r_category_id=_top_category("category__"),
    )


FOLLOW_UPS = ("review", "closure")


def _beats(prefix: str, chosen: str) -> Q:
    """Measure `prefix` is a better follow-up than measure `chosen` (OuterRef paths): the
    closure measure beats any review; then the later answered, recorded, then higher id."""

    def outer(field):
        return OuterRef(f"{chosen}{field}")

    same_day = Q(**{f"{prefix}answered_on": outer("answered_on")})
    same_time = same_day & Q(**{f"{prefix}created_at": outer("created_at")})
    same_kind = Q(**{f"{prefix}timepoint": outer("timepoint")})
    return Q(**{f"{prefix}timepoint": "closure"}) & ~Q(
        **{f"{prefix}timepoint": outer("timepoint")}
    ) | same_kind & (
        Q(**{f"{prefix}answered_on__gt": outer("answered_on")})
        | same_day & Q(**{f"{prefix}created_at__gt": outer("created_at")})
        | same_time & Q(**{f"{prefix}pk__gt": outer("pk")})
    )


def _paired(baselines, measure: str = ""):
    """`baselines` (rows reaching a baseline measure at `measure`) joined to their follow-up,
    as the relation `follow`: the closure measure on the same instrument, else the latest
    review. A join, not a correlated subquery, so each row reads its follow-up once."""
    others = f"{measure}referral__outcome_measures"
    follow = FilteredRelation(
        others,
        condition=Q(**{f"{others}__instrument_id": F(f"{measure}instrument_id")})
        & Q(**{f"{others}__timepoint__in": FOLLOW_UPS}),
    )
    better = OutcomeMeasure.objects.filter(
        _beats("", "follow__"),
        referral_id=OuterRef("follow__referral_id"),
        instrument_id=OuterRef("follow__instrument_id"),
        timepoint__in=FOLLOW_UPS,
    )
    return (
        baselines.order_by()
        .filter(**{f"{measure}timepoint": "baseline"})
        .alias(follow=follow)  # a left join: callers drop the rows without a follow-up
        .filter(~Exists(better))
    )


def _direction(higher_is_better: str):
    better = Q(**{higher_is_better: True, "t_change__gt": 0}) | Q(
        **{higher_is_better: False, "t_change__lt": 0}
    )
    worse = Q(**{higher_is_better: True, "t_change__lt": 0}) | Q(
        **{higher_is_better: False, "t_change__gt": 0}
    )
    return {
        "r_improved": Case(When(better, then=Value(True)), default=Value(False)),
        "r_worsened": Case(When(worse, then=Value(True)), default=Value(False)),
    }


def _score(prefix: str = ""):
    return Coalesce(
        f"{prefix}converted_score", Cast(f"{prefix}raw_score", SCORE), output_field=SCORE
    )


def outcome_facts_by_total(measures: QuerySet[OutcomeMeasure]) -> QuerySet[Any]:
    """Baseline and follow-up of instruments scored as a whole (the converted score where the
    instrument converts, else the raw total), one row per referral and instrument."""
    return (
        _paired(measures.exclude(instrument__scoring=ScoringMethod.PER_ITEM))
        .annotate(t_before=_score(), t_after=_score("follow__"))
        .filter(t_before__isnull=False, t_after__isnull=False)
        .annotate(t_change=F("t_after") - F("t_before"))
        .annotate(
            **cell_columns("referral__"),
            r_referral_id=F("referral_id"),
            r_record_key=RecordKey("referral__uuid"),
            r_instrument_id=F("instrument_id"),
            r_item_id=Value(None, output_field=IntegerField()),
            r_baseline=F("t_before"),
            r_follow_up=F("t_after"),
            r_change=F("t_change"),
            **_direction("instrument__higher_is_better"),
        )
    )


def outcome_facts_by_item(answers: QuerySet[Answer]) -> QuerySet[Any]:
    """Per-item instruments (ONS4): each item's baseline answer against the follow-up's."""
    follow_value = (
        Answer.objects.filter(measure_id=OuterRef("follow__pk"), item_id=OuterRef("item_id"))
        .order_by()
        .values("value")[:1]
    )
    return (
        _paired(answers.filter(measure__instrument__scoring=ScoringMethod.PER_ITEM), "measure__")
        # One unique-index lookup: the follow-up's answer to the same item.
        .annotate(t_after=Subquery(follow_value))
        .filter(t_after__isnull=False)
        .annotate(
            t_before_score=Cast("value", SCORE),
            t_after_score=Cast("t_after", SCORE),
        )
        .annotate(t_change=F("t_after_score") - F("t_before_score"))
        .annotate(
            **cell_columns("measure__referral__"),
            r_referral_id=F("measure__referral_id"),
            r_record_key=RecordKey("measure__referral__uuid"),
            r_instrument_id=F("measure__instrument_id"),
            r_item_id=F("item_id"),
            r_baseline=F("t_before_score"),
            r_follow_up=F("t_after_score"),
            r_change=F("t_change"),
            **_direction("item__higher_is_better"),
        )
    )
