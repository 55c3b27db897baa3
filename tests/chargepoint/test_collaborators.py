"""
The charge point's collaborators built alone, each with the narrow things
it needs (a store, a clock, an OCPP configuration, a "send this call"
callable), never the L{openocpp.chargepoint.service.ChargePoint} facade.
"""

from datetime import datetime, timezone

from twisted.internet.defer import succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.authorization import Authorizer
from openocpp.chargepoint.connectors import Connectors
from openocpp.chargepoint.locallist import LocalListStore
from openocpp.chargepoint.metering import Metering
from openocpp.chargepoint.ocppconfig import OcppConfig, SqliteConfigStorage
from openocpp.chargepoint.queue import TransactionQueue
from openocpp.chargepoint.status import StatusReporter
from openocpp.chargepoint.store import ChargePointStore
from openocpp.messages import (
    AuthorizeResponse,
    IdTagInfo,
    MeterValuesResponse,
    RemoteStopTransactionRequest,
    StartTransactionResponse,
    StatusNotificationResponse,
    StopTransactionResponse,
    TriggerMessageRequest,
)
from openocpp.rpc.errors import CallError
from openocpp.messages.enums import AuthorizationStatus, ChargePointErrorCode, ChargePointStatus

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
        self.id_tag_status = AuthorizationStatus.ACCEPTED
        self.failing = set()

    def send(self, request, triggered=False):
        self.sent.append(request)
        answer = self.answer(request)
        return answer if hasattr(answer, "addCallbacks") else succeed(answer)

    def answer(self, request):
        if request.action == "StatusNotification":
            return StatusNotificationResponse()
        if request.action in self.failing:
            from twisted.internet.defer import fail

            return fail(CallError("InternalError", "failing"))
        if request.action == "StartTransaction":
            return StartTransactionResponse(
                id_tag_info=IdTagInfo(status=self.id_tag_status), transaction_id=7
            )
        if request.action == "StopTransaction":
            return StopTransactionResponse()
        if request.action == "MeterValues":
            return MeterValuesResponse()
        if request.action == "Authorize":
            return AuthorizeResponse(id_tag_info=IdTagInfo(status=self.id_tag_status))
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


class AuthorizerTests(SynchronousTestCase):
    def setUp(self):
        self.parts = parts = Parts(self)
        self.errors = []
        self.authorizer = Authorizer(
            parts.store, parts.config, parts.clock, now=lambda: NOW, send=parts.send,
            online=lambda: parts.online,
            report_error=lambda connector, code: self.errors.append((connector, code)),
        )

    def test_online_answer_cached_and_used_offline(self):
        result = self.successResultOf(self.authorizer.authorize(1, "TAG-1"))
        self.assertEqual(result, (AuthorizationStatus.ACCEPTED, None))
        self.assertEqual([r.action for r in self.parts.sent], ["Authorize"])
        self.parts.online = False
        result = self.successResultOf(self.authorizer.authorize(1, "TAG-1"))
        self.assertEqual(result, (AuthorizationStatus.ACCEPTED, None))
        self.assertEqual(len(self.parts.sent), 1)

    def test_unknown_offline_refused_unless_allowed(self):
        self.parts.online = False
        self.assertEqual(self.successResultOf(self.authorizer.authorize(1, "NEW"))[0],
                         AuthorizationStatus.INVALID)
        self.parts.config.set("AllowOfflineTxForUnknownId", "true")
        self.assertEqual(self.successResultOf(self.authorizer.authorize(1, "NEW"))[0],
                         AuthorizationStatus.ACCEPTED)

    def test_local_list_conflict_reported(self):
        self.parts.config.set("LocalAuthListEnabled", "true")
        LocalListStore(self.parts.store).replace(1, [("TAG-1", "Accepted", None, None)])
        self.authorizer.update("TAG-1", IdTagInfo(status=AuthorizationStatus.BLOCKED))
        self.assertEqual(self.errors, [(0, ChargePointErrorCode.LOCAL_LIST_CONFLICT)])


