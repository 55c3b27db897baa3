"""
Tests for L{openocpp.rpc.session.RpcSession}: our CALLs and their answers,
the queue, timeouts, the peer's CALLs and every way they can be wrong.

Every frame a session sends in these tests is checked against the official
schemas by L{tests.oracle.assert_frame_valid}.
"""

import json
from datetime import datetime

from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer
from zope.interface.verify import verifyObject

from openocpp.messages import (
    BootNotificationRequest,
    BootNotificationResponse,
    DataTransferRequest,
    DataTransferResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    MeterValue,
    MeterValuesRequest,
    MeterValuesResponse,
    SampledValue,
    RegistrationStatus,
    ResetRequest,
    ResetResponse,
    ResetStatus,
    ResetType,
    codec,
)
from openocpp.messages.errors import ErrorCode, ValidationError
from openocpp.messages.registry import Role
from openocpp.rpc.errors import (
    CallError,
    CallTimeout,
    ConnectionLost,
    InvalidResponse,
)
from openocpp.rpc.frames import unique_id_factory
from openocpp.rpc.interfaces import IParsedFrameObserver, IRpcSession
from openocpp.rpc.session import RpcSession
from openocpp.transport.errors import MessageTooLarge
from openocpp.transport.interfaces import IConnectionHandler, IOcppConnection
from tests.oracle import assert_frame_valid
from tests.rpc.fake_connection import NOW, FakeConnection

CP = Role.CHARGE_POINT
CS = Role.CENTRAL_SYSTEM
NOW_TEXT = "2026-01-01T12:00:00.000Z"
BOOT_CONF = {"status": "Accepted", "currentTime": NOW_TEXT, "interval": 300}
BOOT_REQ = {"chargePointVendor": "VendorX", "chargePointModel": "Model1"}


def boot_request() -> BootNotificationRequest:
    return BootNotificationRequest(
        charge_point_vendor="VendorX", charge_point_model="Model1"
    )


def data_transfer(n: int) -> DataTransferRequest:
    return DataTransferRequest(vendor_id="org.openocpp", message_id=str(n))


def meter_values() -> MeterValuesRequest:
    return MeterValuesRequest(
        connector_id=1,
        meter_value=[
            MeterValue(timestamp=NOW, sampled_value=[SampledValue(value="16.1")])
        ],
    )


class SessionTestMixin:
    """
    Builds a session on a fake connection and a L{Clock}, feeds it frames,
    and checks every frame it sends with the oracle.
    """

    def make_session(
        self,
        role: Role = CP,
        handlers: dict | None = None,
        connect: bool = True,
        **kwargs,
    ) -> RpcSession:
        self.clock = Clock()
        self.connection = FakeConnection()
        self.handlers = {} if handlers is None else handlers
        self.events = EventLoggingObserver.createWithCleanup(
            self, globalLogPublisher
        )
        self._taken = 0
        # The action of each CALL received, to check the CALLRESULTs sent.
        self._actions: dict[str, str] = {}
        self.session = RpcSession(
            role,
            self.handlers,
            self.clock,
            unique_ids=unique_id_factory("t"),
            **kwargs,
        )
        if connect:
            self.session.connection_made(self.connection)
        self.addCleanup(self._check_every_frame)
        return self.session

    def _check_every_frame(self) -> None:
        for text in self.connection.sent:
            frame = json.loads(text)
            assert_frame_valid(
                self,
                text,
                action=self._actions.get(frame[1]) if frame[0] == 3 else None,
            )

    def receive(self, *frame) -> None:
        """
        Feed the session a frame given as its elements.
        """
        if frame[0] == 2:
            self._actions[frame[1]] = frame[2]
        self.session.text_received(json.dumps(list(frame)))

    def sent(self) -> list[list]:
        """
        @return: the frames sent since the last call, decoded, each checked
            by the oracle.
        """
        texts = self.connection.sent[self._taken :]
        self._taken = len(self.connection.sent)
        frames = []
        for text in texts:
            frame = json.loads(text)
            assert_frame_valid(
                self,
                text,
                action=self._actions.get(frame[1]) if frame[0] == 3 else None,
            )
            frames.append(frame)
        return frames

    def sent_one(self) -> list:
        """
        @return: the one frame sent since the last call.
        """
        frames = self.sent()
        self.assertEqual(len(frames), 1, frames)
        return frames[0]

    def logged(self, text: str, level: LogLevel | None = None) -> list[dict]:
        """
        @return: the events logged whose formatted message contains C{text}.
        """
        return [
            event
            for event in self.events
            if text in formatEvent(event)
            and (level is None or event["log_level"] is level)
        ]


class InterfaceTests(SessionTestMixin, SynchronousTestCase):
    """
    L{RpcSession} provides its interfaces, and exposes its connection.
    """

    def test_interfaces(self):
        """
        A session is an L{IRpcSession} and the transport's
        L{IConnectionHandler}; the fake connection is an
        L{IOcppConnection}.
        """
        session = self.make_session()
        self.assertTrue(verifyObject(IRpcSession, session))
        self.assertTrue(verifyObject(IConnectionHandler, session))
        self.assertTrue(verifyObject(IOcppConnection, self.connection))

    def test_connectionAndIdentity(self):
        """
        The connection and its identity are exposed once it is made.
        """
        session = self.make_session(connect=False)
        self.assertIsNone(session.connection)
        self.assertIsNone(session.identity)
        session.connection_made(self.connection)
        self.assertIs(session.connection, self.connection)
        self.assertEqual(session.identity, "CP-1")
        self.assertIs(session.role, CP)
        self.assertIn("CP-1", repr(session))


