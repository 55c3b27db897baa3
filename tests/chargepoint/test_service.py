"""
Tests for the charge point role (L{openocpp.chargepoint.service.ChargePoint})
against a scripted central system over an in-memory connection, on a
L{task.Clock}: registration, heartbeats, statuses, authorization.

Every frame the charge point sends is checked against the official schemas
(see L{tests.chargepoint.fake_centralsystem}).
"""

from datetime import timedelta

from twisted.internet.defer import Deferred
from zope.interface.verify import verifyObject

from openocpp.chargepoint.errors import NotAccepted, NotConnected
from openocpp.chargepoint.interfaces import IChargePoint
from openocpp.chargepoint.locallist import LocalListStore
from openocpp.hookspecs import hookimpl
from openocpp.messages import (
    AuthorizeResponse,
    BootNotificationResponse,
    ClearCacheRequest,
    DataTransferRequest,
    DataTransferResponse,
    GetConfigurationRequest,
    HeartbeatRequest,
    IdTagInfo,
    RemoteStartTransactionRequest,
    ReserveNowRequest,
    ResetRequest,
    TriggerMessageRequest,
)
from openocpp.messages.enums import (
    AuthorizationStatus,
    AvailabilityType,
    ChargePointErrorCode,
    ChargePointStatus,
    ClearCacheStatus,
    DataTransferStatus,
    MessageTrigger,
    RegistrationStatus,
    RemoteStartStopStatus,
    ReservationStatus,
    ResetType,
    TriggerMessageStatus,
)
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError, CallTimeout
from openocpp.transport.interfaces import IConnectionHandler
from tests.chargepoint.fake_centralsystem import (
    BASE_TIME,
    ChargePointTestCase,
    ScriptedCentralSystem,
    assert_no_timers,
    make_charge_point,
    queued_transaction_messages,
)


def boot_answer(cs, status, interval=300):
    return lambda request: BootNotificationResponse(
        status=status, current_time=cs.now(), interval=interval
    )


class RecordingPlugin:
    """
    Records the notification hooks it hears.
    """

    def __init__(self):
        self.events = []

    @hookimpl
    def openocpp_cp_connection_changed(self, charge_point, connected):
        self.events.append(("connection", connected))

    @hookimpl
    def openocpp_cp_registration_changed(self, charge_point, status):
        self.events.append(("registration", status))


