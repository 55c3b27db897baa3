"""
A second review of the central system on the specification's corner cases
(issue 10), attacked from outside the process: raw OCPP-J frames over a
loopback WebSocket, SQLite files read through connections of their own, a
central system stopped and started again on the same file.
"""

import os
import sqlite3

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp import hookimpl
from openocpp.centralsystem.policy import NotAllowedNow
from openocpp.centralsystem.store import MIGRATIONS, CentralSystemStore
from openocpp.messages import core
from openocpp.store.sqlite import migrate, open_database
from tests.centralsystem.fake_chargepoint import BOOT, NOW, CentralSystemMixin, RejectingBoot, raw_call


class RegistrationByPluginTests(CentralSystemMixin, TestCase):
    """
    What a charge point was told at boot, when a plugin answered, outlives
    its connection (OCPP 1.6 section 4.2: "While Rejected ... the Central
    System SHOULD NOT initiate any").
    """

    @inlineCallbacks
    def test_rejected_by_a_plugin_stays_rejected_after_a_reconnect(self):
        """
        A plugin answered the boot Rejected; the charge point reconnects
        without booting (as it may, its connection having dropped): the new
        proxy is Rejected too, and sends nothing.
        """
        yield self.start_central_system()
        self.central.plugins.register(RejectingBoot(), name="rejecting")
        self.addCleanup(self.central.plugins.unregister, name="rejecting")
        cp = yield self.connect("CP1")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Rejected")
        yield cp.close()
        cp = yield self.connect("CP1")
        proxy = yield self.central.when_connected("CP1")
        self.assertEqual(proxy.registration_status, "Rejected")
        yield self.assertFailure(proxy.reset("Soft"), NotAllowedNow)
        self.assertEqual(cp.received, [])

    @inlineCallbacks
    def test_rejected_by_a_plugin_stays_rejected_after_a_restart(self):
        """
        A registered charge point a plugin rejected is still Rejected for
        the central system started again on the same file.
        """
        yield self.start_central_system()
        self.central.store.register_charge_point("CP1")
        self.central.plugins.register(RejectingBoot(), name="rejecting")
        cp = yield self.connect("CP1")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Rejected")
        yield cp.close()
        yield self.central.stopService()
        central = self.make_central_system(self.config)
        central.startService()
        self.addCleanup(central.stopService)
        port = yield central.when_listening()
        self._listening(port)
        cp = yield self.connect("CP1")
        proxy = yield central.when_connected("CP1")
        self.assertEqual(proxy.registration_status, "Rejected")
        yield self.assertFailure(proxy.get_configuration(), NotAllowedNow)
        self.assertEqual(cp.received, [])


class OutOfRangeNumbersTests(CentralSystemMixin, TestCase):
    """
    Integers the schema allows (it sets no maximum) but SQLite cannot hold
    (beyond 64 bits), as raw frames: a clear CALLERROR, nothing stored.
    """

    def setUp(self):
        return self.start_central_system(accept_any_id_tag=True)

    @inlineCallbacks
    def test_answered_property_constraint_violation_not_internal_error(self):
        """
        MeterValues and StopTransaction naming transaction 2**70 (no
        transaction the central system handed out), a StartTransaction
        with meterStart 2**70: each is answered PropertyConstraintViolation
        saying what is wrong, and nothing is stored.
        """
        cp = yield self.connect("CP1")
        yield cp.call(BOOT)
        huge = 2**70
        frames = [
            ("MeterValues", {"connectorId": 1, "transactionId": huge,
                             "meterValue": [{"timestamp": "2026-11-25T08:05:00Z", "sampledValue": [{"value": "1"}]}]}),
            ("StopTransaction", {"meterStop": 1, "timestamp": "2026-11-25T08:05:00Z", "transactionId": huge}),
            ("StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": huge,
                                  "timestamp": "2026-11-25T08:05:00Z"}),
        ]
        for action, payload in frames:
            answer = yield raw_call(cp, action, payload)
            self.assertEqual(answer[0], 4, answer)
            self.assertEqual(answer[2], "PropertyConstraintViolation", answer)
            self.assertIn("64", answer[3])
        self.assertEqual(self.rows("SELECT * FROM meter_values"), [])
        self.assertEqual(self.rows("SELECT * FROM transactions"), [])
        # The connection still works.
        answer = yield raw_call(cp, "Heartbeat", {})
        self.assertEqual(answer[0], 3)


