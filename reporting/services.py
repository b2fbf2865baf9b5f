"""Every change reporting makes: filling the rollup tables (and sending reports).

A run rebuilds facts (one row per referral, connection, outcome pair and
unmet need: what each contributes) and sums them into cubes (see models.py).
The full run does it for everything. The incremental one recomputes only the
facts of referrals that changed since the last run began, and moves the cube
rows they touch by the difference: what those facts add now less what they
added before (every cube value is a sum, so this equals summing afresh).
Runs take turns: RollupRun.in_flight is unique, so a second request joins
the run already queued or running instead of racing it. A full run builds its
facts beside the live ones and swaps them in, with the cubes, in one
transaction; an incremental run is one transaction. A killed run changes
nothing live; its heartbeat stops and it is given up (rollup_runs_give_up).
"""

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    F,
    Field,
    Max,
    Min,
    PositiveIntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Organisation, Role, User
from core.outbox import outbox_email_queue
from core.queue import enqueue as queue_task
from linkworkers.models import Answer, Connection, LinkWorker, OutcomeMeasure, UnmetNeed
from referrals.models import Referral, ReferralEvent

from . import facts, selectors
from .cellkey import RecordKey
from .forms import add_months
from .models import (
    BreakdownCube,
    CellMixin,
    ConnectionCube,
    ConnectionFact,
    Dimension,
    KeptReferralFacts,
    LinkWorkerCube,
    LinkWorkerLoad,
    MonthlyReportSent,
    OpenCaseCount,
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
from .tables import Column, Table

logger = logging.getLogger(__name__)

# Referrals per step of a full run: one transaction and one progress step each.
CHUNK = settings.REPORTING_ROLLUP_CHUNK
INSERT_BATCH = 5000

CELL_FIELDS = ("cell", "month", "scheme_id", "area_id", "source_kind")
FACT_MODELS: tuple[type[CellMixin], ...] = (
    ReferralFact,
    ConnectionFact,
    UnmetNeedFact,
    OutcomeFact,
)

# The fact rows a cube sums (`facts_of(fact model)`); a source of cube rows: a grouped
# queryset of r_ columns to insert from, or rows to create; each cube with its dimensions.
FactsOf = Callable[[type[CellMixin]], QuerySet[Any]]
CubeSource = QuerySet[Any, dict[str, Any]] | Iterable[dict[str, Any]]
CubeSources = list[tuple[type[CellMixin], tuple[str, ...], list[CubeSource]]]
# {cube: (its dimensions, {(cell, *dimension values): row of sums})}
Contributions = dict[type[CellMixin], tuple[tuple[str, ...], dict[tuple[Any, ...], dict[str, Any]]]]


# Facts -------------------------------------------------------------------


def _insert_from(
    model: type[CellMixin], queryset: QuerySet[Any, Any], *, table_name: str | None = None
) -> None:
    """INSERT INTO model's table (or `table_name`, a staging table with its columns) the rows
    `queryset` selects: the database does the work.

    Each selected column is an annotation named r_<field of model> (facts.py),
    matched to the model's column by name, whatever order the SQL lists them in.
    """
    connection = connections[queryset.db]
    compiler = queryset.query.get_compiler(using=queryset.db)
    select_sql, params = compiler.as_sql()
    columns = [
        connection.ops.quote_name(_column(model, alias.removeprefix("r_")))
        for _expression, _sql, alias in compiler.select
    ]
    table = connection.ops.quote_name(table_name or model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) {select_sql}", params)


def _column(model: type[CellMixin], name: str) -> str:
    field = model._meta.get_field(name)
    # Every r_ annotation names a concrete field of the model (facts.py, _grouped).
    assert isinstance(field, Field) and field.column is not None, name
    return field.column


def _selected(queryset: QuerySet[Any]) -> QuerySet[Any, dict[str, Any]]:
    """Keep only the r_ annotations as the selected columns."""
    return queryset.values(*[name for name in queryset.query.annotations if name.startswith("r_")])


def _write_facts(referrals: QuerySet[Referral], *, staging_for: int | None = None) -> None:
    """Insert the facts of `referrals` (a Referral queryset) and of their connections,
    unmet needs and outcome measures: into the live fact tables, or into the staging
    tables of the full run `staging_for`."""
    ids = referrals.values("pk")

    def insert(model: type[CellMixin], queryset: QuerySet[Any, Any]) -> None:
        table = None if staging_for is None else _staging_table(model, staging_for)
        _insert_from(model, queryset, table_name=table)

    insert(ReferralFact, _selected(facts.referral_facts(referrals)))
    insert(
        ConnectionFact,
        _selected(
            facts.connection_facts(Connection.objects.filter(referral_id__in=ids))
        ).distinct(),
    )
    insert(
        UnmetNeedFact,
        _selected(facts.unmet_need_facts(UnmetNeed.objects.filter(referral_id__in=ids))),
    )
    insert(
        OutcomeFact,
        _selected(facts.outcome_facts_by_total(OutcomeMeasure.objects.filter(referral_id__in=ids))),
    )
    insert(
        OutcomeFact,
        _selected(facts.outcome_facts_by_item(Answer.objects.filter(measure__referral_id__in=ids))),
    )


# Staging tables: where a full run builds the facts beside the live ones ------------

STAGING_INFIX = "__run"


def _staging_table(model: type[CellMixin], run_id: int) -> str:
    """The table a full run fills for `model`'s facts: one per run, so a run given up whose
    worker still writes can never put its rows into another run's."""
    return f"{model._meta.db_table}{STAGING_INFIX}{run_id}"


def _fact_columns(model: type[CellMixin]) -> list[str]:
    """The columns of a fact table but its id (staging tables have no id: the live table's
    sequence numbers the rows when they are swapped in)."""
    return [
        _column(model, field.name) for field in model._meta.concrete_fields if not field.primary_key
    ]


def _staging_create(run_id: int) -> None:
    """Empty tables with the fact tables' columns, for this run. PostgreSQL: unlogged (they
    are rebuilt from the referrals if lost), and without indexes while they fill."""
    connection = connections[ReferralFact._default_manager.db]
    quote = connection.ops.quote_name
    unlogged = "UNLOGGED " if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for model in FACT_MODELS:
            columns = ", ".join(quote(column) for column in _fact_columns(model))
            cursor.execute(
                f"CREATE {unlogged}TABLE {quote(_staging_table(model, run_id))} AS "
                f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE 1 = 0"
            )


def _staging_drop(*, run_id: int | None = None) -> list[str]:
    """Drop this run's staging tables (None: every run's, those left by runs given up).
    Returns the tables dropped."""
    connection = connections[ReferralFact._default_manager.db]
    prefixes = tuple(f"{model._meta.db_table}{STAGING_INFIX}" for model in FACT_MODELS)
    wanted = None if run_id is None else {_staging_table(m, run_id) for m in FACT_MODELS}
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        dropped = [
            name
            for name in tables
            if name.startswith(prefixes) and (wanted is None or name in wanted)
        ]
        for name in dropped:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}")
    return dropped


