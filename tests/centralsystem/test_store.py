"""
Tests for L{openocpp.centralsystem.store}: group commit, durability of
answers, write-ahead-log checkpoints off the reactor thread.
"""

import sqlite3
import os

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from openocpp.centralsystem.interfaces import ICentralSystemStore
from openocpp.centralsystem import store as store_module
from openocpp.centralsystem.store import CentralSystemStore, StorageFailed
from openocpp.messages import core, datatypes, enums
from tests.centralsystem.fake_chargepoint import NOW
from tests.centralsystem.store_file import SynchronousThreads, replace_connection
from tests.centralsystem.stores import PostgreSQLStoreMixin, SQLiteStoreMixin


class GroupCommitTestsMixin:
    """
    The writes of one reactor turn are committed together, at the start of
    the next one, and answers wait for them (both stores: mixed with
    L{SQLiteStoreMixin} or L{PostgreSQLStoreMixin}).
    """

    def setUp(self):
        self.clock = Clock()
        self.store = self.make_store(self.clock)

    def test_committed_next_turn(self):
        """
        Writes are visible to other connections only once the turn's commit
        ran; a Deferred from C{when_committed} fires then, with its result.
        """
        self.store.set_id_tag("A")
        self.store.set_id_tag("B")
        answered = self.store.when_committed("answer")
        self.assertNoResult(answered)
        self.assertEqual(self.committed_count("id_tags"), 0)
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(answered), "answer")
        self.assertEqual(self.committed_count("id_tags"), 2)

    def test_nothing_pending(self):
        """
        With nothing written, C{when_committed} fires at once.
        """
        self.assertEqual(self.successResultOf(self.store.when_committed(1)), 1)

    def test_writes_pending(self):
        """
        C{writes_pending} says whether writes wait for the turn's commit:
        not before the first write, from it until the commit, not while the
        commit's answers are given (they may leave at once), again after a
        write made by one of them.
        """
        self.assertFalse(self.store.writes_pending())
        self.store.set_id_tag("A")
        self.assertTrue(self.store.writes_pending())
        seen = []

        def answered(result):
            seen.append(self.store.writes_pending())
            self.store.set_id_tag("B")
            seen.append(self.store.writes_pending())

        self.store.when_committed().addCallback(answered)
        self.clock.advance(0)
        self.assertEqual(seen, [False, True])
        self.clock.advance(0)
        self.assertFalse(self.store.writes_pending())

    def test_start_transaction_durable_before_answer(self):
        """
        A StartTransaction's record is on disk when its answer may go out.
        """
        request = core.StartTransactionRequest(connector_id=1, id_tag="T", meter_start=0, timestamp=NOW)
        transaction_id = self.store.start_transaction("CP1", request)
        answered = self.store.when_committed(transaction_id)
        self.assertEqual(self.committed_count("transactions"), 0)
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(answered), transaction_id)
        self.assertEqual(self.committed_count("transactions"), 1)

    def test_failed_block_rolled_back(self):
        """
        A block of writes that fails leaves none of its writes, and the
        turn's other writes are still committed.
        """
        self.store.set_id_tag("A")
        request = core.StatusNotificationRequest(connector_id=1, status="Available", error_code="NoError")
        original = self.store._now_text

        def broken():
            raise RuntimeError("clock broke")

        self.store._now_text = broken
        self.assertRaises(RuntimeError, self.store.record_status, "CP1", request)
        self.store._now_text = original
        self.clock.advance(0)
        self.assertEqual(self.committed_count("connectors"), 0)
        self.assertEqual(self.committed_count("id_tags"), 1)

    def test_failed_commit(self):
        """
        When the commit fails, answers waiting for it fail too (the charge
        point gets an error, not a false acknowledgement).
        """
        self.store.set_id_tag("A")
        answered = self.store.when_committed("answer")
        real = self.store._db
        storage_error = self.storage_error()

        class Failing:
            def execute(self, sql, *arguments):
                if sql == "COMMIT":
                    raise storage_error
                return real.execute(sql, *arguments)

            def __getattr__(self, name):
                return getattr(real, name)

        replace_connection(self.store, Failing())
        self.clock.advance(0)
        replace_connection(self.store, real)
        self.failureResultOf(answered, StorageFailed)
        self.assertIsNone(self.store.id_tag("A"))

    def test_close_commits(self):
        """
        Closing the store commits what is pending.
        """
        self.store.set_id_tag("A")
        self.store.close()
        self.assertEqual(self.committed_count("id_tags"), 1)
        self.assertIsNotNone(self.make_store(self.clock).id_tag("A"))

    def test_registration_status_cached(self):
        """
        The registration status is kept in memory, and follows boots,
        unregistration and resets.
        """
        boot = core.BootNotificationRequest(charge_point_vendor="V", charge_point_model="M")
        self.assertIsNone(self.store.registration_status("CP1"))
        self.store.record_boot("CP1", boot, "Pending")
        self.assertEqual(self.store.registration_status("CP1"), "Pending")
        self.store.record_boot("CP1", boot, "Accepted")
        self.assertEqual(self.store.registration_status("CP1"), "Accepted")
        self.store.unregister_charge_point("CP1")
        self.assertIsNone(self.store.registration_status("CP1"))
        self.store.record_boot("CP1", boot, "Rejected")
        self.store.reset()
        self.assertIsNone(self.store.registration_status("CP1"))


