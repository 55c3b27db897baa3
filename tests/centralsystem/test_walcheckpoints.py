"""
Tests for L{openocpp.centralsystem.walcheckpoints}: the log checkpointed in
a thread, finished by the writer so it starts again.
"""

import os
import sqlite3

from twisted.trial.unittest import SynchronousTestCase

from openocpp.centralsystem.walcheckpoints import LogCheckpoints
from openocpp.store.sqlite import open_database
from tests.centralsystem.store_file import SynchronousThreads


class CommittingThreads(SynchronousThreads):
    """
    Runs the thread's part at once, then C{meanwhile()} before the result
    is delivered.
    """

    def __init__(self, meanwhile=lambda: None):
        super().__init__()
        self.meanwhile = meanwhile

    def callInThreadWithCallback(self, on_result, function, *args, **kwargs):
        def then():
            result = function(*args, **kwargs)
            self.meanwhile()
            return result

        super().callInThreadWithCallback(on_result, then)


def log_frames(path: str) -> int:
    """
    The frames in the file's log, as another connection's passive
    checkpoint reports them.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    finally:
        connection.close()


class LogCheckpointsTests(SynchronousTestCase):
    """
    L{LogCheckpoints} copies the log in a thread and, past its size, has the
    writer finish so the next write starts the log again.
    """

    def setUp(self) -> None:
        self.path = os.path.abspath(self.mktemp())
        self.writer = open_database(self.path)
        self.addCleanup(self.writer.close)
        self.writer.execute("CREATE TABLE rows (value TEXT)")
        self.commits = 0

    def partial(self):
        """
        Make the next checkpoint leave frames behind, as the writer's
        commits during a checkpoint do: a reader holds an older snapshot
        while 5 more rows are committed.

        @return: ends the reader (as those commits ended).
        """
        reader = sqlite3.connect(self.path, isolation_level=None)
        self.addCleanup(reader.close)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM rows").fetchone()
        self.write(5)
        return lambda: reader.execute("COMMIT")

    def write(self, count: int) -> None:
        for _ in range(count):
            self.writer.execute("INSERT INTO rows VALUES (?)", ("x" * 2000,))

    def commit(self) -> None:
        self.commits += 1
        if self.writer.in_transaction:
            self.writer.execute("COMMIT")

    def checkpoints(self, threads, finish_frames: int = 8) -> LogCheckpoints:
        checkpoints = LogCheckpoints(self.path, self.writer, threads, self.commit, finish_frames=finish_frames)
        self.addCleanup(checkpoints.close)
        return checkpoints

    def test_long_log_finished_and_started_again(self):
        """
        A log past C{finish_frames} with frames committed while the thread
        copied is finished by the writer: its next write starts the log
        from the beginning (a few frames, not all the earlier ones).
        """
        self.write(40)
        threads = CommittingThreads(self.partial())
        checkpoints = self.checkpoints(threads)
        checkpoints.run()
        self.assertEqual((threads.ran, checkpoints.finished, self.commits), (1, 1, 1))
        self.write(1)
        self.assertLess(log_frames(self.path), 8)

    def test_short_log_left_to_grow(self):
        """
        A log under C{finish_frames} is not finished by the writer.
        """
        self.write(2)
        threads = CommittingThreads(self.partial())
        checkpoints = self.checkpoints(threads, finish_frames=10_000)
        checkpoints.run()
        self.assertEqual((checkpoints.finished, self.commits), (0, 0))

    def test_long_log_copied_whole_finished_too(self):
        """
        A long log the thread copied whole is finished by the writer too:
        the thread's figures are of the log as its passes began, and the
        writer may have committed more since; with nothing left to copy,
        the next write starts the log again all the same.
        """
        self.write(40)
        checkpoints = self.checkpoints(CommittingThreads())
        checkpoints.run()
        self.assertEqual(checkpoints.finished, 1)
        self.write(1)
        self.assertLess(log_frames(self.path), 8)

    def test_pending_transaction_committed_first(self):
        """
        The writer's pending transaction is committed before it finishes;
        a transaction still open after the commit leaves the log as it is.
        """
        self.write(40)
        end_reader = self.partial()

        def pending():
            end_reader()
            self.writer.execute("BEGIN")
            self.write(1)

        checkpoints = self.checkpoints(CommittingThreads(pending))
        checkpoints.run()
        self.assertEqual((checkpoints.finished, self.commits), (1, 1))
        self.assertFalse(self.writer.in_transaction)

        self.commit = lambda: None
        end_reader = self.partial()
        checkpoints = LogCheckpoints(self.path, self.writer, CommittingThreads(pending), self.commit, 1)
        self.addCleanup(checkpoints.close)
        checkpoints.run()
        self.assertEqual(checkpoints.finished, 0)
        self.assertTrue(self.writer.in_transaction)
        self.writer.execute("COMMIT")

    def test_failure_logged_once(self):
        """
        A checkpoint that fails is logged once, not every time, and its
        Deferred does not fail.
        """
        checkpoints = LogCheckpoints(
            os.path.join(self.path, "missing", "cs.sqlite"), self.writer, SynchronousThreads(), self.commit
        )
        for _ in range(3):
            self.successResultOf(checkpoints.run())
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)
        self.assertFalse(checkpoints.running)

    def test_close_after_running_checkpoint(self):
        """
        Closing while a checkpoint runs closes the thread's connection when
        it ends; closing otherwise, at once.
        """
        self.write(1)
        checkpoints = self.checkpoints(SynchronousThreads())
        checkpoints.run()
        self.assertIsNotNone(checkpoints._connection)
        checkpoints.close()
        self.assertIsNone(checkpoints._connection)

        closing = []
        threads = CommittingThreads(lambda: (checkpoints.close(), closing.append(checkpoints._connection)))
        checkpoints = self.checkpoints(threads)
        checkpoints.run()
        self.assertIsNotNone(closing[0])
        self.assertIsNone(checkpoints._connection)