def _staging_swap_in(run_id: int) -> None:
    """Replace every live fact row by the run's staging rows. Called inside the transaction
    that also rebuilds the cubes and marks the run done: readers see the old figures until it
    commits, then the new ones, never a mix (PostgreSQL's MVCC; SQLite's one writer)."""
    connection = connections[ReferralFact._default_manager.db]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in FACT_MODELS:
            live = model._default_manager.all()
            live._raw_delete(live.db)
            columns = ", ".join(quote(column) for column in _fact_columns(model))
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
                f"SELECT {columns} FROM {quote(_staging_table(model, run_id))}"
            )


def _replace_facts(referral_ids: list[int]) -> None:
    """Recompute the facts of these referrals."""
    for model in FACT_MODELS:
        old = model._default_manager.filter(Q(referral_id__in=referral_ids))
        old._raw_delete(old.db)
    _write_facts(Referral.objects.filter(pk__in=referral_ids))


def referral_facts_keep(*, referral_ids: Iterable[int], now: datetime | None = None) -> int:
    """Keep what these referrals count as by age band and deprivation, before an erasure.

    Privacy's erasure calls this inside its transaction before it blanks the
    person's date of birth and postcode; the values come from the rollup's own
    expressions (facts.referral_facts), so the figures cannot drift. A referral
    already kept keeps its first values. Returns how many were kept now.
    """
    now = now or timezone.now()
    rows = (
        facts.referral_facts(Referral.objects.filter(pk__in=list(referral_ids)))
        .filter(kept_facts__isnull=True)
        .values_list("pk", "r_age_band", "r_deprivation")
    )
    kept = [
        KeptReferralFacts(referral_id=pk, age_band=band, deprivation=quintile, kept_at=now)
        for pk, band, quintile in rows
    ]
    KeptReferralFacts.objects.bulk_create(kept, ignore_conflicts=True)
    return len(kept)


