"""Every change reporting makes: filling the rollup tables (and sending reports).

A run rebuilds facts (one row per referral, connection, outcome pair and
unmet need: what each contributes) and then replaces whole cube cells by
summing facts (see models.py). The full run does it for everything; the
incremental one only for referrals that changed since the last run began,
and only for the cells those referrals count in now or counted in before.
Runs take turns: RollupRun.in_flight is unique, so a second request joins
the run already queued or running instead of racing it.
"""

import logging
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Organisation, Role, User
from directory.models import Postcode, Service, TaxonomyTerm
from linkworkers.models import (
    Answer,
    Connection,
    ConnectionStatus,
    Instrument,
    Item,
    LinkWorker,
    OutcomeMeasure,
    ScoringMethod,
    Timepoint,
    UnmetNeed,
)
from referrals.models import ClosureReason, Referral, ReferralEvent, Status
from referrals.services import outbox_email_queue

from .forms import add_months
from .models import (
    AgeBand,
    BreakdownCube,
    ConnectionCube,
    ConnectionFact,
    DeprivationQuintile,
    Dimension,
    LinkWorkerCube,
    LinkWorkerLoad,
    MonthlyReportSent,
    OutcomeCube,
    OutcomeFact,
    ReferralCube,
    ReferralFact,
    RollupRun,
    UnmetNeedCube,
    UnmetNeedFact,
    WaitCube,
    WeeklyCube,
)
from .selectors import Filters, dashboard_tables, reporting_scope_for

logger = logging.getLogger(__name__)

BATCH = 5000  # referrals per fact batch: one transaction and one progress step each
INSERT_BATCH = 5000
# A run still "in flight" after this long died with its worker: a new request replaces it.
STALE_RUN_AFTER = timedelta(hours=3)

CELL_FIELDS = ("cell", "month", "scheme_id", "area_id", "source_kind")


# Classifying one referral --------------------------------------------------


def cell_key(month: date, scheme_id: int, area_id: int | None, source_kind: str) -> str:
    return f"{month:%Y-%m}|{scheme_id}|{area_id or 0}|{source_kind}"


def age_band(date_of_birth: date, on: date) -> str:
    age = (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )
    if age < 18:
        return AgeBand.UNDER_18
    if age < 25:
        return AgeBand.FROM_18
    if age < 45:
        return AgeBand.FROM_25
    if age < 65:
        return AgeBand.FROM_45
    if age < 75:
        return AgeBand.FROM_65
    return AgeBand.FROM_75


