"""
A second review of the central system on the specification's corner cases
(issue 10), attacked from outside the process: raw OCPP-J frames over a
loopback WebSocket, SQLite files read through connections of their own, a
central system stopped and started again on the same file.
"""

import json
import os
import sqlite3

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.centralsystem.policy import NotAllowedNow
from openocpp.centralsystem.service import CentralSystem
from openocpp.centralsystem.store import CentralSystemStore
from tests.test_centralsystem import BOOT, CentralSystemMixin
from tests.test_centralsystem_spec import RejectingBoot, raw_call


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
        central = CentralSystem(self.config, reactor=reactor)
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