# Cubes -------------------------------------------------------------------


def _tally(name: str, flag: str | None = None) -> dict[str, Aggregate]:
    """A count of facts (those with `flag` set, else all) and the sum of their record keys,
    as the cube's `name` and `name`_key (cellkey.py)."""
    condition = Q(**{flag: True}) if flag else None
    return {
        f"r_{name}": Count("pk", filter=condition),
        f"r_{name}_key": Sum("record_key", filter=condition, default=0),
    }


def _counts(**flags: str) -> dict[str, Aggregate]:
    return {
        column: aggregate
        for name, flag in flags.items()
        for column, aggregate in _tally(name, flag).items()
    }


def _grouped(
    facts_queryset: QuerySet[Any], *dimensions: str, **sums: Aggregate
) -> QuerySet[Any, dict[str, Any]]:
    """facts grouped by cell and `dimensions`, as r_ columns, with the aggregates `sums`."""
    keys = {f"r_{name}": F(name) for name in (*CELL_FIELDS, *dimensions)}
    grouped: QuerySet[Any, dict[str, Any]] = (
        facts_queryset.order_by().annotate(**keys).values(*keys).annotate(**sums)
    )
    return grouped


BREAKDOWNS = (Dimension.AGE_BAND, Dimension.GENDER, Dimension.ETHNIC_GROUP, Dimension.DEPRIVATION)


def _cube_sources(facts_of: FactsOf) -> CubeSources:
    """What each cube sums: [(cube, its dimensions, [grouped querysets and row iterables])].

    `facts_of(model)` gives the fact rows to sum: all of them, some cells' or
    some referrals'. Every value a cube holds is a sum, so a cube row is the
    sum of its facts' contributions, whichever way they are split up.
    """

    def cube(
        model: type[CellMixin], facts: QuerySet[Any], dimensions: tuple[str, ...], **sums: Aggregate
    ) -> tuple[type[CellMixin], tuple[str, ...], list[CubeSource]]:
        return (model, dimensions, [_grouped(facts, *dimensions, **sums)])

    referral_facts = facts_of(ReferralFact)
    breakdown = ("dimension", "value")
    by_dimension = [
        _grouped(
            referral_facts.annotate(
                dimension=Value(dimension.value, output_field=CharField()),
                value=F(dimension.value),
            ),
            *breakdown,
            **_tally("received"),
        )
        for dimension in BREAKDOWNS
    ]
    return [
        cube(
            ReferralCube,
            referral_facts,
            (),
            **_tally("received"),
            **_counts(
                accepted="accepted",
                rejected="rejected",
                cancelled="cancelled",
                allocated="allocated",
                first_contact="first_contact",
                connected="connected",
                closed="closed",
                completed="completed",
                connected_completed="connected_completed",
            ),
        ),
        cube(WeeklyCube, referral_facts, ("week",), **_tally("received")),
        cube(
            WaitCube,
            referral_facts.filter(first_contact=True),
            ("wait_days", "wait_working_days"),
            **_tally("referrals"),
        ),
        cube(
            LinkWorkerCube,
            referral_facts.filter(link_worker_id__isnull=False, allocated_month__isnull=False),
            ("link_worker_id", "allocated_month"),
            **_tally("referrals"),
        ),
        (BreakdownCube, breakdown, [*by_dimension, _reason_rows(referral_facts)]),
        cube(
            ConnectionCube,
            facts_of(ConnectionFact),
            ("category_id", "provider_id", "counts_connection"),
            **_tally("connections"),
            **_counts(
                referred="referred",
                accepted="accepted",
                declined="declined",
                attended="attended",
                completed="completed",
            ),
        ),
        cube(UnmetNeedCube, facts_of(UnmetNeedFact), ("category_id",), **_tally("needs")),
        cube(
            OutcomeCube,
            facts_of(OutcomeFact),
            ("instrument_id", "item_id"),
            **_tally("pairs"),
            **_counts(improved="improved", worsened="worsened"),
            r_change_sum=Sum("change"),
        ),
    ]


