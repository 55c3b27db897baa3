"""
Test-only access to a central system store's SQLite file.

Production code reads the store through its named methods
(L{openocpp.centralsystem.interfaces.ICentralSystemStore}); tests that check
what lies in the file itself (a migration's result, a table the API does
not show) read it here, and tests of a full disk replace its connection
with L{FullDisk}.
"""

import sqlite3
from typing import Any

from openocpp.centralsystem.store import CentralSystemStore


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


class FullDisk:
    """
    Wraps a store's SQLite connection to fail every C{COMMIT} as a full disk
    does in WAL mode: SQLite rolls the transaction back and raises
    C{SQLITE_FULL}.
    """

    def __init__(self, store):
        self._store = store
        self._real = replace_connection(store, self)

    def execute(self, sql, *arguments):
        if sql == "COMMIT":
            self._real.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        return self._real.execute(sql, *arguments)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def make_room(self):
        replace_connection(self._store, self._real)
