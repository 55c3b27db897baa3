"""
Tests for the example plugin C{plugins/openocpp-simulated-meter}: loaded as
a plugin module, it replaces the built-in meter and adds its key.
"""

import os
import sys

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.messages import ChangeConfigurationRequest
from openocpp.messages.enums import ConfigurationStatus
from tests.chargepoint.fake_centralsystem import ScriptedCentralSystem, assert_no_timers, make_charge_point

PLUGIN_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "openocpp-simulated-meter")


class SimulatedMeterPluginTests(SynchronousTestCase):
    def setUp(self):
        sys.path.insert(0, PLUGIN_DIR)
        self.addCleanup(sys.path.remove, PLUGIN_DIR)
        from openocpp_simulated_meter import hooks

        self.clock = Clock()
        self.cs = ScriptedCentralSystem(self, self.clock)
        self.cp = make_charge_point(self, self.clock, plugins=[hooks])
        self.cp.ocpp_config.set("MeterValuesSampledData", "Energy.Active.Import.Register,Current.Import,Voltage.L2")
        self.cp.startService()
        self.cs.connect(self.cp)

    def tearDown(self):
        self.cp.stopService()
        self.cs.disconnect()
        assert_no_timers(self, self.clock)

    def test_three_phases(self):
        self.cp.start_transaction(1, "TAG")
        self.cs.advance(60)
        values = self.cs.requests("MeterValues")[0].meter_value[0].sampled_value
        self.assertEqual(
            [(v.measurand, v.phase, v.value) for v in values],
            [("Energy.Active.Import.Register", None, "184"),
             ("Current.Import", "L1", "16.0"), ("Current.Import", "L2", "16.0"),
             ("Current.Import", "L3", "16.0"), ("Voltage", "L2", "230.0")],
        )

    def test_own_key(self):
        answer = self.cs.call(ChangeConfigurationRequest(key="SimulatedMeterMaxCurrent", value="32"))
        self.cs.settle()
        self.assertEqual(self.successResultOf(answer).status, ConfigurationStatus.ACCEPTED)
        answer = self.cs.call(ChangeConfigurationRequest(key="MeterValuesSampledData", value="SoC"))
        self.cs.settle()
        self.assertEqual(self.successResultOf(answer).status, ConfigurationStatus.REJECTED)
