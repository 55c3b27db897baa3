"""
Opening a stack's SQLite file, and migrating its schema.

Each role keeps its state in one SQLite file, with the write-ahead log on so
that readers never wait for a writer. When writes are committed is the
role's store's choice: the central system's commits each reactor turn's
writes together and answers once they are committed (group commit), so a
crash loses nothing already answered.
"""

import sqlite3
from typing import Sequence

from twisted.logger import Logger

_log = Logger()


def open_database(path: str, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """
    Open (creating it if needed) the SQLite file at C{path}; C{":memory:"}
    gives a private in-memory database.

    The connection is in autocommit mode (C{isolation_level=None}): group
    statements with L{transaction}.

    @param synchronous: SQLite's C{synchronous} setting. With the write-ahead
        log, C{"NORMAL"} loses nothing committed when the process crashes or
        is killed; only a power cut may lose the last commits, which
        C{"FULL"} prevents at the price of an fsync per commit.
    """
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys = ON")
    if path != ":memory:":
        connection.execute("PRAGMA journal_mode = WAL")
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"unknown SQLite synchronous mode {synchronous!r}")
        connection.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    return connection


class transaction:
    """
    A context manager running its block in one SQLite transaction: committed
    when the block ends, rolled back if it raises::

        with transaction(connection):
            connection.execute(...)
            connection.execute(...)
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self._connection.execute("BEGIN IMMEDIATE")
        return self._connection

    def __exit__(self, kind, value, traceback) -> bool:
        if kind is None:
            self._connection.execute("COMMIT")
        else:
            self._connection.execute("ROLLBACK")
        return False


def migrate(connection: sqlite3.Connection, migrations: Sequence[str], name: str) -> int:
    """
    Bring a database's schema up to date.

    C{migrations[i]} is the SQL script that takes the schema from version
    C{i} to C{i + 1}; the version reached is kept in C{PRAGMA user_version}.
    Each step runs in its own transaction, so a crash mid-way leaves the
    schema at a whole version.

    @param name: what the database is, for log lines.
    @return: the schema version reached.
    @raise ValueError: the file's schema is newer than this code knows: an
        older openocpp must not write to it.
    """
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version > len(migrations):
        raise ValueError(
            f"the {name} database has schema version {version}, newer than "
            f"this openocpp knows ({len(migrations)}): upgrade openocpp"
        )
    for target in range(version + 1, len(migrations) + 1):
        with transaction(connection):
            for statement in _statements(migrations[target - 1]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {target}")
        _log.info(
            "Migrated the {name} database to schema version {version}",
            name=name,
            version=target,
        )
    return len(migrations)


def _statements(script: str) -> list[str]:
    # executescript() would commit the surrounding transaction, so the
    # script's statements run one by one inside it instead.
    statements = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {pending!r}")
    return statements
