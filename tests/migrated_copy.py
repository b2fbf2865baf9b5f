"""The SQLite test database, migrated once and kept between runs (`make test`).

Migrating an empty database takes some six seconds in each test process, nearly all of it
Django rendering the models' historical states. The result depends only on the migrations: on
SQLite the first run keeps the migrated database in a file named by a digest of them
(`migrations_digest`), and a later run with the same migrations loads that file (SQLite's
backup API, milliseconds) where it would migrate. A new or edited migration, another Django or
SQLite, or `--create-db` migrates afresh; a file that does not load whole is migrated over.
PostgreSQL (CI, `DATABASE_URL`) migrates as before.

What `migrate` leaves besides its tables is in the file too: the rows the data migrations and
the post-migrate signal write (bank holidays, outcome instruments, content types,
permissions). Modules of the project that a migration names (a validator, an upload path) are
part of the digest, as the migrations themselves are.
"""

import ast
import hashlib
import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import django
from django.conf import settings
from django.core.management.commands import migrate
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader

# Beside `make test`'s kept bytecode (Makefile, PYCACHE).
FOLDER = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "social-prescribing"
    / "test-databases"
)
KEPT = 4  # files kept: a few checkouts or branches with other migrations


def _imported(module: ModuleType) -> set[str]:
    """The modules `module`'s import statements name (`import a.b`, `from a.b import c`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(Path(module.__file__ or "").read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _project_file(name: str) -> str | None:
    """The file of the project's own module `name`, if loaded (not Django's, not a library's)."""
    path = getattr(sys.modules.get(name), "__file__", None) or ""
    base = str(settings.BASE_DIR)
    if path.startswith(base + os.sep) and f"{os.sep}.venv{os.sep}" not in path:
        return path
    return None


@cache
def _on_disk() -> MigrationLoader:
    """The migrations on disk, read once a process (the digest and the check both need them)."""
    return MigrationLoader(None, ignore_no_migrations=True)


def migrations_sources() -> list[str]:
    """The files a migrated database is made from: every migration (the libraries' too) and
    the project's modules they name."""
    files: set[str] = set()
    for migration in _on_disk().disk_migrations.values():
        module = sys.modules[type(migration).__module__]
        files.add(module.__file__ or "")
        files.update(filter(None, map(_project_file, _imported(module))))
    return sorted(files)


def migrations_digest() -> str:
    """Names the migrated database: its sources' contents, and the versions of Django and
    SQLite."""
    digest = hashlib.sha256(f"{django.get_version()} {sqlite3.sqlite_version}".encode())
    for path in migrations_sources():
        digest.update(path.encode() + b"\0" + Path(path).read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _complete(connection: BaseDatabaseWrapper) -> bool:
    """Every migration on disk is recorded as applied, and nothing else is."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = set(cursor.fetchall())
    return applied == set(_on_disk().graph.nodes)


def load(connection: BaseDatabaseWrapper, path: Path) -> bool:
    """Fill the (empty, in-memory) database from the kept copy at `path`; False, and the
    database left empty, where the file is not a whole migrated database."""
    connection.ensure_connection()
    try:
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        if _complete(connection):
            return True
    except (sqlite3.Error, DatabaseError):
        pass
    # Half a database is no start. (Django never closes an in-memory database's connection,
    # which would drop it: an empty database is copied over it instead.)
    empty = sqlite3.connect(":memory:")
    try:
        empty.backup(connection.connection)
    finally:
        empty.close()
    return False


def keep(connection: BaseDatabaseWrapper, path: Path) -> None:
    """Copy the migrated database to `path`, leaving the few newest copies in its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".partial")
    os.close(handle)
    target = sqlite3.connect(partial)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    # Whole or not at all, whichever test process gets there first.
    os.replace(partial, path)
    older = sorted(path.parent.glob("*.sqlite3"), key=lambda kept: kept.stat().st_mtime)[:-KEPT]
    for stale in older:
        stale.unlink(missing_ok=True)


@contextmanager
def kept_between_runs() -> Iterator[None]:
    """The next `migrate` (the test database's creation), if of an in-memory SQLite database,
    loads the kept copy when there is one for these migrations, and keeps one when it had to
    migrate. Any later `migrate` in the run is Django's own."""
    original = migrate.Command.handle

    def handle(command: migrate.Command, *args: Any, **options: Any) -> Any:
        migrate.Command.handle = original  # type: ignore[method-assign]
        alias = options.get("database") or "default"
        connection = connections[alias]
        if connection.vendor != "sqlite" or not connection.is_in_memory_db():
            return original(command, *args, **options)
        path = FOLDER / f"{migrations_digest()}.sqlite3"
        if path.exists() and load(connection, path):
            return None
        result = original(command, *args, **options)
        # Nowhere to keep it (a read-only home, a full disk): the next run migrates again.
        with suppress(OSError, sqlite3.Error):
            keep(connection, path)
        return result

    migrate.Command.handle = handle  # type: ignore[method-assign]
    try:
        yield
    finally:
        migrate.Command.handle = original  # type: ignore[method-assign]
