"""
L{IChargePoint} is the contract plugins use: the built-in behaviour and
simulator, the quick start's site plugin and
C{plugins/openocpp-simulated-meter} touch only the names it declares.

They are handed a proxy that exposes those names alone and records any
other, while simulated sessions run (local and remote starts and stops,
sampled meter values, a connection timeout, a refused idTag, a reset).
"""

import importlib.util
import os
import sys

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.interfaces import IChargePoint
from openocpp.chargepoint.service import ChargePoint
from openocpp.chargepoint.simulator import ChargingSimulator
from openocpp.messages import (
    IdTagInfo,
    RemoteStartTransactionRequest,
    RemoteStopTransactionRequest,
    ResetRequest,
    StartTransactionResponse,
)
from openocpp.messages.enums import AuthorizationStatus, ChargePointStatus, ResetType
from openocpp.plugins import call_hook, make_plugin_manager, notify
from tests.chargepoint.fake_centralsystem import ScriptedCentralSystem, assert_no_timers

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


class UndeclaredName(AttributeError):
    """
    A plugin used a name of the charge point its interface does not declare.
    """


class DeclaredOnly:
    """
    Exposes the names of C{interface} (and its bases) of C{target}, and
    records (then refuses) any other.
    """

    def __init__(self, target, interface, violations):
        self.__dict__["_target"] = target
        self.__dict__["_names"] = frozenset(interface.names(all=True))
        self.__dict__["_violations"] = violations

    def __getattr__(self, name):
        if name not in self._names:
            self._violations.append(name)
            raise UndeclaredName(f"{name} is not declared by IChargePoint")
        return getattr(self._target, name)

    def __setattr__(self, name, value):
        self._violations.append(name)
        raise UndeclaredName(f"plugins may not set {name}")


class GuardedChargePoint(ChargePoint):
    """
    A charge point that hands plugins a L{DeclaredOnly} view of itself.
    """

    def __init__(self, *args, **kwargs):
        self.violations = []
        self.view = DeclaredOnly(self, IChargePoint, self.violations)
        super().__init__(*args, **kwargs)

    def _hook(self, name, **kwargs):
        return call_hook(self.plugins, name, charge_point=self.view, **kwargs)

    def _notify(self, name, **kwargs):
        notify(self.plugins, name, charge_point=self.view, **kwargs)


def simulated_meter_hooks(testcase):
    folder = os.path.join(ROOT, "plugins", "openocpp-simulated-meter")
    sys.path.insert(0, folder)
    testcase.addCleanup(sys.path.remove, folder)
    from openocpp_simulated_meter import hooks

    return hooks


def quick_start_site(clock):
    path = os.path.join(ROOT, "examples", "quick_start_chargepoint.py")
    spec = importlib.util.spec_from_file_location("quick_start_chargepoint", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example.QuickStartSite(clock)


class PluginContractTests(SynchronousTestCase):
    def make(self, *plugins):
        self.clock = Clock()
        self.cs = ScriptedCentralSystem(self, self.clock)
        config = ChargePointConfig(database=":memory:")
        manager = make_plugin_manager(
            builtins=[DefaultChargePointBehaviour()], plugins=list(plugins), load_entrypoints=False
        )
        self.cp = GuardedChargePoint(
            config, reactor=self.clock, clock=self.clock, plugins=manager, connect=False
        )
        self.addCleanup(self.cp.store.close)
        self.addCleanup(self._stop)
        self.cp.ocpp_config.set("MeterValueSampleInterval", "20")
        self.cp.ocpp_config.set("ConnectionTimeOut", "30")
        self.cp.startService()
        self.cs.connect(self.cp)

    def _stop(self):
        if self.cp.running:
            self.cp.stopService()
        self.cs.disconnect()
        assert_no_timers(self, self.clock)

    def drive(self):
        """
        Simulated sessions touching every hook the plugins implement.
        """
        cp, cs = self.cp, self.cs
        simulator = ChargingSimulator(cp.view, connector=1, idle_time=1000, plug_time=5,
                                      charge_time=60)
        simulator.startService()
        self.addCleanup(simulator.stopService)
        cs.advance(80)
        self.assertEqual(simulator.sessions, 1)
        # a remote start and stop on connector 2 (the simulated EV plugs in)
        answer = self.successResultOf(cs.call(RemoteStartTransactionRequest(
            connector_id=2, id_tag="REMOTE")))
        self.assertEqual(answer.status, "Accepted")
        cs.advance(30)
        transaction_id = cp.transaction_id(2)
        self.assertIsNotNone(transaction_id)
        self.successResultOf(cs.call(RemoteStopTransactionRequest(transaction_id=transaction_id)))
        cs.advance(10)
        self.assertEqual(self.successResultOf(cp.connector_status(2)), ChargePointStatus.AVAILABLE)
        # a connection timeout
        self.successResultOf(cp.status_notification(2, ChargePointStatus.PREPARING))
        cs.advance(31)
        self.assertEqual(self.successResultOf(cp.connector_status(2)), ChargePointStatus.AVAILABLE)
        # an idTag refused by the StartTransaction.conf
        cs.answers["StartTransaction"] = lambda r: StartTransactionResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.BLOCKED), transaction_id=99)
        cp.ocpp_config.set("StopTransactionOnInvalidId", "false")
        started = cp.start_transaction(2, "BLOCKED")
        cs.settle()
        self.assertEqual(self.successResultOf(started), AuthorizationStatus.BLOCKED)
        self.assertEqual(
            self.successResultOf(cp.connector_status(2)), ChargePointStatus.SUSPENDED_EVSE)
        # a reset: the built-in behaviour restarts the service
        cs.clear()
        self.successResultOf(cs.call(ResetRequest(type=ResetType.SOFT)))
        cs.advance(5)
        cs.connect(self.cp)
        self.assertIn("BootNotification", cs.actions())
        simulator.stopService()

    def assertOnlyDeclaredNames(self):
        self.assertEqual(self.cp.violations, [])
        self.assertEqual(self.flushLoggedErrors(UndeclaredName), [])

    def test_built_in_behaviour_and_simulator(self):
        self.make()
        self.drive()
        self.assertOnlyDeclaredNames()

    def test_simulated_meter_plugin(self):
        hooks = simulated_meter_hooks(self)
        self.make(hooks)
        self.drive()
        self.assertGreater(self.cp.store.get_meta("simulated_3phase_meter_1")[0], 0)
        self.assertOnlyDeclaredNames()

    def test_quick_start_site_plugin(self):
        self.make(quick_start_site(Clock()))
        self.drive()
        self.assertOnlyDeclaredNames()

    def test_undeclared_name_caught(self):
        """
        The proxy does catch a plugin reaching past the interface.
        """
        self.make()
        with self.assertRaises(UndeclaredName):
            self.cp.view.queue
        self.assertEqual(self.cp.violations, ["queue"])
