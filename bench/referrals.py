"""A million referrals, quickly, for the reporting benchmarks (PostgreSQL only).

The demo (seed_demo) writes a few hundred referrals the way the product does:
people, referrals, their events, connections, unmet needs and outcome
measures with their answers, all consistent with one another. `generate`
copies that template in the database, INSERT ... SELECT over generate_series,
until there are `count` referrals. Copy k gets new ids (the template's id plus
k times the table's largest template id, so references between copies follow
arithmetically), new uuids and references, no NHS number, one of SCHEMES
schemes with that scheme's own link workers, and its dates moved back by
52 weeks times (k mod YEARS), so that weekdays stay weekdays and the figures
span several years.
"""

from django.core.management import call_command
from django.db import connection, models, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Area, Organisation, Role, User
from linkworkers.models import Answer, Connection, LinkWorker, OutcomeMeasure, UnmetNeed
from referrals.models import Person, Referral, ReferralEvent

SCHEMES = 20  # the demo's own scheme and 19 more, spread over the two demo health boards
YEARS = 3
COPIES_PER_STEP = 100  # copies of the template written in one transaction
# Parents before children: a copy's foreign keys point at rows already written.
COPIED = [Person, Referral, ReferralEvent, Connection, UnmetNeed, OutcomeMeasure, Answer]
DEMO_SCHEME = "Teg Valley Community Connectors"
BOARDS = ("7X1", "7X2")


class _Null:
    def write(self, text):
        pass


def _schemes_and_workers(template_workers: list[int]) -> tuple[list[int], list[tuple]]:
    """SCHEMES schemes (the demo's first), each with as many link workers as the template.

    Returns the scheme ids by index and rows (old worker, scheme index, new worker).
    """
    demo = Organisation.objects.get(kind=Organisation.Kind.SCHEME, name=DEMO_SCHEME)
    boards = list(Area.objects.filter(code__in=BOARDS).order_by("code"))
    schemes = [demo]
    for n in range(1, SCHEMES):
        schemes.append(
            Organisation.objects.create(
                kind=Organisation.Kind.SCHEME,
                name=f"Bench scheme {n}",
                name_cy=f"Cynllun mainc {n}",
                area=boards[n % len(boards)],
            )
        )
    mapping = [(old, 0, old) for old in template_workers]
    for index, scheme in enumerate(schemes[1:], start=1):
        for number, old in enumerate(template_workers, start=1):
            user = User.objects.create(
                username=f"bench-linkworker-{index}-{number}",
                role=Role.LINK_WORKER,
                organisation=scheme,
            )
            LinkWorker.objects.create(user=user, scheme=scheme, capacity=30)
            mapping.append((old, index, user.pk))
    return [scheme.pk for scheme in schemes], mapping


def _copy_sql(model, strides: dict, highest: dict, low: int, high: int, overrides: dict,
              joins: str = "") -> str:  # fmt: skip
    """INSERT INTO model's table copies low..high of its template rows (ids up to highest)."""
    qn = connection.ops.quote_name
    columns, values = [], []
    for field in model._meta.concrete_fields:
        column = qn(field.column)
        if field.primary_key:
            value = f"t.{column} + c.k::bigint * {strides[model]}"
        elif field.column in overrides:
            value = overrides[field.column]
        elif field.is_relation and field.related_model in strides:
            value = f"t.{column} + c.k::bigint * {strides[field.related_model]}"
        elif isinstance(field, models.UUIDField):
            value = "gen_random_uuid()"
        elif isinstance(field, models.DateTimeField):
            value = f"t.{column} - c.shift"
        elif isinstance(field, models.DateField):
            value = f"(t.{column} - c.shift)::date"
        else:
            value = f"t.{column}"
        columns.append(column)
        values.append(value)
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {qn(model._meta.db_table)} t "
        f"CROSS JOIN (SELECT k, k % {SCHEMES} AS s, (k % {YEARS}) * interval '364 days' AS shift "
        f"FROM generate_series({low}, {high}) k) c {joins} "
        f"WHERE t.id <= {highest[model]}"
    )


def generate(count: int, *, stdout=None) -> None:
    """Seed the demo, then copy its referrals until there are at least `count`."""
    stdout = stdout or _Null()
    if connection.vendor != "postgresql":
        raise RuntimeError("the referral generator needs PostgreSQL")
    # seed_demo guards real deployments by refusing to run without DEBUG; this is the bench's
    # own database, and the bench turns DEBUG off only so as not to keep every query.
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=_Null())
    template = Referral.objects.count()
    # Copy k of a row is its id plus k strides; a stride spans the template's ids.
    strides, highest = {}, {}
    for model in COPIED:
        ids = model.objects.aggregate(low=models.Min("pk"), high=models.Max("pk"))
        highest[model] = ids["high"] or 0
        strides[model] = highest[model] - (ids["low"] or 0) + 1
    workers = sorted(
        set(Referral.objects.exclude(link_worker=None).values_list("link_worker_id", flat=True))
    )
    with transaction.atomic():
        schemes, mapping = _schemes_and_workers(workers)
    copies = max(0, -(-(count - template) // template))  # ceiling division
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_worker")
        cursor.execute("CREATE TABLE bench_worker (old bigint, s int, new bigint)")
        cursor.executemany("INSERT INTO bench_worker VALUES (%s, %s, %s)", mapping)
    referral_overrides = {
        "reference": f"'SP-Z' || upper(lpad(to_hex(t.id + c.k::bigint * {strides[Referral]}), "
        "8, '0'))",
        "scheme_id": f"(ARRAY{schemes}::bigint[])[c.s + 1]",
        "link_worker_id": "w.new",
    }
    worker_join = "LEFT JOIN bench_worker w ON w.old = t.link_worker_id AND w.s = c.s"
    for low in range(1, copies + 1, COPIES_PER_STEP):
        high = min(low + COPIES_PER_STEP - 1, copies)
        with transaction.atomic(), connection.cursor() as cursor:
            for model in COPIED:
                if model is Referral:
                    sql = _copy_sql(
                        model, strides, highest, low, high, referral_overrides, worker_join
                    )
                elif model is Person:
                    sql = _copy_sql(model, strides, highest, low, high, {"nhs_number": "NULL"})
                else:
                    sql = _copy_sql(model, strides, highest, low, high, {})
                cursor.execute(sql)
        stdout.write(f"  {template * (high + 1):,} referrals\n")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_worker")
        for model in COPIED:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {connection.ops.quote_name(table)}))"
            )


def apply_activity(count: int) -> list[int]:
    """A day's work on `count` referrals: each gets a note now and is marked as changed.

    Returns the ids. Statuses are left as they were, so the data stay consistent
    however often this runs.
    """
    ids = list(Referral.objects.order_by("?").values_list("pk", flat=True)[:count])
    now = timezone.now()  # not SQL's now(), which is when the transaction began
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE referrals_referral SET updated_at = %s, version = version + 1 "
            "WHERE id = ANY(%s)",
            [now, ids],
        )
        cursor.execute(
            "INSERT INTO referrals_referralevent "
            "(uuid, referral_id, kind, from_status, to_status, note, visible_to_referrer, "
            "created_at) SELECT gen_random_uuid(), id, %s, '', '', 'Bench activity', false, %s "
            "FROM unnest(%s::bigint[]) id",
            [ReferralEvent.Kind.NOTE, now, ids],
        )
    return ids