def _rebuild_cubes(cells: set[str] | None) -> None:
    """Replace the cube rows of `cells` (None: all of them) by summing their facts."""

    def facts_of(model: type[CellMixin]) -> QuerySet[Any]:
        rows = model._default_manager.all()
        return rows if cells is None else rows.filter(cell__in=cells)

    for cube, _dimensions, sources in _cube_sources(facts_of):
        old = (
            cube._default_manager.all()
            if cells is None
            else cube._default_manager.filter(cell__in=cells)
        )
        old._raw_delete(old.db)
        for source in sources:
            if isinstance(source, QuerySet):
                _insert_from(cube, source)
            else:
                cube._default_manager.bulk_create(
                    (cube(**row) for row in source), batch_size=INSERT_BATCH
                )


def _contributions(referral_ids: list[int]) -> Contributions:
    """What these referrals' facts add to each cube: {cube: (its dimensions, {key: row})},
    where a key is the cell and the dimensions' values and a row holds every field's sum."""

    def facts_of(model: type[CellMixin]) -> QuerySet[Any]:
        return model._default_manager.filter(Q(referral_id__in=referral_ids))

    found: Contributions = {}
    for cube, dimensions, sources in _cube_sources(facts_of):
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        found[cube] = (dimensions, rows)
        for source in sources:
            for selected in source:
                row = {name.removeprefix("r_"): value for name, value in selected.items()}
                rows[(row["cell"], *(row[name] for name in dimensions))] = row
    return found


def _apply_changes(before: Contributions, after: Contributions) -> set[str]:
    """Add to the cubes what the changed referrals count now and take away what they counted
    before, in the rows they touch only. Returns cells that needed rebuilding instead (a row
    that would go below zero: never expected, but then the cell is summed afresh)."""
    rebuild: set[str] = set()
    for cube, (dimensions, now_rows) in after.items():
        then_rows = before[cube][1]
        keys = then_rows.keys() | now_rows.keys()
        if not keys:
            continue
        # The summed fields; of those, counts never go below zero (sums of changes may).
        totals = [
            field.attname
            for field in cube._meta.concrete_fields
            if not field.primary_key and field.attname not in (*CELL_FIELDS, *dimensions)
        ]
        counts = [
            name for name in totals if isinstance(cube._meta.get_field(name), PositiveIntegerField)
        ]
        existing: dict[tuple[Any, ...], dict[str, Any]] = {}
        # A concrete cube's rows hold its summed fields too, beyond CellMixin's.
        current = cast(
            Iterable[dict[str, Any]],
            cube._default_manager.filter(cell__in={key[0] for key in keys}).values(),
        )
        for row in current:
            key = (row["cell"], *(row[name] for name in dimensions))
            if key in keys:
                existing[key] = row
        replaced: list[int] = []
        written: list[CellMixin] = []
        for key in keys:
            was, now, gone = existing.pop(key, {}), now_rows.get(key, {}), then_rows.get(key, {})
            row = {name: value for name, value in (was or now or gone).items() if name != "id"}
            for name in totals:
                row[name] = was.get(name, 0) + now.get(name, 0) - gone.get(name, 0)
            if was:
                replaced.append(was["id"])
            if any(row[name] < 0 for name in counts):
                rebuild.add(key[0])
            elif any(row[name] for name in counts):  # a row counting nothing goes
                written.append(cube(**row))
        doomed = cube._default_manager.filter(pk__in=replaced)
        doomed._raw_delete(doomed.db)
        cube._default_manager.bulk_create(written, batch_size=INSERT_BATCH)
    return rebuild


