"""
A charge point session and a central system session talking to each other
through an in-memory pipe, with real message objects: the RPC layer from
end to end, without sockets.
"""

import json
from datetime import datetime, timezone

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from openocpp.messages import (
    AuthorizationStatus,
    BootNotificationRequest,
    BootNotificationResponse,
    ChargePointErrorCode,
    ChargePointStatus,
    DataTransferRequest,
    DataTransferResponse,
    DataTransferStatus,
    HeartbeatRequest,
    HeartbeatResponse,
    IdTagInfo,
    Measurand,
    MeterValue,
    MeterValuesRequest,
    MeterValuesResponse,
    RegistrationStatus,
    ResetRequest,
    ResetResponse,
    ResetStatus,
    ResetType,
    SampledValue,
    StartTransactionRequest,
    StartTransactionResponse,
    StatusNotificationRequest,
    StatusNotificationResponse,
    UnitOfMeasure,
)
from openocpp.messages.errors import ErrorCode
from openocpp.messages.registry import Role
from openocpp.rpc.errors import CallError, ConnectionLost
from openocpp.rpc.frames import unique_id_factory
from openocpp.rpc.session import RpcSession
from openocpp.transport.interfaces import IOcppConnection
from tests.oracle import assert_frame_valid

NOW = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)


@implementer(IOcppConnection)
class PipeEnd:
    """
    One end of an in-memory connection: what is sent waits in the pipe
    until L{Pipe.flush} delivers it to the other end's session.
    """

    def __init__(self, pipe: "Pipe", identity: str) -> None:
        self.pipe = pipe
        self.identity = identity
        self.peer = None
        self.security_profile = 0
        self.client_certificate = None
        self.session: RpcSession | None = None
        self.other: "PipeEnd | None" = None

    def send_text(self, text: str) -> None:
        if self.pipe.synchronous:
            self.pipe.deliver(self, text)
        else:
            self.pipe.in_flight.append((self, text))

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.pipe.close()


class Pipe:
    """
    Connects a charge point session and a central system session.

    @ivar in_flight: (sender end, text) of frames not yet delivered.
    @ivar log: (sender role, frame) of every frame delivered, decoded.
    @ivar synchronous: deliver each frame as it is sent, re-entrantly (the
        answer to a CALL arrives before C{send_text} returns).
    """

    def __init__(self, testcase, cp: RpcSession, cs: RpcSession) -> None:
        self.testcase = testcase
        self.in_flight: list[tuple[PipeEnd, str]] = []
        self.log: list[tuple[Role, list]] = []
        self.synchronous = False
        self._actions: dict[tuple[Role, str], str] = {}
        self.cp_end = PipeEnd(self, "CP-7")
        self.cs_end = PipeEnd(self, "CP-7")
        self.cp_end.session, self.cs_end.session = cp, cs
        self.cp_end.other, self.cs_end.other = self.cs_end, self.cp_end
        cp.connection_made(self.cp_end)
        cs.connection_made(self.cs_end)

    def flush(self) -> None:
        """
        Deliver frames until none are in flight.
        """
        while self.in_flight:
            self.deliver(*self.in_flight.pop(0))

    def deliver(self, end: PipeEnd, text: str) -> None:
        """
        Check a frame with the oracle and hand it to the other end.
        """
        sender = end.session.role
        frame = json.loads(text)
        if frame[0] == 2:
            self._actions[(sender, frame[1])] = frame[2]
            assert_frame_valid(self.testcase, text)
        elif frame[0] == 3:
            action = self._actions[(sender.peer, frame[1])]
            assert_frame_valid(self.testcase, text, action=action)
        else:
            assert_frame_valid(self.testcase, text)
        self.log.append((sender, frame))
        end.other.session.text_received(text)

    def close(self) -> None:
        reason = Failure(ConnectionDone())
        for end in (self.cp_end, self.cs_end):
            end.session.connection_lost(reason)


