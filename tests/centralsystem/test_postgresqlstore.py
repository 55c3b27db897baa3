"""
Tests for L{openocpp.centralsystem.postgresqlstore} and its dialect layer
(L{openocpp.store.postgresql}): what the store suites shared with SQLite
(L{tests.centralsystem.stores}) cannot show, because it needs two processes
sharing one database or a server that crashes.
"""

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from openocpp.centralsystem.interfaces import ICentralSystemStore
from openocpp.centralsystem.store import StorageFailed
from openocpp.centralsystem.idtags import id_tag_key
from openocpp.messages import core
from openocpp.messages.datatypes import MeterValue, SampledValue
from openocpp.store.postgresql import translate
from tests.centralsystem.fake_chargepoint import BOOT, NOW
from tests.centralsystem.stores import PostgreSQLStoreMixin, SQLiteStoreMixin


def start_request(meter_start=0, id_tag="TAG"):
    return core.StartTransactionRequest(connector_id=1, id_tag=id_tag, meter_start=meter_start, timestamp=NOW)


class TranslationTests(SynchronousTestCase):
    """
    The SQLite dialect of the stores' statements, as PostgreSQL takes it.
    """

    KEYS = {"connectors": ("identity", "connector_id")}

    def test_placeholders(self):
        """
        C{?} becomes C{%s}; a literal C{%} is escaped.
        """
        self.assertEqual(
            translate("SELECT * FROM t WHERE a = ? AND b LIKE '5%'", {}),
            "SELECT * FROM t WHERE a = %s AND b LIKE '5%%'",
        )

    def test_begin_immediate(self):
        """
        SQLite's write-locking C{BEGIN IMMEDIATE} is a plain C{BEGIN}.
        """
        self.assertEqual(translate("BEGIN IMMEDIATE", {}), "BEGIN")

    def test_insert_or_replace(self):
        """
        C{INSERT OR REPLACE} is an upsert on the table's primary key,
        setting every other column.
        """
        self.assertEqual(
            translate("INSERT OR REPLACE INTO connectors (identity, connector_id, status) VALUES (?, ?, ?)", self.KEYS),
            "INSERT INTO connectors (identity, connector_id, status) VALUES (%s, %s, %s) "
            "ON CONFLICT (identity, connector_id) DO UPDATE SET status = excluded.status",
        )

    def test_insert_or_replace_of_unknown_key(self):
        """
        A table whose key the layer is not told is refused, not guessed.
        """
        self.assertRaises(ValueError, translate, "INSERT OR REPLACE INTO other (a) VALUES (?)", self.KEYS)

    def test_insert_or_ignore(self):
        """
        C{INSERT OR IGNORE} does nothing on any conflict, before a
        C{RETURNING}.
        """
        self.assertEqual(
            translate("INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING a", {}),
            "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING RETURNING a",
        )


class ForgetCachedTestsMixin:
    """
    C{forget_cached}: what a store answers from memory is read again from
    the database.
    """

    def setUp(self):
        self.clock = Clock()
        self.store = self.make_store(self.clock)

    def test_provides_the_interface(self):
        """
        The store provides L{ICentralSystemStore}, C{forget_cached} included.
        """
        self.assertTrue(verifyObject(ICentralSystemStore, self.store))

    def test_forget_one_or_all(self):
        """
        Forgetting an id tag or a registration drops only it; with no
        argument, everything.
        """
        self.store.record_boot("CP1", BOOT, "Accepted")
        self.store.set_id_tag("T1")
        self.store.set_id_tag("T2")
        self.store.commit()
        for each in ("T1", "T2"):
            self.store.id_tag(each)
        self.store.forget_cached(id_tag="t1")
        self.assertEqual(set(self.store._id_tags), {id_tag_key("T2")})
        self.store.forget_cached(identity="CP1")
        self.assertNotIn("CP1", self.store._registrations)
        self.assertEqual(self.store.registration_status("CP1"), "Accepted")
        self.store.forget_cached()
        self.assertEqual((self.store._id_tags, self.store._registrations), ({}, {}))


class ForgetCachedTests(SQLiteStoreMixin, ForgetCachedTestsMixin, SynchronousTestCase):
    """
    The SQLite store's.
    """