def _reason_rows(referral_facts: QuerySet[Any]) -> Iterator[dict[str, Any]]:
    # A referral may give several reasons and counts once under each of them. The reasons
    # are a JSON list, which SQL cannot unnest the same way everywhere, so they are counted
    # here, reading one short row per referral.
    reasons: defaultdict[str, Counter[str]] = defaultdict(Counter)
    keys: defaultdict[str, Counter[str]] = defaultdict(Counter)
    places: dict[str, tuple[date, int, int | None, str]] = {}
    for cell, month, scheme_id, area_id, source_kind, codes, key in (
        referral_facts.order_by()
        .values_list(*CELL_FIELDS, "reasons", "record_key")
        .iterator(chunk_size=20000)
    ):
        places[cell] = (month, scheme_id, area_id, source_kind)
        for code in codes or []:
            reasons[cell][code] += 1
            keys[cell][code] += key
    for cell, counter in reasons.items():
        month, scheme_id, area_id, source_kind = places[cell]
        for code, n in counter.items():
            yield {
                "cell": cell, "month": month, "scheme_id": scheme_id, "area_id": area_id,
                "source_kind": source_kind, "dimension": Dimension.REASON, "value": code,
                "received": n, "received_key": keys[cell][code],
            }  # fmt: skip


def _rebuild_loads() -> None:
    """Open cases now (a snapshot, not by month): per link worker against capacity, and by
    link worker, scheme, area and source.

    A link worker's open cases are those of their own scheme that they hold, as
    the team page counts them (linkworkers.selectors.team_for), so the two agree.
    """
    counts = [
        OpenCaseCount(
            link_worker_id=link_worker_id,
            scheme_id=scheme_id,
            area_id=area_id,
            source_kind=source_kind,
            open_cases=n,
            open_cases_key=key,
        )
        for link_worker_id, scheme_id, area_id, source_kind, n, key in Referral.objects.open()
        .filter(link_worker_id__isnull=False)
        .values("link_worker_id", "scheme_id", "area_id", "source_kind")
        .order_by()
        .annotate(n=Count("pk"), key=Sum(RecordKey("uuid")))
        .values_list("link_worker_id", "scheme_id", "area_id", "source_kind", "n", "key")
    ]
    open_cases: Counter[tuple[int, int]] = Counter()
    open_cases_keys: Counter[tuple[int, int]] = Counter()
    for count in counts:
        open_cases[(count.link_worker_id, count.scheme_id)] += count.open_cases
        open_cases_keys[(count.link_worker_id, count.scheme_id)] += count.open_cases_key
    loads = [
        LinkWorkerLoad(
            link_worker_id=user_id,
            scheme_id=scheme_id,
            capacity=capacity,
            active=active,
            open_cases=open_cases[(user_id, scheme_id)],
            open_cases_key=open_cases_keys[(user_id, scheme_id)],
        )
        for user_id, scheme_id, capacity, active in LinkWorker.objects.values_list(
            "user_id", "scheme_id", "capacity", "active"
        )
    ]
    for model in (LinkWorkerLoad, OpenCaseCount):
        model._default_manager.all()._raw_delete(model._default_manager.db)
    LinkWorkerLoad.objects.bulk_create(loads, batch_size=INSERT_BATCH)
    OpenCaseCount.objects.bulk_create(counts, batch_size=INSERT_BATCH)


# Runs --------------------------------------------------------------------


class RunGivenUp(Exception):
    """The run was given up (its heartbeat stopped, or an operator abandoned it) while this
    process still worked on it: what it built is thrown away, never swapped in."""


def _set_progress(run: RollupRun, progress: int, **fields: Any) -> None:
    """Progress and a heartbeat, outside the run's own transactions (both are read by others)."""
    RollupRun.objects.filter(pk=run.pk, state=RollupRun.State.RUNNING).update(
        progress=min(progress, 100), heartbeat_at=timezone.now(), **fields
    )