class TransactionQueueTests(SynchronousTestCase):
    def setUp(self):
        self.parts = parts = Parts(self)
        self.queue = TransactionQueue(
            parts.store, parts.config, parts.clock, send=parts.send, online=lambda: parts.online
        )
        self.addCleanup(self.queue.stop)
        self.heard = []
        self.queue.stop_sent = lambda connector: self.heard.append(("stop sent", connector))
        self.queue.id_tag_info = lambda id_tag, info: self.heard.append(("info", id_tag))
        self.queue.deauthorized = lambda local_id, status: self.heard.append(("refused", status))

    def start(self):
        return self.parts.store.start_transaction(
            1, "TAG-1", 0, "2026-01-01T00:00:00Z", None,
            {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0,
             "timestamp": "2026-01-01T00:00:00Z"},
        )

    def test_start_sent_and_its_id_kept(self):
        local_id = self.start()
        self.queue.pump()
        self.assertEqual([r.action for r in self.parts.sent], ["StartTransaction"])
        self.assertEqual(self.parts.store.transaction(local_id).transaction_id, 7)
        self.assertEqual(self.parts.store.queue_length(), 0)
        self.assertEqual(self.heard, [("info", "TAG-1")])

    def test_refused_id_tag_told(self):
        self.parts.id_tag_status = AuthorizationStatus.BLOCKED
        self.start()
        self.queue.pump()
        self.assertEqual(self.heard, [("info", "TAG-1"), ("refused", AuthorizationStatus.BLOCKED)])

    def test_nothing_sent_offline(self):
        self.parts.online = False
        self.start()
        self.queue.pump()
        self.assertEqual(self.parts.sent, [])
        self.assertEqual(self.parts.store.queue_length(), 1)

    def test_failure_retried_after_the_interval(self):
        self.parts.config.set("TransactionMessageRetryInterval", "10")
        self.parts.failing.add("StartTransaction")
        self.start()
        self.queue.pump()
        self.assertEqual(len(self.parts.sent), 1)
        self.parts.failing.clear()
        self.parts.clock.advance(9)
        self.assertEqual(len(self.parts.sent), 1)
        self.parts.clock.advance(1)
        self.assertEqual(len(self.parts.sent), 2)
        self.assertEqual(self.parts.store.queue_length(), 0)


class MeteringTests(SynchronousTestCase):
    def setUp(self):
        self.parts = parts = Parts(self)
        self.queue = TransactionQueue(
            parts.store, parts.config, parts.clock, send=parts.send, online=lambda: parts.online
        )
        self.addCleanup(self.queue.stop)
        self.readings = []

        def read_meter(connector, measurand, phase, context):
            self.readings.append((connector, measurand.value, context.value))
            return succeed(1234)

        self.metering = Metering(
            parts.connectors, parts.store, parts.config, parts.clock, now=lambda: NOW,
            read_meter=read_meter, queue=self.queue, send=parts.send, running=lambda: True,
        )
        self.addCleanup(self.metering.stop)

    def test_energy_read_from_the_meter(self):
        from openocpp.messages.enums import ReadingContext

        energy = self.successResultOf(self.metering.energy(1, ReadingContext.TRANSACTION_BEGIN))
        self.assertEqual(energy, 1234)
        self.assertEqual(
            self.readings, [(1, "Energy.Active.Import.Register", "Transaction.Begin")]
        )

    def test_sampled_values_queued_during_a_transaction(self):
        self.parts.config.set("MeterValueSampleInterval", "60")
        local_id = self.parts.store.start_transaction(
            1, "TAG-1", 0, "2026-01-01T00:00:00Z", None, {}
        )
        self.parts.online = False
        self.metering.start_sampling(local_id, 1)
        self.parts.clock.advance(60)
        queued = [m.action for m in self.parts.store.queued()]
        self.assertEqual(queued, ["StartTransaction", "MeterValues"])

    def test_sample_interval_observed(self):
        """
        Metering owns MeterValueSampleInterval: announced, running
        transactions sample at the new interval.
        """
        local_id = self.parts.store.start_transaction(
            1, "TAG-1", 0, "2026-01-01T00:00:00Z", None, {}
        )
        self.parts.online = False
        self.parts.config.set("MeterValueSampleInterval", "0")
        self.metering.start_sampling(local_id, 1)
        self.assertEqual(self.parts.clock.getDelayedCalls(), [])
        self.parts.config.set("MeterValueSampleInterval", "30")
        self.parts.config.announce("MeterValueSampleInterval", "30")
        self.assertEqual(len(self.parts.clock.getDelayedCalls()), 1)


