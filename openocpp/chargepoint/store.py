"""
The charge point's SQLite file: configuration keys, connector statuses and
availability, the authorization cache and local list, transactions, and the
FIFO queue of transaction-related messages.

Every write is committed before the method returns (the write-ahead log
keeps that cheap), so a crash at any point loses nothing written: a queued
message is on disk before it is sent, and removed in the same SQLite
transaction that records its answer. The methods are synchronous and quick;
they run on the reactor thread.
"""

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openocpp.messages.validation import parse_datetime
from openocpp.store.ownership import check_database, owned_tables
from openocpp.store.sqlite import migrate, open_database, transaction

#: Schema steps; see L{openocpp.store.sqlite.migrate}. Append, never edit.
MIGRATIONS = [
    """
    CREATE TABLE config (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
    );
    CREATE TABLE connectors (
        connector_id INTEGER PRIMARY KEY,
        status TEXT NOT NULL,
        error_code TEXT NOT NULL,
        info TEXT,
        vendor_id TEXT,
        vendor_error_code TEXT,
        changed_at REAL,
        reported TEXT,
        availability TEXT NOT NULL DEFAULT 'Operative',
        scheduled_availability TEXT
    );
    CREATE TABLE auth_cache (
        id_tag TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        expiry_date TEXT,
        parent_id_tag TEXT,
        updated_at REAL NOT NULL
    );
    CREATE TABLE local_list (
        id_tag TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        expiry_date TEXT,
        parent_id_tag TEXT
    );
    CREATE TABLE transactions (
        local_id INTEGER PRIMARY KEY AUTOINCREMENT,
        connector_id INTEGER NOT NULL,
        id_tag TEXT NOT NULL,
        meter_start INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        reservation_id INTEGER,
        transaction_id INTEGER,
        start_state TEXT NOT NULL DEFAULT 'queued',
        id_tag_status TEXT,
        stopped_at TEXT,
        stop_reason TEXT
    );
    CREATE TABLE transaction_data (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        local_id INTEGER NOT NULL,
        meter_value TEXT NOT NULL
    );
    CREATE INDEX transaction_data_by_transaction ON transaction_data (local_id, id);
    CREATE TABLE queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        action TEXT NOT NULL,
        local_id INTEGER,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0
    );
    """,
    # IdTokens are case insensitive (OCPP 1.6 7.28 and errata 3.73, 3.74):
    # the cache and the local list key them so (SQLite's NOCASE folds the
    # ASCII letters). Of entries differing only in case, the cache keeps
    # the newest, the list the last.
    """
    CREATE TABLE auth_cache_nocase (
        id_tag TEXT PRIMARY KEY COLLATE NOCASE,
        status TEXT NOT NULL,
        expiry_date TEXT,
        parent_id_tag TEXT,
        updated_at REAL NOT NULL
    );
    INSERT OR REPLACE INTO auth_cache_nocase (id_tag, status, expiry_date, parent_id_tag, updated_at)
        SELECT id_tag, status, expiry_date, parent_id_tag, updated_at FROM auth_cache
        ORDER BY updated_at, rowid;
    DROP TABLE auth_cache;
    ALTER TABLE auth_cache_nocase RENAME TO auth_cache;
    CREATE TABLE local_list_nocase (
        id_tag TEXT PRIMARY KEY COLLATE NOCASE,
        status TEXT NOT NULL,
        expiry_date TEXT,
        parent_id_tag TEXT
    );
    INSERT OR REPLACE INTO local_list_nocase (id_tag, status, expiry_date, parent_id_tag)
        SELECT id_tag, status, expiry_date, parent_id_tag FROM local_list ORDER BY rowid;
    DROP TABLE local_list;
    ALTER TABLE local_list_nocase RENAME TO local_list;
    """,
    """
    -- Reservation profile (OCPP 1.6 sections 5.1, 5.13): the reservations
    -- held, kept by openocpp.chargepoint.reservations.ReservationStore.
    CREATE TABLE reservations (
        reservation_id INTEGER PRIMARY KEY,
        connector_id INTEGER NOT NULL,
        id_tag TEXT NOT NULL COLLATE NOCASE,
        parent_id_tag TEXT COLLATE NOCASE,
        expiry_date TEXT NOT NULL,
        made_at TEXT NOT NULL
    );
    """,
    """
    -- smart charging: the installed charging profiles (openocpp.chargepoint.chargingprofiles)
    CREATE TABLE charging_profiles (
        profile_id INTEGER PRIMARY KEY,
        connector_id INTEGER NOT NULL,
        purpose TEXT NOT NULL,
        stack_level INTEGER NOT NULL,
        local_id INTEGER,
        payload TEXT NOT NULL,
        installed INTEGER NOT NULL
    );
    """,
    """
    -- certificates (Security Whitepaper A02/A03, M03-M05): the installed roots and the
    -- charge point certificates with their keys (openocpp.chargepoint.certstore)
    CREATE TABLE certificates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        certificate_type TEXT NOT NULL,
        pem TEXT NOT NULL,
        private_key TEXT,
        issuer_key BLOB NOT NULL,
        fallback INTEGER NOT NULL DEFAULT 0,
        not_before TEXT NOT NULL,
        installed_at TEXT NOT NULL
    );
    """,
    """
    -- security events: the circular security log (openocpp.chargepoint.securitylog)
    CREATE TABLE security_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        type TEXT NOT NULL,
        tech_info TEXT,
        critical INTEGER NOT NULL
    );
    """,
]