class _Heartbeat:
    """Writes the run's heartbeat every REPORTING_ROLLUP_HEARTBEAT_SECONDS from a thread of its
    own (its own database connection), so one long statement or one long transaction of the
    run does not look like a dead worker. A killed worker takes the thread with it, and the
    heartbeat stops: rollup_runs_give_up gives the run up.

    Only on PostgreSQL and outside a transaction (a worker; not a test's transaction, whose
    run row another connection cannot see); elsewhere the progress steps write it.
    """

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> "_Heartbeat":
        connection = connections[RollupRun._default_manager.db]
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.thread = threading.Thread(
                target=self._beat, name=f"rollup-heartbeat-{self.run_id}", daemon=True
            )
            self.thread.start()
        return self

    def _beat(self) -> None:
        try:
            while not self.stop.wait(settings.REPORTING_ROLLUP_HEARTBEAT_SECONDS):
                try:
                    RollupRun.objects.filter(pk=self.run_id, state=RollupRun.State.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as error:
                    logger.warning("Rollup run %s: heartbeat not written: %s", self.run_id, error)
        finally:
            connections.close_all()  # this thread's own connections only

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=30)


def _finish(run: RollupRun, count: int) -> None:
    """Mark the run done, inside the transaction that writes its figures, as the last thing
    there: the figures commit only if the run was still running (not given up meanwhile),
    and a run is "done" exactly when its figures are in (the next incremental run counts the
    changes since a done run began)."""
    done = RollupRun.objects.filter(
        pk=run.pk, state=RollupRun.State.RUNNING, in_flight=True
    ).update(
        state=RollupRun.State.DONE,
        in_flight=None,
        progress=100,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
        referrals=count,
    )
    if not done:
        raise RunGivenUp(f"Rollup run {run.pk} was given up while it ran: its work is discarded")


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


def _process(run: RollupRun, referral_ids: list[int] | None) -> None:
    """Rebuild facts for these referrals (None: all) and the cube rows they count in, and
    mark the run done in the same transaction (_finish).

    A full run builds the facts beside the live ones, in staging tables of its own, in steps
    of CHUNK referrals (a transaction and a progress step each); then one transaction swaps
    them in, sums the cubes afresh and marks the run done. Pages keep reading the figures
    of the last run until it commits; a run killed on the way changes nothing live.

    An incremental run does everything in one transaction: killed, it changes nothing, and
    the next run looks again from the start of the last run that finished.
    """
    if referral_ids is None:
        _staging_drop()  # left by runs that were killed or given up
        _staging_create(run.pk)
        try:
            bounds = Referral.objects.aggregate(low=Min("pk"), high=Max("pk"), n=Count("pk"))
            low, high = bounds["low"] or 0, bounds["high"] or 0
            for start in range(low, high + 1, CHUNK):
                with transaction.atomic():
                    _write_facts(
                        Referral.objects.filter(pk__gte=start, pk__lt=start + CHUNK),
                        staging_for=run.pk,
                    )
                _set_progress(run, 5 + int(75 * (start + CHUNK - low) / max(high + 1 - low, 1)))
            with transaction.atomic():
                _staging_swap_in(run.pk)
                _rebuild_cubes(None)
                _rebuild_loads()
                _finish(run, bounds["n"])
        except Exception:
            _staging_drop(run_id=run.pk)
            raise
        _staging_drop(run_id=run.pk)
        return
    with transaction.atomic():
        rebuild: set[str] = set()
        for start in range(0, len(referral_ids), CHUNK):
            ids = referral_ids[start : start + CHUNK]
            before = _contributions(ids)
            _replace_facts(ids)
            rebuild |= _apply_changes(before, _contributions(ids))
        if rebuild:
            _rebuild_cubes(rebuild)
        _rebuild_loads()
        _finish(run, len(referral_ids))