def _stop_frame(transaction_id, reason=None):
    frame = {
        "meterStop": 1500,
        "timestamp": "2026-11-25T09:00:00.250Z",
        "transactionId": transaction_id,
        "transactionData": [
            {
                "timestamp": "2026-11-25T09:00:00Z",
                "sampledValue": [
                    {"value": "1.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register",
                     "context": "Transaction.End"}
                ],
            }
        ],
    }
    if reason is not None:
        frame["reason"] = reason
    return frame


class StopTransactionAcrossRestartsTests(CentralSystemMixin, TestCase):
    """
    StopTransaction sent again after a reconnect or a restart of the
    central system, and naming a transaction that is not the charge
    point's: checked right, kept as regressions.
    """

    def setUp(self):
        return self.start_central_system(accept_any_id_tag=True)

    @inlineCallbacks
    def restart(self):
        yield self.central.stopService()
        self.central = self.make_central_system(self.config)
        self.central.startService()
        self.addCleanup(self.central.stopService)
        port = yield self.central.when_listening()
        self._listening(port)

    @inlineCallbacks
    def test_retransmitted_after_a_restart_stored_once(self):
        """
        Stopped, then the central system restarts and the charge point
        (which lost the answer) reconnects and sends the same
        StopTransaction: answered, its transaction data stored once, the
        stop unchanged.
        """
        cp = yield self.connect("CP1")
        yield cp.call(BOOT)
        started = yield raw_call(cp, "StartTransaction", {
            "connectorId": 1, "idTag": "Tag1", "meterStart": 0, "timestamp": "2026-11-25T08:00:00Z"})
        transaction_id = started[2]["transactionId"]
        yield raw_call(cp, "StopTransaction", _stop_frame(transaction_id, "EVDisconnected"))
        yield cp.close()
        yield self.restart()
        cp = yield self.connect("CP1")
        again = yield raw_call(cp, "StopTransaction", _stop_frame(transaction_id, "EVDisconnected"))
        self.assertEqual(again[0], 3)
        self.assertEqual(len(self.rows("SELECT * FROM meter_values WHERE transaction_id = ?", transaction_id)), 1)
        (row,) = self.rows("SELECT meter_stop, stop_reason, stop_timestamp FROM transactions")
        self.assertEqual(row, {"meter_stop": 1500, "stop_reason": "EVDisconnected",
                               "stop_timestamp": "2026-11-25T09:00:00.250Z"})

    @inlineCallbacks
    def test_other_charge_points_transaction_not_stopped(self):
        """
        CP2 stops CP1's transaction: acknowledged (nothing to retry), and
        CP1's transaction stays open, with no value of CP2's under it.
        """
        cp1 = yield self.connect("CP1")
        yield cp1.call(BOOT)
        cp2 = yield self.connect("CP2")
        yield cp2.call(BOOT)
        started = yield raw_call(cp1, "StartTransaction", {
            "connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-11-25T08:00:00Z"})
        transaction_id = started[2]["transactionId"]
        answer = yield raw_call(cp2, "StopTransaction", _stop_frame(transaction_id))
        self.assertEqual(answer[0], 3)
        (row,) = self.rows("SELECT stop_timestamp FROM transactions WHERE id = ?", transaction_id)
        self.assertIsNone(row["stop_timestamp"])
        self.assertEqual(self.rows("SELECT * FROM meter_values WHERE transaction_id = ?", transaction_id), [])


class LastSeenDurabilityTests(CentralSystemMixin, TestCase):
    """
    "Last seen" kept in memory: written on a clean stop.
    """

    @inlineCallbacks
    def test_clean_stop_writes_what_was_only_in_memory(self):
        """
        A Heartbeat after the boot is noted in memory only; once the
        central system stops, the file holds exactly that time.
        """
        yield self.start_central_system()
        cp = yield self.connect("CP1")
        yield cp.call(BOOT)
        (written,) = self.rows("SELECT last_seen FROM charge_points")
        yield raw_call(cp, "Heartbeat", {})
        in_memory = self.central.store.last_seen("CP1")
        self.assertIsNotNone(in_memory)
        yield self.central.stopService()
        (stored,) = self.rows("SELECT last_seen FROM charge_points")
        self.assertGreaterEqual(stored["last_seen"], in_memory)
        self.assertGreaterEqual(stored["last_seen"], written["last_seen"])