class OptionalValuesTestsMixin:
    """
    Sampled values and connector statuses are stored as they came,
    whichever of their optional fields are missing (NULL in the statement's
    text), enumerations as their text (both stores: mixed with
    L{SQLiteStoreMixin} or L{PostgreSQLStoreMixin}).
    """

    COLUMNS = ("transaction_id", "value", "context", "format", "measurand", "phase", "location", "unit",
               "named_transaction_id")

    def setUp(self):
        self.clock = Clock()
        self.store = self.make_store(self.clock)

    def stored(self):
        return [tuple(row[column] for column in self.COLUMNS) for row in self.store.meter_values()]

    def test_optional_fields_of_every_shape(self):
        """
        Rows with different fields missing, in one message, keep each value
        in its column; enumerations are stored as plain text.
        """
        sampled = [
            datatypes.SampledValue(value="1", context=enums.ReadingContext.SAMPLE_PERIODIC,
                                   measurand=enums.Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                                   location=enums.Location.OUTLET, unit=enums.UnitOfMeasure.WH),
            datatypes.SampledValue(value="2"),
            datatypes.SampledValue(value="3", format=enums.ValueFormat.SIGNED_DATA, phase=enums.Phase.L1_N),
            datatypes.SampledValue(value="4", context=enums.ReadingContext.SAMPLE_PERIODIC,
                                   measurand=enums.Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                                   location=enums.Location.OUTLET, unit=enums.UnitOfMeasure.WH),
        ]
        request = core.MeterValuesRequest(
            connector_id=1, meter_value=[datatypes.MeterValue(timestamp=NOW, sampled_value=sampled)]
        )
        self.assertTrue(self.store.record_meter_values("CP1", request))
        self.clock.advance(0)
        self.assertEqual(
            self.stored(),
            [
                (None, "1", "Sample.Periodic", None, "Energy.Active.Import.Register", None, "Outlet", "Wh", None),
                (None, "2", None, None, None, None, None, None, None),
                (None, "3", None, "SignedData", None, "L1-N", None, None, None),
                (None, "4", "Sample.Periodic", None, "Energy.Active.Import.Register", None, "Outlet", "Wh", None),
            ],
        )
        for row in self.store.meter_values():
            for column in ("context", "measurand", "unit"):
                if row[column] is not None:
                    self.assertIs(type(row[column]), str)

    def test_named_transaction_and_many_rows(self):
        """
        A message naming another charge point's transaction, with more
        sampled values than one statement takes, is stored whole, each
        row with the id it named.
        """
        count = store_module._ROWS_PER_INSERT + 3
        sampled = [
            datatypes.SampledValue(value=str(i), unit=enums.UnitOfMeasure.WH if i % 2 else None)
            for i in range(count)
        ]
        request = core.MeterValuesRequest(
            connector_id=2,
            transaction_id=777,
            meter_value=[datatypes.MeterValue(timestamp=NOW, sampled_value=sampled)],
        )
        self.assertFalse(self.store.record_meter_values("CP1", request))
        self.clock.advance(0)
        self.assertEqual(
            self.stored(),
            [(None, str(i), None, None, None, None, None, "Wh" if i % 2 else None, 777) for i in range(count)],
        )


    def test_statuses_of_every_shape(self):
        """
        A connector's status keeps each optional field given, and none of
        those missing, in the connector's row and in its history.
        """
        fields = ("status", "error_code", "info", "vendor_id", "vendor_error_code", "timestamp")
        requests = [
            core.StatusNotificationRequest(
                connector_id=1, error_code=enums.ChargePointErrorCode.NO_ERROR,
                status=enums.ChargePointStatus.AVAILABLE,
            ),
            core.StatusNotificationRequest(
                connector_id=1, error_code=enums.ChargePointErrorCode.OTHER_ERROR,
                status=enums.ChargePointStatus.FAULTED, info="hot", vendor_error_code="E42", timestamp=NOW,
            ),
            core.StatusNotificationRequest(
                connector_id=1, error_code=enums.ChargePointErrorCode.NO_ERROR,
                status=enums.ChargePointStatus.PREPARING, vendor_id="ACME",
            ),
        ]
        expected = [
            ("Available", "NoError", None, None, None, None),
            ("Faulted", "OtherError", "hot", None, "E42", "2026-11-25T08:00:00.000Z"),
            ("Preparing", "NoError", None, "ACME", None, None),
        ]
        for request in requests:
            self.store.record_status("CP1", request)
        self.clock.advance(0)
        history = [tuple(row[field] for field in fields) for row in self.store.status_history("CP1")]
        self.assertEqual(history, expected)
        (connector,) = self.store.connectors("CP1")
        self.assertEqual(tuple(connector[field] for field in fields), expected[-1])
        self.assertIsNotNone(connector["received_at"])


