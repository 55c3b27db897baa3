"""
The central system on the specification's corner cases (issue 10): id tags
compared without regard to case, meter values that name another charge
point's transaction, StopTransaction retransmitted or without reason, and
the requests OCPP 1.6 forbids a central system to send.

Wire cases are played with raw OCPP-J frames from a scripted charge point
(L{tests.centralsystem.fake_chargepoint}) over loopback; store cases on L{CentralSystemStore}
with a L{Clock}.
"""

import os
import sqlite3

from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import Clock
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.centralsystem.idtags import id_tag_key
from openocpp.centralsystem.policy import ForbiddenRequest, NotAllowedNow, refusal
from openocpp.centralsystem.store import MIGRATIONS, CentralSystemStore
from openocpp.messages import core, security
from openocpp.messages.datatypes import (
    ChargingProfile,
    ChargingSchedule,
    ChargingSchedulePeriod,
    MeterValue,
    SampledValue,
)
from openocpp.messages.enums import Location, Measurand, Phase, ReadingContext, UnitOfMeasure, ValueFormat
from openocpp.store.sqlite import migrate, open_database
from tests.centralsystem.fake_chargepoint import BOOT, NOW, CentralSystemMixin, RejectingBoot, raw_call
from tests.centralsystem.store_file import FullDisk, select
from tests.centralsystem.stores import PostgreSQLStoreMixin, SQLiteStoreMixin

def profile(purpose="TxProfile", transaction_id=None):
    return ChargingProfile(
        charging_profile_id=7,
        stack_level=0,
        charging_profile_purpose=purpose,
        charging_profile_kind="Absolute",
        transaction_id=transaction_id,
        charging_schedule=ChargingSchedule(
            charging_rate_unit="A",
            charging_schedule_period=[ChargingSchedulePeriod(start_period=0, limit=16.0)],
        ),
    )


def start_request(id_tag="TAG1", meter_start=1000):
    return core.StartTransactionRequest(connector_id=1, id_tag=id_tag, meter_start=meter_start, timestamp=NOW)


def stop_request(transaction_id, reason=None, data=True):
    transaction_data = None
    if data:
        transaction_data = [
            MeterValue(
                timestamp=NOW,
                sampled_value=[SampledValue(value="1500", context="Transaction.End")],
            )
        ]
    return core.StopTransactionRequest(
        meter_stop=1500,
        timestamp=NOW,
        transaction_id=transaction_id,
        reason=reason,
        transaction_data=transaction_data,
    )


def captured_warnings(testcase):
    """
    The text of every warning logged while the test runs.
    """
    from twisted.logger import LogLevel, formatEvent

    lines = []

    def observe(event):
        if event.get("log_level") is LogLevel.warn:
            lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    testcase.addCleanup(globalLogPublisher.removeObserver, observe)
    return lines