class CentralSystemRequestsTests(SynchronousTestCase):
    """
    The request handlers built with fakes of their peers: they answer, and
    carry accepted requests out through the operations they were given.
    """

    def setUp(self):
        from openocpp.chargepoint.handlers import CentralSystemRequests
        from openocpp.messages.enums import RegistrationStatus

        self.parts = parts = Parts(self)
        self.done = []
        self.later = []
        self.registration = RegistrationStatus.ACCEPTED

        def operation(name):
            return lambda *args: self.done.append((name,) + args)

        self.requests = CentralSystemRequests(
            parts.connectors, parts.config, parts.clock,
            hook=lambda name, **kwargs: succeed(None),
            call_later=lambda delay, function, *args: self.later.append((function, args)),
            send=parts.send,
            registration=lambda: self.registration,
            queue=None, authorizer=None, status=None, metering=None,
            operations={name: operation(name) for name in (
                "change_availability", "configuration_problem", "configuration_changed",
                "remote_start", "stop_by_charge_point", "perform_reset", "boot", "heartbeat")},
        )
        self.handlers = self.requests.handlers()

    def run_later(self):
        later, self.later = self.later, []
        for function, args in later:
            function(*args)

    def test_change_configuration_applied_after_the_answer(self):
        from openocpp.messages import ChangeConfigurationRequest

        answer = self.successResultOf(self.handlers["ChangeConfiguration"](
            ChangeConfigurationRequest(key="heartbeatinterval", value="60")))
        self.assertEqual(answer.status, "Accepted")
        self.assertEqual(self.parts.config.integer("HeartbeatInterval"), 60)
        self.assertEqual([name for name, *_ in self.done], ["configuration_problem"])
        self.run_later()
        self.assertEqual(self.done[-1], ("configuration_changed", "HeartbeatInterval", "60"))

    def test_remote_stop_of_unknown_transaction_rejected(self):
        answer = self.successResultOf(self.handlers["RemoteStopTransaction"](
            RemoteStopTransactionRequest(transaction_id=5)))
        self.assertEqual(answer.status, "Rejected")
        self.assertEqual(self.later, [])

    def test_trigger_heartbeat_sent_after_the_answer(self):
        answer = self.handlers["TriggerMessage"](TriggerMessageRequest(requested_message="Heartbeat"))
        self.assertEqual(answer.status, "Accepted")
        self.run_later()
        self.assertEqual(self.done, [("heartbeat", True)])

    def test_nothing_answered_once_rejected(self):
        from openocpp.messages.enums import RegistrationStatus

        self.registration = RegistrationStatus.REJECTED
        answer = self.handlers["RemoteStopTransaction"](RemoteStopTransactionRequest(transaction_id=5))
        self.assertNoResult(answer)


class AvailabilityTests(SynchronousTestCase):
    def setUp(self):
        from openocpp.chargepoint.availability import Availability

        self.parts = parts = Parts(self)
        self.statuses = []

        class Statuses:
            def set(inner, connector, status):
                self.statuses.append((connector, status))
                parts.connectors.set_status(connector, (status.value, "NoError", None, None, None), 0.0)

        self.availability = Availability(parts.connectors, Statuses(), notify=parts.notify)

    def test_free_connector_unavailable_at_once(self):
        from openocpp.messages.enums import AvailabilityStatus, AvailabilityType

        status = self.availability.change(1, AvailabilityType.INOPERATIVE)
        self.assertEqual(status, AvailabilityStatus.ACCEPTED)
        self.assertEqual(self.statuses, [(1, ChargePointStatus.UNAVAILABLE)])
        self.assertEqual(self.parts.notified, [
            ("openocpp_cp_availability_changed", {"connector": 1, "operative": False})])

    def test_busy_connector_scheduled_until_its_transaction_ends(self):
        from openocpp.messages.enums import AvailabilityStatus, AvailabilityType

        local_id = self.parts.store.start_transaction(1, "TAG", 0, "2026-01-01T00:00:00Z", None, {})
        status = self.availability.change(1, AvailabilityType.INOPERATIVE)
        self.assertEqual(status, AvailabilityStatus.SCHEDULED)
        self.assertEqual(self.statuses, [])
        self.parts.store.stop_transaction(local_id, "2026-01-01T01:00:00Z", None, {})
        self.availability.apply_scheduled(1)
        self.assertEqual(self.statuses, [(1, ChargePointStatus.UNAVAILABLE)])
        self.assertFalse(self.parts.connectors.operative(1))