@dataclass(slots=True)
class ConnectorRecord:
    """
    A connector's persisted state.

    @ivar reported: the (status, error code, info, vendor id, vendor error
        code) last reported to the central system, or C{None}.
    """

    connector_id: int
    status: str
    error_code: str
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    changed_at: float | None
    reported: tuple | None
    availability: str
    scheduled_availability: str | None

    @property
    def current(self) -> tuple:
        return (self.status, self.error_code, self.info, self.vendor_id, self.vendor_error_code)


@dataclass(slots=True)
class TransactionRecord:
    """
    A transaction of the charge point.

    @ivar local_id: our own id for it, known before the central system's.
    @ivar transaction_id: the central system's id once StartTransaction was
        answered, else C{None}.
    @ivar start_state: C{"queued"} (StartTransaction.req not answered yet),
        C{"answered"}, or C{"failed"} (given up after every attempt: its
        messages carry transaction id -1, errata 3.18).
    """

    local_id: int
    connector_id: int
    id_tag: str
    meter_start: int
    started_at: str
    reservation_id: int | None
    transaction_id: int | None
    start_state: str
    id_tag_status: str | None
    stopped_at: str | None
    stop_reason: str | None

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def wire_id(self) -> int | None:
        """
        The transaction id to put in messages: the central system's, -1
        when the start could not be delivered, C{None} while unknown.
        """
        if self.transaction_id is not None:
            return self.transaction_id
        if self.start_state == "failed":
            return -1
        return None


@dataclass(slots=True)
class QueuedMessage:
    """
    A transaction-related message waiting in the FIFO queue.

    @ivar payload: its JSON payload (a dict); its C{transactionId} is filled
        in when it is sent, from the transaction C{local_id} names.
    """

    seq: int
    action: str
    local_id: int | None
    payload: dict
    attempts: int