class IdTagCaseTestsMixin:
    """
    Id tags are case-insensitive (OCPP 1.6 section 7.28, errata 3.73 and
    3.74): every spelling of a tag is one record, spelt as first written.
    """

    def setUp(self):
        self.clock = Clock()
        self.store = self.make_store(self.clock)

    def test_key_folds_ascii_letters_like_sqlite_nocase(self):
        """
        L{id_tag_key} folds what SQLite's NOCASE folds, the ASCII letters,
        and nothing else: the cache and SQL always agree.
        """
        self.assertEqual(id_tag_key("Child1"), id_tag_key("CHILD1"))
        self.assertEqual(id_tag_key("04A2b3"), "04a2b3")
        self.assertEqual(id_tag_key("ÄBC"), "Äbc")
        self.assertNotEqual(id_tag_key("Ä"), id_tag_key("ä"))
        db = sqlite3.connect(":memory:")
        for tag in ("Child1", "ÄBc", "straße", "İx"):
            (lowered,) = db.execute("SELECT ? = ? COLLATE NOCASE", (tag, id_tag_key(tag))).fetchone()
            self.assertTrue(lowered, tag)
        (same,) = db.execute("SELECT 'Ä' = 'ä' COLLATE NOCASE").fetchone()
        self.assertFalse(same)

    def test_any_case_finds_the_record_as_first_written(self):
        """
        C{CHILD1} set, C{child1} and C{Child1} find it, spelt C{CHILD1},
        with its parent.
        """
        self.store.set_id_tag("CHILD1", parent_id_tag="Group1")
        for spelling in ("child1", "Child1", "CHILD1"):
            record = self.store.id_tag(spelling)
            self.assertEqual((record.id_tag, record.parent_id_tag), ("CHILD1", "Group1"), spelling)

    def test_cached_unknown_is_forgotten_when_another_spelling_is_set(self):
        """
        A tag looked up (and cached as unknown) in one case is known once
        set in another.
        """
        self.assertIsNone(self.store.id_tag("child1"))
        self.store.set_id_tag("CHILD1", status="Blocked")
        self.assertEqual(self.store.id_tag("child1").status, "Blocked")
        self.store.remove_id_tag("Child1")
        self.assertIsNone(self.store.id_tag("CHILD1"))
        self.assertIsNone(self.store.id_tag("child1"))

    def test_set_in_another_case_changes_the_one_record(self):
        """
        Setting C{child1} when C{CHILD1} is known changes C{CHILD1}'s
        record: one row, still spelt C{CHILD1}.
        """
        self.store.set_id_tag("CHILD1", status="Accepted")
        self.store.set_id_tag("child1", status="Blocked")
        self.clock.advance(0)
        rows = [dict(row) for row in select(self.store, "SELECT id_tag, status FROM id_tags")]
        self.assertEqual(rows, [{"id_tag": "CHILD1", "status": "Blocked"}])

    def test_active_transaction_found_in_any_case(self):
        """
        The open transaction of C{TAG1} is found by C{tag1}.
        """
        transaction_id = self.store.start_transaction("CP1", start_request("TAG1"))
        self.assertEqual(self.store.active_transaction_for("tag1")["id"], transaction_id)


class IdTagCaseTests(SQLiteStoreMixin, IdTagCaseTestsMixin, SynchronousTestCase):
    """
    The SQLite store's.
    """


class PostgreSQLIdTagCaseTests(PostgreSQLStoreMixin, IdTagCaseTestsMixin, SynchronousTestCase):
    """
    The PostgreSQL store's.
    """