class LastSeenCrashBoundTests(SynchronousTestCase):
    """
    A crash loses at most the last C{last_seen_interval} seconds of "last
    seen": every message's time is on disk (read through another
    connection) that long after it, however the messages fall.
    """

    def test_every_message_on_disk_within_the_interval(self):
        clock = Clock()
        path = os.path.abspath(self.mktemp())
        store = CentralSystemStore(path, clock, last_seen_interval=10)
        self.addCleanup(store.close)
        store.register_charge_point("CP1")
        clock.advance(0)

        def on_disk():
            connection = sqlite3.connect(path)
            try:
                return connection.execute("SELECT last_seen FROM charge_points").fetchone()[0]
            finally:
                connection.close()

        late = []

        def heard():
            store.touch("CP1")
            # Checked once the interval (and the turn that commits) passed.
            clock.callLater(10.001, check, store.last_seen("CP1"))

        def check(seen):
            if (on_disk() or "") < seen:
                late.append(seen)

        # Messages at irregular times, some just after a batch is written.
        moments = (0.5, 3.0, 10.6, 10.7, 25.0, 34.99, 35.01, 35.02, 60.0)
        for moment in moments:
            clock.callLater(moment, heard)
        for _ in range(1000):
            clock.advance(0.25)
        self.assertEqual(late, [])
        self.assertEqual(on_disk(), "1970-01-01T00:01:00.000Z")


class ReconnectAndRebootPolicyTests(CentralSystemMixin, TestCase):
    """
    What the proxy may send a charge point that reconnects and boots
    again: checked right, kept as regressions.
    """

    @inlineCallbacks
    def test_pending_registered_then_rebooting_elsewhere_is_accepted(self):
        """
        Pending on one connection; registered by the operator; the charge
        point reconnects (still Pending: RemoteStart refused) and boots:
        Accepted, RemoteStart goes, a triggered BootNotification does not.
        """
        yield self.start_central_system(unknown_charge_points="pending")
        cp = yield self.connect("CP1")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Pending")
        self.central.store.register_charge_point("CP1")
        yield cp.close()
        cp = yield self.connect("CP1")
        proxy = yield self.central.when_connected("CP1")
        self.assertEqual(proxy.registration_status, "Pending")
        yield self.assertFailure(proxy.remote_start_transaction("T"), NotAllowedNow)
        yield proxy.trigger_message("BootNotification")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Accepted")
        yield proxy.remote_start_transaction("T")
        yield self.assertFailure(proxy.trigger_message("BootNotification"), NotAllowedNow)
        self.assertEqual(
            [type(r).__name__ for r in cp.received],
            ["TriggerMessageRequest", "RemoteStartTransactionRequest"],
        )

    @inlineCallbacks
    def test_unregistered_then_rebooting_is_pending_again(self):
        """
        Accepted, then unregistered by the operator (policy pending): after
        its next boot, on a new connection, RemoteStopTransaction is refused.
        """
        yield self.start_central_system(unknown_charge_points="pending")
        self.central.store.register_charge_point("CP1")
        cp = yield self.connect("CP1")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Accepted")
        self.central.store.unregister_charge_point("CP1")
        yield cp.close()
        cp = yield self.connect("CP1")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Pending")
        proxy = yield self.central.when_connected("CP1")
        yield self.assertFailure(proxy.remote_stop_transaction(1), NotAllowedNow)
        self.assertEqual(cp.received, [])


class SlowBoot:
    """
    A plugin answering BootNotification when the test says (as one asking
    a remote back office would).
    """

    def __init__(self):
        self.asked = Deferred()
        self.answer = Deferred()

    @hookimpl
    def openocpp_cs_boot_notification(self, charge_point, request):
        self.asked.callback(None)
        return self.answer


