"""
Group commit for an SQLite connection written on the reactor thread: the
writes of one reactor turn share one SQLite transaction, committed at the
start of the next turn (one commit for many messages), and whoever must not
answer before its writes are durable waits for L{GroupCommit.when_committed}.
Blocks of writes that must be all or nothing run in a savepoint inside the
turn's transaction (L{GroupCommit.atomic}).

When SQLite cannot store (a full disk, an I/O error), the failing write
raises the owner's storage error at once; when SQLite rolled the whole turn
back, or the commit fails, every waiting Deferred fails with it and the
owner is told to forget what it cached of the lost turn. One line is logged
when storing starts failing (then at most one a minute), and one when it
works again.
"""

import sqlite3
import time
from typing import Any, Callable

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

#: Seconds between two log lines about failing writes.
FAILURE_LOG_INTERVAL = 60.0


def is_storage_error(error: BaseException) -> bool:
    """
    Whether an SQLite error is the storage failing (full, I/O, locked,
    corrupt) rather than a statement breaking a constraint.
    """
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)
    )


class SQLiteErrors:
    """
    What L{GroupCommit} needs to know of a driver's errors, for SQLite: the
    class of every error it raises (C{error}) and which of them are the
    storage failing (C{is_storage_error}). Another driver's store gives its
    own (see L{openocpp.store.postgresql}).
    """

    error = sqlite3.Error
    is_storage_error = staticmethod(is_storage_error)


class Savepoint:
    """
    A block of writes made atomic by a savepoint inside the turn's
    transaction (a class rather than a generator: it runs for most
    messages). Made by L{GroupCommit.atomic}.
    """

    __slots__ = ("_group",)

    def __init__(self, group: "GroupCommit") -> None:
        self._group = group

    def __enter__(self) -> None:
        self._group.execute("SAVEPOINT write")

    def __exit__(self, kind, value, traceback) -> bool:
        db = self._group.connection
        if kind is None:
            db.execute("RELEASE write")
            return False
        if db.in_transaction:
            db.execute("ROLLBACK TO write")
            db.execute("RELEASE write")
        if self._group.is_storage_error(value):
            # Told as the store failing, with what SQLite rolled back undone
            # in memory too.
            raise self._group.write_failed(value) from None
        return False