class TransactionsTests(SynchronousTestCase):
    def setUp(self):
        from openocpp.chargepoint.transactions import Transactions

        self.parts = parts = Parts(self)
        self.parts.online = False
        self.queue = TransactionQueue(
            parts.store, parts.config, parts.clock, send=parts.send, online=lambda: parts.online
        )
        self.addCleanup(self.queue.stop)
        self.metering = Metering(
            parts.connectors, parts.store, parts.config, parts.clock, now=lambda: NOW,
            read_meter=lambda **kwargs: succeed(1000 + 500 * len(self.parts.store.transactions())),
            queue=self.queue, send=parts.send, running=lambda: True,
        )
        self.addCleanup(self.metering.stop)
        self.scheduled = []
        self.hooks = []
        self.transactions = Transactions(
            parts.connectors, parts.store, parts.config, parts.clock, now=lambda: NOW,
            metering=self.metering, queue=self.queue,
            authorize=lambda connector, id_tag: succeed((AuthorizationStatus.ACCEPTED, None)),
            hook=lambda name, **kwargs: self.hooks.append((name, kwargs)) or succeed(None),
            notify=parts.notify, online=lambda: parts.online, running=lambda: True,
            apply_scheduled=self.scheduled.append,
        )

    def test_offline_start_and_stop_queued_in_order(self):
        status = self.successResultOf(self.transactions.start_transaction(1, "TAG-1"))
        self.assertEqual(status, AuthorizationStatus.ACCEPTED)
        self.assertIsNotNone(self.parts.connectors.transaction(1))
        self.assertTrue(self.successResultOf(self.transactions.stop_transaction(1, "TAG-1")))
        self.assertIsNone(self.parts.connectors.transaction(1))
        self.assertEqual([m.action for m in self.parts.store.queued()],
                         ["StartTransaction", "StopTransaction"])
        self.assertEqual(self.scheduled, [1])

    def test_second_start_on_a_busy_connector_refused(self):
        from openocpp.chargepoint.errors import TransactionError

        self.successResultOf(self.transactions.start_transaction(1, "TAG-1"))
        self.failureResultOf(self.transactions.start_transaction(1, "TAG-2"), TransactionError)

    def test_refused_id_tag_stops_when_configured(self):
        from openocpp.messages.enums import Reason

        self.successResultOf(self.transactions.start_transaction(1, "TAG-1"))
        record = self.parts.connectors.transaction(1)
        self.parts.config.set("StopTransactionOnInvalidId", "true")
        self.transactions.deauthorized(record.local_id, AuthorizationStatus.BLOCKED)
        self.assertIsNone(self.parts.connectors.transaction(1))
        self.assertEqual(self.parts.notified, [
            ("openocpp_cp_stop_charging", {"connector": 1, "reason": Reason.DE_AUTHORIZED})])

    def test_remote_start_asks_the_site_to_charge(self):
        self.successResultOf(self.transactions.remote_start(2, "TAG-9", None))
        self.assertEqual(self.hooks, [("openocpp_cp_start_charging",
                                       {"connector": 2, "id_tag": "TAG-9", "charging_profile": None})])


