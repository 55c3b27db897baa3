"""
The two central system stores, for the store test suites that run against
both (one suite, two implementations): a test case mixes in
L{SQLiteStoreMixin} or L{PostgreSQLStoreMixin} and makes its store with
C{make_store(clock)}; C{committed_count(table)} reads the rows of a table
through a connection of its own: what a crash would leave.
"""

import os
import sqlite3
from typing import Any

from openocpp.centralsystem.store import CentralSystemStore


class SQLiteStoreMixin:
    """
    The SQLite store, in a file of the test's temporary folder.
    """

    #: A transaction id whose commit failed is given again.
    reuses_lost_ids = True

    def make_store(self, clock: Any, **options: Any) -> CentralSystemStore:
        """
        @return: a new store (closed at cleanup) on a new file, or the
            same file again when called again in one test.
        """
        if not hasattr(self, "_store_path"):
            self._store_path = os.path.abspath(self.mktemp())
        store = CentralSystemStore(self._store_path, clock, **options)
        self.addCleanup(store.close)
        return store

    def type_of(self, column: str) -> str:
        """
        @return: the SQL naming a column's stored type (C{"text"}, ...).
        """
        return f"typeof({column})"

    def storage_error(self) -> Exception:
        """
        @return: an error the driver raises when the storage fails.
        """
        return sqlite3.OperationalError("disk I/O error")

    def committed_count(self, table: str) -> int:
        """
        @return: the rows of C{table} committed to the file.
        """
        connection = sqlite3.connect(self._store_path)
        try:
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            connection.close()


class PostgreSQLStoreMixin:
    """
    The PostgreSQL store, in a fresh database of the test run's server
    (L{tests.engines.postgresql}); skipped without PostgreSQL.
    """

    #: Transaction ids come from a sequence: never given twice, gaps left.
    reuses_lost_ids = False

    def make_store(self, clock: Any, **options: Any) -> Any:
        """
        @return: a new store (closed at cleanup) on a new database, or the
            same database again when called again in one test.
        """
        from openocpp.centralsystem.postgresqlstore import PostgreSQLStore
        from tests.engines.postgresql import fresh_database

        if not hasattr(self, "store_url"):
            self.store_url = fresh_database(self)
        store = PostgreSQLStore(self.store_url, clock, **options)
        self.addCleanup(_close, store)
        return store

    def type_of(self, column: str) -> str:
        """
        @return: the SQL naming a column's stored type (C{"text"}, ...).
        """
        return f"pg_typeof({column})::text"

    def storage_error(self) -> Exception:
        """
        @return: an error the driver raises when the storage fails.
        """
        import psycopg

        return psycopg.OperationalError("server closed the connection unexpectedly")

    def committed_count(self, table: str) -> int:
        """
        @return: the rows of C{table} committed to the database.
        """
        import psycopg

        with psycopg.connect(self.store_url) as connection:
            return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _close(store: Any) -> None:
    # A test may have closed it already (or killed its server).
    try:
        store.close()
    except Exception:
        pass


class PostgreSQLCentralSystemMixin:
    """
    Mixed in before L{tests.centralsystem.fake_chargepoint.CentralSystemMixin}
    (or a test case built on it, such as the web API's): its central system
    runs on the PostgreSQL store (C{store}: a fresh database of the test
    run's server), and C{rows} reads that database.
    """

    def start_central_system(self, **overrides: Any) -> Any:
        from tests.engines.postgresql import fresh_database

        if "store" not in overrides:
            self.store_url = overrides["store"] = fresh_database(self)
        return super().start_central_system(**overrides)

    def rows(self, sql: str, *arguments: Any) -> list[dict]:
        # Through a connection of our own: what a crash would leave.
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.store_url, row_factory=dict_row) as connection:
            return connection.execute(sql.replace("?", "%s"), arguments).fetchall()