class CaseDuplicatesMigrationTests(SynchronousTestCase):
    """
    A database of schema version 2 may hold tags that differ only in case:
    migrating makes each one record and loses nothing.
    """

    def old_database(self):
        path = os.path.abspath(self.mktemp())
        old = open_database(path)
        migrate(old, MIGRATIONS[:2], "test")
        return path, old

    def test_most_restrictive_wins_and_others_are_kept(self):
        """
        C{child1} Accepted, C{CHILD1} Blocked, C{Child1} Accepted (written
        last): C{CHILD1} Blocked stands for all three (merging never
        accepts a card an operator blocked); the two others are kept as
        they were in C{id_tag_case_duplicates}; a warning names them once.
        """
        path, old = self.old_database()
        old.executemany(
            "INSERT INTO id_tags VALUES (?, ?, ?, ?)",
            [
                ("child1", "Accepted", None, "G1"),
                ("CHILD1", "Blocked", None, None),
                ("Child1", "Accepted", "2030-01-01T00:00:00.000Z", "G2"),
                ("other", "Accepted", None, None),
                ("Expired1", "Expired", None, None),
                ("EXPIRED1", "Expired", None, None),
            ],
        )
        old.close()
        warnings = captured_warnings(self)
        store = CentralSystemStore(path, Clock())
        self.addCleanup(store.close)
        self.assertEqual(store.id_tag("child1").id_tag, "CHILD1")
        self.assertEqual(store.id_tag("child1").status, "Blocked")
        # Same status: the one written last wins.
        self.assertEqual(store.id_tag("expired1").id_tag, "EXPIRED1")
        self.assertEqual(store.id_tag("OTHER").id_tag, "other")
        kept = [tuple(row) for row in select(store, "SELECT id_tag, status, expiry_date, parent_id_tag, kept_id_tag FROM id_tag_case_duplicates ORDER BY id")]
        self.assertEqual(
            kept,
            [
                ("child1", "Accepted", None, "G1", "CHILD1"),
                ("Child1", "Accepted", "2030-01-01T00:00:00.000Z", "G2", "CHILD1"),
                ("Expired1", "Expired", None, None, "EXPIRED1"),
            ],
        )
        self.assertEqual(select(store, "SELECT count(*) FROM id_tags")[0][0], 3)
        self.assertEqual(len(warnings), 1)
        self.assertIn("child1 -> CHILD1", warnings[0])
        # The file is now of the new schema: a tag in another case is the
        # same record.
        store.set_id_tag("Other", status="Blocked")
        self.assertEqual(select(store, "SELECT count(*) FROM id_tags")[0][0], 3)

    def test_no_warning_without_duplicates(self):
        """
        A database without such tags migrates silently, and a second start
        does not warn again.
        """
        path, old = self.old_database()
        old.execute("INSERT INTO id_tags VALUES ('A', 'Accepted', NULL, NULL)")
        old.close()
        warnings = captured_warnings(self)
        CentralSystemStore(path, Clock()).close()
        store = CentralSystemStore(path, Clock())
        self.addCleanup(store.close)
        self.assertEqual(store.id_tag("a").id_tag, "A")
        self.assertEqual(warnings, [])

    def test_foreign_meter_values_detached_and_reasons_filled(self):
        """
        Values stored under another charge point's transaction (or a
        transaction that does not exist) are detached, keeping the id they
        named; a stopped transaction without reason gets Local.
        """
        path, old = self.old_database()
        old.execute(
            "INSERT INTO transactions (id, identity, connector_id, id_tag, meter_start, start_timestamp, "
            "meter_stop, stop_timestamp) VALUES (1, 'CP1', 1, 'T', 0, 't0', 10, 't1')"
        )
        old.executemany(
            "INSERT INTO meter_values (identity, connector_id, transaction_id, timestamp, value) VALUES (?, 1, ?, 't', ?)",
            [("CP1", 1, "own"), ("CP2", 1, "foreign"), ("CP1", 99, "nowhere"), ("CP1", None, "none")],
        )
        old.close()
        store = CentralSystemStore(path, Clock())
        self.addCleanup(store.close)
        rows = [tuple(row) for row in select(store, "SELECT value, transaction_id, named_transaction_id FROM meter_values ORDER BY id")]
        self.assertEqual(rows, [("own", 1, None), ("foreign", None, 1), ("nowhere", None, 99), ("none", None, None)])
        self.assertEqual(store.transaction(1)["stop_reason"], "Local")


