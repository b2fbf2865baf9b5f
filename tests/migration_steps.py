"""Moving the test database between migrations, for the tests of data migrations.

Each such test needs the database as it was just before its migration ran, some rows
written there, and the database just after. Going back from the latest migrations and forward
again costs seconds a time (Django renders the models' historical state at each step), so the
tests share one walk (`History`): back once, to the earliest point any of them needs, then
forward from test to test, and forward to the latest when the last one is done.
"""

from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

from tests import snapshot

Target = list[tuple[str, str]]


class History:
    """The test database at any point in the migrations' history, one point after another."""

    def __init__(self) -> None:
        # Tables holding rows before the walk (content types, permissions, the rows the data
        # migrations write): emptying between tests leaves them alone.
        self._kept = {name for name in self._tables() if self._has_rows(name)}

    def at(self, targets: Target) -> StateApps:
        """Migrate (forward or back) to `targets`; the historical apps registry there."""
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    def at_latest(self) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    def empty(self) -> None:
        """Delete the rows a test wrote, in whichever tables there are at this point."""
        quote = connection.ops.quote_name
        # One transaction: the foreign keys Django makes are checked at its end.
        with transaction.atomic(), connection.cursor() as cursor:
            for name in self._tables():
                if name not in self._kept:
                    cursor.execute(f"DELETE FROM {quote(name)}")

    def end(self) -> None:
        """The latest migrations, and the tables as every other test expects them: empty but
        for the rows the migrations and Django write (tests/snapshot.py)."""
        self.at_latest()
        snapshot.empty_but_reference_data()

    @staticmethod
    def _tables() -> list[str]:
        return [
            name for name in connection.introspection.table_names() if name != "django_migrations"
        ]

    @staticmethod
    def _has_rows(table: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
            return cursor.fetchone() is not None