class BootBeingAnsweredTests(CentralSystemMixin, TestCase):
    """
    A charge point whose BootNotification is being answered has not been
    accepted for this boot yet: the proxy holds it to what a Pending one
    may be sent (OCPP 1.6 section 4.2), not to its status of before.
    """

    @inlineCallbacks
    def test_no_remote_start_while_its_boot_is_answered(self):
        """
        Accepted before; it reconnects and boots, and the answer takes a
        while: a RemoteStartTransaction meanwhile is refused and not sent.
        Once it is answered Accepted, RemoteStartTransaction goes.
        """
        yield self.start_central_system()
        cp = yield self.connect("CP1")
        yield cp.call(BOOT)
        yield cp.close()
        slow = SlowBoot()
        self.central.plugins.register(slow, name="slow")
        self.addCleanup(self.central.plugins.unregister, name="slow")
        cp = yield self.connect("CP1")
        proxy = yield self.central.when_connected("CP1")
        booted = cp.call(BOOT)
        yield slow.asked
        refused = yield self.assertFailure(proxy.remote_start_transaction("T"), NotAllowedNow)
        self.assertEqual(refused.registration_status, "Pending")
        slow.answer.callback(core.BootNotificationResponse(status="Accepted", current_time=NOW, interval=60))
        booted = yield booted
        self.assertEqual(booted.status, "Accepted")
        yield proxy.remote_start_transaction("T")
        self.assertEqual([type(r).__name__ for r in cp.received], ["RemoteStartTransactionRequest"])

    @inlineCallbacks
    def test_a_failed_boot_answer_leaves_the_status_it_had(self):
        """
        The boot's answer fails (a CALLERROR goes back): the charge point
        keeps the status it had, and RemoteStart goes again.
        """
        yield self.start_central_system()
        cp = yield self.connect("CP1")
        yield cp.call(BOOT)
        slow = SlowBoot()
        self.central.plugins.register(slow, name="slow")
        self.addCleanup(self.central.plugins.unregister, name="slow")
        proxy = yield self.central.when_connected("CP1")
        booted = cp.call(BOOT)
        yield slow.asked
        yield self.assertFailure(proxy.remote_start_transaction("T"), NotAllowedNow)
        slow.answer.errback(RuntimeError("back office down"))
        yield self.assertFailure(booted, Exception)
        self.flushLoggedErrors(RuntimeError)
        self.assertEqual(proxy.registration_status, "Accepted")
        yield proxy.remote_start_transaction("T")


class VersionTwoFileTests(CentralSystemMixin, TestCase):
    """
    A central system started on a file of schema version 2 (the schema of
    commit 00fe52b, written as that code wrote it) holding id tags that
    differ only in case, an open transaction and meter values of every
    kind, then played with raw frames.
    """

    def setUp(self):
        path = os.path.abspath(self.mktemp() + ".sqlite")
        old = open_database(path)
        migrate(old, MIGRATIONS[:2], "test")
        with old:
            old.execute(
                "INSERT INTO charge_points (identity, approved, registered_at, registration_status) "
                "VALUES ('CP1', 1, '2026-01-01T00:00:00Z', 'Accepted')"
            )
            for row in [("card1", "Accepted", None), ("CARD1", "Blocked", None), ("Card1", "Accepted", "GRP"),
                        ("solo", "Accepted", None)]:
                old.execute("INSERT OR REPLACE INTO id_tags VALUES (?, ?, NULL, ?)", row)
            old.execute(
                "INSERT INTO transactions (identity, connector_id, id_tag, meter_start, start_timestamp) "
                "VALUES ('CP1', 1, 'Card1', 10, '2026-11-25T07:00:00.000Z')"
            )
            for identity, transaction_id in (("CP1", 1), ("CP2", 1), ("CP1", 42)):
                old.execute(
                    "INSERT INTO meter_values (identity, connector_id, transaction_id, timestamp, value, "
                    "measurand, unit) VALUES (?, 1, ?, '2026-11-25T07:30:00.000Z', '500', "
                    "'Energy.Active.Import.Register', 'Wh')",
                    (identity, transaction_id),
                )
        old.close()
        return self.start_central_system(database=path)

    @inlineCallbacks
    def test_merged_tags_blocked_in_any_case_and_the_open_transaction_stops(self):
        """
        C{cArD1} is Blocked (the merged record); the open transaction
        started as C{Card1} stops, once, with its transaction data under
        it and the foreign values detached.
        """
        cp = yield self.connect("CP1")
        yield cp.call(BOOT)
        authorized = yield raw_call(cp, "Authorize", {"idTag": "cArD1"})
        self.assertEqual(authorized[2], {"idTagInfo": {"status": "Blocked"}})
        for _ in range(2):
            stopped = yield raw_call(cp, "StopTransaction", _stop_frame(1))
            self.assertEqual(stopped[2], {})
        self.assertEqual(
            self.rows("SELECT identity, transaction_id, named_transaction_id, value FROM meter_values ORDER BY id"),
            [
                {"identity": "CP1", "transaction_id": 1, "named_transaction_id": None, "value": "500"},
                {"identity": "CP2", "transaction_id": None, "named_transaction_id": 1, "value": "500"},
                {"identity": "CP1", "transaction_id": None, "named_transaction_id": 42, "value": "500"},
                {"identity": "CP1", "transaction_id": 1, "named_transaction_id": None, "value": "1.5"},
            ],
        )
        self.assertEqual(
            [row["id_tag"] for row in self.rows("SELECT id_tag FROM id_tag_case_duplicates ORDER BY id")],
            ["card1", "Card1"],
        )
