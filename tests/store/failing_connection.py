"""
An SQLite connection that fails as one on a full disk does, for the tests of
the store package and of the stores built on it.
"""

import sqlite3


class FailingCommit:
    """
    A connection whose C{COMMIT} fails as a full disk's does in WAL mode:
    SQLite rolls the transaction back and raises C{SQLITE_FULL}. Everything
    else goes to the real connection.
    """

    def __init__(self, real, error=None):
        """
        @param error: what the COMMIT raises (default: SQLite's full disk).
        """
        self._real = real
        self._error = error

    def execute(self, sql, *arguments):
        if sql == "COMMIT":
            self._real.execute("ROLLBACK")
            raise self._error or sqlite3.OperationalError("database or disk is full")
        return self._real.execute(sql, *arguments)

    def __getattr__(self, name):
        return getattr(self._real, name)