class StopTransactionStoreTestsMixin:
    """
    A transaction stops once; its reason defaults to Local.
    """

    def setUp(self):
        self.clock = Clock()
        self.store = self.make_store(self.clock)
        self.transaction_id = self.store.start_transaction("CP1", start_request())

    def test_retransmitted_stop_stores_transaction_data_once(self):
        """
        The same StopTransaction.req twice stores its transaction data once.
        """
        self.assertTrue(self.store.stop_transaction("CP1", stop_request(self.transaction_id)))
        self.clock.advance(0)
        self.assertTrue(self.store.stop_transaction("CP1", stop_request(self.transaction_id)))
        self.clock.advance(0)
        values = self.store.meter_values(transaction_id=self.transaction_id)
        self.assertEqual([v["value"] for v in values], ["1500"])

    def test_different_second_stop_keeps_the_first(self):
        """
        A second, different StopTransaction for a stopped transaction
        changes nothing and is logged.
        """
        warnings = captured_warnings(self)
        self.store.stop_transaction("CP1", stop_request(self.transaction_id, reason="EVDisconnected"))
        later = core.StopTransactionRequest(meter_stop=9999, timestamp=NOW, transaction_id=self.transaction_id)
        self.assertTrue(self.store.stop_transaction("CP1", later))
        record = self.store.transaction(self.transaction_id)
        self.assertEqual((record["meter_stop"], record["stop_reason"]), (1500, "EVDisconnected"))
        self.assertEqual(len(self.store.meter_values(transaction_id=self.transaction_id)), 1)
        self.assertEqual(len(warnings), 1)
        self.assertIn("9999", warnings[0])

    def test_no_reason_is_local(self):
        """
        A StopTransaction.req without reason is stored with reason Local
        (section 6.49).
        """
        self.store.stop_transaction("CP1", stop_request(self.transaction_id, data=False))
        self.assertEqual(self.store.transaction(self.transaction_id)["stop_reason"], "Local")

    def test_other_charge_points_transaction_is_not_stopped(self):
        """
        CP2 cannot stop CP1's transaction.
        """
        self.assertFalse(self.store.stop_transaction("CP2", stop_request(self.transaction_id)))
        self.assertIsNone(self.store.transaction(self.transaction_id)["stop_timestamp"])


class StopTransactionStoreTests(SQLiteStoreMixin, StopTransactionStoreTestsMixin, SynchronousTestCase):
    """
    The SQLite store's.
    """


class PostgreSQLStopTransactionStoreTests(PostgreSQLStoreMixin, StopTransactionStoreTestsMixin, SynchronousTestCase):
    """
    The PostgreSQL store's.
    """


class MeterValuesOwnerStoreTestsMixin:
    """
    Meter values attach only to their own charge point's transactions.
    """

    def setUp(self):
        self.clock = Clock()
        self.store = self.make_store(self.clock)
        self.transaction_id = self.store.start_transaction("CP1", start_request())

    def values(self, transaction_id):
        return core.MeterValuesRequest(
            connector_id=1,
            transaction_id=transaction_id,
            meter_value=[MeterValue(timestamp=NOW, sampled_value=[SampledValue(value="1200")])],
        )

    def test_own_transaction_attached(self):
        self.assertTrue(self.store.record_meter_values("CP1", self.values(self.transaction_id)))
        self.assertEqual(len(self.store.meter_values(transaction_id=self.transaction_id)), 1)

    def test_other_charge_points_transaction_unattached_and_flagged(self):
        """
        CP2's values naming CP1's transaction are kept, attached to none,
        with the id they named.
        """
        self.assertFalse(self.store.record_meter_values("CP2", self.values(self.transaction_id)))
        self.assertEqual(self.store.meter_values(transaction_id=self.transaction_id), [])
        (row,) = self.store.meter_values(identity="CP2")
        self.assertEqual((row["transaction_id"], row["named_transaction_id"], row["value"]), (None, self.transaction_id, "1200"))

    def test_unknown_transaction_unattached_and_flagged(self):
        """
        Values naming a transaction that does not exist are not attached to
        whatever transaction gets that id later.
        """
        self.assertFalse(self.store.record_meter_values("CP1", self.values(self.transaction_id + 1)))
        later = self.store.start_transaction("CP1", start_request(meter_start=2000))
        self.assertEqual(later, self.transaction_id + 1)
        self.assertEqual(self.store.meter_values(transaction_id=later), [])


    def test_owner_remembered_only_once_committed(self):
        """
        A transaction whose commit failed is forgotten with it: values
        naming it are flagged, and another charge point's transaction that
        gets its id then is not taken for the first one's.
        """
        self.clock.advance(0)
        disk = FullDisk(self.store)
        lost = self.store.start_transaction("CP1", start_request(meter_start=5))
        self.assertTrue(self.store.record_meter_values("CP1", self.values(lost)))
        self.clock.advance(0)
        disk.make_room()
        self.flushLoggedErrors()
        self.assertFalse(self.store.record_meter_values("CP1", self.values(lost)))
        other = self.store.start_transaction("CP2", start_request(meter_start=7))
        # SQLite gives the lost id again; PostgreSQL's sequence never does.
        self.assertEqual(other == lost, self.reuses_lost_ids)
        self.assertFalse(self.store.record_meter_values("CP1", self.values(other)))
        self.assertTrue(self.store.record_meter_values("CP2", self.values(other)))

    def test_owner_found_in_the_file(self):
        """
        A transaction started before the store was opened (not in its
        memory) is found in the database, and its values attach.
        """
        self.store._transaction_owners.clear()
        self.assertTrue(self.store.record_meter_values("CP1", self.values(self.transaction_id)))
        self.assertFalse(self.store.record_meter_values("CP2", self.values(self.transaction_id)))
        self.assertEqual(len(self.store.meter_values(transaction_id=self.transaction_id)), 1)

    def test_enumerated_fields_stored_as_their_values(self):
        """
        A sampled value's context, format, measurand, phase, location and
        unit are stored as the text OCPP spells them.
        """
        request = core.MeterValuesRequest(
            connector_id=1,
            transaction_id=self.transaction_id,
            meter_value=[
                MeterValue(
                    timestamp=NOW,
                    sampled_value=[
                        SampledValue(
                            value="1.5",
                            context=ReadingContext.SAMPLE_PERIODIC,
                            format=ValueFormat.RAW,
                            measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                            phase=Phase.L1,
                            location=Location.OUTLET,
                            unit=UnitOfMeasure.KWH,
                        )
                    ],
                )
            ],
        )
        self.store.record_meter_values("CP1", request)
        (row,) = select(
            self.store,
            "SELECT context, format, measurand, phase, location, unit, "
            f"{self.type_of('unit')} FROM meter_values",
        )
        self.assertEqual(
            tuple(row),
            ("Sample.Periodic", "Raw", "Energy.Active.Import.Register", "L1", "Outlet", "kWh", "text"),
        )


