"""
End-to-end tests of the charge point over real WebSocket connections on
loopback: it connects by itself (L{ClientConnectionService}), registers,
runs transactions, and replays what it queued while the central system was
away. Every frame it sends is checked against the official schemas.
"""

import time

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.service import ChargePoint
from openocpp.messages import GetConfigurationRequest
from openocpp.messages.enums import AuthorizationStatus, RegistrationStatus
from openocpp.plugins import make_plugin_manager
from tests.chargepoint.loopback import loopback_charge_point, start_charge_point, wait_for
from tests.chargepoint.fake_centralsystem import LoopbackCentralSystem, queued_transaction_messages


class LoopbackTests(TestCase):
    timeout = 20

    async def start(self, **settings):
        self.cs = LoopbackCentralSystem(self, reactor)
        port = await self.cs.listen()
        self.addCleanup(self.cs.stop)
        self.cp = start_charge_point(
            self, loopback_charge_point(self, f"ws://127.0.0.1:{port}/openocpp", **settings)
        )
        return port

    def wait_for(self, condition, what):
        return wait_for(self, condition, what)

    async def test_session(self):
        """
        Boot, statuses, a transaction, and a request from the central
        system, over a real connection to C{<url>/<identity>}.
        """
        await self.start(identity="CP 7")
        await self.wait_for(lambda: len(self.cs.requests("StatusNotification")) == 3, "the statuses")
        self.assertEqual(self.cs.actions()[0], "BootNotification")
        self.assertEqual(self.cp._registration, RegistrationStatus.ACCEPTED)
        self.assertEqual(self.cs.sessions[0].identity, "CP 7")
        status, _ = await self.cp.authorize(1, "TAG")
        self.assertEqual(status, AuthorizationStatus.ACCEPTED)
        self.assertEqual(await self.cp.start_transaction(1, "TAG"), AuthorizationStatus.ACCEPTED)
        self.assertEqual(self.cp.transaction_id(1), 100)
        answer = await self.cs.session.call(GetConfigurationRequest(key=["NumberOfConnectors"]))
        self.assertEqual(answer.configuration_key[0].value, "2")
        await self.cp.stop_transaction(1, "TAG")
        await self.wait_for(lambda: self.cs.requests("StopTransaction"), "the stop")
        self.assertEqual(self.cs.requests("StopTransaction")[0].transaction_id, 100)

    async def test_offline_replay(self):
        """
        The central system goes away; a transaction runs meanwhile; when it
        comes back the charge point reconnects (no new boot) and sends the
        queued messages in order.
        """
        port = await self.start()
        await self.wait_for(lambda: self.cp.online, "the boot")
        await self.wait_for(lambda: len(self.cs.requests("StatusNotification")) == 3, "the statuses")
        await self.cs.stop()
        await self.wait_for(lambda: not self.cp.connected, "the disconnection")
        self.assertEqual(await self.cp.start_transaction(2, "OFF"), AuthorizationStatus.ACCEPTED)
        await self.cp.stop_transaction(2, "OFF")
        self.assertEqual(
            queued_transaction_messages(self.cp.store), ["StartTransaction", "StopTransaction"]
        )
        self.cs.clear()
        await self.cs.listen(port)
        await self.wait_for(lambda: self.cs.requests("StopTransaction"), "the replay")
        self.assertEqual(self.cs.actions(), ["StartTransaction", "StopTransaction"])
        self.assertEqual(self.cs.requests("StopTransaction")[0].transaction_id, 100)
        # The central system saw the stop; its answer may still be on the way.
        await self.wait_for(lambda: self.cp.store.queue_length() == 0, "the answer to the stop")


