"""
The charge point's service lifetime: its connection service is a child
service, swapped when the connection settings change; its SQLite file is
opened when it starts and closed when it stops; stop then start goes on
where it stopped.
"""

from twisted.internet.defer import Deferred
from twisted.internet.testing import MemoryReactorClock
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.service import ChargePoint
from openocpp.messages.enums import AuthorizationStatus, ChargePointStatus
from openocpp.plugins import make_plugin_manager
from openocpp.transport.client import ClientConnectionService
from tests.chargepoint.fake_centralsystem import (
    ScriptedCentralSystem,
    assert_no_timers,
    make_charge_point,
    queued_transaction_messages,
)


class StopThenStartTests(SynchronousTestCase):
    """
    A charge point stopped and started again on the same SQLite file keeps
    its queue, its transactions and its connectors.
    """

    def setUp(self):
        self.clock = Clock()
        self.cs = ScriptedCentralSystem(self, self.clock)
        self.path = self.mktemp()
        self.cp = make_charge_point(self, self.clock, database=self.path)
        self.addCleanup(self._stop)

    def _stop(self):
        if self.cp.running:
            self.cp.stopService()
        self.cs.disconnect()
        assert_no_timers(self, self.clock)

    def test_store_closed_when_stopped_and_opened_when_started(self):
        self.assertFalse(self.cp.store.closed)
        self.cp.startService()
        self.successResultOf(self.cp.stopService())
        self.assertTrue(self.cp.store.closed)
        self.cp.startService()
        self.assertFalse(self.cp.store.closed)
        self.assertEqual(self.cp.store.connector(1).status, ChargePointStatus.AVAILABLE.value)

    def test_session_survives_stop_and_start(self):
        """
        Start, charge, stop the service while the StartTransaction and
        MeterValues wait in the queue (offline), start again on the same
        file: the transaction, its queued messages and the connector
        statuses are intact, and go out once connected.
        """
        self.cp.startService()
        self.cs.connect(self.cp)
        self.cs.disconnect()
        self.successResultOf(self.cp.status_notification(1, ChargePointStatus.PREPARING))
        status = self.successResultOf(self.cp.start_transaction(1, "TAG-1"))
        self.assertEqual(status, AuthorizationStatus.ACCEPTED)
        self.successResultOf(self.cp.status_notification(1, ChargePointStatus.CHARGING))
        queued = queued_transaction_messages(self.cp.store)
        self.assertEqual(queued[0], "StartTransaction")
        self.successResultOf(self.cp.stopService())
        self.assertTrue(self.cp.store.closed)

        self.cp.startService()
        self.assertEqual(queued_transaction_messages(self.cp.store), queued)
        self.assertEqual(self.cp.store.connector(1).status, ChargePointStatus.CHARGING.value)
        self.assertIsNotNone(self.cp.transaction_record(1))
        self.cs.clear()
        self.cs.connect(self.cp)
        self.assertIn("StartTransaction", self.cs.actions())
        self.assertIsNotNone(self.cp.transaction_id(1))
        self.assertEqual(self.successResultOf(self.cp.stop_transaction(1, "TAG-1")), True)
        self.cs.settle()
        self.assertEqual(self.cp.store.queue_length(), 0)
        self.assertEqual(self.cs.actions().count("StopTransaction"), 1)

    def test_store_handed_in_stays_open(self):
        """
        A store the caller made is the caller's to close.
        """
        from openocpp.chargepoint.store import ChargePointStore

        store = ChargePointStore(self.mktemp())
        self.addCleanup(store.close)
        config = ChargePointConfig(database=store.path)
        cp = ChargePoint(config, reactor=self.clock, clock=self.clock, store=store, connect=False,
                         plugins=make_plugin_manager(load_entrypoints=False))
        cp.startService()
        self.successResultOf(cp.stopService())
        self.assertFalse(store.closed)


class ConnectionChildTests(SynchronousTestCase):
    """
    The connection service is a child of the charge point, replaced (not
    restarted by hand) when the connection settings change.
    """

    def setUp(self):
        self.reactor = MemoryReactorClock()
        config = ChargePointConfig(database=self.mktemp())
        plugins = make_plugin_manager(builtins=[DefaultChargePointBehaviour()], load_entrypoints=False)
        self.cp = ChargePoint(config, reactor=self.reactor, plugins=plugins)
        self.addCleanup(self.cp.store.close)

    def tearDown(self):
        if self.cp.running:
            self.cp.stopService()

    def test_child_started_and_stopped_with_the_charge_point(self):
        self.cp.startService()
        child = self.cp.getServiceNamed("connection")
        self.assertIsInstance(child, ClientConnectionService)
        self.assertIs(child.parent, self.cp)
        self.assertTrue(child.running)
        self.assertEqual(len(self.reactor.tcpClients), 1)
        self.successResultOf(self.cp.stopService())
        self.assertFalse(child.running)
        self.cp.startService()
        self.assertIs(self.cp.getServiceNamed("connection"), child)
        self.assertTrue(child.running)

    def test_child_swapped_when_authorization_key_changes(self):
        self.cp.startService()
        old = self.cp.getServiceNamed("connection")
        self.cp.ocpp_config.set("AuthorizationKey", "0123456789abcdef0123")
        self.cp._configuration_changed("AuthorizationKey", "0123456789abcdef0123")
        new = self.cp.getServiceNamed("connection")
        self.assertIsNot(new, old)
        self.assertIsNone(old.parent)
        self.assertFalse(old.running)
        self.assertTrue(new.running)
        self.assertEqual(list(self.cp), [new])

    def test_ping_interval_owned_by_the_connection_service(self):
        self.cp.startService()
        child = self.cp.getServiceNamed("connection")
        self.cp.ocpp_config.set("WebSocketPingInterval", "25")
        self.cp._configuration_changed("WebSocketPingInterval", "25")
        self.assertEqual((child.factory.ping_interval, child.factory.ping_timeout), (25, 25))
        self.assertEqual(child.factory.autoPingInterval, 25)


class StopDuringRestartTests(TestCase):
    """
    A stop that comes while a restart (a Reset, a reboot after a firmware
    installation) waits for its connection to close wins: the restart does
    not start the charge point again behind it (which left a connection
    attempt, HostnameEndpoint's LoopingCall, running after the stop).
    """

    timeout = 30

    async def test_stop_while_restarting_leaves_the_charge_point_stopped(self):
        from twisted.internet import reactor

        from tests.chargepoint.fake_centralsystem import LoopbackCentralSystem

        cs = LoopbackCentralSystem(self, reactor)
        booted = Deferred()
        answer = cs.answers["BootNotification"]

        def boot(request):
            if not booted.called:
                booted.callback(None)
            return answer(request)

        cs.answers["BootNotification"] = boot
        port = await cs.listen()
        self.addCleanup(cs.stop)
        config = ChargePointConfig(
            url=f"ws://127.0.0.1:{port}/openocpp", database=self.mktemp(),
            reconnect_initial_delay=0.05, reconnect_max_delay=0.2,
        )
        plugins = make_plugin_manager(builtins=[DefaultChargePointBehaviour()], load_entrypoints=False)
        cp = ChargePoint(config, reactor=reactor, plugins=plugins)
        cp.startService()
        await booted
        restarting = cp.restart()
        self.assertFalse(restarting.called)  # the connection closes first
        await cp.stopService()
        await restarting
        self.assertFalse(cp.running)
        self.assertFalse(cp.getServiceNamed("connection").running)
        self.assertTrue(cp.store.closed)
