"""
A PostgreSQL connection that the stores use as they use an
C{sqlite3.Connection}: the dialect layer that lets one store hold one
implementation of each behaviour, whichever database is under it.

L{PostgreSQLConnection} takes the SQLite dialect the store's statements are
written in (C{?} placeholders, C{BEGIN IMMEDIATE}, C{INSERT OR REPLACE},
C{INSERT OR IGNORE}) and sends PostgreSQL's (each statement translated once
and kept); what SQLite has and PostgreSQL lacks (C{COLLATE NOCASE},
C{julianday()}) the PostgreSQL schema supplies under the same names (a
case-insensitive ICU collation, a function). Rows answer by index and by
column name, as C{sqlite3.Row} does.

The driver is psycopg 3, synchronous, on the reactor thread, in autocommit
mode so that the store's group commit opens and commits transactions
itself (see L{openocpp.store.groupcommit}); why this integration and not a
thread pool or C{adbapi}: the measurement in C{docs/deployment.md},
"PostgreSQL store".

Round trips: the connection stays in libpq's pipeline mode, and inside a
transaction sends each statement whose result nobody needs yet (the
turn's C{BEGIN}, its savepoints, C{INSERT}/C{UPDATE}/C{DELETE} without
C{RETURNING}) without waiting for PostgreSQL; the wait is paid once, by
the next statement whose result is needed (a read, a C{RETURNING}, a row
count asked for, the C{COMMIT}), for all of them, each result checked in
the order sent before that statement's is given. A turn of
StatusNotifications and MeterValues waits once, at its C{COMMIT}, which
answers wait for. A statement sent ahead that fails is found after its
caller went on: its transaction is then lost as a whole (rolled back, the
owner told through L{PostgreSQLConnection.storage_failed}), even inside a
savepoint; a statement that waited fails as it always did. What psycopg
refuses before sending (a number beyond 64 bits, a NUL in a text) fails at
once, nothing sent.

PostgreSQL aborts a whole transaction on any failed statement (SQLite only
the statement): a statement failing outside a savepoint rolls the turn's
transaction back here at once and is a storage failure
(L{PostgreSQLErrors.is_storage_error}), so that the group fails whoever
waits for the turn rather than committing nothing and answering. Until
the owner begins another transaction (or rolls back), the writes and the
C{COMMIT} of the one lost so fail with its error rather than run, and
succeed, in autocommit: a turn whose loss was found by a read the group
commit did not make still fails its answers at the COMMIT.

But for the two errors where PostgreSQL gave up on the transaction for its
own reasons, not ours: a deadlock with another process sharing the
database (two nodes' turns locking the same rows in different orders,
PostgreSQL rolls one back) and a serialization failure. Then the
connection runs the transaction again: it keeps the writes of the open
transaction (L{PostgreSQLConnection.journal}), rolls back, runs them again
in a new transaction, and the failed statement after them, up to
L{RETRIES} times; the caller sees its statement succeed. Each write must
give again what it gave the first time (as many rows changed, the same rows
returned: what the store answered is what it committed); when one does
not, the transaction is lost as for any other error.
"""

import re
from decimal import Decimal
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

from twisted.logger import Logger

from openocpp.transfer.errors import redact

_log = Logger()

#: The URL schemes of a PostgreSQL C{--store}.
SCHEMES = ("postgresql", "postgres")

#: The SQLSTATEs after which PostgreSQL rolled the transaction back for its
#: own reasons and running it again may well succeed: deadlock_detected,
#: serialization_failure.
RETRIED_STATES = frozenset({"40P01", "40001"})

#: How many times a transaction PostgreSQL rolled back so is run again
#: before its statement fails.
RETRIES = 3


class StoreURLError(ValueError):
    """
    A C{--store} value that is not a usable PostgreSQL URL, or names a
    server that cannot be reached; the message is one line saying why.
    """


def is_postgresql_url(url: str | None) -> bool:
    """
    @return: whether a C{--store} value names a PostgreSQL database.
    """
    return bool(url) and urlsplit(url).scheme in SCHEMES


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StoreURLError(
            "the PostgreSQL driver is not installed: pip install 'openocpp[postgresql]' (psycopg 3)"
        ) from None
    return psycopg