class RegistrationTests(ChargePointTestCase):
    """
    BootNotification comes first; Pending and Rejected are retried at the
    interval given; nothing else goes out before Accepted.
    """

    def make_plugins(self):
        self.recorder = RecordingPlugin()
        return [self.recorder]

    def test_interface(self):
        verifyObject(IChargePoint, self.cp)
        verifyObject(IConnectionHandler, self.cp.handler_factory(None))

    def test_boot_accepted(self):
        """
        The first message is a BootNotification with the configured boot
        information; once Accepted, every connector's status follows, the
        heartbeat interval and the central system's time are taken.
        """
        self.start()
        self.assertEqual(
            self.cs.actions(),
            ["BootNotification", "StatusNotification", "StatusNotification", "StatusNotification"],
        )
        boot = self.cs.requests("BootNotification")[0]
        self.assertEqual(boot.charge_point_vendor, "openocpp")
        self.assertEqual(boot.charge_point_model, "Simulator")
        self.assertEqual(
            [r.connector_id for r in self.cs.requests("StatusNotification")], [0, 1, 2]
        )
        self.assertEqual(self.successResultOf(self.cp.registration_status()), RegistrationStatus.ACCEPTED)
        self.assertEqual(self.cp.ocpp_config.integer("HeartbeatInterval"), 300)
        self.assertEqual(self.cp.now(), BASE_TIME)
        self.assertEqual(
            self.recorder.events,
            [("connection", True), ("registration", RegistrationStatus.ACCEPTED)],
        )

    def test_boot_information(self):
        self.cp.config.charge_point_serial_number = "SN-1"
        self.cp.config.firmware_version = "1.2.3"
        self.cp.config.iccid = "8931"
        self.cp.config.meter_type = "sim"
        self.start()
        boot = self.cs.requests("BootNotification")[0]
        self.assertEqual(
            (boot.charge_point_serial_number, boot.firmware_version, boot.iccid, boot.meter_type),
            ("SN-1", "1.2.3", "8931", "sim"),
        )

    def test_nothing_before_boot(self):
        """
        Requests before the boot is accepted fail with L{NotAccepted} (and
        L{NotConnected} when offline); statuses set meanwhile are reported
        after the boot.
        """
        self.failureResultOf(self.cp.data_transfer("org.example"), NotConnected)
        self.cs.answers["BootNotification"] = lambda request: Deferred()
        self.start()
        self.failureResultOf(self.cp.data_transfer("org.example"), NotAccepted)
        self.successResultOf(
            self.cp.status_notification(1, ChargePointStatus.FAULTED, ChargePointErrorCode.GROUND_FAILURE)
        )
        self.cs.advance(10)
        self.assertEqual(self.cs.actions(), ["BootNotification"])

    def test_pending_retried(self):
        """
        Pending: the boot is sent again after the interval, and nothing else
        is sent meanwhile.
        """
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.PENDING, 30)
        self.start()
        self.assertEqual(self.cp._registration, RegistrationStatus.PENDING)
        self.cs.advance(29)
        self.assertEqual(self.cs.actions(), ["BootNotification"])
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.ACCEPTED)
        self.cs.advance(1)
        self.assertEqual(self.cs.actions()[:2], ["BootNotification", "BootNotification"])
        self.assertEqual(self.cp._registration, RegistrationStatus.ACCEPTED)
        self.assertEqual(self.cs.actions()[2:], ["StatusNotification"] * 3)

    def test_pending_answers_requests(self):
        """
        While Pending the charge point answers the central system, except
        RemoteStartTransaction (rejected), and sends what a TriggerMessage
        asks for.
        """
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.PENDING, 60)
        self.start()
        answer = self.successResultOf(self.cs.call(GetConfigurationRequest(key=["HeartbeatInterval"])))
        self.assertEqual(answer.configuration_key[0].value, "300")
        answer = self.successResultOf(self.cs.call(RemoteStartTransactionRequest(id_tag="T", connector_id=1)))
        self.assertEqual(answer.status, RemoteStartStopStatus.REJECTED)
        answer = self.successResultOf(self.cs.call(TriggerMessageRequest(
            requested_message=MessageTrigger.STATUS_NOTIFICATION, connector_id=1)))
        self.assertEqual(answer.status, TriggerMessageStatus.ACCEPTED)
        self.cs.settle()
        self.assertEqual(self.cs.actions(), ["BootNotification", "StatusNotification"])
        answer = self.successResultOf(self.cs.call(TriggerMessageRequest(
            requested_message=MessageTrigger.BOOT_NOTIFICATION)))
        self.assertEqual(answer.status, TriggerMessageStatus.ACCEPTED)
        self.cs.settle()
        self.assertEqual(self.cs.actions()[-1], "BootNotification")

    def test_trigger_before_boot_answered(self):
        """
        Before the BootNotification.conf nothing but the boot may be sent
        (section 4.2), triggered or not: a TriggerMessage is rejected then.
        """
        self.cs.answers["BootNotification"] = lambda request: Deferred()
        self.start()
        for message in (MessageTrigger.HEARTBEAT, MessageTrigger.STATUS_NOTIFICATION):
            answer = self.successResultOf(self.cs.call(TriggerMessageRequest(requested_message=message)))
            self.assertEqual(answer.status, TriggerMessageStatus.REJECTED)
        self.cs.settle()
        self.failureResultOf(self.cp._send(HeartbeatRequest(), triggered=True), NotAccepted)
        self.assertEqual(self.cs.actions(), ["BootNotification"])

    def test_rejected(self):
        """
        Rejected: no request of the central system is answered, nothing is
        sent until the interval has passed; then the boot is sent again.
        """
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.REJECTED, 120)
        self.start()
        self.cp.status_notification(1, ChargePointStatus.FAULTED, ChargePointErrorCode.OVER_VOLTAGE)
        answer = self.cs.call(GetConfigurationRequest())
        self.cs.advance(119, step=10)
        self.failureResultOf(answer, CallTimeout)
        self.assertEqual([frame[0] for frame in self.cs.frames], [2])
        self.assertEqual(self.cs.actions(), ["BootNotification"])
        self.assertEqual(self.recorder.events[-1], ("registration", RegistrationStatus.REJECTED))
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.ACCEPTED)
        self.cs.advance(1)
        self.assertEqual(self.cs.actions()[:2], ["BootNotification"] * 2)
        self.assertEqual(
            [(r.connector_id, r.status) for r in self.cs.requests("StatusNotification")],
            [(0, "Available"), (1, "Faulted"), (2, "Available")],
        )

    def test_rejected_requests_not_answered(self):
        """
        While Rejected no request is answered (section 4.2), not even one
        answered at once otherwise; once accepted, it is answered (this
        ReserveNow Rejected: its expiryDate has passed).
        """
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.REJECTED, 120)
        self.start()
        request = ReserveNowRequest(
            connector_id=1, expiry_date=BASE_TIME, id_tag="T", reservation_id=1
        )
        answer = self.cs.call(request)
        self.cs.advance(119, step=10)
        self.failureResultOf(answer, CallTimeout)
        self.assertEqual([frame[0] for frame in self.cs.frames], [2])
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.ACCEPTED)
        self.cs.advance(1)
        answer = self.successResultOf(self.cs.call(request))
        self.assertEqual(answer.status, ReservationStatus.REJECTED)

    #: Raw CALLs of the central system: an unknown action, a Heartbeat (an
    #: action the charge point sends, not receives), a request breaking its
    #: schema, a CALL short of its payload, a payload integer too long to
    #: read, and a well-formed supported request.
    RAW_CALLS = [
        '[2,"r1","NoSuchAction",{}]',
        '[2,"r2","Heartbeat",{}]',
        '[2,"r3","Reset",{"type":"Sideways"}]',
        '[2,"r4","Reset"]',
        '[2,"r5","ChangeConfiguration",{"key":"K","value":%s}]' % ("9" * 5000),
        '[2,"r6","GetConfiguration",{}]',
    ]
    RAW_ANSWERS = [
        "NotImplemented", "NotSupported", "PropertyConstraintViolation",
        "FormationViolation", "TypeConstraintViolation", None,
    ]

    def raw_answers(self, calls=RAW_CALLS):
        """
        Send raw CALLs (L{RAW_CALLS}) to the charge point.

        @return: the (message type, unique id, error code or None) of each
            frame it sent in answer.
        """
        before = len(self.cs.frames)
        for text in calls:
            try:
                self.cs.note_cs_frame(text)  # for the oracle to check the answer
            except ValueError:
                pass
            self.cs.link.handler.text_received(text)
            self.cs.settle()
        return [
            (frame[0], frame[1], frame[2] if frame[0] == 4 else None)
            for frame in self.cs.frames[before:]
        ]

    def test_rejected_answers_no_call(self):
        """
        While Rejected the charge point answers no central system initiated
        message at all (section 4.2): not an unknown action, not a Heartbeat
        CALL, not a malformed request, not an overlong id. Once accepted it
        answers each again.
        """
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.REJECTED, 120)
        self.start()
        overlong = '[2,"%s","Reset",{"type":"Soft"}]' % ("r" * 37)
        self.assertEqual(self.raw_answers(self.RAW_CALLS + [overlong]), [])
        self.assertEqual(self.cs.actions(), ["BootNotification"])
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.ACCEPTED)
        self.cs.advance(120)
        self.assertEqual(self.cp._registration, RegistrationStatus.ACCEPTED)
        self.assertEqual([answer[2] for answer in self.raw_answers()], self.RAW_ANSWERS)

    def test_rejected_on_a_new_connection(self):
        """
        A connection opened while Rejected answers nothing either.
        """
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.REJECTED, 120)
        self.start()
        self.cs.disconnect()
        self.cs.connect(self.cp)
        self.assertEqual(self.raw_answers(), [])

    def test_pending_answers_every_call(self):
        """
        While Pending the central system "MAY send request messages" and the
        charge point "SHOULD respond" (section 4.2): every CALL is answered,
        the unknown and malformed ones with their CALLERROR.
        """
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.PENDING, 60)
        self.start()
        self.assertEqual([answer[2] for answer in self.raw_answers()], self.RAW_ANSWERS)

    def test_rejected_while_answering(self):
        """
        An answer still being worked out when a new boot is answered
        Rejected is not sent.
        """
        waiting = Deferred()

        class SlowDataTransfer:
            @hookimpl
            def openocpp_cp_data_transfer(self, charge_point, vendor_id, message_id, data):
                return waiting

        self.cp.plugins.register(SlowDataTransfer())
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.PENDING, 60)
        self.start()
        answer = self.cs.call(DataTransferRequest(vendor_id="org.example"))
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.REJECTED, 600)
        self.cs.advance(60)
        self.assertEqual(self.cp._registration, RegistrationStatus.REJECTED)
        waiting.callback(DataTransferStatus.ACCEPTED)
        self.cs.settle()
        self.assertEqual([frame[0] for frame in self.cs.frames], [2, 2])
        self.failureResultOf(answer, CallTimeout)

    def test_zero_interval(self):
        """
        An interval of 0 leaves the wait to the charge point: the
        configured boot retry interval.
        """
        self.cp.config.boot_retry_interval = 45
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.PENDING, 0)
        self.start()
        self.cs.advance(44)
        self.assertEqual(self.cs.actions(), ["BootNotification"])
        self.cs.advance(1)
        self.assertEqual(self.cs.actions(), ["BootNotification"] * 2)

    def test_huge_interval(self):
        """
        An interval too large for any timer is taken as the largest one
        (2^31 - 1 seconds): no crash, and the boot is retried then.
        """
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.PENDING, 10**400)
        self.start()
        self.assertEqual(self.cp._registrar._timer.getTime(), 2**31 - 1)
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.ACCEPTED, 10**400)
        self.cp._registrar.boot()
        self.cs.settle()
        self.assertEqual(self.cp._registration, RegistrationStatus.ACCEPTED)
        self.assertEqual(self.cp.ocpp_config.integer("HeartbeatInterval"), 2**31 - 1)

    def test_boot_failure_retried(self):
        """
        A boot answered with a CALLERROR, or not answered in time, is
        retried.
        """
        def refuse(request):
            raise CallError(ErrorCode.INTERNAL_ERROR, "busy")

        self.cp.config.boot_retry_interval = 20
        self.cs.answers["BootNotification"] = refuse
        self.start()
        self.cs.answers["BootNotification"] = lambda request: Deferred()
        self.cs.advance(20)
        self.assertEqual(self.cs.actions(), ["BootNotification"] * 2)
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.ACCEPTED)
        self.cs.advance(30 + 20)  # the call times out, then the retry
        self.assertEqual(self.cp._registration, RegistrationStatus.ACCEPTED)

    def test_reconnect_without_boot(self):
        """
        Once accepted, a new connection needs no new boot; statuses changed
        while offline are reported.
        """
        self.start()
        self.cs.disconnect()
        self.assertEqual(self.recorder.events[-1], ("connection", False))
        self.cp.status_notification(2, ChargePointStatus.FAULTED, ChargePointErrorCode.HIGH_TEMPERATURE)
        self.cs.clear()
        self.cs.connect(self.cp)
        self.assertEqual(self.cs.actions(), ["StatusNotification"])
        request = self.cs.requests("StatusNotification")[0]
        self.assertEqual((request.connector_id, request.status, request.error_code),
                         (2, "Faulted", "HighTemperature"))

    def test_reconnect_statuses_in_order(self):
        """
        Statuses that changed while offline are reported in the order they
        changed (section 4.9), not by connector.
        """
        self.start()
        self.cs.disconnect()
        self.cp.status_notification(2, ChargePointStatus.FAULTED, ChargePointErrorCode.HIGH_TEMPERATURE)
        self.clock.advance(5)
        self.cp.status_notification(1, ChargePointStatus.PREPARING)
        self.clock.advance(5)
        self.cp.status_notification(0, ChargePointStatus.UNAVAILABLE)
        self.cs.clear()
        self.cs.connect(self.cp)
        self.assertEqual(
            [(r.connector_id, r.status) for r in self.cs.requests("StatusNotification")],
            [(2, "Faulted"), (1, "Preparing"), (0, "Unavailable")],
        )

    def test_replaced_connection_lost_late(self):
        """
        A status in flight on a connection that a new one replaced is
        reported on the new connection once the old one is reported lost.
        """
        self.start()
        self.cs.answers["StatusNotification"] = lambda request: Deferred()
        old = self.cs.link
        old.cp_end.close = lambda code=1000, reason="": None  # slow to close
        self.cp.status_notification(1, ChargePointStatus.PREPARING)
        self.cs.settle()
        cs = ScriptedCentralSystem(self, self.clock)
        cs.connect(self.cp)
        old.close()
        cs.settle()
        self.assertEqual(
            [(r.connector_id, r.status) for r in cs.requests("StatusNotification")], [(1, "Preparing")]
        )

    def test_boot_on_replacing_connection(self):
        """
        A BootNotification in flight on a connection that a new one
        replaced is sent again on the new connection once the old one is
        reported lost.
        """
        self.cs.answers["BootNotification"] = lambda request: Deferred()
        self.start()
        old = self.cs.link
        old.cp_end.close = lambda code=1000, reason="": None  # slow to close
        cs = ScriptedCentralSystem(self, self.clock)
        cs.connect(self.cp)
        old.close()
        cs.settle()
        self.assertEqual(cs.actions()[0], "BootNotification")
        self.assertEqual(self.cp._registration, RegistrationStatus.ACCEPTED)

    def test_restart_boots_again(self):
        self.start()
        self.cs.clear()
        self.cp.restart()
        self.cs.connect(self.cp)
        self.assertEqual(self.cs.actions()[0], "BootNotification")