def quintile(imd_decile: int | None) -> str:
    """Deciles 1-2 are quintile 1 (most deprived) ... 9-10 quintile 5."""
    if not imd_decile or not 1 <= imd_decile <= 10:
        return DeprivationQuintile.NOT_KNOWN
    return str((imd_decile + 1) // 2)


def working_days_between(start: date, end: date) -> int:
    """Weekdays after `start` up to and including `end` (0 when end is not after start).

    Bank holidays count as working days: the service keeps no calendar of them.
    """
    if end <= start:
        return 0
    days = (end - start).days
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    weekday = start.weekday()
    for offset in range(1, rest + 1):
        if (weekday + offset) % 7 < 5:
            count += 1
    return count


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment else None


# Facts -------------------------------------------------------------------


class _Reference:
    """Small lookup tables read once per run: categories, services, instruments."""

    def __init__(self):
        parents = dict(TaxonomyTerm.objects.values_list("pk", "parent_id"))

        def root(term_id):
            seen = set()
            while parents.get(term_id) and term_id not in seen:
                seen.add(term_id)
                term_id = parents[term_id]
            return term_id

        self.root_category = {term_id: root(term_id) for term_id in parents}
        self.instruments = {
            pk: (scoring, higher)
            for pk, scoring, higher in Instrument.objects.values_list(
                "pk", "scoring", "higher_is_better"
            )
        }
        self.item_higher = dict(Item.objects.values_list("pk", "higher_is_better"))
        self._services = {}

    def services(self, service_ids):
        """service id -> (provider id, top-level category id or None), loading what is new."""
        missing = set(service_ids) - self._services.keys()
        if missing:
            first_term = {}
            through = Service.taxonomy_terms.through.objects.filter(service_id__in=missing)
            for service_id, term_id in through.order_by("taxonomyterm_id").values_list(
                "service_id", "taxonomyterm_id"
            ):
                first_term.setdefault(service_id, term_id)
            for pk, provider_id in Service.objects.filter(pk__in=missing).values_list(
                "pk", "provider_id"
            ):
                term = first_term.get(pk)
                self._services[pk] = (provider_id, self.root_category.get(term) if term else None)
        return self._services


REFERRAL_COLUMNS = (
    "pk",
    "received_at",
    "scheme_id",
    "area_id",
    "source_kind",
    "reasons",
    "person__date_of_birth",
    "person__gender",
    "person__ethnic_group",
    "person__postcode",
    "status",
    "accepted_at",
    "rejected_at",
    "cancelled_at",
    "allocated_at",
    "first_contact_at",
    "closure_reason",
    "link_worker_id",
)


def _facts_for(referral_rows, reference: _Reference):
    """Build (referral facts, connection facts, unmet need facts, outcome facts) for a batch."""
    ids = [row[0] for row in referral_rows]
    postcodes = {row[9] for row in referral_rows}
    deciles = dict(
        Postcode.objects.filter(postcode__in=postcodes, imd_decile__isnull=False).values_list(
            "postcode", "imd_decile"
        )
    )
    cells = {}
    referral_facts = []
    for (
        pk, received_at, scheme_id, area_id, source_kind, reasons, born, gender, ethnic_group,
        postcode, status, accepted_at, rejected_at, cancelled_at, allocated_at, first_contact_at,
        closure_reason, link_worker_id,
    ) in referral_rows:  # fmt: skip
        received = _local_date(received_at)
        month = received.replace(day=1)
        cell = cell_key(month, scheme_id, area_id, source_kind)
        cells[pk] = (cell, month, scheme_id, area_id, source_kind)
        contacted = _local_date(first_contact_at)
        allocated = _local_date(allocated_at)
        referral_facts.append(
            ReferralFact(
                referral_id=pk,
                cell=cell,
                month=month,
                week=received - timedelta(days=received.weekday()),
                scheme_id=scheme_id,
                area_id=area_id,
                source_kind=source_kind,
                reasons=sorted(set(reasons or [])),
                age_band=age_band(born, received),
                gender=gender,
                ethnic_group=ethnic_group,
                deprivation=quintile(deciles.get(postcode)),
                accepted=accepted_at is not None,
                rejected=rejected_at is not None,
                cancelled=cancelled_at is not None,
                allocated=allocated_at is not None,
                first_contact=first_contact_at is not None,
                closed=status == Status.CLOSED,
                completed=status == Status.CLOSED and closure_reason == ClosureReason.COMPLETED,
                wait_days=max((contacted - received).days, 0) if contacted else None,
                wait_working_days=working_days_between(received, contacted) if contacted else None,
                link_worker_id=link_worker_id if allocated_at else None,
                allocated_month=allocated.replace(day=1) if allocated else None,
            )
        )

    def placed(pk):
        cell, month, scheme_id, area_id, source_kind = cells[pk]
        return {
            "cell": cell,
            "month": month,
            "scheme_id": scheme_id,
            "area_id": area_id,
            "source_kind": source_kind,
        }

    connection_facts, connected = [], set()
    rows = list(
        Connection.objects.filter(referral_id__in=ids).values_list(
            "pk", "referral_id", "service_id", "status", "referred_at", "answered_at",
            "attending_since",
        )
    )  # fmt: skip
    services = reference.services({row[2] for row in rows})
    for pk, referral_id, service_id, status, referred_at, answered_at, attending_since in rows:
        provider_id, category_id = services[service_id]
        accepted = answered_at is not None and status != ConnectionStatus.DECLINED
        if accepted:
            connected.add(referral_id)
        connection_facts.append(
            ConnectionFact(
                connection_id=pk,
                referral_id=referral_id,
                category_id=category_id,
                provider_id=provider_id,
                referred=referred_at is not None,
                accepted=accepted,
                declined=status == ConnectionStatus.DECLINED,
                attended=attending_since is not None or status == ConnectionStatus.COMPLETED,
                completed=status == ConnectionStatus.COMPLETED,
                **placed(referral_id),
            )
        )
    for fact in referral_facts:
        fact.connected = fact.referral_id in connected

    unmet_facts = [
        UnmetNeedFact(
            unmet_need_id=pk,
            referral_id=referral_id,
            category_id=reference.root_category.get(category_id, category_id),
            **placed(referral_id),
        )
        for pk, referral_id, category_id in UnmetNeed.objects.filter(
            referral_id__in=ids
        ).values_list("pk", "referral_id", "category_id")
    ]
    outcome_facts = [
        OutcomeFact(referral_id=referral_id, **placed(referral_id), **values)
        for referral_id, values in _outcome_pairs(ids, reference)
    ]
    return referral_facts, connection_facts, unmet_facts, outcome_facts


def _outcome_pairs(referral_ids, reference: _Reference):
    """(referral id, fact fields) for each baseline + latest follow-up pair.

    The follow-up is the closure measure where there is one, else the latest
    review. Per-item instruments (ONS4) pair item by item, each with its own
    direction; the others pair their headline score (the converted one where
    the instrument converts, else the raw total).
    """
    measures = defaultdict(dict)  # (referral, instrument) -> {"baseline": m, "follow_up": m}
    rows = OutcomeMeasure.objects.filter(referral_id__in=referral_ids).order_by(
        "answered_on", "created_at", "pk"
    )
    for pk, referral_id, instrument_id, timepoint, raw, converted in rows.values_list(
        "pk", "referral_id", "instrument_id", "timepoint", "raw_score", "converted_score"
    ):
        slot = measures[(referral_id, instrument_id)]
        measure = (pk, raw, converted)
        if timepoint == Timepoint.BASELINE:
            slot["baseline"] = measure
        elif timepoint == Timepoint.CLOSURE or slot.get("kind") != Timepoint.CLOSURE:
            slot["follow_up"], slot["kind"] = measure, timepoint
    pairs = [
        (key, slot["baseline"], slot["follow_up"])
        for key, slot in measures.items()
        if "baseline" in slot and "follow_up" in slot
    ]
    per_item_ids = [
        measure[0]
        for (_, instrument_id), baseline, follow_up in pairs
        for measure in (baseline, follow_up)
        if reference.instruments[instrument_id][0] == ScoringMethod.PER_ITEM
    ]
    answers = defaultdict(dict)
    for measure_id, item_id, value in Answer.objects.filter(
        measure_id__in=per_item_ids
    ).values_list("measure_id", "item_id", "value"):
        answers[measure_id][item_id] = value
    for (referral_id, instrument_id), baseline, follow_up in pairs:
        scoring, higher_is_better = reference.instruments[instrument_id]
        if scoring == ScoringMethod.PER_ITEM:
            before, after = answers[baseline[0]], answers[follow_up[0]]
            for item_id in sorted(before.keys() & after.keys()):
                yield referral_id, _pair(
                    instrument_id, item_id, before[item_id], after[item_id],
                    reference.item_higher.get(item_id, True),
                )  # fmt: skip
        else:
            before = baseline[2] if baseline[2] is not None else baseline[1]
            after = follow_up[2] if follow_up[2] is not None else follow_up[1]
            if before is not None and after is not None:
                yield referral_id, _pair(instrument_id, None, before, after, higher_is_better)


def _pair(instrument_id, item_id, before, after, higher_is_better) -> dict:
    change = Decimal(after) - Decimal(before)
    better = change > 0 if higher_is_better else change < 0
    worse = change < 0 if higher_is_better else change > 0
    return {
        "instrument_id": instrument_id,
        "item_id": item_id,
        "baseline": before,
        "follow_up": after,
        "change": change,
        "improved": better,
        "worsened": worse,
    }


FACT_MODELS = (ReferralFact, ConnectionFact, UnmetNeedFact, OutcomeFact)


def _write_facts(referral_ids, referral_rows, reference) -> set[str]:
    """Replace the facts of these referrals; return the cells they counted in, before and after."""
    old_cells = set()
    for model in FACT_MODELS:
        facts = model.objects.filter(referral_id__in=referral_ids)
        old_cells.update(facts.values_list("cell", flat=True).distinct())
        facts._raw_delete(facts.db)
    new = _facts_for(referral_rows, reference)
    for model, facts in zip(FACT_MODELS, new, strict=True):
        model.objects.bulk_create(facts, batch_size=INSERT_BATCH)
    return old_cells | {fact.cell for fact in new[0]}


# Cubes -------------------------------------------------------------------


def _counts(**flags):
    return {name: Count("pk", filter=Q(**{flag: True})) for name, flag in flags.items()}


def _rebuild_cubes(cells: set[str] | None) -> None:
    """Replace the cube rows of `cells` (None: all of them) by summing their facts."""

    def facts(model):
        rows = model.objects.all()
        return rows if cells is None else rows.filter(cell__in=cells)

    def replace(cube, rows):
        old = cube.objects.all() if cells is None else cube.objects.filter(cell__in=cells)
        old._raw_delete(old.db)
        cube.objects.bulk_create((cube(**row) for row in rows), batch_size=INSERT_BATCH)

    referral_facts = facts(ReferralFact)
    replace(
        ReferralCube,
        referral_facts.values(*CELL_FIELDS)
        .order_by()
        .annotate(
            received=Count("pk"),
            **_counts(
                accepted="accepted",
                rejected="rejected",
                cancelled="cancelled",
                allocated="allocated",
                first_contact="first_contact",
                connected="connected",
                closed="closed",
                completed="completed",
            ),
        ),  # fmt: skip
    )
    replace(
        WeeklyCube,
        referral_facts.values(*CELL_FIELDS, "week").order_by().annotate(received=Count("pk")),
    )
    replace(
        WaitCube,
        referral_facts.filter(first_contact=True)
        .values(*CELL_FIELDS, "wait_days", "wait_working_days")
        .order_by()
        .annotate(referrals=Count("pk")),
    )
    replace(
        LinkWorkerCube,
        referral_facts.filter(link_worker_id__isnull=False, allocated_month__isnull=False)
        .values(*CELL_FIELDS, "link_worker_id", "allocated_month")
        .order_by()
        .annotate(referrals=Count("pk")),
    )
    replace(BreakdownCube, _breakdown_rows(referral_facts))
    replace(
        ConnectionCube,
        facts(ConnectionFact)
        .values(*CELL_FIELDS, "category_id", "provider_id")
        .order_by()
        .annotate(
            connections=Count("pk"),
            **_counts(
                referred="referred",
                accepted="accepted",
                declined="declined",
                attended="attended",
                completed="completed",
            ),
        ),  # fmt: skip
    )
    replace(
        UnmetNeedCube,
        facts(UnmetNeedFact)
        .values(*CELL_FIELDS, "category_id")
        .order_by()
        .annotate(needs=Count("pk")),
    )
    replace(
        OutcomeCube,
        facts(OutcomeFact)
        .values(*CELL_FIELDS, "instrument_id", "item_id")
        .order_by()
        .annotate(
            pairs=Count("pk"),
            **_counts(improved="improved", worsened="worsened"),
            change_sum=Sum("change"),
        ),
    )


def _breakdown_rows(referral_facts):
    for dimension in (Dimension.AGE_BAND, Dimension.GENDER, Dimension.ETHNIC_GROUP,
                      Dimension.DEPRIVATION):  # fmt: skip
        for row in (
            referral_facts.values(*CELL_FIELDS, dimension).order_by().annotate(n=Count("pk"))
        ):
            yield {
                **{field: row[field] for field in CELL_FIELDS},
                "dimension": dimension,
                "value": row[dimension],
                "received": row["n"],
            }
    # A referral may give several reasons and counts once under each of them. The reasons
    # are a JSON list, which SQL cannot group portably, so they are counted here.
    reasons = defaultdict(Counter)
    places = {}
    for cell, month, scheme_id, area_id, source_kind, codes in referral_facts.values_list(
        *CELL_FIELDS, "reasons"
    ).iterator(chunk_size=20000):
        places[cell] = (month, scheme_id, area_id, source_kind)
        reasons[cell].update(codes or [])
    for cell, counter in reasons.items():
        month, scheme_id, area_id, source_kind = places[cell]
        for code, n in counter.items():
            yield {
                "cell": cell, "month": month, "scheme_id": scheme_id, "area_id": area_id,
                "source_kind": source_kind, "dimension": Dimension.REASON, "value": code,
                "received": n,
            }  # fmt: skip


def _rebuild_loads() -> None:
    """Open cases per link worker now (a snapshot, not by month)."""
    open_cases = dict(
        Referral.objects.open()
        .values("link_worker_id")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("link_worker_id", "n")
    )
    loads = [
        LinkWorkerLoad(
            link_worker_id=user_id,
            scheme_id=scheme_id,
            capacity=capacity,
            active=active,
            open_cases=open_cases.get(user_id, 0),
        )
        for user_id, scheme_id, capacity, active in LinkWorker.objects.values_list(
            "user_id", "scheme_id", "capacity", "active"
        )
    ]
    LinkWorkerLoad.objects.all()._raw_delete(LinkWorkerLoad.objects.db)
    LinkWorkerLoad.objects.bulk_create(loads, batch_size=INSERT_BATCH)


# Runs --------------------------------------------------------------------


def _set_progress(run: RollupRun, progress: int, **fields) -> None:
    RollupRun.objects.filter(pk=run.pk).update(progress=min(progress, 100), **fields)


def _changed_referral_ids(since: datetime) -> set[int]:
    """Referrals whose statistics may have changed at or after `since`."""
    ids = set(Referral.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
    ids.update(
        ReferralEvent.objects.filter(created_at__gte=since).values_list("referral_id", flat=True)
    )
    connection_changed = (
        Q(proposed_at__gte=since)
        | Q(referred_at__gte=since)
        | Q(answered_at__gte=since)
        | Q(attending_since__gte=since)
        | Q(ended_at__gte=since)
    )
    ids.update(Connection.objects.filter(connection_changed).values_list("referral_id", flat=True))
    ids.update(
        OutcomeMeasure.objects.filter(created_at__gte=since).values_list("referral_id", flat=True)
    )
    ids.update(
        UnmetNeed.objects.filter(recorded_at__gte=since).values_list("referral_id", flat=True)
    )
    return ids


def _process(run: RollupRun, referral_ids: list[int] | None) -> int:
    """Rebuild facts for these referrals (None: all) and the cells they touch. Returns a count."""
    reference = _Reference()
    referrals = Referral.objects.order_by("pk")
    if referral_ids is None:
        for model in FACT_MODELS:
            model.objects.all()._raw_delete(model.objects.db)
        ids = list(referrals.values_list("pk", flat=True))
    else:
        ids = sorted(referral_ids)
    touched = set()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        rows = list(referrals.filter(pk__in=batch).values_list(*REFERRAL_COLUMNS))
        with transaction.atomic():
            if referral_ids is None:
                facts = _facts_for(rows, reference)
                for model, built in zip(FACT_MODELS, facts, strict=True):
                    model.objects.bulk_create(built, batch_size=INSERT_BATCH)
            else:
                # Deleted referrals leave facts behind until the next full run.
                touched |= _write_facts(batch, rows, reference)
        _set_progress(run, 5 + int(80 * (start + len(batch)) / max(len(ids), 1)))
    with transaction.atomic():
        _rebuild_cubes(None if referral_ids is None else touched)
        _rebuild_loads()
    return len(ids)


def rollup_request(*, kind: str, requested_by=None, enqueue=True) -> tuple[RollupRun, bool]:
    """Queue a run of `kind`, or join the one already queued or running: (run, created).

    The Celery task is queued after commit; a run whose worker died (in flight
    for longer than STALE_RUN_AFTER) is marked failed and replaced.
    """
    from .tasks import rollup_run_task

    now = timezone.now()
    RollupRun.objects.filter(in_flight=True, created_at__lt=now - STALE_RUN_AFTER).update(
        state=RollupRun.State.FAILED,
        in_flight=None,
        finished_at=now,
        error="Abandoned: no progress for too long.",
    )
    try:
        with transaction.atomic():
            run = RollupRun.objects.create(kind=kind, requested_by=requested_by, created_at=now)
    except IntegrityError:
        existing = RollupRun.objects.filter(in_flight=True).first()
        if existing is not None:
            return existing, False
        raise
    if enqueue:
        transaction.on_commit(lambda: rollup_run_task.delay(run.pk))
    return run, True


def rollup_execute(*, run_id: int) -> RollupRun | None:
    """Do the queued run `run_id`. Safe to call twice: only the first call claims the run."""
    now = timezone.now()
    claimed = RollupRun.objects.filter(pk=run_id, state=RollupRun.State.QUEUED).update(
        state=RollupRun.State.RUNNING, started_at=now, progress=1
    )
    if not claimed:
        return None
    run = RollupRun.objects.get(pk=run_id)
    try:
        since = None
        if run.kind == RollupRun.Kind.INCREMENTAL:
            previous = (
                RollupRun.objects.filter(state=RollupRun.State.DONE).order_by("-started_at").first()
            )
            if previous is not None:
                # Overlap the previous run: a change committed just after it read the tables
                # carries a timestamp from before it started.
                since = previous.started_at - timedelta(
                    minutes=settings.REPORTING_ROLLUP_OVERLAP_MINUTES
                )
        if since is None:
            count = _process(run, None)
        else:
            changed = _changed_referral_ids(since)
            _set_progress(run, 5, since=since)
            count = _process(run, list(changed))
    except Exception as error:
        logger.exception("Rollup run %s failed", run_id)
        RollupRun.objects.filter(pk=run_id).update(
            state=RollupRun.State.FAILED,
            in_flight=None,
            finished_at=timezone.now(),
            error=str(error)[:2000],
        )
        raise
    RollupRun.objects.filter(pk=run_id).update(
        state=RollupRun.State.DONE,
        in_flight=None,
        progress=100,
        finished_at=timezone.now(),
        referrals=count,
    )
    run.refresh_from_db()
    return run


def _run_now(kind: str) -> RollupRun:
    run, created = rollup_request(kind=kind, enqueue=False)
    if not created:
        raise RuntimeError(f"A rollup run is already in flight: {run}")
    rollup_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


def rollup_full() -> RollupRun:
    """Rebuild every fact and cube now, in this process (command, bench, tests)."""
    return _run_now(RollupRun.Kind.FULL)


def rollup_incremental() -> RollupRun:
    """Recompute the referrals changed since the last run, and their cells, now."""
    return _run_now(RollupRun.Kind.INCREMENTAL)


# Monthly report ------------------------------------------------------------
# On the 1st, each scheme's managers get last month's figures by email (README, "Statistics").

# The key figures: (table key, row, column key). The row is an index into the table's rows
# (its label is then the row's first cell) or "total" (labelled by the column). A figure
# whose table, row or column is missing is left out, not guessed.
MONTHLY_KEY_FIGURES = [
    ("funnel", 0, "referrals"),  # received
    ("funnel", 1, "referrals"),  # accepted
    ("waiting", 1, "value"),  # median wait (days)
    ("waiting", 3, "value"),  # share contacted within the target
    ("connections_by_category", "total", "connections"),
    ("funnel", 5, "referrals"),  # closed as completed
]
MONTHLY_FUNNEL_TABLE = "funnel"


def monthly_report_figures(tables) -> list[tuple[str, object, object]]:
    """(label, value, column) for each key figure found in `tables` (the month's dashboard)."""
    by_key = {table.key: table for table in tables}
    figures = []
    for table_key, row_index, column_key in MONTHLY_KEY_FIGURES:
        table = by_key.get(table_key)
        if table is None or column_key not in table.column_keys():
            continue
        position = table.column_keys().index(column_key)
        column = table.columns[position]
        if row_index == "total":
            if table.total is None:
                continue
            figures.append((str(column.label), table.total[position], column))
        elif row_index < len(table.rows):
            row = table.rows[row_index]
            figures.append((str(row[0]), row[position], column))
    return figures


def monthly_report_send(*, manager, month: date) -> bool:
    """Email one scheme manager their scheme's figures for `month` (its first day), once.

    Exact counts (the manager's own scheme), in the manager's language. The
    MonthlyReportSent row is the claim: written in the transaction that writes
    the outbox email, so a second run sends nothing, and a broker or mail
    outage only delays the email (the outbox sends it later). True when sent now.
    """
    scope = reporting_scope_for(manager)
    if scope is None or scope.kind != "scheme" or not manager.email:
        return False
    if MonthlyReportSent.objects.filter(user=manager, month=month).exists():
        return False  # sent already: spare the figures
    with translation.override(manager.preferred_language):
        filters = Filters(
            start=month,
            end=month,
            scheme=scope.scheme,
            area_ids=set(),
            wait_target=settings.REPORTING_WAIT_TARGET_WORKING_DAYS,
        )
        tables = dashboard_tables(scope=scope, filters=filters)
        query = f"?start={month:%Y-%m}&end={month:%Y-%m}"
        context = {
            "recipient": manager,
            "scheme": scope.scheme,
            "month": month,
            "filters": filters,
            "figures": monthly_report_figures(tables),
            "funnel": next((t for t in tables if t.key == MONTHLY_FUNNEL_TABLE), None),
            "url": settings.SITE_URL.rstrip("/") + reverse("reporting:dashboard") + query,
        }
        with transaction.atomic():
            _claim, created = MonthlyReportSent.objects.get_or_create(
                user=manager, month=month, defaults={"created_at": timezone.now()}
            )
            if not created:
                return False
            outbox_email_queue(
                to=manager.email,
                template="reporting/email/monthly",
                context=context,
                now=timezone.now(),
            )
    return True


def monthly_reports_send(*, today: date | None = None) -> int:
    """Last calendar month's report to every active manager of a scheme; returns how many sent."""
    today = today or timezone.localdate()
    month = add_months(today.replace(day=1), -1)
    managers = (
        User.objects.filter(
            role=Role.COORDINATOR, is_active=True, organisation__kind=Organisation.Kind.SCHEME
        )
        .select_related("organisation__area")
        .order_by("pk")
    )
    return sum(monthly_report_send(manager=manager, month=month) for manager in managers)
