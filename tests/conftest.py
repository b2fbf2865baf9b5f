import gc
import logging
import os
from dataclasses import dataclass
from io import StringIO
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation

from tests import migrated_copy, snapshot
from tests.factories import OrganisationFactory, UserFactory


def _own_redis_database(location: str, worker: str) -> str:
    """redis://host:port/15 -> /14 for gw0, /13 for gw1 (counting down, wrapping at 0): one
    database per test process, never the one configured, whether or not the address names one."""
    parts = urlsplit(location)
    configured = int(parts.path.strip("/") or 0)
    own = (configured - 1 - int(worker.removeprefix("gw"))) % 16
    return urlunsplit(parts._replace(path=f"/{own}"))


@pytest.fixture(scope="session", autouse=True)
def redis_of_this_test_process():
    """Each test process (pytest-xdist) counts rate limits in its own Redis database.

    Tests empty the rate-limit cache before they count (`clear()` is FLUSHDB), which
    would wipe another process's counts in the middle of its test on a shared one.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        for alias in settings.CACHES.values():
            if "redis" in alias["BACKEND"].lower():
                alias["LOCATION"] = _own_redis_database(alias["LOCATION"], worker)
    yield


@pytest.fixture(scope="session", autouse=True)
def quick_flush():
    """On PostgreSQL a transactional test ends by deleting rows, not truncating every table.

    Django's flush truncates some seventy tables after each browser or transactional test:
    a second or more each time. Deleting what the test wrote leaves the same empty tables
    (tests/snapshot.py says how) in milliseconds.
    """
    if connection.vendor != "postgresql":
        yield
        return
    # On the class: Django keeps a connection per thread and context (Playwright's greenlets).
    operations = type(connection.ops)
    original = operations.sql_flush
    operations.sql_flush = snapshot.quick_flush(original)
    yield
    operations.sql_flush = original


@pytest.fixture(scope="session")
def migrate_from_kept_copy(django_db_createdb):
    """On SQLite, the test database comes migrated from the copy kept for these migrations
    (tests/migrated_copy.py), unless `--create-db` asks for it afresh."""
    if django_db_createdb:
        yield
        return
    with migrated_copy.kept_between_runs():
        yield


@pytest.fixture(scope="session")
def cloned_from_template():
    """On PostgreSQL, with TEST_DATABASE_TEMPLATE naming a database that `migrate` has just
    made (`.ci/run` sets it to the one it migrates beside the lint), each test process's
    database is a copy of it (CREATE DATABASE ... TEMPLATE, Django's TEST["TEMPLATE"]) instead
    of a migration of its own; Django's migrate then finds nothing left to apply. Without it,
    or on SQLite, nothing changes."""
    template = os.environ.get("TEST_DATABASE_TEMPLATE", "")
    if template and connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["TEMPLATE"] = template
    yield


# The postcode districts the suite's records live in: the factories' CF10 (Cardiff), the
# stories' CF37 (Pontypridd) and CF99.
SUITE_POSTCODE_DISTRICTS = ("CF10", "CF37", "CF99")


@pytest.fixture(scope="session")
def django_db_setup(
    migrate_from_kept_copy, cloned_from_template, django_db_setup, django_db_blocker
):
    """pytest-django's, with `migrate_from_kept_copy` and `cloned_from_template` in place
    first; then the suite's postcodes.

    A deployed database has every packaged postcode (`manage.py load_packaged_postcodes`, a
    deploy step); the test database has those of the districts the suite uses, written (and
    committed) once per test process and kept as reference data (tests/snapshot.py). Without
    them, the first lookup in each test decoded the letter's file and wrote the district's
    thousand-odd rows again, rolled back when the test ended: some seventy times a run. Tests
    of that first lookup, and of rows of their own, start from an empty table
    (`empty_postcode_table`).
    """
    from directory.models import PackagedPostcodeLoad, Postcode
    from directory.services.packaged_postcodes import packaged_postcodes_ensure

    with django_db_blocker.unblock():
        packaged_postcodes_ensure(*SUITE_POSTCODE_DISTRICTS)
        snapshot.keep_as_reference([Postcode, PackagedPostcodeLoad])
    yield


@pytest.fixture
def empty_postcode_table(db):
    """No postcode known, none of the package's loaded: as in a new database."""
    from directory.models import PackagedPostcodeLoad, Postcode

    Postcode.objects.all().delete()
    PackagedPostcodeLoad.objects.all().delete()


@dataclass(frozen=True)
class Demo:
    rows: snapshot.Snapshot
    output: str


# The database the settings name, before pytest-django points them at the test database.
CONFIGURED_DATABASE = settings.DATABASES["default"]["NAME"]


@pytest.fixture(scope="session")
def demo_seeded_once(django_db_setup, django_db_blocker):
    """`seed_demo`, run once in each test process and rolled back, its rows kept in memory."""
    # Never the configured database: the browser tests empty what the demo wrote.
    assert connection.settings_dict["NAME"] != CONFIGURED_DATABASE, "not the test database"
    with django_db_blocker.unblock(), override_settings(DEBUG=True), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        demo = Demo(rows=snapshot.take(), output=out.getvalue())
        transaction.set_rollback(True)
    with django_db_blocker.unblock():
        # SQLite: outside any transaction, where it can be (tests/snapshot.py).
        snapshot.attach(demo.rows)
    return demo


@pytest.fixture
def demo_data(db, demo_seeded_once):
    """The demo data, row for row as `seed_demo` leaves it, in a second instead of several.

    It comes from the rows this process kept (`demo_seeded_once`), written back into the
    test's transaction, or for a browser test into the database it empties when it ends.
    Returns what `seed_demo` printed.
    """
    snapshot.restore(demo_seeded_once.rows)
    return demo_seeded_once.output


@pytest.fixture(autouse=True)
def no_outbox_run_known():
    """Each test starts knowing of no queued run of the outbox's doorbell (core/outbox.py
    remembers one per process, as a web worker does between requests)."""
    from core import outbox

    outbox._quiet_until = float("-inf")
    yield


@pytest.fixture(autouse=True)
def no_routes_remembered():
    """Each test starts with this process remembering no scheme for an area and no scheme's
    coordinators (referrals.selectors; a rolled-back test's rows send no signal to forget)."""
    from referrals import selectors

    selectors._empty_scheme_routes()


def _root_log_handlers() -> list[logging.Handler]:
    """The root logger's handlers but pytest's own, which it adds and removes around each phase."""
    return [h for h in logging.root.handlers if not type(h).__module__.startswith("_pytest")]


@pytest.fixture(autouse=True)
def logging_left_as_found():
    """A test that sets logging up afresh (django.setup() does, from a management command run
    as the shell runs it) fails here, and the process's logging is put back: the new handler
    writes to that test's captured stderr, closed when the test ends, and every later log line
    of the process would fail, quietly, each printing a traceback nobody reads."""
    handlers, level = _root_log_handlers(), logging.root.level
    yield
    if _root_log_handlers() != handlers or logging.root.level != level:
        left = _root_log_handlers()
        for handler in left:
            logging.root.removeHandler(handler)
        for handler in handlers:
            logging.root.addHandler(handler)
        logging.root.setLevel(level)
        pytest.fail(f"the test set logging up afresh (root handlers now {left}): put it back")


@pytest.fixture(autouse=True)
def english_after_each_test():
    """A request to a /cy/ page leaves Welsh active in this thread: give the next test English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


PASSWORD = "correct horse battery staple"


@pytest.fixture
def practice(db):
    return OrganisationFactory(name="Afon Surgery", ods_code="W90001")


@pytest.fixture
def gp_receptionist(practice):
    """Rhian works on the front desk of a GP practice and makes referrals."""
    # Named, not drawn at random: a drawn name once matched a person a test keeps hidden.
    return UserFactory(
        username="rhian", first_name="Rhian", last_name="Owen", role="referrer",
        organisation=practice,
    )  # fmt: skip


@pytest.fixture
def restore_reference_data(django_db_blocker):
    """After a transactional test has emptied every table, write the reference rows again."""
    yield
    with django_db_blocker.unblock():
        snapshot.write_reference_data()


def pytest_collection_finish(session):
    """Python's cycle collector, set for a test process. What is loaded by the end of collecting
    (Django, the libraries, every test module) stays until the process ends: it is frozen out
    of the collector's passes (`gc.freeze`), and a pass starts after 50,000 new objects instead
    of 700. On tests/accounts and tests/linkworkers in one process the collector's time fell
    from 3.4 s to 1.5 s (of 65 s) and the largest memory stayed at 310 MB (README, "How the
    suite stays fast")."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def pytest_collection_modifyitems(items):
    """Transactional tests put back the data migrations wrote (bank holidays, instruments).

    They empty every table when they end (Django recreates permissions itself);
    with tests spread over processes (pytest-xdist) a later test in the same
    process would otherwise find none. The fixture comes first so that it is
    torn down last, after the flush.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
            name in item.fixturenames for name in ("transactional_db", "live_server")
        )
        if transactional:
            item.fixturenames.insert(0, "restore_reference_data")
