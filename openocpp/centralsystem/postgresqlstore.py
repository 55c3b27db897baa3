"""
The central system's store in PostgreSQL, which several central-system
processes (the nodes of a cluster) share.

It is L{openocpp.centralsystem.store.CentralSystemStore} over a
L{openocpp.store.postgresql.PostgreSQLConnection}: the same statements (the
connection translates SQLite's dialect), the same group commit (one
PostgreSQL transaction per reactor turn, committed at the start of the
next; a StartTransaction is answered once its id is committed), the same
caches. What differs is only what the database is: a URL instead of a file,
PostgreSQL's migrations (C{schema_postgresql/}) and its transaction ids,
from a sequence, so that they are unique across the processes sharing it
(a duplicate StartTransaction is found by the same unique key whichever
process stored the first). What other processes change reaches this one's
caches through L{forget_cached<CentralSystemStore.forget_cached>}.
"""

from typing import Any

from openocpp.centralsystem.store import CentralSystemStore
from openocpp.store.postgresql import PostgreSQLConnection, PostgreSQLErrors, migrate
from openocpp.store.schema import load_migrations

#: Schema steps of C{openocpp/centralsystem/schema_postgresql/}; the
#: version reached is kept in the table C{schema_version}. Append a file,
#: never edit one.
MIGRATIONS = load_migrations("openocpp.centralsystem", "schema_postgresql")

#: The primary key each C{INSERT OR REPLACE} of the store conflicts on.
PRIMARY_KEYS = {
    "connectors": ("identity", "connector_id"),
    "reservations": ("identity", "reservation_id"),
    "charge_point_certificates": ("identity", "fingerprint", "source"),
}


class PostgreSQLStore(CentralSystemStore):
    """
    The central system's state in a PostgreSQL database (see the module's
    docstring); it implements
    L{openocpp.centralsystem.interfaces.ICentralSystemStore}.

    @param url: the database's C{postgresql://} URL (C{--store}).
    @param clock: the C{IReactorTime} timestamping records and scheduling
        the commits.
    @param last_seen_interval: as L{CentralSystemStore}'s.
    @param options: the SQLite store's file options (C{threads},
        C{wal_size_limit}, ...), which mean nothing here.
    @raise openocpp.store.postgresql.StoreURLError: the URL is not one,
        the driver is missing, the server cannot be reached.
    @raise ValueError: the database is another program's, or of a newer
        schema than this openocpp knows.
    """

    def __init__(self, url: str, clock: Any, last_seen_interval: float = 10.0, **options: Any) -> None:
        db = PostgreSQLConnection(url, PRIMARY_KEYS)
        try:
            migrate(db, MIGRATIONS, "central system")
        except BaseException:
            db.close()
            raise
        self._open(db, clock, last_seen_interval, errors=PostgreSQLErrors())
        db.storage_failed = self._lost_late
        # No write-ahead log of ours to checkpoint: PostgreSQL's own.
        self._checkpoints = None
        self._log_checkpoints = None

    def _lost_late(self, error: Exception) -> Exception:
        """
        A statement the connection sent ahead failed, found after its
        caller went on (see L{openocpp.store.postgresql}): a storage error
        is told to the group commit, which fails whoever waits for the
        turn, and raised as L{StorageFailed
        <openocpp.centralsystem.store.StorageFailed>}.
        """
        if self._group.is_storage_error(error):
            return self._group.write_failed(error)
        return error

    def _new_transaction_id(self) -> int:
        """
        The next id of the transaction sequence, taken before the insert
        and written in it: should PostgreSQL roll the turn's transaction
        back (a deadlock with another node) and the connection run it
        again, the insert writes the same id, the one its answer carries
        (an id the sequence gave by itself would be another).
        """
        # In the turn's transaction (begun here: after a lost connection,
        # that finds the server again), a failure its StorageFailed.
        self._begin()
        return self._execute("SELECT nextval('transaction_ids')").fetchone()[0]

    def _table_names(self) -> list[str]:
        return [
            row[0]
            for row in self._db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_version' "
                "ORDER BY table_name"
            )
        ]