class HeartbeatTests(SynchronousTestCase):
    def setUp(self):
        from openocpp.chargepoint.heartbeat import Heartbeat
        from openocpp.messages import HeartbeatResponse

        self.parts = parts = Parts(self)
        parts.answer = lambda request: HeartbeatResponse(current_time=NOW)
        self.times = []
        self.heartbeat = Heartbeat(parts.config, parts.clock, send=parts.send,
                                   online=lambda: parts.online, set_time=self.times.append)
        self.addCleanup(self.heartbeat.stop)

    def test_sent_after_an_interval_without_traffic(self):
        self.parts.config.set("HeartbeatInterval", "60")
        self.heartbeat.schedule()
        self.parts.clock.advance(30)
        self.heartbeat.activity()
        self.parts.clock.advance(30)
        self.assertEqual(self.parts.sent, [])
        self.parts.clock.advance(30)
        self.assertEqual([r.action for r in self.parts.sent], ["Heartbeat"])
        self.assertEqual(self.times, [NOW])

    def test_interval_observed(self):
        self.parts.config.set("HeartbeatInterval", "0")
        self.heartbeat.schedule()
        self.assertEqual(self.parts.clock.getDelayedCalls(), [])
        self.parts.config.set("HeartbeatInterval", "10")
        self.parts.config.announce("HeartbeatInterval", "10")
        self.parts.clock.advance(10)
        self.assertEqual([r.action for r in self.parts.sent], ["Heartbeat"])

    def test_none_offline(self):
        self.parts.online = False
        self.parts.config.set("HeartbeatInterval", "10")
        self.heartbeat.schedule()
        self.assertEqual(self.parts.clock.getDelayedCalls(), [])


class TimeKeeperTests(SynchronousTestCase):
    def test_follows_the_central_system_unless_a_plugin_sets_the_clock(self):
        from datetime import timedelta

        from openocpp.chargepoint.timekeeping import TimeKeeper

        clock = Clock()
        clock.advance(100)
        handled = []
        keeper = TimeKeeper(clock, hook=lambda name, **kwargs: succeed(bool(handled)))
        keeper.set(NOW)
        self.assertEqual(keeper.now(), NOW)
        clock.advance(5)
        self.assertEqual(keeper.now(), NOW + timedelta(seconds=5))
        handled.append(True)
        keeper.set(NOW + timedelta(days=1))
        self.assertEqual(keeper.now(), NOW + timedelta(seconds=5))

    def test_unusable_time_ignored(self):
        from datetime import datetime as dt

        from openocpp.chargepoint.timekeeping import TimeKeeper

        clock = Clock()
        keeper = TimeKeeper(clock, hook=lambda name, **kwargs: succeed(None))
        keeper.set(dt(9999, 1, 1, tzinfo=timezone.utc))
        self.assertEqual(keeper.now().year, 1970)


class RegistrationTests(SynchronousTestCase):
    def setUp(self):
        from openocpp.chargepoint.config import ChargePointConfig
        from openocpp.chargepoint.registration import Registration

        self.parts = parts = Parts(self)
        self.answers = []
        self.events = []

        def call(request):
            self.parts.sent.append(request)
            return succeed(self.answers.pop(0))

        self.registration = Registration(
            ChargePointConfig(database=":memory:", boot_retry_interval=15), parts.config,
            parts.clock, call=call, connected=lambda: True, running=lambda: True,
            set_time=lambda time: self.events.append("time"),
            status_set=lambda: self.events.append("status"), notify=parts.notify,
            accepted=lambda: self.events.append("accepted"),
        )
        self.addCleanup(self.registration.stop)

    def answer(self, status, interval):
        from openocpp.messages import BootNotificationResponse

        self.answers.append(BootNotificationResponse(status=status, current_time=NOW,
                                                     interval=interval))

    def test_pending_retried_at_its_interval_then_accepted(self):
        from openocpp.messages.enums import RegistrationStatus

        self.answer(RegistrationStatus.PENDING, 30)
        self.answer(RegistrationStatus.ACCEPTED, 120)
        self.registration.boot()
        self.assertEqual(self.registration.status, RegistrationStatus.PENDING)
        self.assertTrue(self.registration.waiting())
        self.parts.clock.advance(30)
        self.assertEqual(self.registration.status, RegistrationStatus.ACCEPTED)
        self.assertEqual(self.parts.config.integer("HeartbeatInterval"), 120)
        self.assertEqual(self.events, ["status", "time", "status", "time", "accepted"])
        self.assertEqual([name for name, _ in self.parts.notified],
                         ["openocpp_cp_registration_changed"] * 2)
        self.assertEqual(len(self.parts.sent), 2)
