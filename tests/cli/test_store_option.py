"""
C{twistd openocpp centralsystem --store postgresql://...}: a PostgreSQL
store instead of the SQLite file, and each way the option can be wrong
refused in one line naming it.
"""

import sys

from twisted.trial.unittest import SynchronousTestCase

from openocpp import tap
from tests.cli.test_errors import CommandLineMistakeMixin
from tests.engines.postgresql import _free_port


class StoreOptionMistakeTests(CommandLineMistakeMixin, SynchronousTestCase):
    """
    A C{--store} that cannot be used: one line naming C{--store}, exit 2,
    nothing created.
    """

    def store(self, url: str) -> str:
        return self.refused(
            "centralsystem", "--store", url, "--listen", "tcp:0:interface=127.0.0.1"
        )

    def test_not_a_postgresql_url(self):
        """
        A URL of another scheme (or none) is refused before anything.
        """
        for url in ("mysql://localhost/cs", "cs.sqlite"):
            line = self.store(url)
            self.assertIn("--store must be a PostgreSQL URL", line)
            self.assertIn(repr(url), line)

    def test_server_unreachable(self):
        """
        A server that does not answer is refused, saying where it was looked
        for.
        """
        port = _free_port()
        line = self.store(f"postgresql://postgres@127.0.0.1:{port}/cs")
        self.assertIn("--store: cannot connect to postgresql://postgres@127.0.0.1", line)
        self.assertIn("Connection refused", line)

    def test_password_not_shown(self):
        """
        A password in the URL stays out of the error line.
        """
        port = _free_port()
        line = self.store(f"postgresql://postgres:secret@127.0.0.1:{port}/cs")
        self.assertNotIn("secret", line)
        self.assertIn("postgres:***@127.0.0.1", line)

    def test_driver_missing(self):
        """
        Without psycopg, the line says what to install.
        """
        # None in sys.modules: an import of it raises ImportError.
        saved = sys.modules.get("psycopg")
        sys.modules["psycopg"] = None
        try:
            line = self.store("postgresql://postgres@127.0.0.1:1/cs")
        finally:
            sys.modules["psycopg"] = saved
        self.assertIn("--store: the PostgreSQL driver is not installed", line)
        self.assertIn("openocpp[postgresql]", line)


class StoreOptionDatabaseTests(CommandLineMistakeMixin, SynchronousTestCase):
    """
    C{--store} naming a database of the test run's PostgreSQL server.
    """

    def setUp(self):
        super().setUp()
        from tests.engines.postgresql import fresh_database

        self.url = fresh_database(self)

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(sql)

    def test_another_programs_database(self):
        """
        A database holding tables that are not the central system's is
        refused, unchanged.
        """
        self.execute("CREATE TABLE photos (id integer)")
        line = self.refused("centralsystem", "--store", self.url, "--listen", "tcp:0")
        self.assertIn("--store: the database holds tables that are not the central system's (photos)", line)

    def test_newer_schema(self):
        """
        A database migrated by a newer openocpp is refused: this one must
        not write to it.
        """
        self.execute("CREATE TABLE schema_version (version integer); INSERT INTO schema_version VALUES (99)")
        line = self.refused("centralsystem", "--store", self.url, "--listen", "tcp:0")
        self.assertIn("schema version 99, newer than this openocpp knows", line)
        self.assertIn("upgrade openocpp", line)

    def test_store_is_postgresql(self):
        """
        A usable C{--store} builds a central system on the PostgreSQL
        store, migrated; no SQLite file is made.
        """
        from openocpp.centralsystem.postgresqlstore import PostgreSQLStore

        options = tap.Options()
        options.parseOptions([
            "centralsystem", "--store", self.url, "--db", self.path("unused.sqlite"),
            "--listen", "tcp:0:interface=127.0.0.1",
        ])
        service = tap.makeService(options)
        (central,) = [child for child in _tree(service) if hasattr(child, "store")]
        self.addCleanup(central.store.close)
        self.assertIsInstance(central.store, PostgreSQLStore)
        self.assertEqual(options.subOptions.config.store, self.url)
        central.store.set_id_tag("T")
        central.store.commit()
        self.assertIsNotNone(central.store.id_tag("t"))
        self.assertEqual(__import__("os").listdir(self.folder), [])


def _tree(service):
    # The service and every service under it.
    yield service
    for child in getattr(service, "services", ()):
        yield from _tree(child)