class PostgreSQLForgetCachedTests(PostgreSQLStoreMixin, ForgetCachedTestsMixin, SynchronousTestCase):
    """
    The PostgreSQL store's.
    """


class SharedDatabaseTests(PostgreSQLStoreMixin, SynchronousTestCase):
    """
    Two central-system processes (two stores, each its own connection and
    clock) sharing one PostgreSQL database.
    """

    def setUp(self):
        self.clock_a, self.clock_b = Clock(), Clock()
        self.a = self.make_store(self.clock_a)
        self.b = self.make_store(self.clock_b)

    def commit(self):
        self.clock_a.advance(0)
        self.clock_b.advance(0)

    def test_transaction_ids_unique_across_processes(self):
        """
        Transactions started on both, turn after turn, never share an id:
        they come from one sequence.
        """
        ids = []
        for n in range(20):
            ids.append(self.a.start_transaction("CPA", start_request(meter_start=n)))
            ids.append(self.b.start_transaction("CPB", start_request(meter_start=n)))
            self.commit()
        self.assertEqual(len(set(ids)), 40)
        self.assertEqual(self.committed_count("transactions"), 40)

    def test_duplicate_start_transaction_across_processes(self):
        """
        A StartTransaction.req sent again to the other process (the charge
        point reconnected elsewhere after a lost answer) gets the same id,
        not a second transaction.
        """
        first = self.a.start_transaction("CP1", start_request(meter_start=7))
        self.commit()
        again = self.b.start_transaction("CP1", start_request(meter_start=7))
        self.commit()
        self.assertEqual(again, first)
        self.assertEqual(self.committed_count("transactions"), 1)

    def test_stop_and_meter_values_of_the_other_process_transaction(self):
        """
        A transaction started through one process is stopped, and its meter
        values attached, through the other (read from the database).
        """
        started = self.a.start_transaction("CP1", start_request())
        self.commit()
        values = core.MeterValuesRequest(
            connector_id=1,
            transaction_id=started,
            meter_value=[MeterValue(timestamp=NOW, sampled_value=[SampledValue(value="12")])],
        )
        self.assertTrue(self.b.record_meter_values("CP1", values))
        stop = core.StopTransactionRequest(meter_stop=10, timestamp=NOW, transaction_id=started)
        self.assertTrue(self.b.stop_transaction("CP1", stop))
        self.commit()
        self.assertIsNotNone(self.a.transaction(started)["stop_timestamp"])
        self.assertEqual([v["value"] for v in self.a.meter_values(transaction_id=started)], ["12"])

    def test_id_tag_decisions_follow_the_other_process(self):
        """
        An id tag blocked through one process: the other reads it from the
        database when it had not cached it, and once told to forget it
        (the cluster's invalidation) when it had.
        """
        self.a.set_id_tag("T1")
        self.a.set_id_tag("T2")
        self.commit()
        self.assertEqual(self.b.id_tag("T1").status, "Accepted")
        self.a.set_id_tag("T1", status="Blocked")
        self.a.set_id_tag("T2", status="Blocked")
        self.commit()
        self.assertEqual(self.b.id_tag("T2").status, "Blocked")
        self.assertEqual(self.b.id_tag("T1").status, "Accepted")
        self.b.forget_cached(id_tag="t1")
        self.assertEqual(self.b.id_tag("T1").status, "Blocked")

    def test_registration_follows_the_other_process(self):
        """
        A registration changed through one process is read again by the
        other once it forgets the charge point.
        """
        self.a.record_boot("CP1", BOOT, "Pending")
        self.commit()
        self.assertEqual(self.b.registration_status("CP1"), "Pending")
        self.a.record_boot("CP1", BOOT, "Accepted")
        self.commit()
        self.b.forget_cached(identity="CP1")
        self.assertEqual(self.b.registration_status("CP1"), "Accepted")

    def test_migrated_once(self):
        """
        The second store found the schema made by the first: one version
        row, the current one.
        """
        from openocpp.centralsystem.postgresqlstore import MIGRATIONS

        rows = self.a._db.execute("SELECT version FROM schema_version").fetchall()
        self.assertEqual([row[0] for row in rows], [len(MIGRATIONS)])