class Row:
    """
    A result row readable by index, by column name, as a mapping
    (C{dict(row)}) and as a sequence (C{tuple(row)}), as C{sqlite3.Row}.
    """

    __slots__ = ("_values", "_index")

    def __init__(self, values: tuple, index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self):
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._values == other._values
        return self._values == other

    __hash__ = None  # type: ignore[assignment]

    def keys(self) -> list[str]:
        """
        The columns' names, in order.
        """
        return list(self._index)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values))!r})"


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return None
    index = {column.name: number for number, column in enumerate(description)}
    return lambda values: Row(values, index)


# -- the SQLite dialect, translated ------------------------------------------

_INSERT_OR = re.compile(r"^\s*INSERT\s+OR\s+(REPLACE|IGNORE)\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.I | re.S)


def translate(sql: str, keys: dict[str, Sequence[str]]) -> str:
    """
    A statement of the SQLite dialect the stores are written in, as
    PostgreSQL takes it.

    @param keys: each table's primary key columns, which an C{INSERT OR
        REPLACE} into it conflicts on.
    @raise ValueError: an C{INSERT OR REPLACE} into a table of unknown key.
    """
    stripped = sql.strip()
    upper = stripped.upper()
    if upper == "BEGIN IMMEDIATE":
        return "BEGIN"
    match = _INSERT_OR.match(stripped)
    tail = ""
    if match is not None:
        action, table, columns = match.group(1).upper(), match.group(2), match.group(3)
        stripped = f"INSERT INTO {table} ({columns})" + stripped[match.end():]
        if action == "IGNORE":
            tail = " ON CONFLICT DO NOTHING"
        else:
            if table not in keys:
                raise ValueError(f"INSERT OR REPLACE into {table}: its primary key is not known")
            key = keys[table]
            names = [name.strip() for name in columns.split(",")]
            updates = ", ".join(f"{name} = excluded.{name}" for name in names if name not in key)
            tail = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        returning = re.search(r"\sRETURNING\s", stripped, re.I)
        if returning is not None:
            stripped = stripped[: returning.start()] + tail + stripped[returning.start():]
        else:
            stripped += tail
    # Placeholders last: no statement of ours has a ? or a % in a literal.
    return stripped.replace("%", "%%").replace("?", "%s")


class PostgreSQLErrors:
    """
    psycopg's errors, for L{openocpp.store.groupcommit.GroupCommit}: every
    one is a failure to store, but a constraint or a statement broken
    inside a savepoint (which the savepoint undoes, the turn going on).
    """

    def __init__(self) -> None:
        psycopg = _driver()
        self.error = psycopg.Error
        self._not_storage = (psycopg.IntegrityError, psycopg.ProgrammingError, psycopg.DataError)

    def is_storage_error(self, error: BaseException) -> bool:
        """
        Whether an error means the storage failed (or its turn's
        transaction was lost): a lost connection, a full disk, a deadlock,
        any error after which the transaction was rolled back.
        """
        if getattr(error, "transaction_lost", False):
            return True
        return isinstance(error, self.error) and not isinstance(error, self._not_storage)


class PostgreSQLConnection:
    """
    One psycopg connection, used as the stores use an
    C{sqlite3.Connection} (see the module's docstring).

    The connection is in libpq's pipeline mode: inside a transaction, a
    statement whose result nobody needs yet (an C{INSERT}, C{UPDATE} or
    C{DELETE} without C{RETURNING}, a C{SAVEPOINT}, a C{RELEASE}, the
    C{BEGIN}) is sent without waiting for PostgreSQL, and its cursor reads
    the result when asked (C{rowcount}, a fetch). Any other statement (a
    read, a C{RETURNING}, the C{COMMIT}) waits for its result and, in the
    same round trip, for those of every statement sent before it, each
    checked in order. One of those sent ahead failing loses the
    transaction (rolled back; the error says so, and goes through
    C{storage_failed}) but for the errors PostgreSQL gave up on the
    transaction for by itself, after which it is run again, as it is for
    a statement that waited.

    @param url: the C{postgresql://} URL (libpq's URI form, C{?host=} for a
        unix socket folder).
    @param keys: each table's primary key, for C{INSERT OR REPLACE}.
    @param pipelined: whether transactions use pipeline mode (C{False}:
        each statement waits for its result, a round trip each).
    @raise StoreURLError: the URL is not one, the driver is missing or the
        server cannot be reached.
    """

    #: Makes the exception to raise, from PostgreSQL's error, when a
    #: statement sent ahead failed and its transaction is lost: the owner's
    #: storage error, the owner told that its turn is lost (the central
    #: system's store sets its group commit's). C{None}: the error itself.
    storage_failed: Callable[[Exception], Exception] | None = None

    def __init__(
        self,
        url: str,
        keys: dict[str, Sequence[str]],
        connect_timeout: float = 10,
        pipelined: bool = True,
    ) -> None:
        psycopg = _driver()
        self._psycopg = psycopg
        self.url = url
        self._keys = keys
        self._connect_timeout = connect_timeout
        # SQLite's statement -> (PostgreSQL's, whether it may be sent ahead).
        self._statements: dict[str, tuple[str, bool]] = {}
        #: The open transaction's statements but reads, to run again
        #: should PostgreSQL roll it back (see L{_run_again}): each a
        #: L{_Write}.
        self.journal: list[_Write] = []
        # The journal's index of each open savepoint's SAVEPOINT.
        self._marks: list[int] = []
        #: How many transactions were run again (after a deadlock...).
        self.retried = 0
        self._pipelined = pipelined and psycopg.Pipeline.is_supported()
        # In pipeline mode: psycopg's pipeline and its context manager.
        self._pipeline: Any = None
        self._pipeline_context: Any = None
        # The statements sent ahead whose results are not checked yet, in
        # the order sent.
        self._pending: list[_Write] = []
        # The errors psycopg raised for them meanwhile.
        self._errors: list[Exception] = []
        # The error that lost the transaction the connection rolled back
        # itself, until the owner begins another or rolls back: its writes
        # and COMMIT fail with it rather than run outside a transaction.
        self._lost: Exception | None = None
        self._connection = self._connect()
        self._enter_pipeline()

    def _connect(self) -> Any:
        psycopg = self._psycopg
        try:
            connection = psycopg.connect(
                self.url, autocommit=True, connect_timeout=max(1, int(self._connect_timeout))
            )
        except psycopg.ProgrammingError as error:
            raise StoreURLError(
                f"{redacted_url(self.url)} is not a PostgreSQL URL ({_scrubbed(_one_line(error), self.url)})"
            ) from None
        except psycopg.Error as error:
            raise StoreURLError(
                f"cannot connect to {redacted_url(self.url)}: {_scrubbed(_one_line(error), self.url)}"
            ) from None
        connection.row_factory = _row_factory
        _integral_numbers(psycopg, connection)
        return connection

    @property
    def in_transaction(self) -> bool:
        """
        Whether a transaction is open (a failed one inside a savepoint too,
        until rolled back to it).
        """
        if self._pending:
            # Sent ahead, BEGIN included: libpq says only "active".
            return True
        status = self._connection.info.transaction_status
        transaction = self._psycopg.pq.TransactionStatus
        return status in (transaction.INTRANS, transaction.INERROR)

    def _statement(self, sql: str) -> tuple[str, bool]:
        known = self._statements.get(sql)
        if known is None:
            translated = translate(sql, self._keys)
            known = self._statements[sql] = (translated, _may_be_sent_ahead(translated))
        return known

    def execute(self, sql: str, arguments: Any = ()) -> Any:
        """
        Run one statement (SQLite's dialect).

        @return: a cursor (C{fetchone}, C{fetchall}, C{rowcount},
            iteration), of L{Row}s: psycopg's, or for a statement sent
            ahead one reading its result when asked.
        """
        statement, ahead = self._statement(sql)
        if statement == "BEGIN":
            self._reconnect_if_lost()
            self._lost = None
        elif statement == "ROLLBACK":
            self._lost = None
        elif self._lost is not None and not statement[:6].upper().startswith("SELECT"):
            raise self._lost
        write = _Write(statement, arguments, False)
        if self._pipeline is not None:
            # Sent ahead only in a transaction (which a BEGIN opens): what
            # autocommit runs must have failed, or not, when it returns.
            return self._pipelined_run(write, ahead and (statement == "BEGIN" or self.in_transaction))
        try:
            cursor = write.run(self._connection)
        except self._psycopg.Error as error:
            cursor = self._run_again(error, write)
        self._track(write)
        return cursor

    def executemany(self, sql: str, rows: Sequence[Any]) -> Any:
        """
        Run one statement for each row of arguments (psycopg pipelines
        them: one round trip; in a transaction, sent ahead: none).
        """
        statement, ahead = self._statement(sql)
        if self._lost is not None:
            raise self._lost
        write = _Write(statement, rows, True)
        if self._pipeline is not None:
            return self._pipelined_run(write, ahead and self.in_transaction)
        try:
            cursor = write.run(self._connection)
        except self._psycopg.Error as error:
            cursor = self._run_again(error, write)
        self._track(write)
        return cursor

    # -- pipeline mode ---------------------------------------------------------

    def _enter_pipeline(self) -> None:
        # For good (but while a script runs, or a transaction is run
        # again): leaving costs a round trip.
        if not self._pipelined or self._pipeline is not None:
            return
        context = self._connection.pipeline()
        self._pipeline = context.__enter__()
        self._pipeline_context = context

    def _leave_pipeline(self) -> None:
        # What is still pending is read and dropped, its errors with it.
        if self._pipeline is None:
            return
        self._discard()
        context, self._pipeline, self._pipeline_context = self._pipeline_context, None, None
        try:
            context.__exit__(None, None, None)
        except self._psycopg.Error:
            pass  # the connection is lost: found again at the next BEGIN

    def _discard(self) -> None:
        # The transaction is rolled back: what its statements sent ahead
        # gave no longer matters.
        self._drain([])
        for write in self._pending:
            write.waiting = False
        self._pending = []
        self._errors = []

    def _command(self, sql: str) -> None:
        # A statement of the connection's own (a ROLLBACK), waited for.
        if self._pipeline is not None:
            self._discard()
            self._connection.execute(sql)
            errors: list = []
            self._drain(errors)
            if errors:
                raise errors[0]
        else:
            self._connection.execute(sql)

    def _drain(self, errors: list) -> None:
        # Read every result still due, collecting psycopg's errors (it
        # raises the first of a batch, having given the others' results to
        # their cursors).
        pipeline = self._pipeline
        if pipeline is None:
            return
        for _ in range(len(pipeline.result_queue) + 2):
            if not pipeline.result_queue or self._connection.closed:
                return
            try:
                pipeline.sync()
            except self._psycopg.Error as error:
                errors.append(error)

    def _pipelined_run(self, write: "_Write", ahead: bool) -> Any:
        """
        Run C{write} in the pipeline: sent ahead when C{ahead}, otherwise
        waiting for its result (and the earlier ones').
        """
        if write.statement == "ROLLBACK":
            # Whatever the earlier statements gave, they are undone.
            self._discard()
        self._send(write)
        if ahead:
            self._track(write)
            return _PendingCursor(self, write)
        cursor = self._resolve(write)
        self._track(write)
        return cursor

    def _send(self, write: "_Write") -> None:
        self._pending.append(write)
        write.waiting = True
        try:
            write.run(self._connection)
        except self._psycopg.Error as error:
            if (
                getattr(error, "pgresult", None) is None
                and not isinstance(error, self._psycopg.errors.PipelineAborted)
                and not self._connection.broken
            ):
                # Refused before it was sent (an argument psycopg cannot
                # send): nothing reached PostgreSQL, as without a pipeline.
                self._pending.remove(write)
                write.waiting = False
                raise
            # An earlier statement's error, found while sending this one
            # (or the connection lost): checked now.
            self._errors.append(error)
            self._resolve(write)
        except BaseException:
            self._pending.remove(write)
            write.waiting = False
            raise

    def sync(self) -> None:
        """
        Wait for the results of the statements sent ahead, and check them.

        @raise Exception: as L{execute} raises, for the first that failed.
        """
        if self._pending:
            self._resolve(None)

    def _resolve(self, current: "_Write | None", reading: bool = False) -> Any:
        """
        Wait for every result due, and check them in order. When they all
        succeeded, return C{current}'s cursor. When C{current} failed, the
        earlier ones having succeeded, it failed as if it had been run
        alone (see L{_run_again}). When one sent ahead before it failed,
        the transaction is lost, or run again (L{RETRIED_STATES}).

        @param reading: C{current} was sent ahead, its cursor read now: its
            caller is not in L{execute} to see the error as its own.
        """
        errors, self._errors = self._errors, []
        self._drain(errors)
        pending, self._pending = self._pending, []
        failed = None
        for write in pending:
            write.waiting = False
            if failed is None:
                if write.received():
                    write.settle()
                else:
                    failed = write
        if failed is None and not errors:
            return None if current is None else current.cursor()
        if failed is None and current is not None:
            failed = current
        error = _first_error(errors, self._psycopg)
        if failed is current:
            # As if it had run alone: a failure inside a savepoint leaves
            # the transaction to be rolled back to it.
            journaled = bool(self.journal) and self.journal[-1] is current
            if journaled:
                self.journal.pop()  # sent ahead (read by its cursor): not run twice
            try:
                cursor = self._run_again(error, current)
            except self._psycopg.Error as failure:
                if reading:
                    raise self._told(failure) from None
                raise
            if journaled:
                self._track(current)
            return cursor
        # One sent ahead failed, whose caller went on: the transaction is
        # lost, but for a deadlock, run again as a whole.
        if current is not None and current in self.journal:
            current = None  # in the journal: run again with it
        if getattr(error, "sqlstate", None) in RETRIED_STATES and self.in_transaction:
            try:
                return self._replay(error, current)
            except self._psycopg.Error as failure:
                if current is not None and current.ends:
                    raise
                raise self._told(failure) from None
        self._lose(error)
        if current is not None and current.ends:
            raise error
        raise self._told(error) from None

    def _told(self, error: Exception) -> Exception:
        # A storage error the caller (or the group commit it went through)
        # does not see as its statement's own: the owner is told.
        if self.storage_failed is None:
            return error
        return self.storage_failed(error)

    # -- running a transaction again -----------------------------------------

    def _run_again(self, error: Exception, write: "_Write") -> Any:
        """
        C{write} failed with C{error}: when PostgreSQL rolled the
        transaction back for its own reasons (L{RETRIED_STATES}), run the
        transaction again, then C{write}; otherwise, or when that fails
        too, fail as before.

        @return: C{write}'s cursor, run again.
        @raise Exception: C{error}, or the error of the last attempt.
        """
        status = self._connection.info.transaction_status
        transaction = self._psycopg.pq.TransactionStatus
        # Only what failed in a transaction of ours (or its COMMIT): a
        # statement outside one has nothing to run again.
        if getattr(error, "sqlstate", None) not in RETRIED_STATES or not (
            status == transaction.INERROR or write.ends
        ):
            self._failed(error)
            raise error
        return self._replay(error, write)

    def _replay(self, error: Exception, write: "_Write | None") -> Any:
        """
        Run the transaction's journal again in a new transaction, then
        C{write} (if any), up to L{RETRIES} times, statement by statement.

        @return: C{write}'s cursor, or C{None}.
        """
        self._leave_pipeline()
        try:
            return self._replayed(error, write)
        finally:
            if not self._connection.broken:
                self._enter_pipeline()

    def _replayed(self, error: Exception, write: "_Write | None") -> Any:
        transaction = self._psycopg.pq.TransactionStatus
        for attempt in range(1, RETRIES + 1):
            try:
                if self._connection.info.transaction_status != transaction.IDLE:
                    self._connection.execute("ROLLBACK")
                self._connection.execute("BEGIN")
                for earlier in self.journal:
                    earlier.again(self._connection)
                cursor = None if write is None else write.run(self._connection)
            except _Diverged as diverged:
                # What was answered is no longer what the database would
                # commit: lost, as for any other error.
                _log.warn(
                    "The PostgreSQL store's transaction, rolled back by PostgreSQL ({error}), "
                    "could not be run again: {why}",
                    error=_one_line(error), why=str(diverged),
                )
                self._lose(error)
                raise error from None
            except self._psycopg.Error as again:
                if getattr(again, "sqlstate", None) in RETRIED_STATES and attempt < RETRIES:
                    error = again
                    continue
                self._lose(again)
                raise again from None
            self.retried += 1
            _log.info(
                "PostgreSQL rolled the store's transaction back ({error}): ran it again "
                "({writes} writes, attempt {attempt})",
                error=_one_line(error), writes=len(self.journal), attempt=attempt,
            )
            return cursor
        raise AssertionError("unreachable")  # pragma: no cover

    def _lose(self, error: Exception) -> None:
        # The transaction could not be run again: rolled back, and the
        # error says it is lost (savepoints included).
        try:
            self._discard()
            if self._connection.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
                self._command("ROLLBACK")
        except self._psycopg.Error:
            pass
        self.journal.clear()
        self._marks.clear()
        error.transaction_lost = True  # type: ignore[attr-defined]
        self._lost = error

    def _track(self, write: "_Write") -> None:
        # Keep the open transaction's writes (and its savepoints, so that a
        # transaction run again has them where the store's code expects
        # them), forget them when it ends.
        statement = write.statement
        word = statement[:9].upper()
        if word.startswith("SAVEPOINT"):
            self._marks.append(len(self.journal))
            self.journal.append(write)
        elif word.startswith("RELEASE"):
            if self._marks:
                self._marks.pop()
            self.journal.append(write)
        elif word.startswith("ROLLBACK ") and self._marks:
            # ROLLBACK TO: what followed the savepoint is undone; the
            # savepoint stays until released.
            del self.journal[self._marks[-1] + 1:]
        elif write.ends or word == "BEGIN":
            self.journal.clear()
            self._marks.clear()
        elif not word.startswith("SELECT") and self.in_transaction:
            if not write.waiting:
                write.remember()
            self.journal.append(write)

    def executescript(self, script: str) -> None:
        """
        Run several statements (no arguments, PostgreSQL's dialect).
        """
        if self._pipeline is not None:
            # Several statements in one are not for a pipeline.
            self.sync()
            self._leave_pipeline()
            try:
                self._connection.execute(script)
            finally:
                self._enter_pipeline()
        else:
            self._connection.execute(script)
        if self.in_transaction:
            # A migration's: what it did is not checked statement by
            # statement, so a transaction holding one is not run again.
            self.journal.append(_Write(script, (), False, replayable=False))

    def _failed(self, error: Exception) -> None:
        # PostgreSQL aborted the transaction: outside a savepoint nothing
        # can bring it back, so it is rolled back now, as SQLite does after
        # a storage error, and the error says so.
        if self._marks and self.in_transaction:
            return
        status = self._connection.info.transaction_status
        transaction = self._psycopg.pq.TransactionStatus
        if status == transaction.INERROR:
            try:
                self._command("ROLLBACK")
            except self._psycopg.Error:
                pass
            error.transaction_lost = True  # type: ignore[attr-defined]
            self._lost = error
        elif status == transaction.UNKNOWN:
            # The connection is lost, and its transaction with it.
            error.transaction_lost = True  # type: ignore[attr-defined]
            self._lost = error

    def _reconnect_if_lost(self) -> None:
        # Between two transactions: a server restarted meanwhile is found
        # again, rather than every later write failing.
        if not self._connection.closed and not self._connection.broken:
            return
        self._leave_pipeline()
        try:
            self._connection.close()
        except Exception:
            pass
        try:
            self._connection = self._connect()
        except StoreURLError as error:
            raise self._psycopg.OperationalError(str(error)) from None
        self.journal.clear()
        self._marks.clear()
        self._enter_pipeline()
        _log.info("Connected to the PostgreSQL store again")

    def close(self) -> None:
        """
        Close the connection (what is pending in a transaction is not
        committed).
        """
        self._leave_pipeline()
        self._connection.close()


def _may_be_sent_ahead(statement: str) -> bool:
    # Statements whose result the store's code does not need at once:
    # their cursor reads it when asked.
    upper = statement.lstrip()[:10].upper()
    if upper.startswith(("SAVEPOINT", "RELEASE", "BEGIN")):
        return statement.strip().upper() == "BEGIN" or not upper.startswith("BEGIN")
    if upper.startswith(("INSERT", "UPDATE", "DELETE")):
        return re.search(r"\sRETURNING\s", statement, re.I) is None
    return False


def _first_error(errors: list, psycopg: Any) -> Exception:
    # The statement's own error rather than "pipeline aborted", which
    # those after it get.
    for error in errors:
        if not isinstance(error, psycopg.errors.PipelineAborted):
            return error
    if errors:
        return errors[0]
    return psycopg.OperationalError("a statement sent ahead got no result")


class _PendingCursor:
    """
    The cursor of a statement sent ahead: reading its result (C{rowcount},
    a fetch, iteration) waits for it, and checks it, first.
    """

    __slots__ = ("_connection", "_write")

    def __init__(self, connection: PostgreSQLConnection, write: "_Write") -> None:
        self._connection = connection
        self._write = write

    def _ready(self) -> "_Write":
        connection, write = self._connection, self._write
        if write.waiting:
            connection._resolve(write if connection._pending[-1] is write else None, reading=True)
        return write

    @property
    def rowcount(self) -> int:
        """
        How many rows the statement changed.
        """
        return self._ready().rowcount()

    @property
    def description(self) -> Any:
        """
        psycopg's description of the result's columns (C{None}: none).
        """
        return self._ready().cursor().description

    def fetchone(self) -> Any:
        """
        The next row, or C{None}.
        """
        return self._ready().cursor().fetchone()

    def fetchall(self) -> list:
        """
        The remaining rows.
        """
        return self._ready().cursor().fetchall()

    def __iter__(self):
        return iter(self._ready().cursor())


class _Diverged(Exception):
    """
    A write run again gave another result than the first time.
    """


class _Write:
    """
    One statement run on the connection, as the journal keeps it: what to
    run again, and what it gave (rows changed, rows returned) to check it
    gives the same.

    @ivar statement: the statement, in PostgreSQL's dialect.
    @ivar arguments: its arguments (a sequence of them for C{many}).
    @ivar many: whether it is run once per row of C{arguments}.
    @ivar ends: whether it ends the transaction (C{COMMIT}, C{ROLLBACK}).
    @ivar replayable: whether it may be run again (a script may not).
    @ivar ahead: whether it was sent in a pipeline (its results read
        later, by L{settle}).
    @ivar waiting: whether it was sent and its results are not checked yet.
    """

    __slots__ = (
        "statement", "arguments", "many", "ends", "replayable", "ahead", "waiting", "_cursors", "_rowcount", "_rows",
    )

    def __init__(self, statement: str, arguments: Any, many: bool, replayable: bool = True) -> None:
        """
        @param replayable: whether it may be run again (see L{again}).
        """
        self.statement = statement
        self.arguments = arguments
        self.many = many
        self.ends = statement in ("COMMIT", "ROLLBACK")
        self.replayable = replayable
        self.ahead = False
        self.waiting = False
        self._cursors: list = []
        self._rowcount = -1
        self._rows = None

    def run(self, connection: Any) -> Any:
        """
        Run the statement on C{connection} (in pipeline mode: send it,
        a query a row of arguments for C{many}).

        @return: its cursor (the last one's for C{many} in a pipeline).
        """
        if connection._pipeline is not None:
            self.ahead = True
            self._cursors = cursors = []
            for arguments in self.arguments if self.many else (self.arguments,):
                cursor = connection.cursor()
                cursors.append(cursor)
                cursor.execute(self.statement, arguments or None)
            return cursors[-1] if cursors else None
        self.ahead = False
        if self.many:
            cursor = connection.cursor()
            cursor.executemany(self.statement, self.arguments)
        else:
            cursor = connection.execute(self.statement, self.arguments or None)
        self._cursors = [cursor]
        return cursor

    def received(self) -> bool:
        """
        Whether every result of the statement came, successful.
        """
        return all(cursor.pgresult is not None for cursor in self._cursors)

    def cursor(self) -> Any:
        """
        The statement's cursor (the last query's for C{many}).
        """
        return self._cursors[-1] if self._cursors else None

    def rowcount(self) -> int:
        """
        How many rows the statement changed (all its queries).
        """
        return sum(cursor.rowcount for cursor in self._cursors)

    def settle(self) -> None:
        """
        Its results came: keep how many rows it changed (no rows returned:
        a statement returning some is not sent ahead).
        """
        if self.ahead:
            self._rowcount = self.rowcount()

    def remember(self) -> None:
        """
        Keep what the statement gave: how many rows it changed, and the
        rows it returns (read here, the cursor rewound for its caller).
        """
        cursor = self.cursor()
        self._rowcount = self.rowcount()
        if cursor.description is not None and not self.many:
            self._rows = cursor.fetchall()
            cursor.scroll(0, "absolute")

    def again(self, connection: Any) -> None:
        """
        Run the statement again, in a transaction run again (the
        connection out of pipeline mode).

        @raise _Diverged: it gave something else than the first time, or
            it may not be run again.
        """
        if not self.replayable:
            raise _Diverged(f"{self.statement[:60]!r} is not run again")
        cursor = self.run(connection)
        rowcount = self.rowcount()
        if self._rowcount >= 0 and rowcount != self._rowcount:
            raise _Diverged(f"{self.statement[:60]!r} changed {rowcount} rows, not {self._rowcount}")
        if self._rows is not None:
            rows = cursor.fetchall()
            cursor.scroll(0, "absolute")
            if rows != self._rows:
                raise _Diverged(f"{self.statement[:60]!r} returned other rows")


def _integral_numbers(psycopg: Any, connection: Any) -> None:
    # Integers as SQLite takes them: 64 bits at most, one beyond refused
    # with OverflowError before any statement runs (what the callers
    # catch), not sent as a numeric.
    from psycopg.adapt import PyFormat
    from psycopg.types.numeric import IntBinaryDumper, IntDumper, NumericLoader

    def within_64_bits(dumper: Any) -> Any:
        class Within64Bits(dumper):
            def upgrade(self, obj: int, format: PyFormat) -> Any:
                if not -(2**63) <= obj < 2**63:
                    raise OverflowError(f"{obj} is beyond 64 bits")
                return super().upgrade(obj, format)

        return Within64Bits

    connection.adapters.register_dumper(int, within_64_bits(IntDumper))
    connection.adapters.register_dumper(int, within_64_bits(IntBinaryDumper))

    # sum() of a bigint is a numeric: read as the int SQLite gives, a
    # fraction as a float.

    class IntegralNumericLoader(NumericLoader):
        def load(self, data: Any) -> Any:
            number = super().load(data)
            if isinstance(number, Decimal):
                return int(number) if number == number.to_integral_value() else float(number)
            return number

    connection.adapters.register_loader("numeric", IntegralNumericLoader)


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def redacted_url(url: str) -> str:
    """
    A C{--store} URL as log lines and error messages may show it: its
    password, in the user information (C{postgresql://user:secret@host})
    or as a parameter (C{?password=secret}), shown as C{***}.
    """
    return _PASSWORD_PARAMETER.sub(r"\g<head>***", redact(url))


def _scrubbed(text: str, url: str) -> str:
    # libpq's messages may quote the connection string, or a piece of it.
    text = redacted_url(text)
    parts = urlsplit(url)
    passwords = [parts.password] + re.findall(r"[?&]password=([^&#\s]*)", url, re.I)
    for password in passwords:
        if password and len(password) >= 3:
            text = text.replace(password, "***")
    return text


_PASSWORD_PARAMETER = re.compile(r"(?P<head>[?&]password=)[^&#\s]*", re.I)


# -- migrations ---------------------------------------------------------------

#: The advisory lock two processes migrating at once take in turn.
_MIGRATION_LOCK = 0x6F63_7070  # "ocpp"


def migrate(connection: PostgreSQLConnection, migrations: Sequence[str], name: str) -> int:
    """
    Bring a PostgreSQL database's schema up to date: C{migrations[i]}
    takes it from version C{i} to C{i + 1}; the version reached is kept in
    the table C{schema_version}. The steps run in one transaction
    (PostgreSQL's DDL is transactional: a crash mid-way leaves the version
    it started from), under an advisory lock so that nodes starting
    together migrate once.

    @return: the schema version reached.
    @raise ValueError: the database is not one of C{name}'s (tables of
        another program), or its schema is newer than this code knows.
    """
    connection.execute("BEGIN")
    try:
        connection.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
        version = _version(connection, name)
        if version > len(migrations):
            raise ValueError(
                f"the {name} database has schema version {version}, newer than "
                f"this openocpp knows ({len(migrations)}): upgrade openocpp"
            )
        for target in range(version + 1, len(migrations) + 1):
            connection.executescript(migrations[target - 1])
            connection.execute("DELETE FROM schema_version")
            connection.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
            _log.info(
                "Migrated the {name} database to schema version {version}", name=name, version=target
            )
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return len(migrations)


def check_database(url: str, migrations: Sequence[str], name: str) -> None:
    """
    Connect to a database and check, writing nothing, that L{migrate} may
    bring it up to date.

    @raise StoreURLError: the URL is not one, the driver is missing, the
        server cannot be reached.
    @raise ValueError: the database is another program's, or of a newer
        schema.
    """
    connection = PostgreSQLConnection(url, {})
    try:
        version = _version(connection, name)
    finally:
        connection.close()
    if version > len(migrations):
        raise ValueError(
            f"the {name} database {redacted_url(url)} has schema version {version}, newer than "
            f"this openocpp knows ({len(migrations)}): upgrade openocpp"
        )


def _version(connection: PostgreSQLConnection, name: str) -> int:
    tables = {
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }
    if "schema_version" not in tables:
        if tables:
            raise ValueError(
                f"the database holds tables that are not the {name}'s "
                f"({', '.join(sorted(tables)[:5])}): give an empty database"
            )
        return 0
    row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
    return row[0] or 0