class MeterValuesOwnerStoreTests(SQLiteStoreMixin, MeterValuesOwnerStoreTestsMixin, SynchronousTestCase):
    """
    The SQLite store's.
    """


class PostgreSQLMeterValuesOwnerStoreTests(PostgreSQLStoreMixin, MeterValuesOwnerStoreTestsMixin, SynchronousTestCase):
    """
    The PostgreSQL store's.
    """


class IdTagCaseWireTests(CentralSystemMixin, TestCase):
    """
    Authorize and StartTransaction, as raw frames, with a tag in another
    case than the one stored.
    """

    def setUp(self):
        return self.start_central_system()

    @inlineCallbacks
    def test_authorize_and_start_match_in_any_case(self):
        """
        C{CHILD1} stored, C{child1} is authorized and C{Child1} starts a
        transaction: Accepted, with its parent, for both.
        """
        self.central.store.set_id_tag("CHILD1", parent_id_tag="GROUP1")
        cp = yield self.connect()
        yield cp.call(BOOT)
        authorized = yield raw_call(cp, "Authorize", {"idTag": "child1"})
        self.assertEqual(authorized[2], {"idTagInfo": {"status": "Accepted", "parentIdTag": "GROUP1"}})
        started = yield raw_call(
            cp, "StartTransaction",
            {"connectorId": 1, "idTag": "Child1", "meterStart": 0, "timestamp": "2026-11-25T08:00:00Z"},
        )
        self.assertEqual(started[0], 3)
        self.assertEqual(started[2]["idTagInfo"], {"status": "Accepted", "parentIdTag": "GROUP1"})
        # The transaction keeps the tag as the charge point sent it.
        (row,) = self.rows("SELECT id_tag FROM transactions")
        self.assertEqual(row["id_tag"], "Child1")

    @inlineCallbacks
    def test_blocked_in_one_case_is_blocked_in_every_case(self):
        """
        C{lost1} blocked, a card reading C{LOST1} is Blocked too.
        """
        self.central.store.set_id_tag("lost1", status="Blocked")
        cp = yield self.connect()
        yield cp.call(BOOT)
        authorized = yield raw_call(cp, "Authorize", {"idTag": "LOST1"})
        self.assertEqual(authorized[2], {"idTagInfo": {"status": "Blocked"}})