class MigrationRefusalTests(PostgreSQLStoreMixin, SynchronousTestCase):
    """
    A database the store must not write to is refused before it is.
    """

    def setUp(self):
        from tests.engines.postgresql import fresh_database

        self.store_url = fresh_database(self)

    def execute(self, sql):
        import psycopg

        with psycopg.connect(self.store_url, autocommit=True) as connection:
            connection.execute(sql)

    def test_newer_schema_refused(self):
        """
        A schema version beyond this openocpp's is refused, unchanged.
        """
        self.execute("CREATE TABLE schema_version (version integer); INSERT INTO schema_version VALUES (99)")
        error = self.assertRaises(ValueError, self.make_store, Clock())
        self.assertIn("schema version 99, newer than this openocpp knows", str(error))
        self.assertEqual(self.committed_count("schema_version"), 1)

    def test_foreign_tables_refused(self):
        """
        A database of another program is refused, nothing created in it.
        """
        self.execute("CREATE TABLE photos (id integer)")
        error = self.assertRaises(ValueError, self.make_store, Clock())
        self.assertIn("not the central system's (photos)", str(error))


class CrashTests(SynchronousTestCase):
    """
    The server killed with SIGKILL: what was answered is there after it
    restarts, and the store works again without being reopened.
    """

    def setUp(self):
        from tests.engines.postgresql import PostgreSQLServer, shared

        shared()  # skips the test without PostgreSQL
        self.server = PostgreSQLServer()
        self.addCleanup(self.server.stop)
        self.server.start()
        self.url = self.server.create_database("crash")

    def test_answered_transaction_survives_a_server_crash(self):
        """
        A StartTransaction whose answer was released (C{when_committed}
        fired) is in the database after the server is killed with SIGKILL
        and started again; writes of the dead server's turn fail with
        L{StorageFailed} (no false acknowledgement), and once it is back
        the same store stores again.
        """
        import psycopg

        from openocpp.centralsystem.postgresqlstore import PostgreSQLStore

        clock = Clock()
        store = PostgreSQLStore(self.url, clock)
        self.addCleanup(lambda: store._db.close())
        transaction_id = store.start_transaction("CP1", start_request())
        answered = store.when_committed(transaction_id)
        clock.advance(0)
        self.assertEqual(self.successResultOf(answered), transaction_id)
        self.server.kill()
        self.assertRaises(StorageFailed, store.start_transaction, "CP1", start_request(meter_start=1))
        self.flushLoggedErrors()
        self.server.start()
        with psycopg.connect(self.url) as connection:
            rows = connection.execute("SELECT id, meter_start FROM transactions").fetchall()
        self.assertEqual(rows, [(transaction_id, 0)])
        later = store.start_transaction("CP1", start_request(meter_start=2))
        waiting = store.when_committed(later)
        clock.advance(0)
        self.assertEqual(self.successResultOf(waiting), later)
        self.assertNotEqual(later, transaction_id)

    def test_writes_sent_ahead_to_a_dead_server(self):
        """
        Writes sent ahead in the pipeline to a server that died: the
        turn's COMMIT fails, and with it every answer waiting for the
        turn (no false acknowledgement); once the server is back, the same
        store stores again.
        """
        from openocpp.centralsystem.postgresqlstore import PostgreSQLStore

        clock = Clock()
        store = PostgreSQLStore(self.url, clock)
        self.addCleanup(lambda: store._db.close())
        store.record_boot("CP1", BOOT, "Accepted")
        clock.advance(0)
        status = core.StatusNotificationRequest(connector_id=1, error_code="NoError", status="Available")
        store.record_status("CP1", status)
        answered = store.when_committed("answer")
        self.assertTrue(store._db._pending)
        self.server.kill()
        clock.advance(0)
        self.failureResultOf(answered, StorageFailed)
        self.flushLoggedErrors()
        self.server.start()
        store.record_status("CP1", status)
        again = store.when_committed("again")
        clock.advance(0)
        self.assertEqual(self.successResultOf(again), "again")