class CentralSystemHandlers:
    """
    A minimal central system: accepts boots, tells the time, takes meter
    values and transactions.
    """

    def __init__(self) -> None:
        self.meter_values: list[MeterValuesRequest] = []
        self.statuses: list[StatusNotificationRequest] = []

    def handlers(self) -> dict:
        return {
            "BootNotification": self.boot,
            "Heartbeat": lambda request: HeartbeatResponse(current_time=NOW),
            "MeterValues": self.meter,
            "StatusNotification": self.status,
            "StartTransaction": self.start,
            "DataTransfer": lambda request: DataTransferResponse(
                status=DataTransferStatus.UNKNOWN_VENDOR_ID
            ),
        }

    def boot(self, request: BootNotificationRequest) -> BootNotificationResponse:
        return BootNotificationResponse(
            status=RegistrationStatus.ACCEPTED, current_time=NOW, interval=300
        )

    def meter(self, request: MeterValuesRequest) -> MeterValuesResponse:
        self.meter_values.append(request)
        return MeterValuesResponse()

    def status(self, request):
        self.statuses.append(request)
        return StatusNotificationResponse()

    def start(self, request: StartTransactionRequest) -> Deferred:
        # Answered later, as a store lookup would.
        d = Deferred()
        self.starting = d
        return d


