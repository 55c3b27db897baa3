"""
The charge point's collaborators built alone, each with the narrow things
it needs (a store, a clock, an OCPP configuration, a "send this call"
callable), never the L{openocpp.chargepoint.service.ChargePoint} facade.
"""

from datetime import datetime, timezone

from twisted.internet.defer import succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.connectors import Connectors
from openocpp.chargepoint.ocppconfig import OcppConfig, SqliteConfigStorage
from openocpp.chargepoint.status import StatusReporter
from openocpp.chargepoint.store import ChargePointStore
from openocpp.messages import StatusNotificationResponse
from openocpp.messages.enums import ChargePointStatus

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Parts:
    """
    The narrow dependencies of the collaborators: a store, a clock, an OCPP
    configuration, and a recording "send this call".
    """

    def __init__(self, testcase, connectors=2):
        self.store = ChargePointStore(":memory:")
        testcase.addCleanup(self.store.close)
        self.clock = Clock()
        self.config = OcppConfig(SqliteConfigStorage(self.store), fixed={
            "NumberOfConnectors": str(connectors)})
        self.connectors = Connectors(self.store, connectors)
        self.connectors.ensure()
        for record in self.connectors.records():
            # as if reported before
            self.connectors.set_reported(record.connector_id, record.current)
        self.sent = []
        self.notified = []
        self.online = True

    def send(self, request, triggered=False):
        self.sent.append(request)
        return succeed(self.answer(request))

    def answer(self, request):
        if request.action == "StatusNotification":
            return StatusNotificationResponse()
        raise AssertionError(f"unexpected {request.action}")

    def notify(self, name, **kwargs):
        self.notified.append((name, kwargs))


class StatusReporterTests(SynchronousTestCase):
    def setUp(self):
        self.parts = parts = Parts(self)
        self.status = StatusReporter(
            parts.connectors, parts.config, parts.clock, now=lambda: NOW, send=parts.send,
            online=lambda: parts.online, running=lambda: True, notify=parts.notify,
        )
        self.addCleanup(self.status.stop)

    def test_reported_once_minimum_status_duration_passed(self):
        self.parts.config.set("MinimumStatusDuration", "10")
        self.status.set(1, ChargePointStatus.PREPARING)
        self.assertEqual(self.parts.sent, [])
        self.parts.clock.advance(10)
        self.assertEqual([(r.connector_id, r.status) for r in self.parts.sent], [(1, "Preparing")])

    def test_offline_changes_wait_for_consider_all(self):
        self.parts.online = False
        self.status.set(2, ChargePointStatus.FAULTED, "GroundFailure")
        self.parts.clock.advance(1)
        self.status.set(1, ChargePointStatus.PREPARING)
        self.assertEqual(self.parts.sent, [])
        self.parts.online = True
        self.status.consider_all()
        self.assertEqual([r.connector_id for r in self.parts.sent], [2, 1])

    def test_status_waits_for_queued_stop(self):
        waiting = {1}
        self.status.stop_waiting = lambda connector: connector in waiting
        self.status.set(1, ChargePointStatus.FINISHING)
        self.assertEqual(self.parts.sent, [])
        waiting.clear()
        self.status.consider(1)
        self.assertEqual([r.status for r in self.parts.sent], ["Finishing"])

    def test_minimum_status_duration_observed(self):
        """
        The reporter owns MinimumStatusDuration: lowered and announced, a
        waiting status goes at once.
        """
        self.parts.config.set("MinimumStatusDuration", "100")
        self.status.set(1, ChargePointStatus.PREPARING)
        self.parts.config.set("MinimumStatusDuration", "0")
        self.parts.config.announce("MinimumStatusDuration", "0")
        self.assertEqual([r.status for r in self.parts.sent], ["Preparing"])

    def test_preparing_times_out(self):
        self.parts.config.set("ConnectionTimeOut", "30")
        self.status.set(1, ChargePointStatus.PREPARING)
        self.parts.clock.advance(30)
        self.assertEqual(self.parts.notified, [("openocpp_cp_connection_timeout", {"connector": 1})])