#: A statement that fails with PostgreSQL's deadlock_detected the first
#: time it runs in a database, and does nothing after (the sequence it
#: counts with is not rolled back with the transaction).
DEADLOCK_ONCE = (
    "DO $$ BEGIN IF nextval('deadlock_once') = 1 THEN "
    "RAISE EXCEPTION 'deadlock detected (a test)' USING ERRCODE = '40P01'; END IF; END $$"
)
#: One that always fails so.
DEADLOCK_ALWAYS = "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected (a test)' USING ERRCODE = '40P01'; END $$"


class RunAgainTests(PostgreSQLStoreMixin, SynchronousTestCase):
    """
    A turn's transaction that PostgreSQL rolls back for its own reasons (a
    deadlock, a serialization failure) is run again by the connection
    rather than failing the turn.
    """

    def setUp(self):
        self.clock = Clock()
        self.store = self.make_store(self.clock)
        self.store._db.execute("CREATE SEQUENCE deadlock_once")

    def other(self, sql):
        """
        Run a statement through another connection, committed at once.
        """
        import psycopg

        with psycopg.connect(self.store_url, autocommit=True) as connection:
            connection.execute(sql)

    def test_turn_run_again(self):
        """
        The writes of the turn before the failed statement are run again,
        then it: the turn commits, its StartTransaction answered with the
        id committed, as if nothing had failed.
        """
        transaction_id = self.store.start_transaction("CP1", start_request(meter_start=5))
        answered = self.store.when_committed(transaction_id)
        self.store.set_id_tag("T1", status="Blocked")
        self.store._write(DEADLOCK_ONCE)
        self.store.set_id_tag("T2")
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(answered), transaction_id)
        self.assertEqual(self.store._db.retried, 1)
        import psycopg

        with psycopg.connect(self.store_url) as connection:
            self.assertEqual(
                connection.execute("SELECT id, meter_start FROM transactions").fetchall(), [(transaction_id, 5)]
            )
            self.assertEqual(
                connection.execute("SELECT id_tag, status FROM id_tags ORDER BY id_tag").fetchall(),
                [("T1", "Blocked"), ("T2", "Accepted")],
            )

    def test_inside_a_savepoint(self):
        """
        A failure inside an atomic block is run again with the block's
        savepoint where it was: the block's later rollback or release
        works on it.
        """
        self.store.set_id_tag("T1")
        with self.store._writing():
            self.store.set_id_tag("T2")
            self.store._write(DEADLOCK_ONCE)
        with self.store._writing():
            self.store.set_id_tag("T3")
        self.clock.advance(0)
        self.assertEqual(self.store._db.retried, 1)
        self.assertEqual(self.committed_count("id_tags"), 3)

    def test_changed_result_loses_the_turn(self):
        """
        When a write run again gives another result than it gave (here:
        another process added the row an update had not found), the turn
        is lost as for any storage failure: the writer and whoever waits
        for the turn get L{StorageFailed}, nothing of it is committed.
        """
        transaction_id = self.store.start_transaction("CP1", start_request())
        answered = self.store.when_committed(transaction_id)
        self.assertFalse(self.store.remove_id_tag("LATER"))
        self.other("INSERT INTO id_tags (id_tag, status) VALUES ('LATER', 'Accepted')")
        self.assertRaises(StorageFailed, self.store._write, DEADLOCK_ONCE)
        self.failureResultOf(answered, StorageFailed)
        self.clock.advance(0)
        self.assertEqual(self.committed_count("transactions"), 0)
        self.assertEqual(self.store._db.retried, 0)
        self.flushLoggedErrors()

    def test_gives_up(self):
        """
        A transaction rolled back again at each attempt fails its turn after
        L{RETRIES} attempts; the store stores again in the next turn.
        """
        from openocpp.store.postgresql import RETRIES

        self.store.set_id_tag("T1")
        self.assertRaises(StorageFailed, self.store._write, DEADLOCK_ALWAYS)
        self.clock.advance(0)
        self.assertEqual(self.committed_count("id_tags"), 0)
        self.assertEqual(self.store._db.retried, 0)
        self.assertGreaterEqual(RETRIES, 2)
        self.flushLoggedErrors()
        self.store.set_id_tag("T1")
        self.clock.advance(0)
        self.assertEqual(self.committed_count("id_tags"), 1)

    def test_outside_a_transaction_not_run_again(self):
        """
        A statement outside any transaction (autocommit) is not retried:
        there is no transaction of the store's to run again.
        """
        import psycopg

        self.assertRaises(psycopg.errors.DeadlockDetected, self.store._db.execute, DEADLOCK_ONCE)
        self.assertEqual(self.store._db.retried, 0)