class OptionalValuesTests(SQLiteStoreMixin, OptionalValuesTestsMixin, SynchronousTestCase):
    """
    Meter value rows in the SQLite store.
    """


class PostgreSQLOptionalValuesTests(PostgreSQLStoreMixin, OptionalValuesTestsMixin, SynchronousTestCase):
    """
    Meter value rows in the PostgreSQL store.
    """


class GroupCommitTests(SQLiteStoreMixin, GroupCommitTestsMixin, SynchronousTestCase):
    """
    Group commit in the SQLite store.
    """


class PostgreSQLGroupCommitTests(PostgreSQLStoreMixin, GroupCommitTestsMixin, SynchronousTestCase):
    """
    Group commit in the PostgreSQL store: one PostgreSQL transaction a
    turn, a StartTransaction answered once its id is committed.
    """


class CheckpointTests(SynchronousTestCase):
    """
    With threads, the write-ahead log is checkpointed in them, not in
    commits on the reactor thread.
    """

    def test_checkpoints(self):
        """
        Every second a checkpoint runs in the thread pool and moves the
        log's pages into the database file.
        """
        clock, threads = Clock(), SynchronousThreads()
        path = os.path.abspath(self.mktemp())
        store = CentralSystemStore(path, clock, threads=threads)
        self.addCleanup(store.close)
        for index in range(200):
            store.set_id_tag(f"TAG{index:04d}", parent_id_tag="X" * 20)
        clock.advance(0)
        before = os.path.getsize(path)
        self.assertEqual(threads.ran, 0)
        clock.advance(1)
        self.assertEqual(threads.ran, 1)
        self.assertGreater(os.path.getsize(path), before)

    def test_memory_has_none(self):
        """
        An in-memory store has no log to checkpoint.
        """
        threads = SynchronousThreads()
        store = CentralSystemStore(":memory:", Clock(), threads=threads)
        store.close()
        self.assertIsNone(store._checkpoints)