class GroupCommit:
    """
    One SQLite transaction per reactor turn over a connection in autocommit
    mode (L{openocpp.store.sqlite.open_database}).

    @param connection: the C{sqlite3.Connection}; the owner may read
        through it too (it sees the turn's writes).
    @param clock: the C{IReactorTime} that schedules the commits.
    @param storage_failed: makes the exception a write that SQLite cannot
        store raises, and that waiting Deferreds fail with, from SQLite's
        error (the central system's answers a charge point's CALL with
        C{InternalError}).
    @param name: what stores here, for log lines (C{"central system"}).
    @param consequence: what failing writes mean for the users, for the
        log line (C{"Charge points' requests are answered with
        InternalError"}).
    @param abandoned: called when a turn's writes are lost (rolled back):
        the owner drops what it cached of them.
    @param errors: the driver's errors (L{SQLiteErrors} by default): what
        a connection of another driver raises, with the same C{execute},
        C{in_transaction} and statements (C{BEGIN IMMEDIATE}, C{SAVEPOINT},
        C{COMMIT}) as an C{sqlite3.Connection}.
    """

    log = Logger()

    #: Called with the seconds each commit took (the metrics'), or C{None}.
    commit_observer: Callable[[float], None] | None = None

    def __init__(
        self,
        connection: sqlite3.Connection,
        clock: Any,
        storage_failed: Callable[[sqlite3.Error], Exception],
        name: str,
        consequence: str,
        abandoned: Callable[[], None] = lambda: None,
        errors: Any = SQLiteErrors,
    ) -> None:
        self.connection = connection
        self._errors = errors
        self.is_storage_error = errors.is_storage_error
        self._clock = clock
        self._storage_failed_error = storage_failed
        self._name = name
        self._consequence = consequence
        self._abandoned = abandoned
        self._commit_call = None
        self._committed: list[tuple[Deferred, Any]] = []
        #: Writes that failed since storing last worked.
        self.failures = 0
        #: SQLite's last error of a failed write or commit, or C{None}.
        self.last_error: sqlite3.Error | None = None
        self._turn_failed = False
        self._failure_logged: float | None = None
        self._recovery_untold = False

    @property
    def pending(self) -> bool:
        """
        Whether writes wait for the turn's commit.
        """
        return self._commit_call is not None

    def begin(self) -> None:
        """
        Open the turn's transaction, if it is not open yet, and schedule its
        commit.
        """
        if self._commit_call is None:
            self.execute("BEGIN IMMEDIATE")
            # Run at the start of the next reactor turn: before the answers
            # written in this one reach the network.
            self._commit_call = self._clock.callLater(0, self.commit)

    def atomic(self) -> Savepoint:
        """
        @return: a context manager running a block of writes atomically
            inside the turn's transaction.
        """
        self.begin()
        return Savepoint(self)

    def write(self, sql: str, arguments: Any = ()) -> sqlite3.Cursor:
        """
        Run one writing statement in the turn's transaction (a single
        statement is atomic by itself).
        """
        self.begin()
        return self.execute(sql, arguments)

    def execute(self, sql: str, arguments: Any = ()) -> sqlite3.Cursor:
        """
        Run one statement; a storage failure (disk full, I/O error) is
        raised as the owner's storage error.
        """
        try:
            return self.connection.execute(sql, arguments)
        except self._errors.error as error:
            if not self._errors.is_storage_error(error):
                raise
            raise self.write_failed(error) from None

    def write_failed(self, error: sqlite3.Error) -> Exception:
        """
        A write failed in SQLite. SQLite undoes the failed statement, and
        for some errors (C{SQLITE_FULL}, C{SQLITE_IOERR}) the whole
        transaction: then the turn's earlier writes are gone, and so are
        the answers waiting for them.

        @return: the storage error to raise to the writer.
        """
        if not self.connection.in_transaction:
            self._abandon(error)
        self._failed(error)
        return self._storage_failed_error(error)

    def _abandon(self, error: sqlite3.Error) -> None:
        """
        The turn's transaction is lost (rolled back by SQLite or by us):
        forget its commit, fail whoever waits for it, and tell the owner.
        """
        call, self._commit_call = self._commit_call, None
        if call is not None and call.active():
            call.cancel()
        if self.connection.in_transaction:
            try:
                self.connection.execute("ROLLBACK")
            except self._errors.error:
                pass  # SQLite rolled it back meanwhile: what was wanted.
        self._abandoned()
        waiting, self._committed = self._committed, []
        for each, _ in waiting:
            each.errback(Failure(self._storage_failed_error(error)))

    def _failed(self, error: sqlite3.Error) -> None:
        # One line when storing starts failing (then at most one a minute,
        # with the count), not one per request: a full disk under load
        # would otherwise flood the log, on the same disk.
        self.failures += 1
        self._turn_failed = True
        self.last_error = error
        now = self._clock.seconds()
        if self._failure_logged is None or now - self._failure_logged >= FAILURE_LOG_INTERVAL:
            self._failure_logged = now
            self._recovery_untold = True
            self.log.error(
                "The {name} cannot store its data: {error} ({count} failed writes). "
                "{consequence} until storing works again (is the disk full?)",
                name=self._name,
                error=str(error),
                count=self.failures,
                consequence=self._consequence,
            )

    def commit(self) -> None:
        """
        Commit the writes made so far (done by itself at the next turn).
        When the commit fails, every Deferred waiting for it fails with the
        storage error and nothing of the turn is kept.
        """
        call, self._commit_call = self._commit_call, None
        if call is None:
            return
        if call.active():
            call.cancel()
        observe = self.commit_observer
        # The process's clock: the reactor's does not move while SQLite works.
        began = time.perf_counter() if observe is not None else 0.0
        try:
            self.connection.execute("COMMIT")
        except self._errors.error as error:
            # SQLite may have rolled the transaction back already (a full
            # disk does): roll back only what is still open.
            self._failed(error)
            self._abandon(error)
            return
        if observe is not None:
            observe(time.perf_counter() - began)
        if self._turn_failed:
            # This turn's other writes are stored; storing is not back yet.
            self._turn_failed = False
        elif self._recovery_untold:
            self._recovery_untold = False
            self.log.info(
                "The {name} stores its data again, after {count} failed writes",
                name=self._name,
                count=self.failures,
            )
            self.failures = 0
        waiting, self._committed = self._committed, []
        for each, result in waiting:
            each.callback(result)

    def when_committed(self, result: Any = None) -> Deferred:
        """
        @return: a Deferred firing with C{result} once every write made so
            far is committed (at once if none is pending), or failing with
            the storage error if the commit fails.
        """
        if self._commit_call is None:
            return succeed(result)
        waiting = Deferred()
        self._committed.append((waiting, result))
        return waiting
