"""
Tests for L{openocpp.store.sqlite}.
"""

import os

from twisted.trial.unittest import SynchronousTestCase

from openocpp.store.schema import load_migrations
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


class LoadMigrationsTests(SynchronousTestCase):
    """
    L{load_migrations} reads a package's numbered schema files in order.
    """

    def package(self, files):
        """
        A package on C{sys.path} whose C{schema} folder holds C{files}.
        """
        import importlib
        import sys

        root = self.mktemp()
        name = "schema_fixture_" + str(abs(hash(root)))
        os.makedirs(os.path.join(root, name, "schema"))
        open(os.path.join(root, name, "__init__.py"), "w").close()
        for file_name, text in files.items():
            with open(os.path.join(root, name, "schema", file_name), "w") as file:
                file.write(text)
        sys.path.insert(0, root)
        self.addCleanup(sys.path.remove, root)
        self.addCleanup(sys.modules.pop, name, None)
        importlib.invalidate_caches()
        return name

    def test_in_order_without_comments(self):
        """
        Files are taken by number; their opening comment lines are not part
        of the script; other files are ignored.
        """
        package = self.package({
            "0002-second.sql": "-- adds b\n-- (why)\nCREATE TABLE b (y);\n",
            "0001-initial.sql": "\nCREATE TABLE a (x);\n",
            "README.md": "not SQL",
        })
        self.assertEqual(load_migrations(package), ["\nCREATE TABLE a (x);\n", "CREATE TABLE b (y);\n"])

    def test_gap_refused(self):
        """
        A missing number is refused, naming the numbers found.
        """
        package = self.package({"0001-a.sql": "CREATE TABLE a (x);", "0003-c.sql": "CREATE TABLE c (x);"})
        error = self.assertRaises(ValueError, load_migrations, package)
        self.assertIn("[1, 3]", str(error))

    def test_repeat_refused(self):
        """
        Two files of one number are refused.
        """
        package = self.package({"0001-a.sql": "CREATE TABLE a (x);", "0001-b.sql": "CREATE TABLE b (x);"})
        error = self.assertRaises(ValueError, load_migrations, package)
        self.assertIn("two migrations numbered 1", str(error))

    def test_badly_named_refused(self):
        """
        A C{.sql} file not named C{NNNN-what.sql} is refused, by name.
        """
        package = self.package({"0001-a.sql": "CREATE TABLE a (x);", "upgrade.sql": "CREATE TABLE b (x);"})
        error = self.assertRaises(ValueError, load_migrations, package)
        self.assertIn("upgrade.sql", str(error))