class StopTransactionWireTests(CentralSystemMixin, TestCase):
    """
    StopTransaction frames: without reason, and sent twice.
    """

    def setUp(self):
        return self.start_central_system(accept_any_id_tag=True)

    @inlineCallbacks
    def started(self):
        cp = yield self.connect()
        yield cp.call(BOOT)
        started = yield cp.call(start_request())
        return cp, started.transaction_id

    def stop_frame(self, transaction_id):
        return {
            "meterStop": 1500,
            "timestamp": "2026-11-25T09:00:00Z",
            "transactionId": transaction_id,
            "transactionData": [
                {
                    "timestamp": "2026-11-25T09:00:00Z",
                    "sampledValue": [{"value": "1500", "context": "Transaction.End"}],
                }
            ],
        }

    @inlineCallbacks
    def test_without_reason_stored_as_local(self):
        """
        A StopTransaction frame without C{reason} is stored with reason
        Local, the spec's default (section 6.49).
        """
        cp, transaction_id = yield self.started()
        answer = yield raw_call(cp, "StopTransaction", self.stop_frame(transaction_id))
        self.assertEqual(answer, [3, answer[1], {}])
        (row,) = self.rows("SELECT stop_reason FROM transactions")
        self.assertEqual(row["stop_reason"], "Local")

    @inlineCallbacks
    def test_retransmitted_stores_transaction_data_once(self):
        """
        The same StopTransaction sent again (a new unique id, the same
        payload: a charge point that lost the answer) is answered again and
        its transaction data stored once.
        """
        cp, transaction_id = yield self.started()
        first = yield raw_call(cp, "StopTransaction", self.stop_frame(transaction_id))
        again = yield raw_call(cp, "StopTransaction", self.stop_frame(transaction_id))
        self.assertEqual((first[0], again[0]), (3, 3))
        values = self.rows("SELECT value, context FROM meter_values WHERE transaction_id = ?", transaction_id)
        self.assertEqual(values, [{"value": "1500", "context": "Transaction.End"}])


class MeterValuesOwnerWireTests(CentralSystemMixin, TestCase):
    """
    MeterValues naming another charge point's transaction.
    """

    def setUp(self):
        return self.start_central_system(accept_any_id_tag=True)

    @inlineCallbacks
    def test_other_charge_points_transaction_not_attached(self):
        """
        CP2's MeterValues frame naming CP1's transaction is acknowledged,
        and stored attached to no transaction, with the id it named; CP1's
        transaction has none of them.
        """
        cp1 = yield self.connect("CP1")
        yield cp1.call(BOOT)
        started = yield cp1.call(start_request())
        cp2 = yield self.connect("CP2")
        yield cp2.call(BOOT)
        warnings = captured_warnings(self)
        answer = yield raw_call(
            cp2, "MeterValues",
            {
                "connectorId": 1,
                "transactionId": started.transaction_id,
                "meterValue": [{"timestamp": "2026-11-25T08:05:00Z", "sampledValue": [{"value": "99999"}]}],
            },
        )
        self.assertEqual(answer, [3, answer[1], {}])
        self.assertEqual(self.rows("SELECT * FROM meter_values WHERE transaction_id = ?", started.transaction_id), [])
        (row,) = self.rows("SELECT identity, transaction_id, named_transaction_id, value FROM meter_values")
        self.assertEqual(row, {"identity": "CP2", "transaction_id": None, "named_transaction_id": started.transaction_id, "value": "99999"})
        self.assertTrue(any("not one of its own" in line for line in warnings), warnings)


