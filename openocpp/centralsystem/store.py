"""
The default central system's SQLite store: charge points, id tags,
transactions, meter values, status history, security events, DataTransfer
log and status reports.

It implements L{openocpp.centralsystem.interfaces.ICentralSystemStore}.
Writes are group-committed: each is visible at once to the store's later
calls, and committed with the other writes of its reactor turn at the start
of the next one. The central system answers a charge point only once the
writes behind the answer are committed (L{CentralSystemStore.when_committed}),
so what it answered is on disk: a transaction id handed out in a
StartTransaction.conf survives a crash.
"""

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from typing import Any, Iterable

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.centralsystem.certificates import IssuedCertificates
from openocpp.centralsystem.chargepointcertificates import ChargePointCertificates
from openocpp.centralsystem.chargingprofiles import ChargingProfileRecords
from openocpp.centralsystem.credentials import (
    ChargePointCredentials,
    check_password,
    hash_password,
    normalised_key,
)
from openocpp.centralsystem.idtags import id_tag_key
from openocpp.centralsystem.interfaces import ICentralSystemStore
from openocpp.centralsystem.reads import StoreReads
from openocpp.centralsystem.uploads import UploadRecords
from openocpp.centralsystem.walcheckpoints import LogCheckpoints
from openocpp.messages import codec
from openocpp.messages.datatypes import MeterValue
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from openocpp.store.groupcommit import GroupCommit, SQLiteErrors
from openocpp.store.ownership import check_database, owned_tables
from openocpp.store.schema import load_migrations
from openocpp.store.sqlite import migrate, open_database

#: Schema steps, from the numbered files of C{openocpp/centralsystem/schema/};
#: see L{openocpp.store.sqlite.migrate}. Append a file, never edit one.
MIGRATIONS = load_migrations("openocpp.centralsystem")

_ID_TAG_CACHE_SIZE = 10_000
_INSERT_METER_VALUES = (
    "INSERT INTO meter_values (identity, connector_id, transaction_id, timestamp, "
    "value, context, format, measurand, phase, location, unit, named_transaction_id) VALUES "
)


def _meter_value_row(shape: tuple[bool, ...]) -> str:
    """
    The values of one row of L{_INSERT_METER_VALUES}: C{?} for each value
    given, C{NULL} for each of the optional ones that is C{None}, as
    C{shape} tells (transaction_id, context, format, measurand, phase,
    location, unit, named_transaction_id).
    """
    transaction, *sampled, named = ["NULL" if null else "?" for null in shape]
    return f"(?, ?, {transaction}, ?, ?, {', '.join(sampled)}, {named})"


# SQLite takes at most 32,766 parameters in a statement, 12 a row.
_ROWS_PER_INSERT = 2_000
#: Charge points whose "last seen" one turn writes (0.5 ms; 1,000 in one turn
#: held the reactor for 10-12 ms, docs/performance.md).
LAST_SEEN_BATCH = 50
#: Transactions whose charge point the store keeps in memory, at most
#: (about 100 bytes each): the open ones of 10,000 charge points.
_TRANSACTION_OWNERS = 20_000
#: The reason of a StopTransaction.req that gives none (OCPP 1.6 section 6.49).
_STOPPED_LOCALLY = "Local"


class StorageFailed(CallError):
    """
    A write, or the commit of a turn's writes, failed in SQLite (the disk
    or the database is full, an I/O error): the charge point's CALL is
    answered with this C{InternalError} CALLERROR, which says why.
    """

    def __init__(self, error: Exception) -> None:
        """
        @param error: the driver's error (SQLite's, PostgreSQL's).
        """
        super().__init__(
            ErrorCode.INTERNAL_ERROR,
            f"The central system could not store this request ({error}); "
            "nothing of it was kept: send it again later",
        )
        self.error = error


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else codec.format_datetime(moment)


@dataclass(frozen=True)
class IdTagRecord:
    """
    An id tag known to the central system.

    @ivar id_tag: the tag, spelt as first written (any other case finds
        it too).
    @ivar status: its C{AuthorizationStatus} value (Accepted, Blocked,
        Expired, Invalid).
    @ivar expiry_date: when it expires, or C{None}.
    @ivar parent_id_tag: its group's tag, or C{None}.
    """

    id_tag: str
    status: str
    expiry_date: datetime | None
    parent_id_tag: str | None