class DeadlockTests(PostgreSQLStoreMixin, SynchronousTestCase):
    """
    Two stores (two nodes) on one database whose turns lock two rows in
    opposite orders: PostgreSQL detects the deadlock and rolls one back,
    which runs its turn again; both turns commit.
    """

    def setUp(self):
        self.clock_a, self.clock_b = Clock(), Clock()
        self.a = self.make_store(self.clock_a)
        self.b = self.make_store(self.clock_b)
        for tag in ("X", "Y"):
            self.a.set_id_tag(tag)
        self.clock_a.advance(0)

    def waiting_for_a_lock(self):
        import psycopg

        with psycopg.connect(self.store_url) as connection:
            return connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).fetchone()[0]

    def test_opposite_orders(self):
        """
        A locks X then Y, B locks Y then X (B in a thread, as in another
        process): one of them is PostgreSQL's victim and runs its turn
        again, neither fails, and A's StartTransaction of the same turn is
        committed with the id it was answered.
        """
        import threading
        import time

        import psycopg

        transaction_id = self.a.start_transaction("CPA", start_request())
        answered = self.a.when_committed(transaction_id)
        self.a.set_id_tag("X", status="Blocked")
        self.b.set_id_tag("Y", status="Expired")
        failures = []

        def node_b():
            try:
                self.b.set_id_tag("X", status="Expired")  # waits for A's turn
                self.clock_b.advance(0)
            except Exception as error:  # reported in the main thread
                failures.append(error)

        thread = threading.Thread(target=node_b)
        thread.start()
        self.addCleanup(thread.join, 60)
        deadline = time.monotonic() + 30
        while not self.waiting_for_a_lock():
            self.assertLess(time.monotonic(), deadline, "B never waited for A's lock")
            time.sleep(0.01)
        self.a.set_id_tag("Y", status="Blocked")  # waits for B: a deadlock
        self.clock_a.advance(0)
        thread.join(60)
        self.assertFalse(thread.is_alive())
        self.assertEqual(failures, [])
        self.assertEqual(self.a._db.retried + self.b._db.retried, 1)
        self.assertEqual(self.successResultOf(answered), transaction_id)
        with psycopg.connect(self.store_url) as connection:
            self.assertEqual(connection.execute("SELECT id FROM transactions").fetchall(), [(transaction_id,)])
            statuses = dict(connection.execute("SELECT id_tag, status FROM id_tags").fetchall())
        # Whichever turn was run again committed last, all its writes.
        last = "Blocked" if self.a._db.retried else "Expired"
        self.assertEqual(statuses, {"X": last, "Y": last})


class LastSeenOrderTests(PostgreSQLStoreMixin, SynchronousTestCase):
    """
    The times charge points were last heard from are written sorted by
    identity, so that two nodes updating the same rows lock them in the
    same order.
    """

    def test_sorted(self):
        """
        Heard from in any order, the rows are updated in identity order.
        """
        clock = Clock()
        store = self.make_store(clock)
        for identity in ("CP3", "CP1", "CP2"):
            store.record_boot(identity, BOOT, "Accepted")
        clock.advance(0)
        for identity in ("CP2", "CP3", "CP1"):
            store.touch(identity)
        written = []
        executemany = store._db.executemany

        def recording(sql, rows):
            written.extend(identity for _, identity in rows)
            return executemany(sql, rows)

        store._db.executemany = recording
        store.write_last_seen()
        clock.advance(0)
        self.assertEqual(written, ["CP1", "CP2", "CP3"])


