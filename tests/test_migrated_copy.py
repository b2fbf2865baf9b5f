"""The kept copy of the migrated SQLite test database (tests/migrated_copy.py): it loads whole
or not at all, and is named by everything the migrated database is made from."""

import sqlite3
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from tests import migrated_copy

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="the copy is kept for SQLite's test database"
    ),
]


@pytest.fixture
def empty_database():
    """A second in-memory database, of the test's own, to load copies into."""
    other = DatabaseWrapper(
        {**connection.settings_dict, "NAME": "file:kept-copy-test?mode=memory&cache=shared"},
        alias="kept_copy_test",
    )
    yield other
    other._close()  # an in-memory database's connection, which Django itself never closes


def _contents(raw):
    tables = [
        name
        for (name,) in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
    ]
    schema = raw.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    rows = {name: raw.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall() for name in tables}
    return schema, rows


def test_a_copy_loads_as_the_database_it_was_kept_from(tmp_path, empty_database):
    path = tmp_path / "kept.sqlite3"
    migrated_copy.keep(connection, path)

    assert migrated_copy.load(empty_database, path)
    schema, rows = _contents(empty_database.connection)
    assert (schema, rows) == _contents(connection.connection)
    assert rows["django_migrations"] and rows["accounts_bankholiday"]


def test_a_copy_short_of_a_migration_is_not_used(tmp_path, empty_database):
    path = tmp_path / "kept.sqlite3"
    migrated_copy.keep(connection, path)
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM django_migrations WHERE app = 'referrals' AND name LIKE '0013%'")

    assert not migrated_copy.load(empty_database, path)
    assert _contents(empty_database.connection) == ([], {})


def test_a_file_that_is_not_a_database_is_not_used(tmp_path, empty_database):
    path = tmp_path / "kept.sqlite3"
    path.write_bytes(b"half a download")

    assert not migrated_copy.load(empty_database, path)
    assert _contents(empty_database.connection) == ([], {})


def test_only_the_newest_copies_are_kept(tmp_path):
    for number in range(migrated_copy.KEPT + 2):
        migrated_copy.keep(connection, tmp_path / f"{number}.sqlite3")

    kept = sorted(int(path.stem) for path in tmp_path.glob("*.sqlite3"))
    assert kept == list(range(2, migrated_copy.KEPT + 2))
    assert not list(tmp_path.glob("*.partial"))


def test_the_name_follows_every_migration_and_the_project_modules_they_name(tmp_path, monkeypatch):
    base = Path(settings.BASE_DIR)
    sources = {Path(path) for path in migrated_copy.migrations_sources()}
    ours = {path.relative_to(base).as_posix() for path in sources if base in path.parents}
    assert {
        "referrals/migrations/0001_initial.py",
        "linkworkers/migrations/0004_outcome_instruments.py",
        # Named by migrations: a postcode validator, an upload path, an NHS number validator.
        "core/postcodes.py",
        "linkworkers/models.py",
        "referrals/validators.py",
    } <= ours
    assert any("django/contrib/auth/migrations" in str(path) for path in sources)

    before = migrated_copy.migrations_digest()
    assert migrated_copy.migrations_digest() == before
    module = sys.modules["referrals.migrations.0013_referral_triage_rank"]
    edited = tmp_path / "0013_referral_triage_rank.py"
    edited.write_text(Path(module.__file__).read_text() + "\n# edited\n")
    monkeypatch.setattr(module, "__file__", str(edited))
    assert migrated_copy.migrations_digest() != before
