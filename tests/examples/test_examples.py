"""
The examples run as documented.
"""

import importlib.util
import os

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from tests.centralsystem.fake_chargepoint import BOOT, ObservedList, TestChargePoint

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")


def load_example(name):
    """
    Import C{examples/<name>.py} as a module.
    """
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class QuickStartCentralSystemTests(TestCase):
    """
    C{examples/quick_start_centralsystem.py}.
    """

    @inlineCallbacks
    def test_configures_each_charge_point(self):
        """
        A charge point that connects has its configuration read, its
        HeartbeatInterval set to 60 and a StatusNotification triggered.
        """
        example = load_example("quick_start_centralsystem")
        events = EventLoggingObserver()
        globalLogPublisher.addObserver(events)
        self.addCleanup(globalLogPublisher.removeObserver, events)
        central = example.make_central_system(
            reactor, "tcp:0:interface=127.0.0.1", os.path.abspath(self.mktemp())
        )
        # The plugin's record of the charge points it configured, told of
        # each one it adds.
        central.quick_start.configured = ObservedList(central.quick_start.configured)
        central.startService()
        self.addCleanup(central.stopService)
        port = yield central.when_listening()
        cp = TestChargePoint(self, "QS1")
        yield cp.connect(f"ws://127.0.0.1:{port.getHost().port}/ocpp")
        self.addCleanup(cp.close)
        boot = yield cp.call(BOOT)
        self.assertEqual(boot.interval, 60)
        yield central.quick_start.configured.wait(lambda: central.quick_start.configured == ["QS1"])
        self.assertEqual(
            [type(request) for request in cp.received],
            [core.GetConfigurationRequest, core.ChangeConfigurationRequest, core.TriggerMessageRequest],
        )
        self.assertEqual((cp.received[1].key, cp.received[1].value), ("HeartbeatInterval", "60"))
        self.assertEqual(cp.received[2].requested_message, "StatusNotification")
        status = yield cp.call(
            core.StatusNotificationRequest(connector_id=1, status="Available", error_code="NoError")
        )
        self.assertIsInstance(status, core.StatusNotificationResponse)
        self.assertEqual(central.store.connectors("QS1")[0]["status"], "Available")
        # The example's request handler answered it, and logged it.
        logged = [formatEvent(event) for event in events if event.get("log_namespace") == "quick_start"]
        self.assertIn("QS1 connector 1: Available", logged)


class ValidatePayloadExampleTests(TestCase):
    """
    C{examples/validate_payload.py}.
    """

    def test_runs(self):
        """
        It prints one decoded request and three clear errors.
        """
        import io
        from contextlib import redirect_stdout

        output = io.StringIO()
        with redirect_stdout(output):
            load_example("validate_payload")
        lines = output.getvalue().splitlines()
        self.assertEqual(len(lines), 4)
        self.assertTrue(lines[0].startswith("ok: AuthorizeRequest"))
        self.assertEqual(lines[1], "PropertyConstraintViolation: idTag: longer than 20 characters (26)")