class ScriptNotRunAgainTests(PostgreSQLStoreMixin, SynchronousTestCase):
    """
    A transaction that ran a script (a migration's) is not run again.
    """

    def test_script_not_run_again(self):
        """
        A retriable failure after a script in the same transaction fails
        as before, the transaction rolled back.
        """
        import psycopg

        store = self.make_store(Clock())
        db = store._db
        db.execute("CREATE SEQUENCE deadlock_once")
        db.execute("BEGIN")
        db.executescript("CREATE TABLE made_by_script (a integer)")
        self.assertRaises(psycopg.errors.DeadlockDetected, db.execute, DEADLOCK_ONCE)
        self.assertFalse(db.in_transaction)
        self.assertEqual(db.retried, 0)
        tables = db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'made_by_script'"
        ).fetchone()[0]
        self.assertEqual(tables, 0)
        self.flushLoggedErrors()


#: A trigger function failing with deadlock_detected the first time it
#: runs in a database: an INSERT into a table it guards, sent ahead in the
#: pipeline, fails after its caller went on.
DEADLOCK_ONCE_TRIGGER = """
CREATE SEQUENCE trigger_deadlock_once;
CREATE TABLE guarded (a bigint);
CREATE FUNCTION deadlock_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('trigger_deadlock_once') = 1 THEN
        RAISE EXCEPTION 'deadlock detected (a test)' USING ERRCODE = '40P01';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER deadlock_once BEFORE INSERT ON guarded FOR EACH ROW EXECUTE FUNCTION deadlock_once();
"""