class CacheAndSchemaTests(SynchronousTestCase):
    """
    The id-tag cache follows every change, and a file of schema version 1
    is migrated with its data.
    """

    def test_id_tag_cache(self):
        """
        An id tag's record changes as soon as the tag is set or removed.
        """
        store = CentralSystemStore(":memory:", Clock())
        self.addCleanup(store.close)
        self.assertIsNone(store.id_tag("T"))
        store.set_id_tag("T", status="Blocked")
        self.assertEqual(store.id_tag("T").status, "Blocked")
        store.set_id_tag("T", status="Accepted", parent_id_tag="G")
        self.assertEqual((store.id_tag("T").status, store.id_tag("T").parent_id_tag), ("Accepted", "G"))
        store.remove_id_tag("T")
        self.assertIsNone(store.id_tag("T"))
        store.set_id_tag("T")
        store.reset()
        self.assertIsNone(store.id_tag("T"))

    def test_migrated_from_version_1(self):
        """
        A version 1 file keeps its connectors and history; statuses recorded
        after the upgrade still add history.
        """
        from openocpp.centralsystem.store import MIGRATIONS
        from openocpp.store.sqlite import migrate, open_database

        path = os.path.abspath(self.mktemp())
        old = open_database(path)
        migrate(old, MIGRATIONS[:1], "test")
        old.execute("INSERT INTO connectors VALUES ('CP1', 1, 'Available', 'NoError', NULL, NULL, NULL, NULL)")
        old.close()
        clock = Clock()
        store = CentralSystemStore(path, clock)
        self.addCleanup(store.close)
        self.assertEqual(store.connectors("CP1")[0]["status"], "Available")
        request = core.StatusNotificationRequest(connector_id=1, status="Charging", error_code="NoError")
        store.record_status("CP1", request)
        clock.advance(0)
        self.assertEqual([r["status"] for r in store.status_history("CP1")], ["Charging"])
        self.assertEqual(store.connectors("CP1")[0]["status"], "Charging")


class InterfaceTests(SynchronousTestCase):
    """
    The SQLite store is the central system's L{ICentralSystemStore}.
    """

    def test_provides_the_store_interface(self):
        """
        L{CentralSystemStore} provides every method of
        L{ICentralSystemStore}, with the signatures it declares.
        """
        store = CentralSystemStore(":memory:", Clock())
        self.addCleanup(store.close)
        self.assertTrue(verifyObject(ICentralSystemStore, store))

    def test_interface_covers_its_users(self):
        """
        Every store method the central system, its behaviour, handler and
        credentials policy, its tap and the web layer call is one
        L{ICentralSystemStore} declares: another store implementing the
        interface is enough for all of them.
        """
        import ast
        from importlib import import_module

        users = [
            "openocpp.centralsystem.service",
            "openocpp.centralsystem.behaviour",
            "openocpp.centralsystem.handler",
            "openocpp.centralsystem.credentials",
            "openocpp.centralsystem.tap",
            "openocpp.centralsystem.locallist",
            "openocpp.centralsystem.reservations",
            "openocpp.web.api",
            "openocpp.web.locallist",
            "openocpp.web.reservations",
            "openocpp.web.firmware",
            "openocpp.web.queries",
            "openocpp.web.service",
            "openocpp.web.events",
            "openocpp.web.sse",
            "openocpp.web.uploads",
        ]
        used = {}
        # A module's own subclass of the SQLite store (the service's, which
        # it reopens) may add names of its own: those are not the seam.
        own = set()
        for name in users:
            with open(import_module(name).__file__, encoding="utf-8") as file:
                tree = ast.parse(file.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and any(
                    getattr(base, "id", None) == "CentralSystemStore" for base in node.bases
                ):
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.FunctionDef):
                            own.add(inner.name)
                        elif (
                            isinstance(inner, ast.Attribute)
                            and isinstance(inner.ctx, ast.Store)
                            and getattr(inner.value, "id", None) == "self"
                        ):
                            own.add(inner.attr)
            for node in ast.walk(tree):
                # store.x, self._store.x, self._central.store.x, central.store.x
                if not isinstance(node, ast.Attribute):
                    continue
                owner = node.value
                owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
                if owner_name in ("store", "_store"):
                    used.setdefault(node.attr, name)
        self.assertIn("when_committed", used)
        self.assertIn("transactions_page", used)
        undeclared = {
            attr: module for attr, module in used.items() if attr not in ICentralSystemStore and attr not in own
        }
        self.assertEqual(undeclared, {})


