"""
Tests for L{openocpp.store.groupcommit}, alone: one SQLite transaction per
reactor turn over any connection, savepoints inside it, and the owner told
when a turn is lost.
"""

import os
import sqlite3

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.store.groupcommit import GroupCommit, is_storage_error
from openocpp.store.sqlite import open_database
from tests.store.failing_connection import FailingCommit


class Lost(Exception):
    """
    The owner's storage error in these tests.
    """

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


class GroupCommitTests(SynchronousTestCase):
    def setUp(self):
        self.path = os.path.abspath(self.mktemp())
        self.db = open_database(self.path)
        self.addCleanup(self.db.close)
        self.db.execute("CREATE TABLE t (x UNIQUE)")
        self.clock = Clock()
        self.abandoned = []
        self.group = GroupCommit(
            self.db, self.clock, Lost, "test", "Nothing is kept",
            abandoned=lambda: self.abandoned.append(True),
        )

    def on_disk(self):
        other = sqlite3.connect(self.path)
        try:
            return [x for (x,) in other.execute("SELECT x FROM t ORDER BY x")]
        finally:
            other.close()

    def test_one_commit_per_turn(self):
        """
        A turn's writes are visible at once on the connection, committed
        together at the start of the next turn, and C{when_committed}
        fires then.
        """
        self.group.write("INSERT INTO t VALUES (1)")
        self.group.write("INSERT INTO t VALUES (2)")
        answered = self.group.when_committed("answer")
        self.assertTrue(self.group.pending)
        self.assertEqual(self.db.execute("SELECT count(*) FROM t").fetchone()[0], 2)
        self.assertEqual(self.on_disk(), [])
        self.assertNoResult(answered)
        self.clock.advance(0)
        self.assertEqual(self.on_disk(), [1, 2])
        self.assertEqual(self.successResultOf(answered), "answer")
        self.assertFalse(self.group.pending)
        self.assertEqual(self.successResultOf(self.group.when_committed("now")), "now")

    def test_savepoint_undoes_its_block_only(self):
        """
        A block that fails leaves none of its writes; the turn's others are
        committed.
        """
        self.group.write("INSERT INTO t VALUES (1)")
        with self.assertRaises(sqlite3.IntegrityError):
            with self.group.atomic():
                self.db.execute("INSERT INTO t VALUES (2)")
                self.db.execute("INSERT INTO t VALUES (1)")
        self.clock.advance(0)
        self.assertEqual(self.on_disk(), [1])
        self.assertEqual(self.abandoned, [])

    def test_failed_commit_fails_waiters_and_tells_owner(self):
        """
        A commit that fails fails every waiting Deferred with the owner's
        storage error, tells the owner the turn is lost, and the next turn
        commits.
        """
        self.group.write("INSERT INTO t VALUES (1)")
        answered = self.group.when_committed("answer")
        self.group.connection = FailingCommit(self.db)
        self.clock.advance(0)
        self.group.connection = self.db
        failure = self.failureResultOf(answered, Lost)
        self.assertIn("disk is full", str(failure.value))
        self.assertEqual(self.abandoned, [True])
        self.assertEqual((self.group.failures, str(self.group.last_error)), (1, "database or disk is full"))
        self.group.write("INSERT INTO t VALUES (3)")
        again = self.group.when_committed("again")
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(again), "again")
        self.assertEqual(self.on_disk(), [3])

    def test_storage_errors(self):
        """
        Full, I/O and locked databases are storage failures; a constraint
        broken is the statement's fault.
        """
        self.assertTrue(is_storage_error(sqlite3.OperationalError("database or disk is full")))
        self.assertFalse(is_storage_error(sqlite3.IntegrityError("UNIQUE constraint failed")))
        self.assertFalse(is_storage_error(ValueError("no")))