class PipelineTests(PostgreSQLStoreMixin, SynchronousTestCase):
    """
    In a transaction the connection sends the writes whose result nobody
    reads yet without waiting (libpq's pipeline mode): a turn waits for
    PostgreSQL at its reads and its COMMIT only, and what fails among the
    writes sent ahead still fails the turn.
    """

    def setUp(self):
        self.clock = Clock()
        self.store = self.make_store(self.clock)
        self.store.record_boot("CP1", BOOT, "Accepted")
        self.clock.advance(0)
        self.syncs = 0
        pipeline = self.store._db._pipeline
        sync = pipeline.sync

        def counted():
            self.syncs += 1
            return sync()

        self.patch(pipeline, "sync", counted)

    def status(self, connector_id=1, status="Available"):
        return core.StatusNotificationRequest(
            connector_id=connector_id, error_code="NoError", status=status, timestamp=NOW
        )

    def values(self, transaction_id=None):
        return core.MeterValuesRequest(
            connector_id=1,
            transaction_id=transaction_id,
            meter_value=[MeterValue(timestamp=NOW, sampled_value=[SampledValue(value="12")])],
        )

    def test_a_turn_waits_once(self):
        """
        A turn of StatusNotifications, MeterValues and a boot (its
        savepoint included) waits for PostgreSQL once: at its COMMIT,
        whose answers wait for it; everything is committed.
        """
        for connector_id in range(1, 6):
            self.store.record_status("CP1", self.status(connector_id))
            self.store.record_meter_values("CP1", self.values())
        self.store.record_boot("CP1", BOOT, "Accepted")
        answered = self.store.when_committed("answer")
        self.assertEqual(self.syncs, 0)
        self.clock.advance(0)
        self.assertEqual(self.syncs, 1)
        self.assertEqual(self.successResultOf(answered), "answer")
        self.assertEqual(self.committed_count("connectors"), 5)
        self.assertEqual(self.committed_count("meter_values"), 5)

    def test_a_read_sees_the_writes_sent_ahead(self):
        """
        A read waits for the writes sent before it (in the same round
        trip) and sees them; a row count read later is the statement's.
        """
        self.store.record_status("CP1", self.status(status="Charging"))
        self.assertEqual([c["status"] for c in self.store.connectors("CP1")], ["Charging"])
        self.assertEqual(self.syncs, 1)
        self.assertTrue(self.store.raise_security_profile("CP1", 2))
        self.assertFalse(self.store.raise_security_profile("CP1", 1))

    def test_failed_write_sent_ahead_fails_the_turn(self):
        """
        A write sent ahead that PostgreSQL refuses (here a duplicate key:
        nothing of the store's refuses so, but storage failing would)
        loses the turn when it is found, at the COMMIT: every answer
        waiting for the turn fails with L{StorageFailed}, nothing of it is
        committed, and the next turn stores again.
        """
        self.store.record_status("CP1", self.status())
        answered = self.store.when_committed("answer")
        insert = "INSERT INTO id_tags (id_tag, status) VALUES (?, 'Accepted')"
        self.store._write(insert, ("T1",))
        self.store._write(insert, ("t1",))  # the same tag: refused
        self.store.record_status("CP1", self.status(2))
        self.clock.advance(0)
        self.failureResultOf(answered, StorageFailed)
        self.assertEqual((self.committed_count("connectors"), self.committed_count("id_tags")), (0, 0))
        self.flushLoggedErrors()
        self.store.record_status("CP1", self.status())
        again = self.store.when_committed("again")
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(again), "again")
        self.assertEqual(self.committed_count("connectors"), 1)

    def test_failure_found_by_a_read(self):
        """
        Found by a later read of the same turn, the failure is the read's
        L{StorageFailed}, and whoever waits for the turn fails at once.
        """
        self.store.record_status("CP1", self.status())
        answered = self.store.when_committed("answer")
        insert = "INSERT INTO id_tags (id_tag, status) VALUES (?, 'Accepted')"
        self.store._write(insert, ("T1",))
        self.store._write(insert, ("T1",))
        self.assertRaises(StorageFailed, self.store.connectors, "CP1")
        self.failureResultOf(answered, StorageFailed)
        self.clock.advance(0)
        self.assertEqual(self.committed_count("connectors"), 0)
        self.flushLoggedErrors()

    def test_failure_inside_a_savepoint_fails_the_turn(self):
        """
        A write sent ahead inside an atomic block, found failed after the
        block ended, loses the whole turn (the block's caller went on as
        if it had succeeded).
        """
        self.store.record_status("CP1", self.status())
        answered = self.store.when_committed("answer")
        insert = "INSERT INTO id_tags (id_tag, status) VALUES (?, 'Accepted')"
        with self.store._writing():
            self.store._db.execute(insert, ("T1",))
            self.store._db.execute(insert, ("T1",))
        self.clock.advance(0)
        self.failureResultOf(answered, StorageFailed)
        self.assertEqual(self.committed_count("connectors"), 0)
        self.flushLoggedErrors()

    def test_refused_before_sending(self):
        """
        A write psycopg refuses before sending it (a NUL in a text) fails
        at once, as without a pipeline, and the turn goes on.
        """
        import psycopg

        self.store.record_status("CP1", self.status())
        answered = self.store.when_committed("answer")
        with self.assertRaises(psycopg.DataError):
            with self.store._writing():
                self.store._db.execute("INSERT INTO id_tags (id_tag, status) VALUES (?, 'Accepted')", ("a\x00b",))
        self.assertRaises(OverflowError, self.store._write, "UPDATE charge_points SET security_profile = ?", (2**70,))
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(answered), "answer")
        self.assertEqual(self.committed_count("connectors"), 1)

    def test_deadlock_of_a_write_sent_ahead(self):
        """
        A write sent ahead that PostgreSQL rolls back for a deadlock, found
        at the COMMIT, has the transaction run again: the turn commits,
        its StartTransaction answered with the id committed.
        """
        self.store._db.executescript(DEADLOCK_ONCE_TRIGGER)
        transaction_id = self.store.start_transaction("CP1", start_request(meter_start=5))
        answered = self.store.when_committed(transaction_id)
        self.store.record_status("CP1", self.status())
        self.store._write("INSERT INTO guarded (a) VALUES (?)", (1,))
        self.store.record_meter_values("CP1", self.values(transaction_id))
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(answered), transaction_id)
        self.assertEqual(self.store._db.retried, 1)
        for table in ("transactions", "connectors", "guarded", "meter_values"):
            self.assertEqual(self.committed_count(table), 1, table)

    def test_deadlock_found_by_a_read(self):
        """
        Found by a read of the turn, the deadlock has the transaction run
        again too, and the read answers from it.
        """
        self.store._db.executescript(DEADLOCK_ONCE_TRIGGER)
        self.store.record_status("CP1", self.status(status="Charging"))
        self.store._write("INSERT INTO guarded (a) VALUES (?)", (1,))
        self.assertEqual([c["status"] for c in self.store.connectors("CP1")], ["Charging"])
        self.assertEqual(self.store._db.retried, 1)
        self.store.record_status("CP1", self.status(2))
        self.clock.advance(0)
        self.assertEqual(self.committed_count("connectors"), 2)
        self.assertEqual(self.committed_count("guarded"), 1)

    def test_row_count_read_after_a_deadlock(self):
        """
        A row count read from a statement sent ahead that deadlocked is the
        one of the transaction run again.
        """
        self.store._db.executescript(DEADLOCK_ONCE_TRIGGER)
        self.store._write("INSERT INTO guarded (a) VALUES (?)", (1,))
        cursor = self.store._write("UPDATE charge_points SET security_profile = 3 WHERE identity = ?", ("CP1",))
        self.assertEqual(cursor.rowcount, 1)
        self.assertEqual(self.store._db.retried, 1)
        self.clock.advance(0)
        self.assertEqual(self.committed_count("guarded"), 1)


