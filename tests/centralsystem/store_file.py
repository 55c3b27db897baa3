"""
Test-only access to a central system store's SQLite file.

Production code reads the store through its named methods
(L{openocpp.centralsystem.interfaces.ICentralSystemStore}); tests that check
what lies in the file itself (a migration's result, a table the API does
not show) read it here, and tests of a full disk replace its connection
with L{FullDisk}.  L{SynchronousThreads} runs the store's checkpoints at
once, for tests on a clock.
"""

import sqlite3
from typing import Any

from openocpp.centralsystem.store import CentralSystemStore
from tests.store.failing_connection import FailingCommit


def select(store: CentralSystemStore, sql: str, arguments: Any = ()) -> list[sqlite3.Row]:
    """
    Run one C{SELECT} on the store's own connection (so an in-memory
    database is readable too).

    @raise ValueError: the statement is not a single C{SELECT}.
    """
    if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or ";" in sql:
        raise ValueError("only a single SELECT statement may be read")
    return store._db.execute(sql, arguments).fetchall()


def replace_connection(store: CentralSystemStore, connection: Any) -> Any:
    """
    Make the store (its reads and its group commit) use C{connection}, a
    wrapper of its SQLite connection that fails as a full disk would.

    @return: the connection it used until now, to put back the same way.
    """
    previous = store._db
    store._db = store._group.connection = connection
    return previous


class FullDisk(FailingCommit):
    """
    Wraps a store's SQLite connection to fail every C{COMMIT} as a full disk
    does (see L{FailingCommit}), until L{make_room}.
    """

    def __init__(self, store):
        error = None
        if not isinstance(store._db, sqlite3.Connection):
            import psycopg

            # PostgreSQL's error for a full disk.
            error = psycopg.errors.DiskFull("could not extend file: No space left on device")
        super().__init__(store._db, error)
        self._store = store
        replace_connection(store, self)

    def make_room(self):
        replace_connection(self._store, self._real)


class SynchronousThreads:
    """
    An C{IReactorThreads} whose thread pool runs work at once, so a test
    sees a checkpoint happen when the clock says so.
    """

    def __init__(self):
        self.ran = 0

    def getThreadPool(self):
        return self

    def callInThreadWithCallback(self, on_result, function, *args, **kwargs):
        self.ran += 1
        try:
            result = function(*args, **kwargs)
        except Exception:
            from twisted.python.failure import Failure

            on_result(False, Failure())
        else:
            on_result(True, result)

    def callFromThread(self, function, *args, **kwargs):
        function(*args, **kwargs)


def count(path, table):
    """
    The number of rows of C{table} in the SQLite file at C{path}, read
    through a connection of our own: what a crash would leave.
    """
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        connection.close()