class CentralSystemTests(TestCase):
    """
    The charge point against openocpp's own central system.
    """

    timeout = 20

    async def test_with_central_system(self):
        from openocpp.centralsystem.config import CentralSystemConfig
        from openocpp.centralsystem.service import CentralSystem

        central = CentralSystem(
            CentralSystemConfig(listen="tcp:0:interface=127.0.0.1", database=":memory:",
                                accept_any_id_tag=True, ping_interval=0),
            reactor=reactor,
            load_entrypoints=False,
        )
        central.startService()
        self.addCleanup(central.stopService)
        port = (await central.when_listening()).getHost().port
        config = ChargePointConfig(url=f"ws://127.0.0.1:{port}/openocpp", database=self.mktemp())
        plugins = make_plugin_manager(builtins=[DefaultChargePointBehaviour()], load_entrypoints=False)
        cp = ChargePoint(config, reactor=reactor, plugins=plugins)
        cp.startService()
        self.addCleanup(cp.store.close)
        self.addCleanup(cp.stopService)
        proxy = await central.when_connected("CP001")
        deadline = time.monotonic() + 10
        while not cp.online and time.monotonic() < deadline:
            await deferLater(reactor, 0.01, lambda: None)
        self.assertEqual(cp._registration, RegistrationStatus.ACCEPTED)
        self.assertEqual(await cp.start_transaction(1, "TAG-1"), AuthorizationStatus.ACCEPTED)
        transaction_id = cp.transaction_id(1)
        answer = await proxy.get_configuration(["NumberOfConnectors", "Nope"])
        self.assertEqual(answer.configuration_key[0].value, "2")
        self.assertEqual(answer.unknown_key, ["Nope"])
        await cp.stop_transaction(1, "TAG-1")
        while cp.store.queue_length() and time.monotonic() < deadline:
            await deferLater(reactor, 0.01, lambda: None)
        record = central.store.transaction(transaction_id)
        self.assertIsNotNone(record)
        self.assertEqual(record["id_tag"], "TAG-1")
        self.assertEqual(record["stop_id_tag"], "TAG-1")
        self.assertIsNotNone(record["stop_timestamp"])


class QuickStartTests(TestCase):
    """
    C{examples/quick_start_chargepoint.py} runs a session against a central
    system.
    """

    timeout = 20

    async def test_quick_start(self):
        import importlib.util
        import os

        path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "quick_start_chargepoint.py")
        spec = importlib.util.spec_from_file_location("quick_start_chargepoint", path)
        example = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(example)

        cs = LoopbackCentralSystem(self, reactor, identity="QS1")
        port = await cs.listen()
        self.addCleanup(cs.stop)
        directory = self.mktemp()
        os.makedirs(directory)
        cp = example.make_charge_point(reactor, f"ws://127.0.0.1:{port}/ocpp", "QS1", directory)
        cp.startService()
        self.addCleanup(cp.store.close)
        self.addCleanup(cp.stopService)
        await example.charging_sessions(reactor, cp, sessions=1, charge_time=0.1, pause=0, idle=0)
        self.assertEqual(cp.ocpp_config.get("MeterValueSampleInterval"), "30")
        deadline = time.monotonic() + 10

        def received_last_status():
            # The statuses that follow the stop go after its StopTransaction,
            # so the queue may be empty before they arrive: wait for the
            # Available after the three of the boot.
            statuses = [r.status for r in cs.requests("StatusNotification")]
            return statuses.count("Available") > 3

        while (cp.store.queue_length() or not received_last_status()) and time.monotonic() < deadline:
            await deferLater(reactor, 0.01, lambda: None)
        # (clock-aligned MeterValues come at quarter hours of the wall clock)
        received = [(a, getattr(r, "status", None)) for a, r in cs.received if a != "MeterValues"][4:]
        self.assertEqual(
            sorted(received[4:]),
            [("StatusNotification", "Available"), ("StatusNotification", "Finishing"),
             ("StopTransaction", None)],
        )
        self.assertEqual(
            received[:4],
            [("StatusNotification", "Preparing"), ("Authorize", None), ("StartTransaction", None),
             ("StatusNotification", "Charging")],
        )
        stop = cs.requests("StopTransaction")[0]
        values = stop.transaction_data[0].sampled_value
        self.assertEqual(values[0].context, "Transaction.Begin")