@implementer(ICentralSystemStore)
class CentralSystemStore:
    """
    The default central system's state, in one SQLite file.

    Runs on the reactor thread. The writes of one reactor turn share one
    SQLite transaction, committed at the start of the next turn (group
    commit: one commit for many messages); answers that depend on a write
    wait for it with L{when_committed}, so nothing answered is lost in a
    crash.

    @param path: the SQLite file (created and migrated if needed), or
        C{":memory:"}.
    @param clock: the C{IReactorTime} whose C{seconds()} timestamps records
        and which schedules the commits.
    @param threads: an C{IReactorThreads} (the reactor) to run the
        write-ahead log's checkpoints in a thread, off the reactor thread;
        C{None} leaves them to SQLite, inside commits.
    @param checkpoint_interval: seconds between those checkpoints.
    @param last_seen_interval: the most seconds the time a charge point was
        last heard from waits in memory before it is written (see
        L{touch}).
    @raise ValueError: the file is not a central system's (another
        program's or a charge point's; see L{openocpp.store.ownership}).
    @param wal_size_limit: the size in bytes past which a checkpoint
        truncates the write-ahead log (0: no limit). Under saturating load
        the passive checkpoints never catch up with the writer, so the log
        would grow without bound: past this size the checkpoint waits for
        the writer's turn to end, copies the rest of the log and truncates
        it, holding the writer back meanwhile (a few milliseconds: the
        passive checkpoints copied the most of it already).
    """

    log = Logger()

    def __init__(
        self,
        path: str,
        clock,
        threads=None,
        checkpoint_interval: float = 1.0,
        last_seen_interval: float = 10.0,
        wal_size_limit: int = 64 * 1024 * 1024,
    ) -> None:
        check_database(path, owned_tables(MIGRATIONS), "central system", len(MIGRATIONS))
        db = open_database(path)
        (version,) = db.execute("PRAGMA user_version").fetchone()
        migrate(db, MIGRATIONS, "central system")
        self._open(db, clock, last_seen_interval)
        if version < 3:
            self._report_case_duplicates()
        self._checkpoints = None
        self._log_checkpoints = None  # a LogCheckpoints, made by _checkpoint
        self._wal_size_limit = wal_size_limit
        if wal_size_limit and path != ":memory:":
            # A log that is restarted is also cut back to this size.
            self._db.execute(f"PRAGMA journal_size_limit = {int(wal_size_limit)}")
        if threads is not None and path != ":memory:":
            self._db.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpoints = LoopingCall(self._checkpoint, threads, path)
            self._checkpoints.clock = clock
            self._checkpoints.start(checkpoint_interval, now=False)

    def _open(self, db: Any, clock: Any, last_seen_interval: float, errors: Any = SQLiteErrors) -> None:
        """
        Set up what every store shares over its open, migrated connection
        (an C{sqlite3.Connection}, or one speaking its dialect: see
        L{openocpp.store.postgresql}): the group commit, the caches, the
        collaborators holding the other tables' statements.

        @param errors: the driver's errors, for the group commit.
        """
        self._db = db
        self._clock = clock
        self._group = GroupCommit(
            self._db,
            clock,
            StorageFailed,
            "central system",
            consequence="Charge points' requests are answered with InternalError",
            abandoned=self.forget_cached,
            errors=errors,
        )
        # Bound once here, not looked up through the group on every write:
        # the hot path pays no call more than when this code was the
        # store's own.
        self._begin = self._group.begin
        self._writing = self._group.atomic
        self._write = self._group.write
        self._execute = self._group.execute
        self.when_committed = self._group.when_committed
        # identity -> registration status: asked for nearly every message.
        self._registrations: dict[str, str | None] = {}
        # id tag's key (see openocpp.centralsystem.idtags) -> its record
        # (None: unknown): asked for every authorization.
        self._id_tags: dict[str, IdTagRecord | None] = {}
        # transaction id -> the identity of the charge point it is of (a
        # row's id and identity never change): asked for every MeterValues.
        # Bounded: emptied when full, then filled again as asked.
        self._transaction_owners: dict[int, str] = {}
        # which of a meter_values row's optional values are None -> the
        # row's "(?, NULL, ...)" (see _insert_meter_values); at most 2**8.
        self._meter_value_rows: dict[tuple[bool, ...], str] = {}
        # the same for record_status's statement: at most 2**4.
        self._status_statements: dict[tuple[bool, ...], str] = {}
        # identity -> clock seconds it was last heard from, not yet written.
        self._seen: dict[str, float] = {}
        self._seen_writing: dict[str, float] = {}  # taken from _seen, written a batch a turn
        self._seen_call = None
        self._last_seen_interval = last_seen_interval
        self._reads = StoreReads(self._db, self.last_seen)
        self._uploads = UploadRecords(self._db, self._write, self._writing)
        self._charging_profiles = ChargingProfileRecords(self._db, self._write, self._now_text)
        # The certificates issued answering SignCertificate (schema 8).
        self.issued_certificates = IssuedCertificates(self._db, self._write, self._now_text)
        # The certificates installed on or presented by charge points (schema 9).
        self.charge_point_certificates = ChargePointCertificates(self._db, self._write, self._now_text)

    def _report_case_duplicates(self) -> None:
        # Once, when migration 3 merged id tags that differed only in case.
        rows = self._db.execute(
            "SELECT id_tag, kept_id_tag FROM id_tag_case_duplicates ORDER BY id"
        ).fetchall()
        if rows:
            self.log.warn(
                "{count} id tag(s) differed from another only in case; id tags are "
                "case-insensitive, so each is now one record ({merged}). The records "
                "not kept are in the table id_tag_case_duplicates.",
                count=len(rows),
                merged=", ".join(f"{row[0]} -> {row[1]}" for row in rows[:20])
                + (", ..." if len(rows) > 20 else ""),
            )

    def close(self) -> None:
        """
        Commit what is pending and close the SQLite file.
        """
        if self._checkpoints is not None and self._checkpoints.running:
            self._checkpoints.stop()
        if self._log_checkpoints is not None:
            self._log_checkpoints.close()
        self.write_last_seen()
        self.commit()
        self._db.close()

    # -- group commit (see openocpp.store.groupcommit) ----------------------

    def forget_cached(self, identity: str | None = None, id_tag: str | None = None) -> None:
        """
        Forget what the store keeps in memory of the database, so that the
        next read asks it: a charge point's registration (C{identity}), an
        id tag's record (C{id_tag}, in any case), or everything when both
        are C{None}. Another process sharing the database changed them (the
        cluster's invalidation calls this), or a turn's writes were rolled
        back.
        """
        if identity is None and id_tag is None:
            self._registrations.clear()
            self._id_tags.clear()
            self._transaction_owners.clear()
            return
        if identity is not None:
            self._registrations.pop(identity, None)
        if id_tag is not None:
            self._id_tags.pop(id_tag_key(id_tag), None)

    def commit(self) -> None:
        """
        Commit the writes made so far (done by itself at the next turn).
        When the commit fails, every answer waiting for it fails with
        L{StorageFailed} and nothing of the turn is kept.
        """
        self._group.commit()

    def writes_pending(self) -> bool:
        """
        Whether writes made so far wait for the next turn's commit.
        """
        return self._group.pending

    def when_committed(self, result: Any = None) -> Deferred:
        """
        @return: a Deferred firing with C{result} once every write made so
            far is committed (at once if none is pending), or failing with
            L{StorageFailed} if the commit fails.
        """
        # (Each store binds its group's method over this one: see __init__.)
        return self._group.when_committed(result)

    def _checkpoint(self, threads: Any, path: str) -> Deferred | None:
        # In a thread, with the reactor thread finishing a long log between
        # two turns (see openocpp.centralsystem.walcheckpoints): truncating
        # it here stalled the reactor for tens of milliseconds.
        checkpoints = self._log_checkpoints
        if checkpoints is None:
            checkpoints = self._log_checkpoints = LogCheckpoints(path, self._db, threads, self.commit)
        if checkpoints.running:
            return None
        limit = self._wal_size_limit
        if limit:
            try:
                size = os.path.getsize(path + "-wal")
            except OSError:
                size = 0
            if size > limit:
                self._truncate_log(size)
                return None
        checkpoints.run()
        return None

    def _truncate_log(self, size: int) -> None:
        """
        The write-ahead log passed its limit: the passive checkpoints do not
        catch up with a writer that is never idle (a log is restarted only
        once wholly copied, with no write going on). Checkpoint and truncate
        it here, between two turns' transactions: on the reactor thread,
        the only writer, which waits meanwhile; the passive checkpoints
        copied the most of it already, so this copies the last second's.
        """
        self.commit()
        if self._db.in_transaction:
            return
        db = self._db
        # Another process reading the file may hold the checkpoint back:
        # then wait a little, not the writer's usual seconds.
        db.execute("PRAGMA busy_timeout = 100")
        try:
            (busy, _, _) = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            self.log.failure("Truncating the central system's write-ahead log failed")
            return
        finally:
            db.execute("PRAGMA busy_timeout = 5000")
        if busy:
            self.log.warn(
                "The central system's write-ahead log is {size} bytes, past its limit of "
                "{limit}, and could not be truncated: another connection to the file is "
                "busy; trying again",
                size=size,
                limit=self._wal_size_limit,
            )
        else:
            self.log.info(
                "Truncated the central system's write-ahead log: it was {size} bytes, past "
                "its limit of {limit}",
                size=size,
                limit=self._wal_size_limit,
            )

    def now(self) -> datetime:
        """
        The current time of the store's clock, as an aware UTC datetime.
        """
        return datetime.fromtimestamp(self._clock.seconds(), timezone.utc)

    def _now_text(self) -> str:
        return codec.format_datetime(self.now())

    def reset(self) -> None:
        """
        Delete every record (the schema stays), committed at once.

        @raise StorageFailed: the deletion could not be committed (nothing
            was deleted).
        """
        tables = self._table_names()
        with self._writing():
            for table in tables:
                self._db.execute(f"DELETE FROM {table}")
        self.forget_cached()
        failures = self._group.failures
        self.commit()
        if self._group.failures > failures and self._group.last_error is not None:
            raise StorageFailed(self._group.last_error)

    def _table_names(self) -> list[str]:
        # The tables of records (the database's own left out).
        return [
            row[0]
            for row in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'"
            )
        ]

    # -- the web API's reads (see openocpp.centralsystem.reads) -----------

    def charge_point_identities(self) -> Deferred:
        """
        @return: a Deferred firing with the identities of every charge
            point the store holds (registered, or seen at boot), sorted.
        """
        return _answer(self._reads.charge_point_identities)

    def charge_point_records(self, identities: list[str]) -> Deferred:
        """
        @return: a Deferred firing with the records of these charge points
            by identity (see L{openocpp.centralsystem.reads.StoreReads.charge_point_records}).
        """
        return _answer(self._reads.charge_point_records, identities)

    def id_tags_page(self, limit: int, offset: int, status: str | None = None) -> Deferred:
        """
        @return: a Deferred firing with a L{openocpp.centralsystem.reads.RecordPage} of id tags by tag.
        """
        return _answer(self._reads.id_tags_page, limit, offset, status)

    def transactions_page(
        self,
        limit: int,
        offset: int,
        identity: str | None = None,
        active: bool | None = None,
        id_tag: str | None = None,
        chosen: Any = None,
    ) -> Deferred:
        """
        @param chosen: a L{openocpp.centralsystem.reads.TransactionFilter}, or C{None}.
        @return: a Deferred firing with a L{openocpp.centralsystem.reads.RecordPage} of transactions,
            newest first (see L{openocpp.centralsystem.reads.StoreReads.transactions_page}).
        """
        return _answer(self._reads.transactions_page, limit, offset, identity, active, id_tag, chosen)

    def transaction_record(self, transaction_id: int) -> Deferred:
        """
        @return: a Deferred firing with one transaction's record, or
            C{None} (see L{openocpp.centralsystem.reads.StoreReads.transaction_record}).
        """
        return _answer(self._reads.transaction_record, transaction_id)

    def meter_values_of_transaction(self, transaction_id: int) -> Deferred:
        """
        @return: a Deferred firing with a transaction's sampled values, by
            timestamp.
        """
        return _answer(self._reads.meter_values_of_transaction, transaction_id)

    def events_page(
        self, limit: int, offset: int, kind: str | None = None, identity: str | None = None
    ) -> Deferred:
        """
        @return: a Deferred firing with a L{openocpp.centralsystem.reads.RecordPage} of events, newest
            first (see L{openocpp.centralsystem.reads.StoreReads.events_page}).
        """
        return _answer(self._reads.events_page, limit, offset, kind, identity)

    def charging_profiles(self, identity: str) -> Deferred:
        """
        @return: a Deferred firing with the charging profiles a charge point
            accepted and holds (see
            L{openocpp.centralsystem.chargingprofiles.ChargingProfileRecords.records}).
        """
        return _answer(self._charging_profiles.records, identity)

    # -- charging profiles: the answers to the central system's calls -------

    def record_charging_profile(self, identity: str, connector_id: int, profile: Any) -> None:
        """
        A charge point accepted a SetChargingProfile: keep the profile (it
        replaces those the charge point replaces).
        """
        self._charging_profiles.record(identity, connector_id, profile)

    def clear_charging_profiles(
        self,
        identity: str,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> None:
        """
        A charge point accepted a ClearChargingProfile: forget what it
        cleared.
        """
        self._charging_profiles.clear(identity, profile_id, connector_id, purpose, stack_level)

    # -- charge points ----------------------------------------------------

    def register_charge_point(
        self,
        identity: str,
        password: str | None = None,
        security_profile: int | None = None,
    ) -> None:
        """
        Register a charge point, or approve and update one seen before: its
        BootNotifications are then accepted. Optionally set its Basic-auth
        password (stored hashed) and security profile.
        """
        if password is not None:
            password = normalised_key(password)
        password_hash = None if password is None else hash_password(password)
        self._write(
            "INSERT INTO charge_points (identity, password_hash, security_profile, approved, "
            "registered_at) VALUES (?, ?, ?, 1, ?) ON CONFLICT (identity) DO UPDATE SET "
            "approved = 1, "
            # Qualified: PostgreSQL reads a bare name here as ambiguous.
            "password_hash = coalesce(excluded.password_hash, charge_points.password_hash), "
            "security_profile = coalesce(excluded.security_profile, charge_points.security_profile)",
            (identity, password_hash, security_profile, self._now_text()),
        )

    def key_refusal(self, identity: str) -> str | None:
        """
        Why the charge point's last new AuthorizationKey was not adopted,
        or C{None}.
        """
        row = self._db.execute(
            "SELECT key_refusal FROM charge_points WHERE identity = ?", (identity,)
        ).fetchone()
        return None if row is None else row[0]

    def note_key_refusal(self, identity: str, reason: str | None) -> None:
        """
        Keep (or with C{None} forget) why a new AuthorizationKey was not
        adopted.
        """
        self._write("UPDATE charge_points SET key_refusal = ? WHERE identity = ?", (reason, identity))

    def raise_security_profile(self, identity: str, profile: int) -> bool:
        """
        A registered charge point connected with C{profile}: make it the
        least it must connect with from now on, when it is higher than the
        registered one (A05.FR.09). Its approval is left as it is.

        @return: whether the registered profile was raised.
        """
        cursor = self._write(
            "UPDATE charge_points SET security_profile = ? "
            "WHERE identity = ? AND coalesce(security_profile, 0) < ?",
            (profile, identity, profile),
        )
        return cursor.rowcount > 0

    def is_approved(self, identity: str) -> bool:
        """
        Whether a charge point is registered (by an operator, or
        automatically under the C{accept} policy for unknown ones).
        """
        row = self._db.execute(
            "SELECT approved FROM charge_points WHERE identity = ?", (identity,)
        ).fetchone()
        return bool(row and row[0])

    def registration_status(self, identity: str) -> str | None:
        """
        The status of the last BootNotification.conf sent to a charge point,
        or C{None} if it never booted here.
        """
        if identity in self._registrations:
            return self._registrations[identity]
        row = self._db.execute(
            "SELECT registration_status FROM charge_points WHERE identity = ?", (identity,)
        ).fetchone()
        status = None if row is None else row[0]
        self._registrations[identity] = status
        return status

    def note_registration(self, identity: str, status: str) -> None:
        """
        Note the status of a BootNotification.conf sent to a charge point
        when something other than L{record_boot} chose it (a plugin), so
        that its next connections know it too. Nothing is written when the
        status is already the one stored; a charge point without a record
        has it noted in memory only.
        """
        if self.registration_status(identity) == status:
            return
        self._write(
            "UPDATE charge_points SET registration_status = ? WHERE identity = ?", (status, identity)
        )
        self._registrations[identity] = status

    def clear_password(self, identity: str) -> bool:
        """
        Remove a charge point's Basic-auth password; return whether it is
        registered.
        """
        cursor = self._write(
            "UPDATE charge_points SET password_hash = NULL WHERE identity = ?", (identity,)
        )
        return cursor.rowcount > 0

    def unregister_charge_point(self, identity: str) -> bool:
        """
        Forget a charge point (its history stays). Return whether it was
        registered.
        """
        cursor = self._write("DELETE FROM charge_points WHERE identity = ?", (identity,))
        self._registrations.pop(identity, None)
        return cursor.rowcount > 0

    def charge_point(self, identity: str) -> dict | None:
        """
        A registered charge point's record (without its password hash), or
        C{None}.
        """
        row = self._db.execute(
            "SELECT * FROM charge_points WHERE identity = ?", (identity,)
        ).fetchone()
        if row is None:
            return None
        record = dict(row)
        record["has_password"] = record.pop("password_hash") is not None
        record["last_seen"] = self.last_seen(identity) or record["last_seen"]
        return record

    def charge_points(self) -> list[dict]:
        """
        Every registered charge point's record, by identity.
        """
        identities = [
            row[0] for row in self._db.execute("SELECT identity FROM charge_points ORDER BY identity")
        ]
        return [self.charge_point(identity) for identity in identities]

    def check_password(self, identity: str, candidates: list[str]) -> bool | None:
        """
        Whether one of C{candidates} (the forms a Basic-auth password may
        take) is the registered charge point's password; C{None} when it is
        not registered or has no password set.

        Not part of L{ICentralSystemStore}, for tests and tools: it hashes
        on the calling thread. The central system checks passwords with
        L{openocpp.centralsystem.credentials.PasswordVerifier}, in threads,
        from L{charge_point_credentials}.
        """
        row = self._db.execute(
            "SELECT password_hash FROM charge_points WHERE identity = ?", (identity,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return any(check_password(candidate, row[0]) for candidate in candidates)

    def charge_point_credentials(self, identity: str) -> ChargePointCredentials | None:
        """
        What authenticates a charge point: its password hash and registered
        security profile; C{None} when the store has no record of it.
        """
        row = self._db.execute(
            "SELECT password_hash, security_profile FROM charge_points WHERE identity = ?",
            (identity,),
        ).fetchone()
        if row is None:
            return None
        return ChargePointCredentials(password_hash=row[0], security_profile=row[1])

    def record_boot(self, identity: str, request: Any, status: str) -> None:
        """
        Store a BootNotification.req's information and the status answered.
        A charge point not seen before is kept, not approved, so an operator
        can see and register it.
        """
        now = self._now_text()
        with self._writing():
            self._record_boot(identity, request, status, now)
        self._registrations[identity] = str(status)

    def _record_boot(self, identity: str, request: Any, status: str, now: str) -> None:
        self._db.execute(
            "INSERT INTO charge_points (identity, registered_at) VALUES (?, ?) "
            "ON CONFLICT (identity) DO NOTHING",
            (identity, now),
        )
        self._db.execute(
            "UPDATE charge_points SET registration_status = ?, vendor = ?, model = ?, "
            "charge_point_serial_number = ?, charge_box_serial_number = ?, "
            "firmware_version = ?, iccid = ?, imsi = ?, meter_type = ?, "
            "meter_serial_number = ?, last_boot = ?, last_seen = ? WHERE identity = ?",
            (
                str(status),
                request.charge_point_vendor,
                request.charge_point_model,
                request.charge_point_serial_number,
                request.charge_box_serial_number,
                request.firmware_version,
                request.iccid,
                request.imsi,
                request.meter_type,
                request.meter_serial_number,
                now,
                now,
                identity,
            ),
        )

    def touch(self, identity: str) -> None:
        """
        Note that a charge point was heard from now (any message at all).

        Kept in memory, and written with every other charge point heard
        from at most C{last_seen_interval} seconds later (or when the store
        closes), L{LAST_SEEN_BATCH} charge points a turn: hearing from a
        charge point costs no SQL statement, and writing 1,000 of them does
        not hold the reactor for 10 ms in one turn. L{last_seen} and
        L{charge_point} see it at once.
        """
        self._seen[identity] = self._clock.seconds()
        if self._seen_call is None:
            self._seen_call = self._clock.callLater(self._last_seen_interval, self._write_seen_batches)

    def last_seen(self, identity: str) -> str | None:
        """
        When a charge point was last heard from, if that is not written
        yet (see L{touch}); C{None} otherwise: then the C{last_seen} column
        has it.
        """
        seconds = self._seen.get(identity)
        if seconds is None:
            seconds = self._seen_writing.get(identity)
        if seconds is None:
            return None
        return codec.format_datetime(datetime.fromtimestamp(seconds, timezone.utc))

    def write_last_seen(self) -> None:
        """
        Write the times charge points were last heard from that are not
        written yet, in the current turn's transaction.
        """
        call, self._seen_call = self._seen_call, None
        if call is not None and call.active():
            call.cancel()
        seen = self._seen_writing
        seen.update(self._seen)
        self._seen_writing, self._seen = {}, {}
        self._write_seen(seen)

    def _write_seen_batches(self) -> None:
        # The interval passed: what was heard until now is written, a batch
        # a turn; what is heard from now on waits for the next interval.
        self._seen_call = None
        writing = self._seen_writing
        draining = bool(writing)  # (then the turns' batches go on)
        writing.update(self._seen)
        self._seen = {}
        if not draining:
            self._write_seen_batch()

    def _write_seen_batch(self) -> None:
        writing = self._seen_writing
        batch = dict(islice(writing.items(), LAST_SEEN_BATCH))
        for identity in batch:
            del writing[identity]
        self._write_seen(batch)
        if writing:
            self._clock.callLater(0, self._write_seen_batch)

    def _write_seen(self, seen: dict[str, float]) -> None:
        if not seen:
            return
        with self._writing():
            # Sorted by identity: nodes sharing a PostgreSQL database then
            # lock the rows they both update in the same order, and cannot
            # deadlock on them.
            self._db.executemany(
                "UPDATE charge_points SET last_seen = ? WHERE identity = ?",
                [
                    (codec.format_datetime(datetime.fromtimestamp(seconds, timezone.utc)), identity)
                    for identity, seconds in sorted(seen.items())
                ],
            )

    # -- connectors -------------------------------------------------------

    def record_status(self, identity: str, request: Any) -> None:
        """
        Store a StatusNotification.req: the connector's current status and a
        line of history.
        """
        # The trigger of migration 2 adds the line of history. The optional
        # values that are None go as NULL in the text (see
        # _insert_meter_values: a None parameter costs sqlite3 more than
        # the rest of the statement); one text for each shape, cached.
        info = request.info
        vendor_id = request.vendor_id
        vendor_error_code = request.vendor_error_code
        timestamp = _text(request.timestamp)
        shape = (info is None, vendor_id is None, vendor_error_code is None, timestamp is None)
        statement = self._status_statements.get(shape)
        if statement is None:
            statement = self._status_statements[shape] = (
                "INSERT OR REPLACE INTO connectors (identity, connector_id, status, error_code, "
                "info, vendor_id, vendor_error_code, timestamp, received_at) "
                "VALUES (?, ?, ?, ?, " + ", ".join(["NULL" if null else "?" for null in shape]) + ", ?)"
            )
        arguments = [identity, request.connector_id, str(request.status), str(request.error_code)]
        if info is not None:
            arguments.append(info)
        if vendor_id is not None:
            arguments.append(vendor_id)
        if vendor_error_code is not None:
            arguments.append(vendor_error_code)
        if timestamp is not None:
            arguments.append(timestamp)
        arguments.append(self._now_text())
        self._write(statement, arguments)

    def connectors(self, identity: str) -> list[dict]:
        """
        The last reported status of each connector of a charge point.
        """
        return [
            dict(row)
            for row in self._db.execute(
                "SELECT * FROM connectors WHERE identity = ? ORDER BY connector_id", (identity,)
            )
        ]

    def status_history(self, identity: str) -> list[dict]:
        """
        Every StatusNotification a charge point sent, oldest first.
        """
        return [
            dict(row)
            for row in self._db.execute(
                "SELECT * FROM status_history WHERE identity = ? ORDER BY id", (identity,)
            )
        ]

    # -- id tags ----------------------------------------------------------

    def set_id_tag(
        self,
        id_tag: str,
        status: str = "Accepted",
        expiry_date: datetime | None = None,
        parent_id_tag: str | None = None,
    ) -> None:
        """
        Add or change an id tag. Id tags are case-insensitive: changing
        C{child1} changes C{CHILD1}'s record, which keeps the spelling it
        was first written with.
        """
        self._id_tags.pop(id_tag_key(id_tag), None)
        # The column's NOCASE collation makes every spelling conflict.
        self._write(
            "INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id_tag) DO UPDATE SET status = excluded.status, "
            "expiry_date = excluded.expiry_date, parent_id_tag = excluded.parent_id_tag",
            (id_tag, str(status), _text(expiry_date), parent_id_tag),
        )

    def remove_id_tag(self, id_tag: str) -> bool:
        """
        Forget an id tag, whatever the case it is given in; return whether
        it was known.
        """
        self._id_tags.pop(id_tag_key(id_tag), None)
        return self._write("DELETE FROM id_tags WHERE id_tag = ?", (id_tag,)).rowcount > 0

    def id_tag(self, id_tag: str) -> IdTagRecord | None:
        """
        An id tag's record (found whatever the case it is given in), or
        C{None} when it is unknown.
        """
        key = id_tag_key(id_tag)
        if key in self._id_tags:
            return self._id_tags[key]
        row = self._db.execute("SELECT * FROM id_tags WHERE id_tag = ?", (id_tag,)).fetchone()
        record = None if row is None else _id_tag_record(row)
        if len(self._id_tags) >= _ID_TAG_CACHE_SIZE:
            # Bounded, since charge points may present any tag at all.
            self._id_tags.clear()
        self._id_tags[key] = record
        return record

    # -- transactions -----------------------------------------------------

    def start_transaction(self, identity: str, request: Any) -> int:
        """
        Record a StartTransaction.req and return its transaction id. The
        same request sent again (a charge point resending after a lost
        answer) gets the same id rather than a second transaction.
        """
        key = (
            identity,
            request.connector_id,
            request.id_tag,
            _text(request.timestamp),
            request.meter_start,
        )
        # One statement: a new row's id, or on a repeat the existing row's
        # (the no-op update makes RETURNING give it).
        ((transaction_id,),) = self._write(
            "INSERT INTO transactions (id, identity, connector_id, id_tag, start_timestamp, "
            "meter_start, reservation_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (identity, connector_id, id_tag, start_timestamp, meter_start) "
            "DO UPDATE SET identity = excluded.identity RETURNING id",
            (self._new_transaction_id(),) + key + (request.reservation_id,),
        ).fetchall()
        self._own_transaction(transaction_id, identity)
        return transaction_id

    def _new_transaction_id(self) -> int | None:
        # The id a new transaction is inserted with; None: SQLite gives the
        # next one (the PostgreSQL store takes it from its sequence first).
        return None

    def _own_transaction(self, transaction_id: int, identity: str) -> None:
        if len(self._transaction_owners) >= _TRANSACTION_OWNERS:
            self._transaction_owners.clear()
        self._transaction_owners[transaction_id] = identity

    def stop_transaction(self, identity: str, request: Any) -> bool:
        """
        Close a transaction with a StopTransaction.req's data, and store its
        transaction data as meter values. Return whether the transaction was
        known (an unknown one is still acknowledged by the central system).

        A transaction stops once: the same request sent again (a charge
        point resending after a lost answer) changes nothing, and its
        transaction data is not stored twice; a different StopTransaction
        for a stopped transaction is logged, and the first one kept. A
        request without reason is stored with the spec's default, C{Local}
        (OCPP 1.6 section 6.49).
        """
        transaction_data = request.transaction_data or []
        stop = (
            request.meter_stop,
            _text(request.timestamp),
            _STOPPED_LOCALLY if request.reason is None else str(request.reason),
            request.id_tag,
            json.dumps([codec.encode(m) for m in transaction_data]) if transaction_data else None,
        )
        row = self._db.execute(
            "SELECT connector_id, meter_stop, stop_timestamp, stop_reason, stop_id_tag, "
            "transaction_data FROM transactions WHERE id = ? AND identity = ?",
            (request.transaction_id, identity),
        ).fetchone()
        if row is None:
            return False
        if row["stop_timestamp"] is not None:
            if tuple(row)[1:] != stop:
                self.log.warn(
                    "{identity} sent another StopTransaction for transaction {transaction_id}, "
                    "stopped already; the first one is kept (meter stop {kept_meter_stop} at "
                    "{kept_timestamp}; this one: {meter_stop} at {timestamp})",
                    identity=identity,
                    transaction_id=request.transaction_id,
                    kept_meter_stop=row["meter_stop"],
                    kept_timestamp=row["stop_timestamp"],
                    meter_stop=request.meter_stop,
                    timestamp=stop[1],
                )
            return True
        with self._writing():
            self._db.execute(
                "UPDATE transactions SET meter_stop = ?, stop_timestamp = ?, stop_reason = ?, "
                "stop_id_tag = ?, transaction_data = ? WHERE id = ?",
                stop + (request.transaction_id,),
            )
            if transaction_data:
                self._insert_meter_values(
                    identity, row["connector_id"], request.transaction_id, transaction_data
                )
        return True

    def transaction(self, transaction_id: int) -> dict | None:
        """
        One transaction's record, or C{None}.
        """
        row = self._db.execute("SELECT * FROM transactions WHERE id = ?", (transaction_id,)).fetchone()
        return None if row is None else dict(row)

    def transactions(self, identity: str | None = None, active: bool | None = None) -> list[dict]:
        """
        Transactions, newest first, optionally of one charge point and only
        the active (C{True}) or finished (C{False}) ones.
        """
        clauses, arguments = [], []
        if identity is not None:
            clauses.append("identity = ?")
            arguments.append(identity)
        if active is not None:
            clauses.append("stop_timestamp IS NULL" if active else "stop_timestamp IS NOT NULL")
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return [
            dict(row)
            for row in self._db.execute(f"SELECT * FROM transactions {where} ORDER BY id DESC", arguments)
        ]

    def active_transaction_for(self, id_tag: str) -> dict | None:
        """
        The open transaction of an id tag (in any case), if it has one.
        """
        row = self._db.execute(
            "SELECT * FROM transactions WHERE id_tag = ? COLLATE NOCASE AND stop_timestamp IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (id_tag,),
        ).fetchone()
        return None if row is None else dict(row)

    # -- meter values -----------------------------------------------------

    def record_meter_values(self, identity: str, request: Any) -> bool:
        """
        Store every sampled value of a MeterValues.req. Values attach only
        to a transaction of the charge point that sends them: naming another
        charge point's transaction, or one that does not exist, stores them
        attached to none, with the id they named in C{named_transaction_id}.

        @return: whether the transaction named, if any, is the charge
            point's own.
        """
        transaction_id = request.transaction_id
        named = None
        if transaction_id is not None and self._transaction_owners.get(transaction_id) != identity:
            if self._db.execute(
                "SELECT 1 FROM transactions WHERE id = ? AND identity = ?", (transaction_id, identity)
            ).fetchone() is None:
                named, transaction_id = transaction_id, None
            else:
                self._own_transaction(transaction_id, identity)
        count = sum(len(value.sampled_value) for value in request.meter_value)
        if count > _ROWS_PER_INSERT:
            with self._writing():
                self._insert_meter_values(
                    identity, request.connector_id, transaction_id, request.meter_value, named
                )
        else:
            # One statement: atomic without a savepoint.
            self._begin()
            self._insert_meter_values(
                identity, request.connector_id, transaction_id, request.meter_value, named
            )
        return named is None

    def _insert_meter_values(
        self,
        identity: str,
        connector_id: int,
        transaction_id: int | None,
        values: Iterable[MeterValue],
        named_transaction_id: int | None = None,
    ) -> None:
        # Every parameter that is not an exact int, float or str (None, a
        # StrEnum member) costs sqlite3 a failed adapter lookup, raising and
        # clearing an AttributeError: some 3,000 instructions, more than
        # the rest of the row. So the enumerations go as their str, and the
        # Nones as NULL in the statement's text (a row's shape, cached).
        shapes = self._meter_value_rows
        rows: list[str] = []
        arguments: list[Any] = []
        add = arguments.append
        first = (identity, connector_id) if transaction_id is None else (identity, connector_id, transaction_id)
        for meter_value in values:
            timestamp = _text(meter_value.timestamp)
            for sampled in meter_value.sampled_value:
                context = sampled.context
                format_ = sampled.format
                measurand = sampled.measurand
                phase = sampled.phase
                location = sampled.location
                unit = sampled.unit
                shape = (
                    transaction_id is None,
                    context is None,
                    format_ is None,
                    measurand is None,
                    phase is None,
                    location is None,
                    unit is None,
                    named_transaction_id is None,
                )
                template = shapes.get(shape)
                if template is None:
                    template = shapes[shape] = _meter_value_row(shape)
                rows.append(template)
                arguments += first
                add(timestamp)
                add(sampled.value)
                if context is not None:
                    add(str(context))
                if format_ is not None:
                    add(str(format_))
                if measurand is not None:
                    add(str(measurand))
                if phase is not None:
                    add(str(phase))
                if location is not None:
                    add(str(location))
                if unit is not None:
                    add(str(unit))
                if named_transaction_id is not None:
                    add(named_transaction_id)
                # One INSERT of many rows: a single statement, atomic by
                # itself, and one round through SQLite rather than one per
                # sampled value.
                if len(rows) == _ROWS_PER_INSERT:
                    self._execute(_INSERT_METER_VALUES + ", ".join(rows), arguments)
                    rows, arguments = [], []
                    add = arguments.append
        if rows:
            self._execute(_INSERT_METER_VALUES + ", ".join(rows), arguments)

    def meter_values(self, transaction_id: int | None = None, identity: str | None = None) -> list[dict]:
        """
        Stored sampled values, oldest first, of one transaction or one
        charge point.
        """
        if transaction_id is not None:
            query, arguments = "WHERE transaction_id = ?", (transaction_id,)
        elif identity is not None:
            query, arguments = "WHERE identity = ?", (identity,)
        else:
            query, arguments = "", ()
        return [dict(row) for row in self._db.execute(f"SELECT * FROM meter_values {query} ORDER BY id", arguments)]

    # -- logs ---------------------------------------------------------------

    def record_security_event(self, identity: str, request: Any) -> None:
        """
        Store a SecurityEventNotification.req.
        """
        self._write(
            "INSERT INTO security_events (identity, type, timestamp, tech_info, received_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (identity, request.type, _text(request.timestamp), request.tech_info, self._now_text()),
        )

    def record_central_system_event(
        self, identity: str, peer: str | None, type: str, tech_info: str | None
    ) -> None:
        """
        Store a security event the central system itself noticed (origin
        C{CentralSystem}), e.g. repeated failed authentications, about the
        charge point identity concerned and the peer address.
        """
        now = self._now_text()
        self._write(
            "INSERT INTO security_events (identity, type, timestamp, tech_info, received_at, "
            "origin, peer) VALUES (?, ?, ?, ?, ?, 'CentralSystem', ?)",
            (identity, type, now, tech_info, now, peer),
        )

    def security_events(self, identity: str | None = None) -> list[dict]:
        """
        Stored security events, oldest first.
        """
        return self._select_log("security_events", identity)

    def record_data_transfer(
        self, identity: str, direction: str, request: Any, status: str | None
    ) -> None:
        """
        Log a DataTransfer.req (C{direction} "in" from the charge point,
        "out" to it) and the status answered.
        """
        self._write(
            "INSERT INTO data_transfers (identity, direction, vendor_id, message_id, data, "
            "status, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (identity, direction, request.vendor_id, request.message_id, request.data, status, self._now_text()),
        )

    def data_transfers(self, identity: str | None = None) -> list[dict]:
        """
        The DataTransfer log, oldest first.
        """
        return self._select_log("data_transfers", identity)

    def record_status_report(
        self, identity: str, kind: str, status: str, request_id: int | None = None
    ) -> None:
        """
        Store a firmware, diagnostics or log status notification (C{kind} is
        the action's name).
        """
        self._write(
            "INSERT INTO status_reports (identity, kind, status, request_id, received_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (identity, kind, status, request_id, self._now_text()),
        )

    def status_reports(self, identity: str | None = None) -> list[dict]:
        """
        Stored firmware, diagnostics and log status notifications.
        """
        return self._select_log("status_reports", identity)

    # -- local lists (OCPP 1.6 sections 3.5, 5.15) -------------------------

    def local_list_entries(self) -> tuple[list[IdTagRecord], int]:
        """
        What a Full local list holds: every id tag, by tag.

        @return: the records and the change mark they are as of (the
            sequence number of the last id-tag change so far).
        """
        rows = self._db.execute("SELECT * FROM id_tags ORDER BY id_tag").fetchall()
        return [_id_tag_record(row) for row in rows], self._change_mark()

    def local_list_changes(self, after: int) -> tuple[list[tuple[str, IdTagRecord | None]], int]:
        """
        What a Differential local list holds: the id tags changed since
        the change mark C{after}, in the order of their last change, each
        with its record (C{None}: removed since).

        @return: those pairs and the change mark they are as of.
        """
        rows = self._db.execute(
            "SELECT changes.id_tag AS changed, id_tags.* FROM id_tag_changes AS changes "
            "LEFT JOIN id_tags ON id_tags.id_tag = changes.id_tag "
            "WHERE changes.seq > ? ORDER BY changes.seq",
            (after,),
        ).fetchall()
        changes = [
            (row["changed"], None if row["status"] is None else _id_tag_record(row)) for row in rows
        ]
        return changes, self._change_mark()

    def _change_mark(self) -> int:
        (mark,) = self._db.execute("SELECT coalesce(max(seq), 0) FROM id_tag_changes").fetchone()
        return mark

    def local_list(self, identity: str) -> dict | None:
        """
        What the central system believes a charge point's local list is:
        the record of C{local_lists} (C{list_version} it last accepted,
        C{change_mark} of that list, C{None} when incomplete; the last
        attempt's C{last_update_type}, C{last_version}, C{last_status},
        C{last_at}), or C{None} when none was ever sent.
        """
        row = self._db.execute("SELECT * FROM local_lists WHERE identity = ?", (identity,)).fetchone()
        return None if row is None else dict(row)

    def record_local_list(
        self,
        identity: str,
        update_type: str,
        list_version: int,
        status: str,
        change_mark: int | None = None,
        complete: bool = True,
    ) -> None:
        """
        Record a charge point's answer to a SendLocalList.req. Only an
        C{Accepted} one changes the version held (to C{list_version}) and
        the change mark (to C{change_mark}, or to none when C{complete} is
        false: a Full list split in several requests stopped part way);
        any answer is the last attempt.
        """
        now = self._now_text()
        accepted = status == "Accepted"
        self._write(
            "INSERT INTO local_lists (identity, list_version, change_mark, accepted_at, "
            "last_update_type, last_version, last_status, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (identity) DO UPDATE SET "
            "list_version = CASE WHEN ? THEN excluded.list_version ELSE local_lists.list_version END, "
            "change_mark = CASE WHEN ? THEN excluded.change_mark ELSE local_lists.change_mark END, "
            "accepted_at = CASE WHEN ? THEN excluded.accepted_at ELSE local_lists.accepted_at END, "
            "last_update_type = excluded.last_update_type, last_version = excluded.last_version, "
            "last_status = excluded.last_status, last_at = excluded.last_at",
            (
                identity,
                list_version if accepted else 0,
                change_mark if accepted and complete else None,
                now if accepted else None,
                update_type,
                list_version,
                status,
                now,
                accepted,
                accepted,
                accepted,
            ),
        )

    # -- reservations (OCPP 1.6 sections 3.11, 5.13, 5.2) --------------------

    def reservation(self, identity: str, reservation_id: int) -> dict | None:
        """
        A reservation's record (its columns), or C{None}.
        """
        row = self._db.execute(
            "SELECT * FROM reservations WHERE identity = ? AND reservation_id = ?",
            (identity, reservation_id),
        ).fetchone()
        return None if row is None else dict(row)

    def last_reservation_id(self, identity: str) -> int:
        """
        The highest reservation id recorded for a charge point (0 when
        none is).
        """
        (last,) = self._db.execute(
            "SELECT coalesce(max(reservation_id), 0) FROM reservations WHERE identity = ?",
            (identity,),
        ).fetchone()
        return last

    def record_reservation(
        self,
        identity: str,
        reservation_id: int,
        connector_id: int,
        id_tag: str,
        expiry_date: datetime,
        parent_id_tag: str | None = None,
    ) -> None:
        """
        Record a reservation the charge point Accepted, active; one with
        the same id is replaced (OCPP 1.6 section 5.13).
        """
        self._write(
            "INSERT OR REPLACE INTO reservations (identity, reservation_id, connector_id, id_tag, "
            "parent_id_tag, expiry_date, state, reserved_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?)",
            (identity, reservation_id, connector_id, id_tag, parent_id_tag, _text(expiry_date), self._now_text()),
        )

    def cancel_reservation(self, identity: str, reservation_id: int) -> bool:
        """
        Mark an active reservation cancelled; return whether there was one.
        """
        cursor = self._write(
            "UPDATE reservations SET state = 'cancelled', ended_at = ? "
            "WHERE identity = ? AND reservation_id = ? AND state = 'active'",
            (self._now_text(), identity, reservation_id),
        )
        return cursor.rowcount > 0

    def use_reservation(self, identity: str, reservation_id: int, transaction_id: int) -> None:
        """
        A StartTransaction.req named this reservation: mark it used by the
        transaction (one indexed statement; nothing when it is unknown or
        no longer active).
        """
        self._write(
            "UPDATE reservations SET state = 'used', ended_at = ?, transaction_id = ? "
            "WHERE identity = ? AND reservation_id = ? AND state = 'active'",
            (self._now_text(), transaction_id, identity, reservation_id),
        )

    def local_list_record(self, identity: str) -> Deferred:
        """
        @return: a Deferred firing with what the central system believes a
            charge point's local list is (see
            L{openocpp.centralsystem.reads.StoreReads.local_list_record}).
        """
        return _answer(self._reads.local_list_record, identity)

    def reservations_page(self, identity: str, limit: int, offset: int, state: str | None = None) -> Deferred:
        """
        @return: a Deferred firing with a
            L{openocpp.centralsystem.reads.RecordPage} of a charge point's
            reservations, newest first (see
            L{openocpp.centralsystem.reads.StoreReads.reservations_page}).
        """
        return _answer(self._reads.reservations_page, identity, limit, offset, state, self._now_text())

    def _select_log(self, table: str, identity: str | None) -> list[dict]:
        if identity is None:
            rows = self._db.execute(f"SELECT * FROM {table} ORDER BY id")
        else:
            rows = self._db.execute(f"SELECT * FROM {table} WHERE identity = ? ORDER BY id", (identity,))
        return [dict(row) for row in rows]


    # -- uploads (see openocpp.centralsystem.uploads) -------------------------

    def add_upload_token(
        self, token: str, identity: str, expires_at: datetime, kind: str = "Diagnostics"
    ) -> None:
        """
        See L{ICentralSystemStore.add_upload_token}.
        """
        self._uploads.add_token(token, identity, self._now_text(), _text(expires_at), kind)

    def upload_token(self, token: str) -> dict | None:
        """
        See L{ICentralSystemStore.upload_token}.
        """
        return self._uploads.token(token)

    def record_upload(
        self, token: str, identity: str, file_name: str, stored_as: str, size: int, sha256: str
    ) -> int:
        """
        See L{ICentralSystemStore.record_upload}.
        """
        return self._uploads.add_upload(
            token, identity, file_name, stored_as, size, sha256, self._now_text()
        )

    def uploads_page(
        self, limit: int, offset: int, identity: str | None = None, kind: str | None = None
    ) -> Deferred:
        """
        See L{ICentralSystemStore.uploads_page}.
        """
        return _answer(self._uploads.uploads_page, limit, offset, identity, kind)

    def upload_record(self, upload_id: int) -> Deferred:
        """
        See L{ICentralSystemStore.upload_record}.
        """
        return _answer(self._uploads.upload, upload_id)


def _answer(read: Any, *arguments: Any) -> Deferred:
    # SQLite answers at once: an already-fired Deferred, failed if the
    # read raised.
    try:
        return succeed(read(*arguments))
    except Exception:
        return fail()


def _id_tag_record(row: Any) -> IdTagRecord:
    expiry = row["expiry_date"]
    return IdTagRecord(
        id_tag=row["id_tag"],
        status=row["status"],
        expiry_date=None if expiry is None else datetime.fromisoformat(expiry),
        parent_id_tag=row["parent_id_tag"],
    )