def rollup_runs_give_up(*, now: datetime | None = None) -> int:
    """Give up the runs in flight whose worker is gone: running with no heartbeat for
    REPORTING_ROLLUP_DEAD_SECONDS, or queued and taken by no worker for
    REPORTING_ROLLUP_QUEUED_SECONDS. Their place in flight is freed. Returns how many."""
    now = now or timezone.now()
    dead = now - timedelta(seconds=settings.REPORTING_ROLLUP_DEAD_SECONDS)
    never_taken = now - timedelta(seconds=settings.REPORTING_ROLLUP_QUEUED_SECONDS)
    running = Q(state=RollupRun.State.RUNNING, last_alive__lt=dead)
    given_up = (
        RollupRun.objects.filter(in_flight=True)
        .annotate(last_alive=Coalesce("heartbeat_at", "started_at", "created_at"))
        .filter(running | Q(state=RollupRun.State.QUEUED, created_at__lt=never_taken))
        .update(
            state=RollupRun.State.FAILED,
            in_flight=None,
            finished_at=now,
            error=Case(
                When(
                    state=RollupRun.State.RUNNING,
                    then=Value(
                        "Given up: its worker stopped writing a heartbeat (killed or lost)."
                    ),
                ),
                default=Value("Given up: no worker took it."),
            ),
        )
    )
    if given_up:
        logger.warning("Gave up %s rollup run(s) whose worker was gone", given_up)
    return given_up


def rollup_run_abandon(*, run_id: int, now: datetime | None = None) -> bool:
    """An operator gives up the run in flight `run_id` (the `rollup_runs` command): its place
    is freed at once. A worker still running it finds out at its end and discards its work
    (a full run's staging tables are dropped by the next full run). False when the run is
    not in flight."""
    now = now or timezone.now()
    abandoned = RollupRun.objects.filter(pk=run_id, in_flight=True).update(
        state=RollupRun.State.FAILED,
        in_flight=None,
        finished_at=now,
        error="Abandoned by an operator.",
    )
    if abandoned:
        logger.warning("Rollup run %s abandoned by an operator", run_id)
    return bool(abandoned)


def rollup_request(
    *, kind: str, requested_by: User | None = None, enqueue: bool = True
) -> tuple[RollupRun, bool]:
    """Queue a run of `kind`, or join the one already queued or running: (run, created).

    The Celery task is queued after commit; a run whose worker is gone
    (rollup_runs_give_up) is given up first, and replaced.
    """
    now = timezone.now()
    rollup_runs_give_up(now=now)
    try:
        with transaction.atomic():
            run = RollupRun.objects.create(kind=kind, requested_by=requested_by, created_at=now)
    except IntegrityError:
        existing = RollupRun.objects.filter(in_flight=True).first()
        if existing is not None:
            return existing, False
        raise
    if enqueue:
        transaction.on_commit(lambda: _queue_run(run.pk))
    return run, True


def _queue_run(run_id: int) -> None:
    """Hand the run to Celery; when the broker cannot take it, give the run up at once.

    Degrade, never fail (DESIGN.md): the page that asked carries on with the
    figures it has, and the next request or the schedule tries again, instead
    of a queued run nobody will execute holding the one place in flight.
    """
    try:
        queue_task("reporting.rollup_run", run_id)
    except Exception as error:
        logger.warning("Rollup run %s did not start, or failed at once: %s", run_id, error)
        RollupRun.objects.filter(pk=run_id, state=RollupRun.State.QUEUED).update(
            state=RollupRun.State.FAILED,
            in_flight=None,
            finished_at=timezone.now(),
            error=f"Could not be queued: {error}"[:2000],
        )


def rollup_refresh_if_stale(
    *, requested_by: User | None = None, now: datetime | None = None
) -> RollupRun | None:
    """When the figures are older than the incremental interval, start an incremental run.

    What a dashboard calls when it is opened: the run under way (one started
    now, or one already queued or running, which a second reader joins) so the
    page can show its progress, or None when the figures are fresh. "Older"
    is measured from when the last run finished; with no finished run at all, or
    with the rollup tables emptied since, a run starts. A run whose worker is
    gone is given up first, so a page never waits on a dead one.
    """
    now = now or timezone.now()
    rollup_runs_give_up(now=now)
    finished, in_flight = selectors.latest_runs()
    if in_flight is not None:
        return in_flight
    interval = timedelta(minutes=settings.REPORTING_ROLLUP_INCREMENTAL_MINUTES)
    fresh = finished is not None and finished.finished_at and finished.finished_at > now - interval
    # Fresh, unless the rollup tables were emptied since (a migration that changes what they
    # hold empties them) while there are referrals to count.
    if fresh and (ReferralFact.objects.exists() or not Referral.objects.exists()):
        return None
    # A run that failed lately (the broker down, say) is not tried again on every page
    # opened: the schedule, or a reader's "Refresh figures", tries after the interval.
    if RollupRun.objects.filter(
        state=RollupRun.State.FAILED, created_at__gt=now - interval
    ).exists():
        return None
    run, _created = rollup_request(kind=RollupRun.Kind.INCREMENTAL, requested_by=requested_by)
    run.refresh_from_db()
    return run if run.in_flight else None