class SchemaFileTests(SynchronousTestCase):
    """
    The schema lives in numbered SQL files, package data of
    C{openocpp.centralsystem}, whose statements never change once shipped.
    """

    #: sha256 of each migration's statements (joined by NUL), as they were
    #: when databases were first migrated with them.
    SHIPPED = [
        "3e4a7cb3e3db3f05727818326a6c03229020690efba6d70a0e5ea76e4bbf2a8a",
        "7fdc8f42b9038b1854c8724d80cb9aeab36a1c142ba40aa5121fd0ad3baa9170",
        "d66338abaaab3e454c3180e620476e9c1fd9c866e92ac0fcec4ec67b5e4d624a",
        "b6e679e83db364edf4e1f6b9490839f12a44b26b06f438df8c96bfd47b56c6b7",
    ]

    def test_files_are_package_resources(self):
        """
        The installed package holds one C{.sql} file per schema version,
        found through C{importlib.resources}, numbered from 1.
        """
        from importlib.resources import files

        from openocpp.centralsystem.store import MIGRATIONS

        names = sorted(
            entry.name
            for entry in files("openocpp.centralsystem").joinpath("schema").iterdir()
            if entry.name.endswith(".sql")
        )
        self.assertEqual(
            [name[:5] for name in names], ["{:04d}-".format(n) for n in range(1, len(names) + 1)]
        )
        self.assertGreaterEqual(len(names), 6)
        self.assertEqual(len(MIGRATIONS), len(names))

    def test_shipped_statements_unchanged(self):
        """
        The statements of every shipped migration are byte for byte those
        existing databases were migrated with (the files' comments aside).
        """
        import hashlib

        from openocpp.centralsystem.store import MIGRATIONS
        from openocpp.store.sqlite import _statements

        found = [
            hashlib.sha256("\x00".join(_statements(script)).encode("utf-8")).hexdigest()
            for script in MIGRATIONS[: len(self.SHIPPED)]
        ]
        self.assertEqual(found, self.SHIPPED)
        self.assertNotIn("--", MIGRATIONS[0].split("CREATE", 1)[0])


class LastSeenBatchTests(SynchronousTestCase):
    """
    The "last seen" of many charge points is written L{LAST_SEEN_BATCH} a
    turn, not all in one turn (1,000 in one turn held the reactor for 10 ms).
    """

    def setUp(self):
        self.clock = Clock()
        self.path = os.path.abspath(self.mktemp())
        self.store = CentralSystemStore(self.path, self.clock, last_seen_interval=10)
        self.addCleanup(self.store.close)
        self.identities = [f"CP{index:03d}" for index in range(120)]
        for identity in self.identities:
            self.store.register_charge_point(identity)
        self.clock.advance(0)
        self.clock.advance(1)
        for identity in self.identities:
            self.store.touch(identity)

    def written(self) -> int:
        connection = sqlite3.connect(self.path)
        try:
            return connection.execute("SELECT count(*) FROM charge_points WHERE last_seen IS NOT NULL").fetchone()[0]
        finally:
            connection.close()

    def batches(self, during=lambda: None) -> list[int]:
        """
        Record the size of each batch written (C{during} runs after the
        first one), each made by a call of its own.
        """
        sizes = []
        write = self.store._write_seen

        def recording(seen):
            sizes.append(len(seen))
            unwritten.append(self.store.last_seen("CP119"))
            write(seen)
            if len(sizes) == 1:
                during()

        unwritten = []
        self.store._write_seen = recording
        self.unwritten = unwritten
        return sizes

    def test_a_batch_a_call(self):
        """
        When the interval passes, one call writes L{LAST_SEEN_BATCH} and
        schedules the next (the reactor runs it at its next turn), until
        all are on disk; those not written yet are still answered from
        memory meanwhile.
        """
        from openocpp.centralsystem.store import LAST_SEEN_BATCH

        sizes = self.batches()
        self.clock.advance(10)
        self.clock.advance(0)
        self.assertEqual(sizes, [LAST_SEEN_BATCH, LAST_SEEN_BATCH, 120 - 2 * LAST_SEEN_BATCH])
        # CP119 is of the last batch: answered from memory until then.
        self.assertEqual(self.unwritten, ["1970-01-01T00:00:01.000Z"] * 2 + [None])
        self.assertEqual(self.written(), 120)
        self.assertIsNone(self.store.last_seen("CP119"))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_heard_while_writing_waits_for_next_interval(self):
        """
        A charge point heard from while the batches are written is written
        at the next interval (the batches do not chase every message), and
        its latest time is the one answered meanwhile.
        """
        sizes = self.batches(during=lambda: self.store.touch("CP000"))
        self.clock.advance(10)
        self.assertEqual(sum(sizes), 120)
        self.assertEqual(self.store.last_seen("CP000"), "1970-01-01T00:00:11.000Z")
        self.assertEqual([call.getTime() for call in self.clock.getDelayedCalls()], [21.0])

    def test_close_writes_everything(self):
        """
        Closing mid-way writes what the batches had not written yet.
        """
        self.clock.advance(10)
        self.store.close()
        self.assertEqual(self.written(), 120)
        self.store = CentralSystemStore(self.path, self.clock)