class PolicyTests(SynchronousTestCase):
    """
    L{refusal}: what OCPP 1.6 forbids a central system to send, by the
    charge point's registration status.
    """

    def test_rejected_is_sent_nothing(self):
        """
        A Rejected charge point is sent nothing (section 4.2), a
        TriggerMessage of BootNotification included.
        """
        for request in [
            core.ResetRequest(type="Soft"),
            core.GetConfigurationRequest(),
            core.TriggerMessageRequest(requested_message="BootNotification"),
            core.ChangeConfigurationRequest(key="HeartbeatInterval", value="60"),
        ]:
            refused = refusal(request, "Rejected")
            self.assertIsInstance(refused, NotAllowedNow, request)
            self.assertIn("4.2", refused.reason)

    def test_pending_may_not_start_or_stop(self):
        """
        A Pending charge point gets no RemoteStart/StopTransaction (4.2),
        and anything else: configuration, triggers (BootNotification too).
        """
        self.assertIsInstance(refusal(core.RemoteStartTransactionRequest(id_tag="T"), "Pending"), NotAllowedNow)
        self.assertIsInstance(refusal(core.RemoteStopTransactionRequest(transaction_id=1), "Pending"), NotAllowedNow)
        for request in [
            core.GetConfigurationRequest(),
            core.ChangeConfigurationRequest(key="HeartbeatInterval", value="60"),
            core.TriggerMessageRequest(requested_message="BootNotification"),
            core.ResetRequest(type="Hard"),
        ]:
            self.assertIsNone(refusal(request, "Pending"), request)

    def test_accepted_no_boot_trigger(self):
        """
        An Accepted charge point gets no TriggerMessage (nor
        ExtendedTriggerMessage) of BootNotification (errata 3.40); other
        triggers go.
        """
        for request in [
            core.TriggerMessageRequest(requested_message="BootNotification"),
            security.ExtendedTriggerMessageRequest(requested_message="BootNotification"),
        ]:
            refused = refusal(request, "Accepted")
            self.assertIsInstance(refused, NotAllowedNow)
            self.assertIn("3.40", refused.reason)
        self.assertIsNone(refusal(core.TriggerMessageRequest(requested_message="Heartbeat"), "Accepted"))
        self.assertIsNone(refusal(core.RemoteStartTransactionRequest(id_tag="T"), "Accepted"))

    def test_remote_start_profile_must_be_tx_profile(self):
        """
        A RemoteStartTransaction's profile must be a TxProfile (5.11)
        without transactionId (errata 3.41), whatever the status.
        """
        for status in ("Accepted", None):
            for bad in (profile("TxDefaultProfile"), profile("ChargePointMaxProfile"), profile("TxProfile", 5)):
                refused = refusal(core.RemoteStartTransactionRequest(id_tag="T", charging_profile=bad), status)
                self.assertIsInstance(refused, ForbiddenRequest)
            self.assertIsNone(refusal(core.RemoteStartTransactionRequest(id_tag="T", charging_profile=profile()), status))

    def test_never_booted_is_refused_nothing_for_it(self):
        """
        A charge point without registration status (never booted here) is
        refused nothing for its status.
        """
        self.assertIsNone(refusal(core.TriggerMessageRequest(requested_message="BootNotification"), None))
        self.assertIsNone(refusal(core.RemoteStopTransactionRequest(transaction_id=1), None))