class ChargePointStore:
    """
    The charge point's SQLite file.

    @param path: the file (C{":memory:"} for a private in-memory one).
    @raise ValueError: the file is not a charge point's (another program's
        or a central system's; see L{openocpp.store.ownership}).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        #: Whether L{_db} is open; once closed it stays there, so that a use
        #: of a closed store fails with SQLite's own "Cannot operate on a
        #: closed database".
        self._open = False
        self.open()

    @property
    def closed(self) -> bool:
        """
        Whether the file is closed (see L{close}).
        """
        return not self._open

    @property
    def reopenable(self) -> bool:
        """
        Whether closing and opening again keeps what is stored: true of a
        file, false of C{":memory:"}, which closing destroys.
        """
        return self.path != ":memory:"

    def open(self) -> None:
        """
        Open the file (again) unless it is open: the owner of a store
        closed when its service stopped opens it when it starts.

        @raise ValueError: the file is not a charge point's.
        """
        if self._open:
            return
        path = self.path
        check_database(path, owned_tables(MIGRATIONS), "charge point", len(MIGRATIONS))
        db = open_database(path)
        migrate(db, MIGRATIONS, "charge point")
        self._db = db
        self._open = True

    @property
    def connection(self) -> sqlite3.Connection:
        """
        The open SQLite connection, for the small stores of the feature
        profiles that keep their own SQL and tables in this file
        (L{openocpp.chargepoint.locallist.LocalListStore},
        L{openocpp.chargepoint.reservations.ReservationStore},
        L{openocpp.chargepoint.chargingprofiles}, ...).
        """
        return self._db

    def close(self) -> None:
        """
        Close the file (nothing is pending: every write is committed as it
        is made); closing a closed store does nothing.
        """
        if self._open:
            self._open = False
            self._db.close()

    # -- configuration ----------------------------------------------------

    def config_values(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self._db.execute("SELECT key, value FROM config")}

    def set_config(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO config (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def clear_config(self) -> None:
        self._db.execute("DELETE FROM config")

    # -- meta ---------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    def set_meta(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    # -- connectors -------------------------------------------------------

    def ensure_connectors(self, count: int) -> None:
        """
        Make sure connectors 0 to C{count} exist (new ones Available).
        """
        with transaction(self._db):
            for connector_id in range(count + 1):
                self._db.execute(
                    "INSERT OR IGNORE INTO connectors (connector_id, status, error_code) "
                    "VALUES (?, 'Available', 'NoError')",
                    (connector_id,),
                )

    def connector(self, connector_id: int) -> ConnectorRecord | None:
        row = self._db.execute(
            "SELECT * FROM connectors WHERE connector_id = ?", (connector_id,)
        ).fetchone()
        return None if row is None else _connector(row)

    def connectors(self) -> list[ConnectorRecord]:
        return [
            _connector(row)
            for row in self._db.execute("SELECT * FROM connectors ORDER BY connector_id")
        ]

    def set_status(
        self,
        connector_id: int,
        status: str,
        error_code: str,
        info: str | None,
        vendor_id: str | None,
        vendor_error_code: str | None,
        changed_at: float,
    ) -> None:
        self._db.execute(
            "UPDATE connectors SET status = ?, error_code = ?, info = ?, vendor_id = ?, "
            "vendor_error_code = ?, changed_at = ? WHERE connector_id = ?",
            (status, error_code, info, vendor_id, vendor_error_code, changed_at, connector_id),
        )

    def set_reported(self, connector_id: int, reported: tuple | None) -> None:
        self._db.execute(
            "UPDATE connectors SET reported = ? WHERE connector_id = ?",
            (None if reported is None else json.dumps(list(reported)), connector_id),
        )

    def set_availability(
        self, connector_id: int, availability: str, scheduled: str | None = None
    ) -> None:
        self._db.execute(
            "UPDATE connectors SET availability = ?, scheduled_availability = ? "
            "WHERE connector_id = ?",
            (availability, scheduled, connector_id),
        )

    def set_scheduled_availability(self, connector_id: int, scheduled: str | None) -> None:
        self._db.execute(
            "UPDATE connectors SET scheduled_availability = ? WHERE connector_id = ?",
            (scheduled, connector_id),
        )

    def reset_connectors(self) -> None:
        """
        Forget every connector's status and availability.
        """
        self._db.execute("DELETE FROM connectors")

    # -- authorization ------------------------------------------------------

    def cache_entry(self, id_tag: str) -> sqlite3.Row | None:
        """
        @return: the cache entry of an idTag, matched in any case (its
            C{id_tag} is the case first cached), or C{None}.
        """
        return self._db.execute(
            "SELECT * FROM auth_cache WHERE id_tag = ?", (id_tag,)
        ).fetchone()

    def cache_put(
        self,
        id_tag: str,
        status: str,
        expiry_date: str | None,
        parent_id_tag: str | None,
        now: float,
        capacity: int,
        current_time: datetime | None = None,
    ) -> None:
        """
        Add or update a cache entry. A full cache first drops its not-valid
        entries, then its oldest valid ones (section 3.5.1).

        @param current_time: the charge point's time (an aware C{datetime}):
            a full cache first marks Expired the entries whose expiry date
            it has reached ("When the validity of a Cache entry expires, it
            SHALL be changed to expired in the Cache"), so that they go
            before any valid one. C{None}: expiry dates are not looked at.
        """
        with transaction(self._db):
            exists = self._db.execute(
                "SELECT 1 FROM auth_cache WHERE id_tag = ?", (id_tag,)
            ).fetchone()
            if not exists:
                (count,) = self._db.execute("SELECT COUNT(*) FROM auth_cache").fetchone()
                excess = count - capacity + 1
                if excess > 0 and current_time is not None:
                    self._expire_cache(current_time)
                if excess > 0:
                    self._db.execute(
                        "DELETE FROM auth_cache WHERE id_tag IN (SELECT id_tag FROM auth_cache "
                        "ORDER BY status NOT IN ('Accepted', 'ConcurrentTx') DESC, updated_at "
                        "LIMIT ?)",
                        (excess,),
                    )
            self._db.execute(
                "INSERT INTO auth_cache (id_tag, status, expiry_date, parent_id_tag, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id_tag) DO UPDATE SET "
                "status = excluded.status, expiry_date = excluded.expiry_date, "
                "parent_id_tag = excluded.parent_id_tag, updated_at = excluded.updated_at",
                (id_tag, status, expiry_date, parent_id_tag, now),
            )

    def _expire_cache(self, current_time: datetime) -> None:
        # Only when the cache is full (at most its capacity of rows); the
        # dates are compared parsed, their text having either precision.
        lapsed = [
            (row["id_tag"],)
            for row in self._db.execute(
                "SELECT id_tag, expiry_date FROM auth_cache WHERE expiry_date IS NOT NULL "
                "AND status IN ('Accepted', 'ConcurrentTx')"
            )
            if parse_datetime(row["expiry_date"]) <= current_time
        ]
        self._db.executemany("UPDATE auth_cache SET status = 'Expired' WHERE id_tag = ?", lapsed)

    def cache_set_status(self, id_tag: str, status: str) -> None:
        self._db.execute("UPDATE auth_cache SET status = ? WHERE id_tag = ?", (status, id_tag))

    def clear_cache(self) -> None:
        self._db.execute("DELETE FROM auth_cache")

    # -- transactions -------------------------------------------------------

    def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        started_at: str,
        reservation_id: int | None,
        payload: dict,
    ) -> int:
        """
        Record a new transaction and queue its StartTransaction.req, in one
        SQLite transaction.

        @return: its local id.
        """
        with transaction(self._db):
            cursor = self._db.execute(
                "INSERT INTO transactions (connector_id, id_tag, meter_start, started_at, "
                "reservation_id) VALUES (?, ?, ?, ?, ?)",
                (connector_id, id_tag, meter_start, started_at, reservation_id),
            )
            local_id = cursor.lastrowid
            self._enqueue("StartTransaction", local_id, payload)
        return local_id

    def stop_transaction(
        self, local_id: int, stopped_at: str, reason: str | None, payload: dict
    ) -> None:
        """
        Mark a transaction stopped and queue its StopTransaction.req (whose
        C{transactionData} is the meter values collected for it), in one
        SQLite transaction.
        """
        with transaction(self._db):
            data = [
                json.loads(row["meter_value"])
                for row in self._db.execute(
                    "SELECT meter_value FROM transaction_data WHERE local_id = ? ORDER BY id",
                    (local_id,),
                )
            ]
            if data:
                payload = dict(payload, transactionData=data)
            self._db.execute(
                "UPDATE transactions SET stopped_at = ?, stop_reason = ? WHERE local_id = ?",
                (stopped_at, reason, local_id),
            )
            self._db.execute("DELETE FROM transaction_data WHERE local_id = ?", (local_id,))
            self._enqueue("StopTransaction", local_id, payload)

    def transaction(self, local_id: int) -> TransactionRecord | None:
        row = self._db.execute(
            "SELECT * FROM transactions WHERE local_id = ?", (local_id,)
        ).fetchone()
        return None if row is None else TransactionRecord(**dict(row))

    def running_transactions(self) -> list[TransactionRecord]:
        return [
            TransactionRecord(**dict(row))
            for row in self._db.execute(
                "SELECT * FROM transactions WHERE stopped_at IS NULL ORDER BY local_id"
            )
        ]

    def transactions(self) -> list[TransactionRecord]:
        return [
            TransactionRecord(**dict(row))
            for row in self._db.execute("SELECT * FROM transactions ORDER BY local_id")
        ]

    def add_transaction_data(self, local_id: int, meter_value: dict, limit: int) -> None:
        """
        Keep a meter value for a transaction's StopTransaction.req. Beyond
        C{limit} values, intermediate ones are dropped (every other one from
        the second), never the first (errata 3.89).
        """
        with transaction(self._db):
            self._db.execute(
                "INSERT INTO transaction_data (local_id, meter_value) VALUES (?, ?)",
                (local_id, json.dumps(meter_value)),
            )
            ids = [
                row["id"]
                for row in self._db.execute(
                    "SELECT id FROM transaction_data WHERE local_id = ? ORDER BY id", (local_id,)
                )
            ]
            if limit >= 2 and len(ids) > limit - 1:
                # Room is kept for the Transaction.End value.
                self._db.execute("DELETE FROM transaction_data WHERE id = ?", (ids[1],))

    # -- the queue ------------------------------------------------------------

    def enqueue(self, action: str, local_id: int | None, payload: dict) -> int:
        with transaction(self._db):
            return self._enqueue(action, local_id, payload)

    def _enqueue(self, action: str, local_id: int | None, payload: dict) -> int:
        cursor = self._db.execute(
            "INSERT INTO queue (action, local_id, payload) VALUES (?, ?, ?)",
            (action, local_id, json.dumps(payload)),
        )
        return cursor.lastrowid

    def queue_head(self) -> QueuedMessage | None:
        row = self._db.execute("SELECT * FROM queue ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else _queued(row)

    def queued(self) -> list[QueuedMessage]:
        return [_queued(row) for row in self._db.execute("SELECT * FROM queue ORDER BY seq")]

    def queue_length(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM queue").fetchone()
        return count

    def stop_waiting(self, connector_id: int, sending: int | None) -> bool:
        """
        Whether a StopTransaction.req waits in the queue never sent (no
        attempt counted, and not the message in flight).

        @param connector_id: of a transaction on this connector; 0 for any.
        @param sending: the seq of the message in flight, or C{None}.
        """
        row = self._db.execute(
            "SELECT 1 FROM queue JOIN transactions ON transactions.local_id = queue.local_id "
            "WHERE queue.action = 'StopTransaction' AND queue.attempts = 0 AND queue.seq != ? "
            "AND (? = 0 OR transactions.connector_id = ?) LIMIT 1",
            (-1 if sending is None else sending, connector_id, connector_id),
        ).fetchone()
        return row is not None

    def count_attempt(self, seq: int) -> int:
        """
        Count a failed attempt at a queued message.

        @return: the attempts made so far.
        """
        with transaction(self._db):
            self._db.execute("UPDATE queue SET attempts = attempts + 1 WHERE seq = ?", (seq,))
            (attempts,) = self._db.execute(
                "SELECT attempts FROM queue WHERE seq = ?", (seq,)
            ).fetchone()
        return attempts

    def delivered(
        self,
        seq: int,
        transaction_id: int | None = None,
        local_id: int | None = None,
        id_tag_status: str | None = None,
        given_up: bool = False,
    ) -> None:
        """
        A queued message was answered (or given up): remove it, and for a
        StartTransaction record the transaction id (or that none will come),
        in one SQLite transaction.
        """
        with transaction(self._db):
            self._db.execute("DELETE FROM queue WHERE seq = ?", (seq,))
            if local_id is not None:
                if given_up:
                    self._db.execute(
                        "UPDATE transactions SET start_state = 'failed' WHERE local_id = ?",
                        (local_id,),
                    )
                else:
                    self._db.execute(
                        "UPDATE transactions SET transaction_id = ?, start_state = 'answered', "
                        "id_tag_status = ? WHERE local_id = ?",
                        (transaction_id, id_tag_status, local_id),
                    )

    # -- everything -----------------------------------------------------------

    def reset(self) -> None:
        """
        Forget everything: configuration, connectors, cache, local list,
        transactions, queued messages and reservations.
        """
        with transaction(self._db):
            for table in (
                "config", "meta", "connectors", "auth_cache", "local_list",
                "transactions", "transaction_data", "queue", "reservations", "charging_profiles",
                "certificates",
                "security_log",
            ):
                self._db.execute(f"DELETE FROM {table}")


def _connector(row: sqlite3.Row) -> ConnectorRecord:
    values = dict(row)
    reported = values["reported"]
    values["reported"] = None if reported is None else tuple(json.loads(reported))
    return ConnectorRecord(**values)


def _queued(row: sqlite3.Row) -> QueuedMessage:
    return QueuedMessage(
        seq=row["seq"],
        action=row["action"],
        local_id=row["local_id"],
        payload=json.loads(row["payload"]),
        attempts=row["attempts"],
    )