class LoopbackTests(SynchronousTestCase):
    """
    A charge point and a central system session, back to back.
    """

    def setUp(self) -> None:
        self.clock = Clock()
        self.central = CentralSystemHandlers()
        self.resets: list[ResetRequest] = []
        self.cp = RpcSession(
            Role.CHARGE_POINT,
            {"Reset": self.reset, "DataTransfer": self.cp_data},
            self.clock,
            unique_ids=unique_id_factory("cp"),
        )
        self.cs = RpcSession(
            Role.CENTRAL_SYSTEM,
            self.central.handlers(),
            self.clock,
            unique_ids=unique_id_factory("cs"),
        )
        self.pipe = Pipe(self, self.cp, self.cs)

    def reset(self, request: ResetRequest) -> ResetResponse:
        self.resets.append(request)
        if request.type is ResetType.HARD:
            raise CallError(ErrorCode.SECURITY_ERROR, "Hard resets need a visit")
        return ResetResponse(status=ResetStatus.ACCEPTED)

    def cp_data(self, request: DataTransferRequest) -> DataTransferResponse:
        return DataTransferResponse(
            status=DataTransferStatus.ACCEPTED, data=request.data[::-1]
        )

    def test_bootHeartbeatMeterValues(self):
        """
        BootNotification, Heartbeat and MeterValues from the charge point
        arrive as typed requests and are answered with typed responses.
        """
        boot = self.cp.call(
            BootNotificationRequest(
                charge_point_vendor="VendorX",
                charge_point_model="Model1",
                firmware_version="1.2.3",
            )
        )
        heartbeat = self.cp.call(HeartbeatRequest())
        meter = MeterValuesRequest(
            connector_id=1,
            transaction_id=42,
            meter_value=[
                MeterValue(
                    timestamp=NOW,
                    sampled_value=[
                        SampledValue(
                            value="1234.5",
                            measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                            unit=UnitOfMeasure.WH,
                        ),
                        SampledValue(value="16.1", unit=UnitOfMeasure.A),
                    ],
                )
            ],
        )
        meter_values = self.cp.call(meter)
        self.pipe.flush()
        self.assertEqual(
            self.successResultOf(boot),
            BootNotificationResponse(
                status=RegistrationStatus.ACCEPTED, current_time=NOW, interval=300
            ),
        )
        self.assertEqual(
            self.successResultOf(heartbeat), HeartbeatResponse(current_time=NOW)
        )
        self.assertEqual(self.successResultOf(meter_values), MeterValuesResponse())
        self.assertEqual(self.central.meter_values, [meter])
        # One at a time: each CALL went out after the answer to the one
        # before.
        self.assertEqual(
            [(role, frame[0]) for role, frame in self.pipe.log],
            [(Role.CHARGE_POINT, 2), (Role.CENTRAL_SYSTEM, 3)] * 3,
        )

    def test_resetFromCentralSystem(self):
        """
        The central system's Reset reaches the charge point's handler; a
        CallError it raises comes back as one.
        """
        soft = self.cs.call(ResetRequest(type=ResetType.SOFT))
        hard = self.cs.call(ResetRequest(type=ResetType.HARD))
        self.pipe.flush()
        self.assertEqual(
            self.successResultOf(soft), ResetResponse(status=ResetStatus.ACCEPTED)
        )
        error = self.failureResultOf(hard, CallError).value
        self.assertEqual(
            (error.code, error.description),
            (ErrorCode.SECURITY_ERROR, "Hard resets need a visit"),
        )
        self.assertEqual(
            [r.type for r in self.resets], [ResetType.SOFT, ResetType.HARD]
        )

    def test_crossingCalls(self):
        """
        Calls made by both sides at once cross on the wire; each side
        answers the other's while its own is outstanding.
        """
        status = self.cp.call(
            StatusNotificationRequest(
                connector_id=1,
                error_code=ChargePointErrorCode.NO_ERROR,
                status=ChargePointStatus.AVAILABLE,
                timestamp=NOW,
            )
        )
        transfer = self.cs.call(
            DataTransferRequest(vendor_id="org.openocpp", data="abc")
        )
        reset = self.cs.call(ResetRequest(type=ResetType.SOFT))
        cp_transfer = self.cp.call(DataTransferRequest(vendor_id="x"))
        self.pipe.flush()
        self.successResultOf(status)
        self.assertEqual(self.successResultOf(transfer).data, "cba")
        self.successResultOf(reset)
        self.assertEqual(
            self.successResultOf(cp_transfer).status,
            DataTransferStatus.UNKNOWN_VENDOR_ID,
        )
        self.assertEqual(len(self.central.statuses), 1)

    def test_deferredAnswer(self):
        """
        An answer given later by the central system reaches the charge
        point, and the charge point's next call waits for it.
        """
        start = self.cp.call(
            StartTransactionRequest(
                connector_id=1, id_tag="TAG1", meter_start=0, timestamp=NOW
            )
        )
        heartbeat = self.cp.call(HeartbeatRequest())
        self.pipe.flush()
        self.assertNoResult(start)
        self.assertEqual(len(self.pipe.log), 1)
        self.central.starting.callback(
            StartTransactionResponse(
                transaction_id=7,
                id_tag_info=IdTagInfo(status=AuthorizationStatus.ACCEPTED),
            )
        )
        self.pipe.flush()
        self.assertEqual(self.successResultOf(start).transaction_id, 7)
        self.assertEqual(
            self.successResultOf(heartbeat), HeartbeatResponse(current_time=NOW)
        )

    def test_synchronousDelivery(self):
        """
        A transport that delivers re-entrantly (the answer arrives while the
        CALL is still being sent) keeps the order and answers everything.
        """
        calls = [
            self.cp.call(DataTransferRequest(vendor_id="v", data=str(n)))
            for n in range(20)
        ]
        resets = [self.cs.call(ResetRequest(type=ResetType.SOFT)) for _ in range(5)]
        self.pipe.synchronous = True
        self.pipe.flush()
        for d in calls:
            self.assertEqual(
                self.successResultOf(d).status, DataTransferStatus.UNKNOWN_VENDOR_ID
            )
        for d in resets:
            self.successResultOf(d)
        self.assertEqual(
            [
                frame[3]["data"]
                for role, frame in self.pipe.log
                if frame[0] == 2 and frame[2] == "DataTransfer"
            ],
            [str(n) for n in range(20)],
        )
        self.assertEqual(len(self.pipe.log), 50)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_close(self):
        """
        Closing the connection fails the calls both sides still wait on.
        """
        boot = self.cp.call(
            BootNotificationRequest(charge_point_vendor="V", charge_point_model="M")
        )
        reset = self.cs.call(ResetRequest(type=ResetType.SOFT))
        self.pipe.cp_end.close()
        self.failureResultOf(boot, ConnectionLost)
        self.failureResultOf(reset, ConnectionLost)
        self.assertEqual(self.clock.getDelayedCalls(), [])