def rollup_execute(*, run_id: int) -> RollupRun | None:
    """Do the queued run `run_id`. Safe to call twice: only the first call claims the run."""
    now = timezone.now()
    claimed = RollupRun.objects.filter(pk=run_id, state=RollupRun.State.QUEUED).update(
        state=RollupRun.State.RUNNING, started_at=now, heartbeat_at=now, progress=1
    )
    if not claimed:
        return None
    run = RollupRun.objects.get(pk=run_id)
    try:
        with _Heartbeat(run.pk):
            since = None
            # With no facts to move (the first run, or after a migration emptied the rollup
            # tables) an incremental run does everything.
            if run.kind == RollupRun.Kind.INCREMENTAL and ReferralFact.objects.exists():
                previous = (
                    RollupRun.objects.filter(state=RollupRun.State.DONE)
                    .order_by("-started_at")
                    .first()
                )
                if previous is not None and previous.started_at is not None:
                    # Overlap the previous run: a change committed just after it read the
                    # tables carries a timestamp from before it started.
                    since = previous.started_at - timedelta(
                        minutes=settings.REPORTING_ROLLUP_OVERLAP_MINUTES
                    )
            if since is None:
                _process(run, None)
            else:
                changed = _changed_referral_ids(since)
                _set_progress(run, 5, since=since)
                _process(run, sorted(changed))
    except RunGivenUp as error:
        logger.warning("%s", error)
    except Exception as error:
        logger.exception("Rollup run %s failed", run_id)
        RollupRun.objects.filter(pk=run_id, in_flight=True).update(
            state=RollupRun.State.FAILED,
            in_flight=None,
            finished_at=timezone.now(),
            error=str(error)[:2000],
        )
        raise
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
MONTHLY_KEY_FIGURES: list[tuple[str, int | Literal["total"], str]] = [
    ("funnel", 0, "referrals"),  # received
    ("funnel", 1, "referrals"),  # accepted
    ("waiting", 1, "value"),  # median wait (days)
    ("waiting", 3, "value"),  # share contacted within the target
    ("connections_by_category", "total", "connections"),
    ("funnel", 5, "referrals"),  # connected, then closed as completed
]
MONTHLY_FUNNEL_TABLE = "funnel"


def monthly_report_figures(tables: Iterable[Table]) -> list[tuple[str, object, Column]]:
    """(label, value, column) for each key figure found in `tables` (the month's dashboard)."""
    by_key = {table.key: table for table in tables}
    figures: list[tuple[str, object, Column]] = []
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


def monthly_report_send(*, manager: User, month: date) -> bool:
    """Email one scheme manager their scheme's figures for `month` (its first day), once.

    Exact counts (the manager's own scheme), in the manager's language. The
    MonthlyReportSent row is the claim: written in the transaction that writes
    the outbox email, so a second run sends nothing, and a broker or mail
    outage only delays the email (the outbox sends it later). True when sent now.
    """
    scope = selectors.reporting_scope_for(manager)
    if scope is None or scope.kind != "scheme" or not manager.email:
        return False
    if MonthlyReportSent.objects.filter(user=manager, month=month).exists():
        return False  # sent already: spare the figures
    with translation.override(manager.preferred_language):
        filters = selectors.Filters(
            start=month,
            end=month,
            scheme=scope.scheme,
            area_ids=set(),
            wait_target=settings.REPORTING_WAIT_TARGET_WORKING_DAYS,
        )
        tables = selectors.dashboard_tables(scope=scope, filters=filters)
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