class CallTests(SessionTestMixin, SynchronousTestCase):
    """
    L{RpcSession.call} sends a CALL and fires with the typed answer.
    """

    def test_callResult(self):
        """
        A CALLRESULT answering our CALL fires the Deferred with the typed
        response.
        """
        session = self.make_session()
        d = session.call(boot_request())
        frame = self.sent_one()
        self.assertEqual(frame[0], 2)
        self.assertEqual(frame[2:], ["BootNotification", BOOT_REQ])
        self.assertNoResult(d)
        self.receive(3, frame[1], BOOT_CONF)
        self.assertEqual(
            self.successResultOf(d),
            BootNotificationResponse(
                status=RegistrationStatus.ACCEPTED, current_time=NOW, interval=300
            ),
        )
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_callError(self):
        """
        A CALLERROR answering our CALL fails the Deferred with L{CallError}
        carrying its code, description and details.
        """
        session = self.make_session()
        d = session.call(HeartbeatRequest())
        unique_id = self.sent_one()[1]
        self.receive(4, unique_id, "NotSupported", "no heartbeats", {"a": 1})
        error = self.failureResultOf(d, CallError).value
        self.assertIs(error.code, ErrorCode.NOT_SUPPORTED)
        self.assertEqual(error.description, "no heartbeats")
        self.assertEqual(error.details, {"a": 1})
        self.assertEqual(str(error), "NotSupported: no heartbeats")
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_callErrorUnknownCode(self):
        """
        A CALLERROR whose code is not one of table 7 still fails the call,
        with the code as received.
        """
        session = self.make_session()
        d = session.call(HeartbeatRequest())
        self.receive(4, self.sent_one()[1], "Teapot", "", {})
        self.assertEqual(self.failureResultOf(d, CallError).value.code, "Teapot")

    def test_invalidResponse(self):
        """
        A CALLRESULT whose payload breaks the response's schema fails the
        call with L{InvalidResponse} carrying the L{ValidationError}; the
        next call goes out.
        """
        session = self.make_session()
        d = session.call(boot_request())
        d2 = session.call(HeartbeatRequest())
        unique_id = self.sent_one()[1]
        self.receive(3, unique_id, {"status": "Accepted", "currentTime": NOW_TEXT})
        error = self.failureResultOf(d, InvalidResponse).value
        self.assertEqual(error.action, "BootNotification")
        self.assertEqual(error.unique_id, unique_id)
        self.assertIsInstance(error.error, ValidationError)
        self.assertEqual(error.error.code, ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION)
        self.assertIn("interval", str(error))
        self.assertEqual(self.sent_one()[2], "Heartbeat")
        self.assertNoResult(d2)
        self.assertTrue(self.logged("Invalid BootNotification answer"))

    def test_decoderFailsOnAnswer(self):
        """
        If the codec fails on an answer with anything but
        L{ValidationError}, the call fails with that error and the next call
        goes out.
        """
        session = self.make_session()
        d = session.call(HeartbeatRequest())
        d2 = session.call(HeartbeatRequest())
        unique_id = self.sent_one()[1]

        def broken_decode(cls, payload):
            raise OverflowError("date value out of range")

        self.patch(codec, "decode", broken_decode)
        self.receive(3, unique_id, {"currentTime": NOW_TEXT})
        self.failureResultOf(d, OverflowError)
        self.assertEqual(self.sent_one()[2], "Heartbeat")
        self.assertNoResult(d2)

    def test_malformedAnswer(self):
        """
        A malformed CALLRESULT or CALLERROR with the id of our outstanding
        call fails it with L{InvalidResponse} (code FormationViolation) and
        is not answered.
        """
        session = self.make_session()
        for frame in (
            [3, "{id}"],
            [3, "{id}", [1]],
            [4, "{id}", "GenericError", "", None],
            [4, "{id}", "GenericError", "", []],
            [4, "{id}", "GenericError", 7, {}],
        ):
            d = session.call(HeartbeatRequest())
            unique_id = self.sent_one()[1]
            frame[1] = unique_id
            self.receive(*frame)
            error = self.failureResultOf(d, InvalidResponse).value
            self.assertEqual(error.error.code, ErrorCode.FORMATION_VIOLATION)
            self.assertEqual(self.sent(), [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_nullPayload(self):
        """
        A CALLRESULT payload of C{null} reads as C{{}} (section 4.2.2): a
        valid answer to MeterValues, a broken one to DataTransfer.
        """
        session = self.make_session()
        d = session.call(meter_values())
        self.receive(3, self.sent_one()[1], None)
        self.assertEqual(self.successResultOf(d), MeterValuesResponse())
        d = session.call(data_transfer(1))
        self.receive(3, self.sent_one()[1], None)
        error = self.failureResultOf(d, InvalidResponse).value
        self.assertEqual(error.error.code, ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION)

    def test_lateAnswerIgnored(self):
        """
        An answer whose id is not that of the outstanding call is logged and
        ignored.
        """
        session = self.make_session()
        d = session.call(HeartbeatRequest())
        unique_id = self.sent_one()[1]
        self.receive(3, "no-such-call", {"currentTime": NOW_TEXT})
        self.receive(4, "no-such-call", "GenericError", "", {})
        self.assertNoResult(d)
        self.assertEqual(len(self.logged("no call of ours")), 2)
        self.receive(3, unique_id, {"currentTime": NOW_TEXT})
        self.assertEqual(
            self.successResultOf(d), HeartbeatResponse(current_time=NOW)
        )
        self.assertEqual(self.sent(), [])

    def test_refuseWrongRole(self):
        """
        A request the role does not send fails with C{ValueError}, and
        nothing is sent.
        """
        session = self.make_session(CP)
        error = self.failureResultOf(
            session.call(ResetRequest(type=ResetType.SOFT)), ValueError
        ).value
        self.assertIn("Reset is sent by CentralSystem, not by ChargePoint", str(error))
        session = self.make_session(CS)
        self.failureResultOf(session.call(boot_request()), ValueError)
        self.assertEqual(self.sent(), [])

    def test_refuseNonRequests(self):
        """
        A response, or anything that is not a message, fails with
        C{ValueError}.
        """
        session = self.make_session()
        error = self.failureResultOf(
            session.call(HeartbeatResponse(current_time=NOW)), ValueError
        ).value
        self.assertIn("HeartbeatResponse is a response", str(error))
        for thing in (object(), {"action": "Heartbeat"}, None, "Heartbeat"):
            error = self.failureResultOf(session.call(thing), ValueError).value
            self.assertIn("not an OCPP request message", str(error))

        class FakeHeartbeat:
            action = "Heartbeat"
            is_response = False

        class Unhashable:
            action = ["Heartbeat"]

        self.failureResultOf(session.call(FakeHeartbeat()), ValueError)
        self.failureResultOf(session.call(Unhashable()), ValueError)
        self.assertEqual(self.sent(), [])

    def test_invalidRequest(self):
        """
        A request that breaks its schema fails with L{ValidationError} and
        is not sent; the session carries on.
        """
        session = self.make_session()
        bad = BootNotificationRequest(
            charge_point_vendor="V" * 21, charge_point_model="M"
        )
        error = self.failureResultOf(session.call(bad), ValidationError).value
        self.assertEqual(error.code, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)
        self.assertEqual(self.sent(), [])
        d = session.call(HeartbeatRequest())
        self.receive(3, self.sent_one()[1], {"currentTime": NOW_TEXT})
        self.successResultOf(d)

    def test_unencodableRequest(self):
        """
        A request that cannot be encoded (a naive datetime) fails with the
        codec's error, and nothing is sent.
        """
        from openocpp.messages import StatusNotificationRequest

        session = self.make_session()
        request = StatusNotificationRequest(
            connector_id=1,
            error_code="NoError",
            status="Available",
            timestamp=datetime(2026, 1, 1),
        )
        self.failureResultOf(session.call(request), ValueError)
        self.assertEqual(self.sent(), [])

    def test_dataTransferBothWays(self):
        """
        DataTransfer may be sent by either role.
        """
        for role in (CP, CS):
            session = self.make_session(role)
            d = session.call(data_transfer(1))
            self.receive(3, self.sent_one()[1], {"status": "Accepted"})
            self.assertEqual(
                self.successResultOf(d).status.value, "Accepted"
            )

    def test_uniqueIds(self):
        """
        Each CALL gets a new id; by default a random prefix per session.
        """
        clock = Clock()
        ids = []
        for _ in range(2):
            connection = FakeConnection()
            session = RpcSession(CP, {}, clock)
            session.connection_made(connection)
            for _ in range(3):
                session.call(HeartbeatRequest())
                unique_id = json.loads(connection.sent[-1])[1]
                ids.append(unique_id)
                session.text_received(
                    json.dumps([3, unique_id, {"currentTime": NOW_TEXT}])
                )
        self.assertEqual(len(set(ids)), 6)
        self.assertTrue(all(len(i) <= 36 for i in ids))
        self.assertNotEqual(ids[0].split("-")[0], ids[3].split("-")[0])

    def test_injectedIds(self):
        """
        A session uses the unique id source it is given.
        """
        self.make_session()
        self.session.call(HeartbeatRequest())
        self.assertEqual(self.sent_one()[1], "t-1")


class QueueTests(SessionTestMixin, SynchronousTestCase):
    """
    One CALL of ours is outstanding at a time; the others wait, in order.
    """

    def test_fiftyCalls(self):
        """
        Fifty calls made at once go out one at a time, in order, each once
        the one before is answered, and all resolve.
        """
        session = self.make_session()
        calls = [session.call(data_transfer(n)) for n in range(50)]
        for n in range(50):
            frame = self.sent_one()
            self.assertEqual(frame[2:], ["DataTransfer", {"vendorId": "org.openocpp", "messageId": str(n)}])
            for d in calls[n:]:
                self.assertNoResult(d)
            self.receive(3, frame[1], {"status": "Accepted", "data": str(n)})
        self.assertEqual(self.sent(), [])
        self.assertEqual(
            [self.successResultOf(d).data for d in calls],
            [str(n) for n in range(50)],
        )
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_callFromCallback(self):
        """
        A call made from the callback of an answered call goes after the
        calls queued before it.
        """
        session = self.make_session()
        order = []
        first = session.call(data_transfer(1))
        first.addCallback(lambda _: order.append(session.call(data_transfer(3))))
        session.call(data_transfer(2))
        messages = []
        for _ in range(3):
            frame = self.sent_one()
            messages.append(frame[3]["messageId"])
            self.receive(3, frame[1], {"status": "Accepted"})
        self.assertEqual(messages, ["1", "2", "3"])
        self.successResultOf(order[0])

    def test_callsBeforeConnection(self):
        """
        Calls made before the connection is made wait for it; their timeout
        runs from when they are sent.
        """
        session = self.make_session(connect=False)
        d1 = session.call(HeartbeatRequest())
        d2 = session.call(boot_request())
        self.clock.advance(100)
        self.assertNoResult(d1)
        self.assertEqual(self.connection.sent, [])
        session.connection_made(self.connection)
        frame = self.sent_one()
        self.assertEqual(frame[2], "Heartbeat")
        self.clock.advance(29)
        self.receive(3, frame[1], {"currentTime": NOW_TEXT})
        self.successResultOf(d1)
        self.assertEqual(self.sent_one()[2], "BootNotification")
        self.assertNoResult(d2)

    def test_incomingWhileOutstanding(self):
        """
        The peer's CALLs are answered while our own call is outstanding.
        """
        session = self.make_session(
            CP, {"Reset": lambda request: ResetResponse(status=ResetStatus.ACCEPTED)}
        )
        d = session.call(HeartbeatRequest())
        ours = self.sent_one()
        self.receive(2, "cs-1", "Reset", {"type": "Soft"})
        self.assertEqual(self.sent_one(), [3, "cs-1", {"status": "Accepted"}])
        self.assertNoResult(d)
        self.receive(3, ours[1], {"currentTime": NOW_TEXT})
        self.successResultOf(d)

    def test_cancelQueued(self):
        """
        Cancelling a queued call takes it out of the queue: it is never
        sent.
        """
        session = self.make_session()
        d1 = session.call(data_transfer(1))
        d2 = session.call(data_transfer(2))
        d3 = session.call(data_transfer(3))
        d2.cancel()
        self.failureResultOf(d2, CancelledError)
        first = self.sent_one()
        self.receive(3, first[1], {"status": "Accepted"})
        self.successResultOf(d1)
        self.assertEqual(self.sent_one()[3]["messageId"], "3")
        self.assertNoResult(d3)

    def test_cancelOutstanding(self):
        """
        Cancelling the outstanding call abandons it: the next call goes out
        at once, and the late answer is ignored.
        """
        session = self.make_session()
        d1 = session.call(data_transfer(1))
        d2 = session.call(data_transfer(2))
        first = self.sent_one()
        d1.cancel()
        self.failureResultOf(d1, CancelledError)
        second = self.sent_one()
        self.assertEqual(second[3]["messageId"], "2")
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.receive(3, first[1], {"status": "Accepted"})
        self.assertNoResult(d2)
        self.assertTrue(self.logged("no call of ours"))
        self.receive(3, second[1], {"status": "Rejected"})
        self.assertEqual(self.successResultOf(d2).status.value, "Rejected")

    def test_cancelAnswered(self):
        """
        Cancelling a call already answered changes nothing.
        """
        session = self.make_session()
        d = session.call(HeartbeatRequest())
        self.receive(3, self.sent_one()[1], {"currentTime": NOW_TEXT})
        d.cancel()
        self.successResultOf(d)


class TimeoutTests(SessionTestMixin, SynchronousTestCase):
    """
    An unanswered CALL times out, and the next goes out.
    """

    def test_timeout(self):
        """
        After C{call_timeout} seconds without an answer the call fails with
        L{CallTimeout}, the next queued call goes out, and a late answer to
        the first is logged and ignored.
        """
        session = self.make_session()
        d1 = session.call(HeartbeatRequest())
        d2 = session.call(data_transfer(2))
        first = self.sent_one()
        self.clock.advance(29.9)
        self.assertNoResult(d1)
        self.assertEqual(self.sent(), [])
        self.clock.advance(0.1)
        error = self.failureResultOf(d1, CallTimeout).value
        self.assertEqual(
            (error.action, error.unique_id, error.timeout),
            ("Heartbeat", first[1], 30.0),
        )
        self.assertIn("no answer within 30 seconds", str(error))
        self.assertTrue(self.logged("got no answer within 30", LogLevel.warn))
        second = self.sent_one()
        self.assertEqual(second[2], "DataTransfer")
        self.receive(3, first[1], {"currentTime": NOW_TEXT})
        self.assertNoResult(d2)
        self.assertTrue(self.logged("Ignored an answer from CP-1 to " + first[1]))
        self.receive(3, second[1], {"status": "Accepted"})
        self.successResultOf(d2)

    def test_sessionTimeout(self):
        """
        The session's C{call_timeout} is the default.
        """
        session = self.make_session(call_timeout=5)
        d = session.call(HeartbeatRequest())
        self.clock.advance(5)
        self.assertEqual(self.failureResultOf(d, CallTimeout).value.timeout, 5)

    def test_callTimeout(self):
        """
        A call's own C{timeout} overrides the default.
        """
        session = self.make_session()
        d = session.call(HeartbeatRequest(), timeout=2)
        d2 = session.call(HeartbeatRequest())
        self.clock.advance(2)
        self.failureResultOf(d, CallTimeout)
        self.sent()
        self.clock.advance(29)
        self.assertNoResult(d2)
        self.clock.advance(1)
        self.failureResultOf(d2, CallTimeout)


class ConnectionLostTests(SessionTestMixin, SynchronousTestCase):
    """
    When the connection goes, calls waiting for it fail.
    """

    def test_pendingAndQueued(self):
        """
        The outstanding and queued calls fail with L{ConnectionLost}
        carrying the reason; no timer is left; later calls fail at once.
        """
        session = self.make_session()
        calls = [session.call(data_transfer(n)) for n in range(3)]
        self.sent_one()
        reason = Failure(ConnectionDone("bye"))
        session.connection_lost(reason)
        for d in calls:
            error = self.failureResultOf(d, ConnectionLost).value
            self.assertIs(error.reason, reason)
            self.assertEqual(error.action, "DataTransfer")
            self.assertIn("connection was lost", str(error))
        self.assertEqual(self.clock.getDelayedCalls(), [])
        error = self.failureResultOf(
            session.call(HeartbeatRequest()), ConnectionLost
        ).value
        self.assertIn("closed", str(error))
        self.assertEqual(self.sent(), [])

    def test_beforeConnection(self):
        """
        Calls queued before a connection that never came fail too.
        """
        session = self.make_session(connect=False)
        d = session.call(HeartbeatRequest())
        session.connection_lost(Failure(ConnectionDone()))
        self.failureResultOf(d, ConnectionLost)

    def test_answerAfterLoss(self):
        """
        A handler answering after the connection is lost sends nothing.
        """
        answer = Deferred()
        session = self.make_session(CS, {"Heartbeat": lambda request: answer})
        self.receive(2, "a", "Heartbeat", {})
        session.connection_lost(Failure(ConnectionDone()))
        answer.callback(HeartbeatResponse(current_time=NOW))
        self.assertEqual(self.sent(), [])
        self.assertTrue(self.logged("Dropped the answer to a"))

    def test_callbackCallsAgain(self):
        """
        A call made from the errback of a call failed by the loss fails at
        once too, rather than waiting forever.
        """
        session = self.make_session()
        again = []
        session.call(HeartbeatRequest()).addErrback(
            lambda _: again.append(session.call(HeartbeatRequest()))
        )
        session.connection_lost(Failure(ConnectionDone()))
        self.failureResultOf(again[0], ConnectionLost)


class TransportRefusalTests(SessionTestMixin, SynchronousTestCase):
    """
    The transport may refuse a frame (too large): the session copes.
    """

    def test_callTooLarge(self):
        """
        A CALL the transport refuses fails with the transport's error; the
        next call goes out.
        """
        session = self.make_session()
        self.connection.limit = 100
        big = session.call(DataTransferRequest(vendor_id="v", data="x" * 200))
        small = session.call(HeartbeatRequest())
        self.failureResultOf(big, MessageTooLarge)
        self.assertEqual(self.sent_one()[2], "Heartbeat")
        self.assertNoResult(small)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)

    def test_answerTooLarge(self):
        """
        A CALLRESULT the transport refuses is replaced by an InternalError,
        so that the peer does not wait in vain.
        """
        self.make_session(
            CS,
            {
                "DataTransfer": lambda request: DataTransferResponse(
                    status="Accepted", data="x" * 200
                )
            },
        )
        self.connection.limit = 150
        self.receive(2, "d1", "DataTransfer", {"vendorId": "v"})
        self.assertEqual(self.sent_one()[:3], [4, "d1", "InternalError"])
        self.assertEqual(len(self.flushLoggedErrors(MessageTooLarge)), 1)


class IncomingCallTests(SessionTestMixin, SynchronousTestCase):
    """
    The peer's CALLs are decoded, handed to their handler and answered.
    """

    def test_handlerAnswers(self):
        """
        A handler's response is sent as the CALLRESULT; the handler gets the
        typed request.
        """
        requests = []

        def on_boot(request):
            requests.append(request)
            return BootNotificationResponse(
                status=RegistrationStatus.ACCEPTED, current_time=NOW, interval=300
            )

        self.make_session(CS, {"BootNotification": on_boot})
        self.receive(2, "b1", "BootNotification", BOOT_REQ)
        self.assertEqual(requests, [boot_request()])
        self.assertEqual(self.sent_one(), [3, "b1", BOOT_CONF])

    def test_handlerDeferred(self):
        """
        A handler may return a Deferred: the answer goes when it fires.
        """
        answer = Deferred()
        self.make_session(CS, {"Heartbeat": lambda request: answer})
        self.receive(2, "h1", "Heartbeat", {})
        self.assertEqual(self.sent(), [])
        answer.callback(HeartbeatResponse(current_time=NOW))
        self.assertEqual(self.sent_one(), [3, "h1", {"currentTime": NOW_TEXT}])

    def test_handlerFiredDeferred(self):
        """
        A Deferred that has fired already answers at once.
        """
        self.make_session(
            CS,
            {"Heartbeat": lambda request: succeed(HeartbeatResponse(current_time=NOW))},
        )
        self.receive(2, "h1", "Heartbeat", {})
        self.assertEqual(self.sent_one(), [3, "h1", {"currentTime": NOW_TEXT}])

    def test_handlerCoroutine(self):
        """
        A handler may be a coroutine function.
        """
        answer = Deferred()

        async def on_heartbeat(request):
            await answer
            return HeartbeatResponse(current_time=NOW)

        self.make_session(CS, {"Heartbeat": on_heartbeat})
        self.receive(2, "h1", "Heartbeat", {})
        self.assertEqual(self.sent(), [])
        answer.callback(None)
        self.assertEqual(self.sent_one(), [3, "h1", {"currentTime": NOW_TEXT}])

    def test_concurrentCalls(self):
        """
        Several of the peer's calls may be in hand at once; each is answered
        with its own id, in the order the handlers finish.
        """
        answers = {}

        def on_data(request):
            answers[request.message_id] = Deferred()
            return answers[request.message_id]

        self.make_session(CS, {"DataTransfer": on_data})
        self.receive(2, "d1", "DataTransfer", {"vendorId": "v", "messageId": "1"})
        self.receive(2, "d2", "DataTransfer", {"vendorId": "v", "messageId": "2"})
        answers["2"].callback(DataTransferResponse(status="Accepted"))
        answers["1"].callback(DataTransferResponse(status="Rejected"))
        self.assertEqual(
            self.sent(),
            [[3, "d2", {"status": "Accepted"}], [3, "d1", {"status": "Rejected"}]],
        )

    def test_duplicateId(self):
        """
        A CALL reusing the id of one still in hand is answered with a
        ProtocolError; the first is answered when its handler is done.
        """
        answer = Deferred()
        self.make_session(CS, {"Heartbeat": lambda request: answer})
        self.receive(2, "h1", "Heartbeat", {})
        self.receive(2, "h1", "Heartbeat", {})
        frame = self.sent_one()
        self.assertEqual(frame[:3], [4, "h1", "ProtocolError"])
        answer.callback(HeartbeatResponse(current_time=NOW))
        self.assertEqual(self.sent_one(), [3, "h1", {"currentTime": NOW_TEXT}])
        # The id is free again.
        answer2 = Deferred()
        self.handlers["Heartbeat"] = lambda request: answer2
        self.receive(2, "h1", "Heartbeat", {})
        self.assertEqual(self.sent(), [])

    def test_unknownAction(self):
        """
        An action OCPP 1.6 does not have is answered with NotImplemented.
        """
        self.make_session(CS, {"Heartbeat": None})
        for action in ("FooBar", "heartbeat", ""):
            self.receive(2, "u1", action, {})
            frame = self.sent_one()
            self.assertEqual(frame[:3], [4, "u1", "NotImplemented"])
            self.assertEqual(frame[4], {})
        self.assertTrue(self.logged("Refused FooBar call u1"))
        self.receive(2, "u2", "X" * 5000, {})
        self.assertEqual(self.sent_one()[3], "Unknown action " + "X" * 100)

    def test_wrongDirection(self):
        """
        An action this role sends, not receives, is answered with
        NotSupported, even if a handler is registered for it.
        """
        self.make_session(
            CS, {"Reset": lambda r: ResetResponse(status=ResetStatus.ACCEPTED)}
        )
        self.receive(2, "r1", "Reset", {"type": "Soft"})
        frame = self.sent_one()
        self.assertEqual(frame[:3], [4, "r1", "NotSupported"])
        self.assertIn("not sent to a CentralSystem", frame[3])
        self.make_session(CP, {"BootNotification": lambda r: None})
        self.receive(2, "b1", "BootNotification", BOOT_REQ)
        self.assertEqual(self.sent_one()[:3], [4, "b1", "NotSupported"])

    def test_noHandler(self):
        """
        An action this role receives but has no handler for is answered with
        NotSupported; a handler added to the mapping later is used.
        """
        self.make_session(CP)
        self.receive(2, "r1", "Reset", {"type": "Hard"})
        self.assertEqual(
            self.sent_one(),
            [4, "r1", "NotSupported", "Reset is not supported", {}],
        )
        self.handlers["Reset"] = lambda r: ResetResponse(status=ResetStatus.REJECTED)
        self.receive(2, "r2", "Reset", {"type": "Hard"})
        self.assertEqual(self.sent_one(), [3, "r2", {"status": "Rejected"}])

    def test_invalidPayloads(self):
        """
        A payload that breaks its schema is answered with the validator's
        code and description; the handler is not called.
        """
        called = []
        self.make_session(
            CS,
            {"BootNotification": called.append, "Heartbeat": called.append},
        )
        cases = [
            ("BootNotification", {}, ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION),
            ("BootNotification", {"chargePointVendor": "V"},
             ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION),
            ("BootNotification", dict(BOOT_REQ, chargePointVendor="V" * 21),
             ErrorCode.PROPERTY_CONSTRAINT_VIOLATION),
            ("BootNotification", dict(BOOT_REQ, chargePointVendor=7),
             ErrorCode.TYPE_CONSTRAINT_VIOLATION),
            ("BootNotification", dict(BOOT_REQ, extra="x"),
             ErrorCode.PROPERTY_CONSTRAINT_VIOLATION),
            ("Heartbeat", {"x": 1}, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION),
        ]
        from openocpp.messages import BootNotificationRequest as Boot

        for n, (action, payload, code) in enumerate(cases):
            with self.subTest(payload=payload):
                unique_id = "v%d" % n
                self.receive(2, unique_id, action, payload)
                request_class = Boot if action == "BootNotification" else HeartbeatRequest
                expected = self.assertRaises(
                    ValidationError, codec.decode, request_class, payload
                )
                self.assertEqual(expected.code, code)
                self.assertEqual(
                    self.sent_one(),
                    [4, unique_id, code.value, expected.description, {}],
                )
        self.assertEqual(called, [])

    def test_decoderFails(self):
        """
        A payload the codec fails on with anything but L{ValidationError}
        (a bug of ours) is answered with InternalError, and logged.
        """
        def broken_decode(cls, payload):
            raise OverflowError("date value out of range")

        self.patch(codec, "decode", broken_decode)
        called = []
        self.make_session(CS, {"Heartbeat": called.append})
        self.receive(2, "h1", "Heartbeat", {})
        frame = self.sent_one()
        self.assertEqual(frame[:3], [4, "h1", "InternalError"])
        self.assertNotIn("range", frame[3])
        self.assertEqual(called, [])
        self.assertEqual(len(self.flushLoggedErrors(OverflowError)), 1)

    def test_handlerRaises(self):
        """
        A handler raising anything but L{CallError} gets an InternalError
        answer that tells nothing of the exception, and a logged traceback;
        the session works on.
        """
        def on_heartbeat(request):
            1 / 0

        session = self.make_session(CS, {"Heartbeat": on_heartbeat})
        self.receive(2, "h1", "Heartbeat", {})
        frame = self.sent_one()
        self.assertEqual(frame[:3], [4, "h1", "InternalError"])
        self.assertEqual(frame[3], "An internal error occurred while handling Heartbeat")
        self.assertNotIn("division", json.dumps(frame))
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        self.assertTrue(self.logged("The Heartbeat handler failed on call h1"))
        self.handlers["Heartbeat"] = lambda r: HeartbeatResponse(current_time=NOW)
        self.receive(2, "h2", "Heartbeat", {})
        self.assertEqual(self.sent_one(), [3, "h2", {"currentTime": NOW_TEXT}])
        d = session.call(data_transfer(1))
        self.receive(3, self.sent_one()[1], {"status": "Accepted"})
        self.successResultOf(d)

    def test_handlerDeferredFails(self):
        """
        A handler's Deferred failing with anything but L{CallError} is
        answered with InternalError.
        """
        answer = Deferred()
        self.make_session(CS, {"Heartbeat": lambda request: answer})
        self.receive(2, "h1", "Heartbeat", {})
        answer.errback(KeyError("secret"))
        frame = self.sent_one()
        self.assertEqual(frame[:3], [4, "h1", "InternalError"])
        self.assertNotIn("secret", frame[3])
        self.assertEqual(len(self.flushLoggedErrors(KeyError)), 1)

    def test_handlerCallError(self):
        """
        A L{CallError} raised by a handler, or failing its Deferred, is sent
        as it is.
        """
        answer = Deferred()

        def on_boot(request):
            raise CallError(ErrorCode.SECURITY_ERROR, "Not accepted", {"why": "x"})

        self.make_session(
            CS, {"BootNotification": on_boot, "Heartbeat": lambda r: answer}
        )
        self.receive(2, "b1", "BootNotification", BOOT_REQ)
        self.assertEqual(
            self.sent_one(),
            [4, "b1", "SecurityError", "Not accepted", {"why": "x"}],
        )
        self.receive(2, "h1", "Heartbeat", {})
        answer.errback(CallError(ErrorCode.GENERIC_ERROR))
        self.assertEqual(self.sent_one(), [4, "h1", "GenericError", "", {}])

    def test_handlerCallErrorStringCode(self):
        """
        A L{CallError} code given as a table 7 string is sent; any other
        code becomes GenericError, with a warning.
        """
        codes = iter(["NotSupported", "Teapot"])

        def on_heartbeat(request):
            raise CallError(next(codes), "d")

        self.make_session(CS, {"Heartbeat": on_heartbeat})
        self.receive(2, "h1", "Heartbeat", {})
        self.assertEqual(self.sent_one(), [4, "h1", "NotSupported", "d", {}])
        self.receive(2, "h2", "Heartbeat", {})
        self.assertEqual(self.sent_one(), [4, "h2", "GenericError", "d", {}])
        self.assertTrue(self.logged("raised a malformed", LogLevel.warn))

    def test_handlerCallErrorBadDetails(self):
        """
        A L{CallError} whose details cannot be sent is answered with
        InternalError and C{{}} details.
        """
        def on_heartbeat(request):
            raise CallError(ErrorCode.GENERIC_ERROR, "d", {"x": object()})

        def on_boot(request):
            raise CallError(ErrorCode.GENERIC_ERROR, "d", ["not", "a", "dict"])

        self.make_session(CS, {"Heartbeat": on_heartbeat, "BootNotification": on_boot})
        self.receive(2, "h1", "Heartbeat", {})
        self.assertEqual(self.sent_one(), [4, "h1", "InternalError", "", {}])
        self.assertEqual(len(self.flushLoggedErrors(TypeError)), 1)
        self.receive(2, "b1", "BootNotification", BOOT_REQ)
        self.assertEqual(self.sent_one(), [4, "b1", "GenericError", "d", {}])

    def test_handlerWrongType(self):
        """
        A handler answering with anything but its action's response object
        gets an InternalError answer and an error logged.
        """
        wrong = iter(
            [None, {"currentTime": NOW_TEXT}, HeartbeatRequest(),
             ResetResponse(status=ResetStatus.ACCEPTED)]
        )
        self.make_session(CS, {"Heartbeat": lambda request: next(wrong)})
        for n in range(4):
            self.receive(2, "h%d" % n, "Heartbeat", {})
            self.assertEqual(self.sent_one()[:3], [4, "h%d" % n, "InternalError"])
        self.assertEqual(
            len(self.logged("not a HeartbeatResponse", LogLevel.error)), 4
        )

    def test_handlerInvalidResponse(self):
        """
        A response that breaks its schema, or cannot be encoded, is not
        sent: the peer gets InternalError, and the error is logged.
        """
        responses = iter(
            [
                BootNotificationResponse(status="Maybe", current_time=NOW, interval=1),
                BootNotificationResponse(
                    status=RegistrationStatus.ACCEPTED,
                    current_time=datetime(2026, 1, 1),
                    interval=1,
                ),
                BootNotificationResponse(
                    status=RegistrationStatus.ACCEPTED,
                    current_time=NOW,
                    interval=float("nan"),
                ),
            ]
        )
        self.make_session(CS, {"BootNotification": lambda request: next(responses)})
        self.receive(2, "b1", "BootNotification", BOOT_REQ)
        self.assertEqual(self.sent_one()[:3], [4, "b1", "InternalError"])
        self.assertTrue(self.logged("breaks the schema", LogLevel.error))
        self.receive(2, "b2", "BootNotification", BOOT_REQ)
        self.assertEqual(self.sent_one()[:3], [4, "b2", "InternalError"])
        self.receive(2, "b3", "BootNotification", BOOT_REQ)
        self.assertEqual(self.sent_one()[:3], [4, "b3", "InternalError"])
        self.flushLoggedErrors(ValueError)

    def test_nullPayload(self):
        """
        A CALL payload of C{null} reads as C{{}} (section 4.2.1).
        """
        self.make_session(
            CS, {"Heartbeat": lambda request: HeartbeatResponse(current_time=NOW)}
        )
        self.receive(2, "h1", "Heartbeat", None)
        self.assertEqual(self.sent_one(), [3, "h1", {"currentTime": NOW_TEXT}])


#: Garbage frames: (text, expected answer as (code, id), or None for none).
GARBAGE = [
    ("not json", None),
    ("", None),
    ("[2, \"g\", \"Heartbeat\", {}", None),
    ("[2, \"g\", \"Heartbeat\", {\"x\": NaN}]", None),
    ("{\"a\": 1}", None),
    ("\"[2]\"", None),
    ("42", None),
    ("null", None),
    ("[]", None),
    ("[2]", None),
    ("[2, \"g\"]", ("FormationViolation", "g")),
    ("[2, \"g\", \"Heartbeat\"]", ("FormationViolation", "g")),
    ("[2, \"g\", \"Heartbeat\", {}, {}]", ("FormationViolation", "g")),
    ("[2, 17, \"Heartbeat\", {}]", None),
    ("[2, null, \"Heartbeat\", {}]", None),
    ("[2, \"g\", 17, {}]", ("FormationViolation", "g")),
    ("[2, \"g\", [\"Heartbeat\"], {}]", ("FormationViolation", "g")),
    ("[2, \"g\", \"Heartbeat\", []]", ("FormationViolation", "g")),
    ("[2, \"g\", \"Heartbeat\", \"{}\"]", ("FormationViolation", "g")),
    # Unknown message types are ignored (section 4.1.3).
    ("[5, \"g\", \"Heartbeat\", {}]", None),
    ("[0, \"g\"]", None),
    ("[1, \"g\", {}]", None),
    ("[-2, \"g\", \"Heartbeat\", {}]", None),
    ("[%s, \"g\", \"Heartbeat\", {}]" % ("2" * 5000), None),
    # An integer too long to convert: the id is recovered.
    ("[2, \"g\", \"Heartbeat\", {\"x\": %s}]" % ("9" * 5000),
     ("TypeConstraintViolation", "g")),
    ("[5, 17]", None),
    ("[\"2\", \"g\", \"Heartbeat\", {}]", ("FormationViolation", "g")),
    ("[null, \"g\", \"Heartbeat\", {}]", ("FormationViolation", "g")),
    ("[2.0, \"g\", \"Heartbeat\", {}]", ("FormationViolation", "g")),
    # Malformed CALLRESULTs and CALLERRORs answer no CALL of the peer's:
    # never answered.
    ("[3, \"g\"]", None),
    ("[3, \"g\", {}, {}]", None),
    ("[3, \"g\", []]", None),
    ("[3, 17, {}]", None),
    ("[4, \"g\", \"GenericError\", \"\"]", None),
    ("[4, \"g\", \"GenericError\", \"\", {}, {}]", None),
    ("[4, \"g\", \"GenericError\", \"\", null]", None),
    ("[4, \"g\", \"GenericError\", \"\", []]", None),
    ("[4, \"g\", \"GenericError\", \"\", \"details\"]", None),
    ("[4, \"g\", 500, \"\", {}]", None),
    ("[4, \"g\", \"GenericError\", null, {}]", None),
]


class MalformedFrameTests(SessionTestMixin, SynchronousTestCase):
    """
    Frames that are not well-formed OCPP-J are answered with a CALLERROR
    when that is possible and meaningful, and always logged.
    """

    def test_garbage(self):
        """
        Each garbage frame gets its expected answer, or none, and a warning
        in the log; the session works on afterwards.
        """
        session = self.make_session(
            CS, {"Heartbeat": lambda request: HeartbeatResponse(current_time=NOW)}
        )
        for text, answer in GARBAGE:
            with self.subTest(text=text):
                before = len(self.logged("Malformed frame from CP-1", LogLevel.warn))
                session.text_received(text)
                frames = self.sent()
                if answer is None:
                    self.assertEqual(frames, [])
                else:
                    code, unique_id = answer
                    self.assertEqual(len(frames), 1)
                    self.assertEqual(frames[0][:3], [4, unique_id, code])
                    self.assertEqual(frames[0][4], {})
                    self.assertTrue(frames[0][3])
                after = len(self.logged("Malformed frame from CP-1", LogLevel.warn))
                self.assertEqual(after, before + 1)
        self.receive(2, "ok", "Heartbeat", {})
        self.assertEqual(self.sent_one(), [3, "ok", {"currentTime": NOW_TEXT}])

    def test_garbageWhileCalling(self):
        """
        Garbage that does not carry our outstanding call's id leaves it
        waiting.
        """
        session = self.make_session()
        d = session.call(HeartbeatRequest())
        unique_id = self.sent_one()[1]
        for text, answer in GARBAGE:
            session.text_received(text)
        self.assertNoResult(d)
        self.receive(3, unique_id, {"currentTime": NOW_TEXT})
        self.successResultOf(d)

    def test_hugeGarbageLoggedShort(self):
        """
        The log line of a malformed frame holds at most its first 1000
        characters.
        """
        session = self.make_session()
        session.text_received("x" * 100000)
        (event,) = self.logged("Malformed frame", LogLevel.warn)
        self.assertEqual(len(event["text"]), 1000)

    def test_deepNesting(self):
        """
        JSON nested too deep to parse is dropped like any other.
        """
        session = self.make_session()
        session.text_received("[" * 100000 + "]" * 100000)
        self.assertEqual(self.sent(), [])
        self.assertTrue(self.logged("Malformed frame", LogLevel.warn))


class SpecCornerCaseTests(SessionTestMixin, SynchronousTestCase):
    """
    OCPP-J section 4's corner cases, with raw frames.
    """

    def heartbeat_session(self, role=CS):
        self.answered = []

        def heartbeat(request):
            self.answered.append(request)
            return HeartbeatResponse(current_time=NOW)

        return self.make_session(role, {"Heartbeat": heartbeat})

    def test_unknownMessageTypeIgnored(self):
        """
        A message type number that is not 2, 3 or 4 is ignored (section
        4.1.3): not answered, not handled, only logged; the session works on.
        """
        self.heartbeat_session()
        for kind in (0, 1, 5, 6, 99, -2):
            with self.subTest(kind=kind):
                self.session.text_received(
                    json.dumps([kind, "u%d" % kind, "Heartbeat", {}])
                )
                self.assertEqual(self.sent(), [])
        self.assertEqual(self.answered, [])
        self.assertEqual(
            len(self.logged("Unknown message type", LogLevel.warn)), 6
        )
        self.receive(2, "ok", "Heartbeat", {})
        self.assertEqual(self.sent_one(), [3, "ok", {"currentTime": NOW_TEXT}])

    def test_longIntegerCallAnswered(self):
        """
        A CALL whose payload holds an integer too long to read (beyond
        Python's int_max_str_digits, which orjson and the json module both
        refuse) is still answered with a CALLERROR carrying its id.
        """
        self.heartbeat_session()
        self.session.text_received(
            '[2,"big","Heartbeat",{"n":%s}]' % ("7" * 5000)
        )
        frame = self.sent_one()
        self.assertEqual(frame[:2], [4, "big"])
        self.assertEqual(frame[2], "TypeConstraintViolation")
        self.assertIn("5000 digits", frame[3])
        self.assertEqual(self.answered, [])

    def test_longIntegerResultFailsCall(self):
        """
        A CALLRESULT to our outstanding call holding such an integer fails
        that call with L{InvalidResponse}; it is not answered.
        """
        session = self.make_session()
        d = session.call(HeartbeatRequest())
        unique_id = self.sent_one()[1]
        session.text_received(
            '[3,"%s",{"currentTime":%s}]' % (unique_id, "7" * 5000)
        )
        self.failureResultOf(d, InvalidResponse)
        self.assertEqual(self.sent(), [])


class OverlongUniqueIdTests(SynchronousTestCase):
    """
    A CALL whose unique id is longer than 36 characters (OCPP-J table 3) is
    answered with a CALLERROR that echoes it exactly (table 6; section 4.2.3
    names "unique identifier too long" among CALLERROR's reasons).  The
    oracle refuses ids over 36 characters, so these tests read the frames
    themselves.
    """

    def setUp(self):
        self.connection = FakeConnection()
        self.handled = []

        def heartbeat(request):
            self.handled.append(request)
            return HeartbeatResponse(current_time=NOW)

        self.session = RpcSession(CS, {"Heartbeat": heartbeat}, Clock())
        self.session.connection_made(self.connection)

    def test_echoed(self):
        """
        Ids of 37 and of 5000 characters are echoed in a FormationViolation;
        the call is not handled.
        """
        for length in (37, 5000):
            unique_id = "x" * length
            self.session.text_received(
                json.dumps([2, unique_id, "Heartbeat", {}])
            )
            frame = json.loads(self.connection.sent[-1])
            self.assertEqual(frame[:3], [4, unique_id, "FormationViolation"])
            self.assertIn("longer than 36", frame[3])
            self.assertEqual(frame[4], {})
        self.assertEqual(self.handled, [])
        self.assertEqual(len(self.connection.sent), 2)

    def test_echoedWhenMalformedOtherwise(self):
        """
        A CALL with such an id and a missing payload is answered with its id
        too.
        """
        unique_id = "y" * 40
        self.session.text_received(json.dumps([2, unique_id, "Heartbeat"]))
        (text,) = self.connection.sent
        self.assertEqual(json.loads(text)[:3], [4, unique_id, "FormationViolation"])

    def test_thirtySixHandled(self):
        """
        An id of exactly 36 characters is a proper one: the call is handled.
        """
        unique_id = "z" * 36
        self.session.text_received(json.dumps([2, unique_id, "Heartbeat", {}]))
        (text,) = self.connection.sent
        self.assertEqual(json.loads(text)[:2], [3, unique_id])
        self.assertEqual(len(self.handled), 1)


class SilentSessionTests(SessionTestMixin, SynchronousTestCase):
    """
    L{RpcSession.answer_calls} off: the peer's CALLs are not answered at all
    (a Rejected charge point, OCPP 1.6 section 4.2).
    """

    def test_defaultAnswers(self):
        """
        A session answers calls by default.
        """
        self.assertTrue(self.make_session().answer_calls)

    def test_noCallAnswered(self):
        """
        While off, no CALL gets a CALLRESULT or CALLERROR: not one with a
        handler, an unknown action, an action this role does not receive,
        one without handler, a malformed one, a duplicate id, an overlong id
        or one with an integer too long to read; no handler is called.
        """
        called = []
        session = self.make_session(
            CP,
            {"Reset": lambda request: called.append(request)
             or ResetResponse(status=ResetStatus.ACCEPTED)},
        )
        session.answer_calls = False
        self.assertFalse(session.answer_calls)
        for text in (
            '[2,"a","Reset",{"type":"Hard"}]',
            '[2,"a","Reset",{"type":"Hard"}]',
            '[2,"b","NoSuchAction",{}]',
            '[2,"c","Heartbeat",{}]',
            '[2,"d","GetConfiguration",{}]',
            '[2,"e","Reset",{"type":"Sideways"}]',
            '[2,"f","Reset"]',
            '["2","g","Reset",{}]',
            '[2,"%s","Reset",{"type":"Hard"}]' % ("h" * 37),
            '[2,"i","Reset",{"n":%s}]' % ("9" * 5000),
        ):
            session.text_received(text)
        self.assertEqual(self.sent(), [])
        self.assertEqual(called, [])
        self.assertEqual(len(self.logged("calls are not answered")), 10)

    def test_ownCallsGoOn(self):
        """
        While off, our own calls go out and their answers are taken.
        """
        session = self.make_session()
        session.answer_calls = False
        d = session.call(HeartbeatRequest())
        unique_id = self.sent_one()[1]
        self.receive(3, unique_id, {"currentTime": NOW_TEXT})
        self.assertEqual(self.successResultOf(d).current_time, NOW)

    def test_onAgain(self):
        """
        Switched on again, calls are answered again.
        """
        session = self.make_session(
            CP, {"Reset": lambda request: ResetResponse(status=ResetStatus.ACCEPTED)}
        )
        session.answer_calls = False
        self.receive(2, "a", "Reset", {"type": "Soft"})
        session.answer_calls = True
        self.receive(2, "b", "Reset", {"type": "Soft"})
        self.receive(2, "c", "NoSuchAction", {})
        frames = self.sent()
        self.assertEqual(frames[0], [3, "b", {"status": "Accepted"}])
        self.assertEqual(frames[1][:3], [4, "c", "NotImplemented"])
        self.assertEqual(len(frames), 2)


class ObserverTests(SessionTestMixin, SynchronousTestCase):
    """
    Observers see every frame in and out.
    """

    def test_inAndOut(self):
        """
        An observer sees our CALL and its answer, the peer's CALL and ours,
        and garbage, with their direction, exact text and the session.
        """
        seen = []
        session = self.make_session(
            CP, {"Reset": lambda request: ResetResponse(status=ResetStatus.ACCEPTED)}
        )
        session.add_observer(lambda *args: seen.append(args))
        d = session.call(HeartbeatRequest())
        call_text = self.connection.sent[-1]
        answer = '[3,"t-1",{"currentTime":"%s"}]' % NOW_TEXT
        session.text_received(answer)
        self.successResultOf(d)
        reset = '[2,"cs-1","Reset",{"type":"Hard"}]'
        self._actions["cs-1"] = "Reset"
        session.text_received(reset)
        session.text_received("garbage")
        self.assertEqual(
            seen,
            [
                ("out", call_text, session),
                ("in", answer, session),
                ("in", reset, session),
                ("out", '[3,"cs-1",{"status":"Accepted"}]', session),
                ("in", "garbage", session),
            ],
        )

    def test_parsedInAndOut(self):
        """
        An L{IParsedFrameObserver} is shown the message type, unique id and
        action or error code of every frame the session parses or sends,
        and the text of a frame it cannot parse.
        """
        seen = []

        @implementer(IParsedFrameObserver)
        class Parsed:
            def __call__(self, direction, text, session):
                seen.append((direction, text, session))

            def parsed(self, direction, kind, unique_id, name, session):
                seen.append((direction, kind, unique_id, name, session))

        session = self.make_session(
            CP, {"Reset": lambda request: ResetResponse(status=ResetStatus.ACCEPTED)}
        )
        session.add_observer(Parsed())
        d = session.call(HeartbeatRequest())
        session.text_received('[3,"t-1",{"currentTime":"%s"}]' % NOW_TEXT)
        self.successResultOf(d)
        self._actions["cs-1"] = "Reset"
        session.text_received('[2,"cs-1","Reset",{"type":"Hard"}]')
        session.text_received('[2,"cs-2","NoSuchAction",{}]')
        session.text_received("garbage")
        self.assertEqual(
            seen,
            [
                ("out", 2, "t-1", "Heartbeat", session),
                ("in", 3, "t-1", None, session),
                ("in", 2, "cs-1", "Reset", session),
                ("out", 3, "cs-1", None, session),
                ("in", 2, "cs-2", "NoSuchAction", session),
                ("out", 4, "cs-2", "NotImplemented", session),
                ("in", "garbage", session),
            ],
        )

    def test_outBeforeSend(self):
        """
        An observer sees a frame going out before the transport does, so
        that a synchronous answer is seen after it.
        """
        order = []
        session = self.make_session()
        session.add_observer(lambda direction, text, s: order.append(direction))
        self.connection.send_text = lambda text: order.append("sent")
        session.call(HeartbeatRequest())
        self.assertEqual(order, ["out", "sent"])

    def test_raisingObserver(self):
        """
        An observer that raises is logged; the frame is still handled and
        other observers still see it.
        """
        seen = []

        def broken(direction, text, session):
            raise RuntimeError("observer bug")

        session = self.make_session()
        session.add_observer(broken)
        session.add_observer(lambda *args: seen.append(args[0]))
        d = session.call(HeartbeatRequest())
        self.receive(3, self.sent_one()[1], {"currentTime": NOW_TEXT})
        self.successResultOf(d)
        self.assertEqual(seen, ["out", "in"])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 2)

    def test_remove(self):
        """
        A removed observer sees no more frames; removing one never added
        raises C{ValueError}.
        """
        seen = []
        observer = lambda *args: seen.append(args)  # noqa: E731
        session = self.make_session()
        session.add_observer(observer)
        session.remove_observer(observer)
        session.call(HeartbeatRequest())
        self.assertEqual(seen, [])
        self.assertRaises(ValueError, session.remove_observer, observer)

    def test_debugLinePerFrame(self):
        """
        With C{log_frames} on, each frame in and out is logged once at debug
        level, with its direction and text.
        """
        session = self.make_session(log_frames=True)
        session.call(HeartbeatRequest())
        answer = '[3,"t-1",{"currentTime":"%s"}]' % NOW_TEXT
        session.text_received(answer)
        self.assertEqual(
            self._frameLines(),
            [("out", self.connection.sent[0]), ("in", answer)],
        )

    def test_noFrameLinesByDefault(self):
        """
        By default frames are not logged one by one; switching
        C{log_frames} on takes effect at once.
        """
        session = self.make_session()
        self.assertFalse(session.log_frames)
        session.call(HeartbeatRequest())
        session.text_received('[3,"t-1",{"currentTime":"%s"}]' % NOW_TEXT)
        self.assertEqual(self._frameLines(), [])
        session.log_frames = True
        session.call(HeartbeatRequest())
        self.assertEqual(self._frameLines(), [("out", self.connection.sent[1])])

    def _frameLines(self):
        return [
            (event["direction"], event["text"])
            for event in self.events
            if event["log_level"] is LogLevel.debug and "text" in event
        ]
