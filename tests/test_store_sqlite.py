"""
Tests for L{openocpp.store.sqlite}.
"""

import os

from twisted.trial.unittest import SynchronousTestCase

from openocpp.store.sqlite import migrate, open_database, transaction

MIGRATIONS = [
    "CREATE TABLE a (x INTEGER);\nCREATE TABLE b (y TEXT);",
    "ALTER TABLE a ADD COLUMN z TEXT;",
]


class MigrateTests(SynchronousTestCase):
    """
    L{migrate} brings a file's schema to the latest version, once.
    """

    def setUp(self):
        self.path = os.path.join(self.mktemp() + ".sqlite")

    def test_fresh(self):
        """
        A new file gets every step; its version is the number of steps.
        """
        connection = open_database(self.path)
        self.assertEqual(migrate(connection, MIGRATIONS, "test"), 2)
        connection.execute("INSERT INTO a (x, z) VALUES (1, 'q')")
        self.assertEqual(
            connection.execute("PRAGMA user_version").fetchone()[0], 2
        )

    def test_again(self):
        """
        Reopening an up-to-date file changes nothing and keeps its rows.
        """
        connection = open_database(self.path)
        migrate(connection, MIGRATIONS[:1], "test")
        connection.execute("INSERT INTO a (x) VALUES (7)")
        connection.close()
        connection = open_database(self.path)
        migrate(connection, MIGRATIONS, "test")
        migrate(connection, MIGRATIONS, "test")
        self.assertEqual(
            [tuple(r) for r in connection.execute("SELECT x, z FROM a")], [(7, None)]
        )

    def test_newer_refused(self):
        """
        A file from a newer openocpp is refused with a clear message.
        """
        connection = open_database(self.path)
        migrate(connection, MIGRATIONS, "test")
        error = self.assertRaises(ValueError, migrate, connection, MIGRATIONS[:1], "test")
        self.assertIn("newer", str(error))

    def test_failed_step_rolled_back(self):
        """
        A step that fails leaves the schema at the previous whole version.
        """
        connection = open_database(self.path)
        broken = MIGRATIONS[:1] + ["CREATE TABLE c (q);\nNOT SQL AT ALL;"]
        self.assertRaises(Exception, migrate, connection, broken, "test")
        self.assertEqual(connection.execute("PRAGMA user_version").fetchone()[0], 1)
        names = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        self.assertNotIn("c", names)


class TransactionTests(SynchronousTestCase):
    """
    L{transaction} commits or rolls back its block as one.
    """

    def test_rollback(self):
        """
        When the block raises, none of its writes remain.
        """
        connection = open_database(":memory:")
        connection.execute("CREATE TABLE t (x)")

        def block():
            with transaction(connection):
                connection.execute("INSERT INTO t VALUES (1)")
                raise RuntimeError("boom")

        self.assertRaises(RuntimeError, block)
        self.assertEqual(connection.execute("SELECT count(*) FROM t").fetchone()[0], 0)

    def test_bad_synchronous(self):
        """
        An unknown synchronous mode is refused.
        """
        self.assertRaises(ValueError, open_database, self.mktemp(), "SOMETIMES")