class StopTests(ChargePointTestCase):
    """
    stopService leaves no timer behind, and nothing is sent or done once
    the charge point is stopped, even while its connection is still closing.
    """

    def assertNoTimers(self):
        self.assertEqual(
            [(call.func, call.getTime()) for call in self.clock.getDelayedCalls()], []
        )

    def test_timers_cancelled(self):
        config = self.cp.ocpp_config
        config.set("ClockAlignedDataInterval", "900")
        config.set("MinimumStatusDuration", "10")
        config.set("ConnectionTimeOut", "30")
        self.boot_and_clear()
        self.cp.status_notification(2, "Preparing")
        self.cp.start_transaction(1, "A")
        self.cs.answers["StopTransaction"] = lambda request: Deferred()
        self.cp.stop_transaction(1)
        self.cs.call(TriggerMessageRequest(requested_message=MessageTrigger.HEARTBEAT))
        self.cs.flush()
        self.cp.stopService()
        self.assertNoTimers()

    def test_boot_retry_cancelled(self):
        self.cs.answers["BootNotification"] = boot_answer(self.cs, RegistrationStatus.PENDING, 60)
        self.start()
        self.cp.stopService()
        self.assertNoTimers()

    def test_nothing_sent_once_stopped(self):
        self.boot_and_clear()
        self.cs.link.cp_end.close = lambda code=1000, reason="": None  # still closing
        self.cp.stopService()
        self.cp.status_notification(1, "Preparing")
        self.failureResultOf(self.cp.data_transfer("org.example"), NotConnected)
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.cs.actions(), [])
        self.assertEqual(self.cp.store.queue_length(), 1)
        self.assertNoTimers()

    def test_boot_answered_once_stopped(self):
        """
        A BootNotification.conf (or its failure) arriving while the
        connection of a stopped charge point is still closing schedules no
        retry.
        """
        answers = []
        self.cs.answers["BootNotification"] = lambda request: answers.append(Deferred()) or answers[-1]
        self.start()
        self.cs.link.cp_end.close = lambda code=1000, reason="": None  # still closing
        self.cp.stopService()
        answers[0].callback(BootNotificationResponse(
            status=RegistrationStatus.PENDING, current_time=self.cs.now(), interval=60))
        self.cs.settle()
        self.assertNoTimers()

    def test_boot_failed_once_stopped(self):
        answers = []
        self.cs.answers["BootNotification"] = lambda request: answers.append(Deferred()) or answers[-1]
        self.start()
        self.cs.link.cp_end.close = lambda code=1000, reason="": None
        self.cp.stopService()
        answers[0].errback(CallError(ErrorCode.INTERNAL_ERROR, "busy"))
        self.cs.settle()
        self.assertNoTimers()

    def test_reset_not_carried_on(self):
        """
        Stopped while a soft reset waits for its StopTransaction.conf: the
        reset is not carried on later (the service stays stopped).
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cs.settle()
        self.cs.answers["StopTransaction"] = lambda request: Deferred()
        self.cs.call(ResetRequest(type=ResetType.SOFT))
        self.cs.settle()
        self.cp.stopService()
        self.assertNoTimers()
        self.cs.advance(60)
        self.assertFalse(self.cp.running)


class TimePlugin:
    def __init__(self):
        self.times = []

    @hookimpl
    def openocpp_cp_set_time(self, charge_point, current_time):
        self.times.append(current_time)
        return True


class TimeTests(ChargePointTestCase):
    """
    The central system's time goes to the set_time hook, or sets the charge
    point's own clock offset.
    """

    def make_plugins(self):
        self.time = TimePlugin()
        return [self.time]

    def test_plugin_sets_time(self):
        self.start()
        self.assertEqual(self.time.times, [BASE_TIME])
        self.assertEqual(self.cp.now().year, 1970)

    def test_heartbeat_time(self):
        self.start()
        self.cs.advance(300, step=50)
        self.assertEqual(self.time.times[-1], BASE_TIME + timedelta(seconds=300))


class UnusableTimeTests(ChargePointTestCase):
    def test_unusable_time_ignored(self):
        """
        A central system time the charge point could not count on from
        (year 9999: a minute later is past what a date can hold) is ignored:
        transactions still start.
        """
        from datetime import datetime, timezone

        self.cs.answers["BootNotification"] = lambda request: BootNotificationResponse(
            status=RegistrationStatus.ACCEPTED,
            current_time=datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc),
            interval=300,
        )
        self.boot_and_clear()
        self.cs.advance(120, step=60)
        self.assertEqual(self.cp.now().year, 1970)
        started = self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.successResultOf(started), AuthorizationStatus.ACCEPTED)


class HeartbeatTests(ChargePointTestCase):
    """
    A Heartbeat.req goes out after HeartbeatInterval without exchanges.
    """

    def test_interval(self):
        self.boot_and_clear()
        self.cs.advance(299, step=50)
        self.assertEqual(self.cs.actions(), [])
        self.cs.advance(1)
        self.assertEqual(self.cs.actions(), ["Heartbeat"])
        self.cs.advance(300, step=50)
        self.assertEqual(self.cs.actions(), ["Heartbeat"] * 2)

    def test_other_messages_postpone(self):
        """
        Any exchange, either way, restarts the wait.
        """
        self.boot_and_clear()
        self.cs.advance(200, step=50)
        self.cp.data_transfer("org.example")
        self.cs.advance(200, step=50)
        self.cs.call(GetConfigurationRequest(key=["HeartbeatInterval"]))
        self.cs.advance(299, step=50)
        self.assertEqual(self.cs.actions(), ["DataTransfer"])
        self.cs.advance(1)
        self.assertEqual(self.cs.actions(), ["DataTransfer", "Heartbeat"])

    def test_interval_changed(self):
        """
        A new HeartbeatInterval applies at once, without a restart; 0 turns
        heartbeats off.
        """
        from openocpp.messages import ChangeConfigurationRequest

        self.boot_and_clear()
        self.cs.call(ChangeConfigurationRequest(key="HeartbeatInterval", value="60"))
        self.cs.clear()
        self.cs.advance(60)
        self.assertEqual(self.cs.actions(), ["Heartbeat"])
        self.cs.call(ChangeConfigurationRequest(key="HeartbeatInterval", value="0"))
        self.cs.clear()
        self.cs.advance(1000, step=100)
        self.assertEqual(self.cs.actions(), [])

    def test_not_offline(self):
        self.boot_and_clear()
        self.cs.disconnect()
        self.cs.advance(1000, step=100)
        self.assertEqual(self.cs.actions(), [])


class StatusTests(ChargePointTestCase):
    """
    Statuses are reported on change, honouring MinimumStatusDuration, and
    persisted.
    """

    def test_on_change(self):
        self.boot_and_clear()
        self.successResultOf(self.cp.status_notification(1, "Preparing"))
        self.successResultOf(self.cp.status_notification(
            1, ChargePointStatus.PREPARING))  # no change: nothing sent
        self.cs.settle()
        self.successResultOf(self.cp.status_notification(
            2, ChargePointStatus.AVAILABLE, ChargePointErrorCode.WEAK_SIGNAL, info="low signal",
            vendor_id="org.example", vendor_error="E17"))
        self.cs.settle()
        requests = self.cs.requests("StatusNotification")
        self.assertEqual([(r.connector_id, r.status) for r in requests],
                         [(1, "Preparing"), (2, "Available")])
        self.assertEqual((requests[1].info, requests[1].vendor_id, requests[1].vendor_error_code),
                         ("low signal", "org.example", "E17"))
        self.assertEqual(self.successResultOf(self.cp.connector_status(1)), ChargePointStatus.PREPARING)

    def test_connection_timeout(self):
        """
        Preparing for ConnectionTimeOut seconds without a transaction: the
        simulated charger goes back to Available; with a transaction nothing
        happens.
        """
        self.cp.ocpp_config.set("ConnectionTimeOut", "30")
        self.boot_and_clear()
        self.cp.status_notification(1, "Preparing")
        self.cs.advance(29)
        self.assertEqual(self.successResultOf(self.cp.connector_status(1)), ChargePointStatus.PREPARING)
        self.cs.advance(1)
        self.assertEqual([r.status for r in self.cs.requests("StatusNotification")], ["Preparing", "Available"])
        self.cp.status_notification(2, "Preparing")
        self.cp.start_transaction(2, "TAG")
        self.cs.advance(60, step=10)
        self.assertEqual(self.successResultOf(self.cp.connector_status(2)), ChargePointStatus.PREPARING)

    def test_connection_timeout_after_restart(self):
        """
        A connector Preparing when the process stopped still times out
        ConnectionTimeOut after it became Preparing.
        """
        path = self.mktemp()
        cp = make_charge_point(self, self.clock, database=path)
        cp.ocpp_config.set("ConnectionTimeOut", "30")
        cp.startService()
        self.cs.connect(cp)
        cp.status_notification(1, "Preparing")
        self.cs.advance(10)
        self.cs.crash()
        cs = ScriptedCentralSystem(self, self.clock)
        again = make_charge_point(self, self.clock, database=path)
        again.startService()
        self.addCleanup(again.stopService)
        cs.connect(again)
        cs.advance(19)
        self.assertEqual(self.successResultOf(again.connector_status(1)), ChargePointStatus.PREPARING)
        cs.advance(1)
        self.assertEqual(self.successResultOf(again.connector_status(1)), ChargePointStatus.AVAILABLE)

    def test_invalid(self):
        self.start()
        self.failureResultOf(self.cp.status_notification(3, "Available"), ValueError)
        self.failureResultOf(self.cp.status_notification(0, "Charging"), ValueError)
        self.failureResultOf(self.cp.status_notification(1, "Sleeping"), ValueError)
        # what no StatusNotification.req could carry (CiString255, CiString50)
        self.failureResultOf(self.cp.status_notification(
            1, "Faulted", "OtherError", vendor_id="v" * 256), ValueError)
        self.failureResultOf(self.cp.status_notification(
            1, "Faulted", "OtherError", vendor_id="org.example", vendor_error="E" * 51), ValueError)
        self.assertEqual(self.successResultOf(self.cp.connector_status(1)), ChargePointStatus.AVAILABLE)
        self.failureResultOf(self.cp.connector_status(7), ValueError)

    def test_minimum_status_duration(self):
        """
        With MinimumStatusDuration, a status is reported once it has lasted
        that long; one that did not last is never reported.
        """
        self.cp.ocpp_config.set("MinimumStatusDuration", "10")
        self.boot_and_clear()
        self.cp.status_notification(1, "Preparing")
        self.cs.advance(5)
        self.cp.status_notification(1, "Charging")
        self.cs.advance(9)
        self.assertEqual(self.cs.actions(), [])
        self.cs.advance(1)
        self.assertEqual([r.status for r in self.cs.requests("StatusNotification")], ["Charging"])
        request = self.cs.requests("StatusNotification")[0]
        self.assertEqual(request.timestamp, BASE_TIME + timedelta(seconds=5))
        # A status that comes back to the reported one before the duration
        # is not reported at all.
        self.cp.status_notification(1, "SuspendedEV")
        self.cs.advance(3)
        self.cp.status_notification(1, "Charging")
        self.cs.advance(20)
        self.assertEqual([r.status for r in self.cs.requests("StatusNotification")], ["Charging"])

    def test_persisted(self):
        """
        Statuses survive a restart: the new boot reports them.
        """
        path = self.mktemp()
        cp = make_charge_point(self, self.clock, database=path)
        cp.startService()
        self.cs.connect(cp)
        cp.status_notification(2, "Faulted", "GroundFailure", info="earth leak")
        self.cs.settle()
        # killed: dropped without stopping, its timers gone with it
        self.cs.crash()
        self.addCleanup(cp.store.close)
        cs = ScriptedCentralSystem(self, self.clock)
        again = make_charge_point(self, self.clock, database=path)
        again.startService()
        cs.connect(again)
        reports = {r.connector_id: r for r in cs.requests("StatusNotification")}
        self.assertEqual((reports[2].status, reports[2].error_code, reports[2].info),
                         ("Faulted", "GroundFailure", "earth leak"))
        again.stopService()
        cs.disconnect()
        assert_no_timers(self, self.clock)

    def test_triggered(self):
        self.boot_and_clear()
        answer = self.successResultOf(self.cs.call(TriggerMessageRequest(
            requested_message=MessageTrigger.STATUS_NOTIFICATION)))
        self.assertEqual(answer.status, TriggerMessageStatus.ACCEPTED)
        self.cs.settle()
        self.assertEqual([r.connector_id for r in self.cs.requests("StatusNotification")], [0, 1, 2])


class AuthorizationTests(ChargePointTestCase):
    """
    Authorization by the rules of section 3.5.
    """

    def answer_authorize(self, status, expiry=None, parent=None):
        self.cs.answers["Authorize"] = lambda request: AuthorizeResponse(
            id_tag_info=IdTagInfo(status=status, expiry_date=expiry, parent_id_tag=parent)
        )

    def test_online(self):
        """
        Online, an Authorize.req decides, and its answer goes to the cache.
        """
        self.boot_and_clear()
        self.answer_authorize(AuthorizationStatus.ACCEPTED, parent="PARENT")
        result = self.cp.authorize(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.successResultOf(result), (AuthorizationStatus.ACCEPTED, "PARENT"))
        self.assertEqual(self.cs.requests("Authorize")[0].id_tag, "TAG")
        self.assertEqual(self.cp.store.cache_entry("TAG")["status"], "Accepted")

    def offline(self):
        self.cs.disconnect()
        result = []
        return result

    def authorize_offline(self, id_tag):
        result = self.cp.authorize(1, id_tag)
        return self.successResultOf(result)

    def test_offline_cached(self):
        """
        Offline, a cached Accepted idTag is accepted (LocalAuthorizeOffline);
        a cached Blocked one is not; once its expiry date passed, a cached
        entry is Expired.
        """
        self.boot_and_clear()
        self.answer_authorize(AuthorizationStatus.ACCEPTED, expiry=self.cs.now() + timedelta(hours=1))
        self.cp.authorize(1, "GOOD")
        self.cs.settle()
        self.answer_authorize(AuthorizationStatus.BLOCKED)
        self.cp.authorize(1, "BAD")
        self.cs.settle()
        self.cs.disconnect()
        self.assertEqual(self.authorize_offline("GOOD"), (AuthorizationStatus.ACCEPTED, None))
        self.assertEqual(self.authorize_offline("BAD"), (AuthorizationStatus.BLOCKED, None))
        self.assertEqual(self.authorize_offline("UNKNOWN"), (AuthorizationStatus.INVALID, None))
        self.clock.advance(3600)
        self.assertEqual(self.authorize_offline("GOOD"), (AuthorizationStatus.EXPIRED, None))
        self.assertEqual(self.cp.store.cache_entry("GOOD")["status"], "Expired")

    def test_local_authorize_offline_off(self):
        self.cp.ocpp_config.set("LocalAuthorizeOffline", "false")
        self.boot_and_clear()
        self.cp.authorize(1, "GOOD")
        self.cs.settle()
        self.cs.disconnect()
        self.assertEqual(self.authorize_offline("GOOD"), (AuthorizationStatus.INVALID, None))

    def test_unknown_offline(self):
        """
        AllowOfflineTxForUnknownId accepts unknown idTags offline, never
        those known as not valid.
        """
        self.cp.ocpp_config.set("AllowOfflineTxForUnknownId", "true")
        self.boot_and_clear()
        self.answer_authorize(AuthorizationStatus.INVALID)
        self.cp.authorize(1, "BAD")
        self.cs.settle()
        self.cs.disconnect()
        self.assertEqual(self.authorize_offline("NEW"), (AuthorizationStatus.ACCEPTED, None))
        self.assertEqual(self.authorize_offline("BAD"), (AuthorizationStatus.INVALID, None))

    def test_unknown_offline_without_local_authorize_offline(self):
        """
        With LocalAuthorizeOffline false the cache does not authorize
        offline: a cached valid idTag is then as good as an unknown one
        (AllowOfflineTxForUnknownId), never worse; a cached not-valid one
        is still refused (section 3.5.4), with its own status.
        """
        self.cp.ocpp_config.set("LocalAuthorizeOffline", "false")
        self.cp.ocpp_config.set("AllowOfflineTxForUnknownId", "true")
        self.boot_and_clear()
        self.cp.authorize(1, "GOOD")
        self.cs.settle()
        self.answer_authorize(AuthorizationStatus.BLOCKED)
        self.cp.authorize(1, "BAD")
        self.cs.settle()
        self.cs.disconnect()
        self.assertEqual(self.authorize_offline("NEW"), (AuthorizationStatus.ACCEPTED, None))
        self.assertEqual(self.authorize_offline("GOOD"), (AuthorizationStatus.ACCEPTED, None))
        self.assertEqual(self.authorize_offline("BAD")[0], AuthorizationStatus.BLOCKED)

    def test_unknown_offline_before_boot(self):
        self.cp.ocpp_config.set("AllowOfflineTxForUnknownId", "true")
        self.start(connect=False)
        self.assertEqual(self.authorize_offline("NEW"), (AuthorizationStatus.ACCEPTED, None))

    def test_pre_authorize(self):
        """
        LocalPreAuthorize: a cached valid idTag is accepted online without
        an Authorize.req; a cached not-valid one is asked about.
        """
        self.boot_and_clear()
        self.cp.authorize(1, "GOOD")
        self.cs.settle()
        self.answer_authorize(AuthorizationStatus.BLOCKED)
        self.cp.authorize(1, "BAD")
        self.cs.settle()
        self.cp.ocpp_config.set("LocalPreAuthorize", "true")
        self.cs.clear()
        result = self.cp.authorize(1, "GOOD")
        self.assertEqual(self.successResultOf(result), (AuthorizationStatus.ACCEPTED, None))
        self.answer_authorize(AuthorizationStatus.ACCEPTED)
        result = self.cp.authorize(1, "BAD")
        self.cs.settle()
        self.assertEqual(self.successResultOf(result), (AuthorizationStatus.ACCEPTED, None))
        self.assertEqual([r.id_tag for r in self.cs.requests("Authorize")], ["BAD"])

    def test_cache_disabled(self):
        self.cp.ocpp_config.set("AuthorizationCacheEnabled", "false")
        self.boot_and_clear()
        self.cp.authorize(1, "GOOD")
        self.cs.settle()
        self.assertIsNone(self.cp.store.cache_entry("GOOD"))
        self.cs.disconnect()
        self.assertEqual(self.authorize_offline("GOOD"), (AuthorizationStatus.INVALID, None))

    def test_local_list_first(self):
        """
        The local list has priority over the cache, and its idTags are not
        cached.
        """
        LocalListStore(self.cp.store).replace(1, [("LISTED", "Blocked", None, None)])
        self.boot_and_clear()
        self.cp.authorize(1, "LISTED")
        self.cs.settle()
        self.assertIsNone(self.cp.store.cache_entry("LISTED"))
        self.cs.disconnect()
        self.assertEqual(self.authorize_offline("LISTED"), (AuthorizationStatus.BLOCKED, None))

    def test_cache_case_insensitive(self):
        """
        IdTokens are case insensitive (7.28, errata 3.73): an idTag cached
        as Child1 authorizes CHILD1 offline, and an answer for child1
        updates the same entry rather than adding a second one.
        """
        self.boot_and_clear()
        self.cp.authorize(1, "Child1")
        self.cs.settle()
        self.cs.disconnect()
        self.assertEqual(self.authorize_offline("CHILD1"), (AuthorizationStatus.ACCEPTED, None))
        self.cs.connect(self.cp)
        self.answer_authorize(AuthorizationStatus.BLOCKED)
        self.cp.authorize(1, "child1")
        self.cs.settle()
        self.cs.disconnect()
        self.assertEqual(self.authorize_offline("Child1"), (AuthorizationStatus.BLOCKED, None))
        self.assertEqual(
            [tuple(row) for row in self.cp.store._db.execute("SELECT id_tag, status FROM auth_cache")],
            [("Child1", "Blocked")],
        )

    def test_local_list_case_insensitive(self):
        """
        The local list matches idTags in any case too, and keeps one entry
        per idTag whatever its case.
        """
        LocalListStore(self.cp.store).replace(
            1, [("Listed", "Accepted", None, None), ("LISTED", "Blocked", None, None)]
        )
        self.boot_and_clear()
        self.cp.authorize(1, "listed")
        self.cs.settle()
        self.assertIsNone(self.cp.store.cache_entry("listed"))
        self.cs.disconnect()
        self.assertEqual(self.authorize_offline("lIsTeD"), (AuthorizationStatus.BLOCKED, None))
        (count,) = self.cp.store._db.execute("SELECT COUNT(*) FROM local_list").fetchone()
        self.assertEqual(count, 1)

    def test_local_list_conflict(self):
        """
        When the central system's idTagInfo contradicts the local list, the
        charge point tells it with a StatusNotification of connector 0 with
        errorCode LocalListConflict (section 3.5.2); its status stays.
        """
        LocalListStore(self.cp.store).replace(1, [("LISTED", "Accepted", None, None)])
        self.boot_and_clear()
        self.cp.authorize(1, "LISTED")
        self.cs.settle()
        self.assertEqual(self.cs.actions(), ["Authorize"])
        self.answer_authorize(AuthorizationStatus.BLOCKED)
        self.cp.authorize(1, "LISTED")
        self.cs.settle()
        self.assertEqual(self.cs.actions(), ["Authorize", "Authorize", "StatusNotification"])
        report = self.cs.requests("StatusNotification")[0]
        self.assertEqual((report.connector_id, report.status, report.error_code),
                         (0, "Available", "LocalListConflict"))
        self.assertEqual(self.cp.store.connector(0).error_code, "NoError")
        self.assertIsNone(self.cp.store.cache_entry("LISTED"))

    def test_authorize_fails(self):
        """
        When the Authorize.req fails, the offline rules decide.
        """
        def refuse(request):
            raise CallError(ErrorCode.INTERNAL_ERROR)

        self.cp.ocpp_config.set("AllowOfflineTxForUnknownId", "true")
        self.boot_and_clear()
        self.cs.answers["Authorize"] = refuse
        result = self.cp.authorize(1, "NEW")
        self.cs.settle()
        self.assertEqual(self.successResultOf(result), (AuthorizationStatus.ACCEPTED, None))

    def test_clear_cache(self):
        self.boot_and_clear()
        self.cp.authorize(1, "GOOD")
        self.cs.settle()
        answer = self.successResultOf(self.cs.call(ClearCacheRequest()))
        self.assertEqual(answer.status, ClearCacheStatus.ACCEPTED)
        self.assertIsNone(self.cp.store.cache_entry("GOOD"))

    def test_cache_full(self):
        """
        A full cache drops not-valid entries first, then the oldest valid.
        """
        self.cp._authorizer.cache_capacity = 2
        self.boot_and_clear()
        self.cp.authorize(1, "OLD")
        self.cs.settle()
        self.clock.advance(1)
        self.answer_authorize(AuthorizationStatus.BLOCKED)
        self.cp.authorize(1, "BLOCKED")
        self.cs.settle()
        self.clock.advance(1)
        self.answer_authorize(AuthorizationStatus.ACCEPTED)
        self.cp.authorize(1, "NEW")
        self.cs.settle()
        self.assertIsNone(self.cp.store.cache_entry("BLOCKED"))
        self.assertIsNotNone(self.cp.store.cache_entry("OLD"))
        self.cp.authorize(1, "NEWER")
        self.cs.settle()
        self.assertIsNone(self.cp.store.cache_entry("OLD"))

    def test_cache_full_drops_entries_expired_by_time_first(self):
        """
        An entry whose expiry date has passed is not valid ("When the
        validity of a Cache entry expires, it SHALL be changed to expired in
        the Cache", 3.5.1): a full cache drops it before the oldest valid
        entry, though nobody presented its idTag since it expired.
        """
        self.cp._authorizer.cache_capacity = 2
        self.boot_and_clear()
        self.cp.authorize(1, "OLD")
        self.cs.settle()
        self.clock.advance(1)
        self.answer_authorize(AuthorizationStatus.ACCEPTED, expiry=self.cp.now() + timedelta(seconds=10))
        self.cp.authorize(1, "LAPSING")
        self.cs.settle()
        self.clock.advance(60)
        self.answer_authorize(AuthorizationStatus.ACCEPTED)
        self.cp.authorize(1, "NEW")
        self.cs.settle()
        self.assertIsNone(self.cp.store.cache_entry("LAPSING"))
        self.assertIsNotNone(self.cp.store.cache_entry("OLD"))
        self.assertIsNotNone(self.cp.store.cache_entry("NEW"))

    def test_invalid_connector(self):
        self.start()
        self.failureResultOf(self.cp.authorize(5, "TAG"), ValueError)

    def test_invalid_id_tag(self):
        """
        An idTag longer than CiString20 is refused, not accepted offline as
        an unknown one (whose transaction could then not start).
        """
        self.cp.ocpp_config.set("AllowOfflineTxForUnknownId", "true")
        self.boot_and_clear()
        self.failureResultOf(self.cp.authorize(1, "T" * 21), ValueError)
        self.cs.settle()
        self.assertEqual(self.cs.actions(), [])


class DataTransferTests(ChargePointTestCase):
    def test_send(self):
        self.boot_and_clear()
        self.cs.answers["DataTransfer"] = lambda request: DataTransferResponse(
            status=DataTransferStatus.ACCEPTED, data=request.data.upper()
        )
        result = self.cp.data_transfer("org.example", "ping", "hello")
        self.cs.settle()
        self.assertEqual(self.successResultOf(result).data, "HELLO")
        request = self.cs.requests("DataTransfer")[0]
        self.assertEqual((request.vendor_id, request.message_id), ("org.example", "ping"))


class ResetDataTests(ChargePointTestCase):
    """
    reset_data and reset_connector_data forget what is persisted, only
    while the charge point is stopped.
    """

    def test_reset_data(self):
        self.start()
        self.cp.ocpp_config.set("HeartbeatInterval", "42")
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.cs.disconnect()
        self.cp.stop_transaction(1)
        self.failureResultOf(self.cp.reset_data(), RuntimeError)
        self.cp.stopService()
        self.successResultOf(self.cp.reset_data())
        # What stays queued is the critical SecurityLogWasCleared event.
        self.assertEqual(queued_transaction_messages(self.cp.store), [])
        self.assertEqual(self.cp.store.queue_length(), 1)
        self.assertEqual(self.cp.store.transactions(), [])
        self.assertEqual(self.cp.ocpp_config.get("HeartbeatInterval"), "300")

    def test_reset_connector_data(self):
        self.start()
        self.cp.status_notification(1, "Faulted", "GroundFailure")
        self.cp._availability.change(2, AvailabilityType.INOPERATIVE)
        self.failureResultOf(self.cp.reset_connector_data(), RuntimeError)
        self.cp.stopService()
        self.successResultOf(self.cp.reset_connector_data())
        self.cp.startService()
        self.assertEqual(self.successResultOf(self.cp.connector_status(1)), ChargePointStatus.AVAILABLE)
        self.assertTrue(self.cp.startable(2))