class PipelinedConnectionTests(SynchronousTestCase):
    """
    L{openocpp.store.postgresql.PostgreSQLConnection} by itself, a
    transaction whose write sent ahead failed: lost, it lets nothing run
    outside a transaction until one begins again.
    """

    def setUp(self):
        from openocpp.store.postgresql import PostgreSQLConnection
        from tests.engines.postgresql import fresh_database

        self.db = PostgreSQLConnection(fresh_database(self), {})
        self.addCleanup(self.db.close)
        self.db.execute("CREATE TABLE t (a bigint PRIMARY KEY)")

    def count(self):
        return self.db.execute("SELECT count(*) FROM t").fetchone()[0]

    def test_lost(self):
        """
        The failure is raised by the statement that found it, the
        transaction rolled back; later writes and the COMMIT fail with it
        rather than run in autocommit; reads run; a BEGIN starts afresh.
        """
        import psycopg

        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t (a) VALUES (?)", (1,))
        self.db.execute("INSERT INTO t (a) VALUES (?)", (1,))
        self.assertTrue(self.db.in_transaction)
        error = self.assertRaises(psycopg.IntegrityError, self.db.execute, "SELECT 1")
        self.assertTrue(error.transaction_lost)
        self.assertFalse(self.db.in_transaction)
        self.assertIs(self.assertRaises(psycopg.IntegrityError, self.db.execute, "INSERT INTO t (a) VALUES (2)"), error)
        self.assertIs(self.assertRaises(psycopg.IntegrityError, self.db.execute, "COMMIT"), error)
        self.assertEqual(self.count(), 0)
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t (a) VALUES (?)", (3,))
        self.db.execute("COMMIT")
        self.assertEqual(self.count(), 1)

    def test_row_count_of_a_failed_write(self):
        """
        Read from a write sent ahead that failed, the last sent, the row
        count raises its error as the write would have without a pipeline:
        inside a savepoint, the transaction goes on once rolled back to it.
        """
        import psycopg

        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO t (a) VALUES (1)")
        self.db.execute("SAVEPOINT write")
        cursor = self.db.execute("INSERT INTO t (a) VALUES (1)")
        self.assertRaises(psycopg.IntegrityError, lambda: cursor.rowcount)
        self.assertTrue(self.db.in_transaction)
        self.db.execute("ROLLBACK TO write")
        self.db.execute("RELEASE write")
        self.db.execute("COMMIT")
        self.assertEqual(self.count(), 1)

    def test_without_pipeline(self):
        """
        With C{pipelined=False} each statement waits for its result.
        """
        from openocpp.store.postgresql import PostgreSQLConnection

        db = PostgreSQLConnection(self.db.url, {}, pipelined=False)
        self.addCleanup(db.close)
        db.execute("BEGIN")
        self.assertEqual(db.execute("INSERT INTO t (a) VALUES (1)").rowcount, 1)
        self.assertIsNone(db._pipeline)
        db.execute("COMMIT")
        self.assertEqual(self.count(), 1)