class ProxyPolicyTests(CentralSystemMixin, TestCase):
    """
    The proxy refuses what the spec forbids whoever calls it (a plugin
    here): nothing reaches the charge point. It knows what each charge
    point was told at boot, whoever answered.
    """

    @inlineCallbacks
    def test_pending_charge_point_gets_no_remote_start(self):
        """
        Pending: RemoteStartTransaction fails with L{NotAllowedNow} and is
        not sent; GetConfiguration goes. Once Accepted, RemoteStart goes.
        """
        yield self.start_central_system(unknown_charge_points="pending")
        cp = yield self.connect("NEW")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Pending")
        proxy = yield self.central.when_connected("NEW")
        yield self.assertFailure(proxy.remote_start_transaction("T"), NotAllowedNow)
        yield self.assertFailure(proxy.remote_stop_transaction(1), NotAllowedNow)
        yield proxy.get_configuration()
        self.assertEqual([type(r).__name__ for r in cp.received], ["GetConfigurationRequest"])
        self.central.store.register_charge_point("NEW")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Accepted")
        yield proxy.remote_start_transaction("T")
        self.assertEqual(type(cp.received[-1]).__name__, "RemoteStartTransactionRequest")

    @inlineCallbacks
    def test_rejected_by_a_plugin_is_sent_nothing(self):
        """
        A plugin answered the boot Rejected: the proxy sends nothing at all.
        """
        yield self.start_central_system()
        self.central.plugins.register(RejectingBoot(), name="rejecting")
        self.addCleanup(self.central.plugins.unregister, name="rejecting")
        cp = yield self.connect("CP1")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Rejected")
        proxy = yield self.central.when_connected("CP1")
        self.assertEqual(proxy.registration_status, "Rejected")
        for call in (proxy.reset("Soft"), proxy.get_configuration(), proxy.trigger_message("BootNotification")):
            yield self.assertFailure(call, NotAllowedNow)
        self.assertEqual(cp.received, [])

    @inlineCallbacks
    def test_status_survives_a_reconnect(self):
        """
        A charge point accepted, reconnecting without booting, is still
        Accepted: no BootNotification may be triggered.
        """
        yield self.start_central_system()
        cp = yield self.connect("CP1")
        yield cp.call(BOOT)
        yield cp.close()
        cp = yield self.connect("CP1")
        proxy = yield self.central.when_connected("CP1")
        self.assertEqual(proxy.registration_status, "Accepted")
        yield self.assertFailure(proxy.trigger_message("BootNotification"), NotAllowedNow)
        self.assertEqual(cp.received, [])


class LastSeenStoreTests(SynchronousTestCase):
    """
    "Last seen" is noted in memory for every message and written in
    batches: no SQL statement per message.
    """

    def setUp(self):
        self.clock = Clock()
        self.path = os.path.abspath(self.mktemp())
        self.store = CentralSystemStore(self.path, self.clock, last_seen_interval=10)
        self.store.register_charge_point("CP1")
        self.store.register_charge_point("CP2")
        self.clock.advance(0)

    def column(self, identity):
        connection = sqlite3.connect(self.path)
        try:
            return connection.execute("SELECT last_seen FROM charge_points WHERE identity = ?", (identity,)).fetchone()[0]
        finally:
            connection.close()

    def test_noted_without_a_write_seen_at_once(self):
        """
        Hearing from a charge point writes nothing now (nothing waits for a
        commit), yet its record says when at once.
        """
        self.addCleanup(self.store.close)
        self.clock.advance(5)
        self.store.touch("CP1")
        self.assertIsNotNone(self.successResultOf(self.store.when_committed("nothing pending")))
        self.assertEqual(self.store.charge_point("CP1")["last_seen"], "1970-01-01T00:00:05.000Z")
        self.assertEqual(self.store.last_seen("CP1"), "1970-01-01T00:00:05.000Z")
        self.assertIsNone(self.column("CP1"))

    def test_written_in_one_batch(self):
        """
        Within the interval, many messages of many charge points are one
        batch written once, with the latest time of each.
        """
        self.addCleanup(self.store.close)
        for second in range(1, 6):
            self.clock.advance(1)
            self.store.touch("CP1")
            self.store.touch("CP2")
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(10)
        self.clock.advance(0)
        self.assertEqual(self.column("CP1"), "1970-01-01T00:00:05.000Z")
        self.assertEqual(self.column("CP2"), "1970-01-01T00:00:05.000Z")
        self.assertIsNone(self.store.last_seen("CP1"))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_written_on_close(self):
        """
        What is not written yet is written when the store closes.
        """
        self.clock.advance(3)
        self.store.touch("CP1")
        self.store.close()
        self.assertEqual(self.column("CP1"), "1970-01-01T00:00:03.000Z")
        self.assertEqual(self.clock.getDelayedCalls(), [])
