"""
A scripted central system for the charge point's tests: an RPC session of
the central system role joined to a charge point's connection handler by an
in-memory link. It answers every request (answers may be replaced per
action), records what it received, and checks every frame the charge point
sends against the official schemas (L{tests.oracle}).  L{ChargePointTestCase}
puts a charge point and one of these on a L{Clock} for each test.
"""

import itertools
import json
from datetime import datetime, timedelta, timezone

from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.service import ChargePoint
from openocpp.messages import (
    AuthorizeResponse,
    BootNotificationResponse,
    DataTransferResponse,
    DiagnosticsStatusNotificationResponse,
    FirmwareStatusNotificationResponse,
    HeartbeatResponse,
    IdTagInfo,
    LogStatusNotificationResponse,
    MeterValuesResponse,
    SecurityEventNotificationResponse,
    StartTransactionResponse,
    StatusNotificationResponse,
    StopTransactionResponse,
)
from openocpp.messages.enums import (
    AuthorizationStatus,
    DataTransferStatus,
    RegistrationStatus,
)
from openocpp.messages.registry import ACTIONS, Role
from openocpp.plugins import make_plugin_manager
from openocpp.rpc.frames import unique_id_factory
from openocpp.rpc.session import RpcSession
from openocpp.transport.interfaces import IOcppConnection
from tests.oracle import assert_frame_valid

#: The central system's time when the clock reads 0.
BASE_TIME = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)


@implementer(IOcppConnection)
class LinkEnd:
    """
    One end of an in-memory connection.
    """

    def __init__(self, link: "Link", side: str, identity: str) -> None:
        self.link = link
        self.side = side
        self.identity = identity
        self.peer = None
        self.security_profile = 0
        self.client_certificate = None

    def send_text(self, text: str) -> None:
        if not self.link.closed:
            self.link.in_flight.append((self.side, text))

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.link.close()


class Link:
    """
    A connection between a charge point's handler and the central system's
    session; frames wait in C{in_flight} until delivered.
    """

    def __init__(self, central_system: "ScriptedCentralSystem", handler, session) -> None:
        self.central_system = central_system
        self.handler = handler
        self.session = session
        self.in_flight: list[tuple[str, str]] = []
        self.closed = False
        self.cp_end = LinkEnd(self, "cp", central_system.identity)
        self.cs_end = LinkEnd(self, "cs", central_system.identity)

    def open(self) -> None:
        self.session.connection_made(self.cs_end)
        self.handler.connection_made(self.cp_end)

    def deliver_one(self) -> bool:
        if not self.in_flight or self.closed:
            return False
        side, text = self.in_flight.pop(0)
        if side == "cp":
            self.central_system.check_cp_frame(text)
            self.session.text_received(text)
        else:
            self.central_system.note_cs_frame(text)
            self.handler.text_received(text)
        return True

    def sever(self) -> None:
        """
        The charge point's process died: the central system sees the
        connection drop, the charge point hears nothing.
        """
        if self.closed:
            return
        self.closed = True
        self.in_flight.clear()
        self.session.connection_lost(Failure(ConnectionDone()))

    def close(self) -> None:
        """
        Close the connection: frames already sent arrive first.
        """
        if self.closed:
            return
        pending, self.in_flight = self.in_flight, []
        for item in pending:
            self.in_flight = [item]
            self.deliver_one()
        self.closed = True
        self.in_flight.clear()
        reason = Failure(ConnectionDone())
        self.session.connection_lost(reason)
        self.handler.connection_lost(reason)


class ScriptedCentralSystem:
    """
    Answers a charge point like a central system would.

    @ivar answers: by action, a callable taking the request and returning
        the response (or a Deferred of it), or raising C{CallError}.
    @ivar received: (action, request) of every request received, in order.
    @ivar frames: every frame the charge point sent, decoded.
    """

    def __init__(self, testcase, clock, identity: str = "CP001") -> None:
        self.testcase = testcase
        self.clock = clock
        self.identity = identity
        self.received: list[tuple[str, object]] = []
        self.frames: list[list] = []
        self.link: Link | None = None
        self.session: RpcSession | None = None
        self._cs_calls: dict[str, str] = {}
        self.transaction_ids = itertools.count(100)
        #: The SecurityEventNotification.req received, in order.
        self.security_events: list = []
        self.answers = {
            "Authorize": lambda r: AuthorizeResponse(
                id_tag_info=IdTagInfo(status=AuthorizationStatus.ACCEPTED)
            ),
            "BootNotification": lambda r: BootNotificationResponse(
                status=RegistrationStatus.ACCEPTED, current_time=self.now(), interval=300
            ),
            "DataTransfer": lambda r: DataTransferResponse(status=DataTransferStatus.ACCEPTED),
            "DiagnosticsStatusNotification": lambda r: DiagnosticsStatusNotificationResponse(),
            "FirmwareStatusNotification": lambda r: FirmwareStatusNotificationResponse(),
            "Heartbeat": lambda r: HeartbeatResponse(current_time=self.now()),
            "LogStatusNotification": lambda r: LogStatusNotificationResponse(),
            "MeterValues": lambda r: MeterValuesResponse(),
            "StartTransaction": lambda r: StartTransactionResponse(
                id_tag_info=IdTagInfo(status=AuthorizationStatus.ACCEPTED),
                transaction_id=next(self.transaction_ids),
            ),
            "SecurityEventNotification": lambda r: SecurityEventNotificationResponse(),
            "StatusNotification": lambda r: StatusNotificationResponse(),
            "StopTransaction": lambda r: StopTransactionResponse(
                id_tag_info=IdTagInfo(status=AuthorizationStatus.ACCEPTED) if r.id_tag else None
            ),
        }

    def now(self) -> datetime:
        return BASE_TIME + timedelta(seconds=self.clock.seconds())

    # -- connection -----------------------------------------------------------------

    def connect(self, charge_point, settle: bool = True) -> Link:
        """
        Open a connection from the charge point, and deliver what follows
        (unless C{settle} is false: then frames wait to be delivered one by
        one with C{link.deliver_one()}).
        """
        handlers = {
            name: self._handler(name)
            for name, spec in ACTIONS.items()
            if spec.received_by(Role.CENTRAL_SYSTEM)
        }
        self.session = RpcSession(
            Role.CENTRAL_SYSTEM, handlers, self.clock, call_timeout=30,
            unique_ids=unique_id_factory("cs"),
        )
        handler = charge_point.handler_factory(None)
        self.link = Link(self, handler, self.session)
        self.link.open()
        if settle:
            self.settle()
        return self.link

    def disconnect(self) -> None:
        if self.link is not None:
            self.link.close()
        self.settle()

    def crash(self) -> None:
        """
        Kill the charge point's process: its connection drops unseen by it,
        and every timer of its (and ours) is gone.
        """
        if self.link is not None:
            self.link.sever()
        for call in list(self.clock.getDelayedCalls()):
            call.cancel()

    def _handler(self, action: str):
        def handle(request):
            # Every start and every time set raises a critical security
            # event: they are kept apart (security_events), so that what
            # a test asserts of the other messages does not change.
            if action == "SecurityEventNotification":
                self.security_events.append(request)
            else:
                self.received.append((action, request))
            return self.answers[action](request)

        return handle

    # -- frames ------------------------------------------------------------------------

    def check_cp_frame(self, text: str) -> None:
        frame = json.loads(text)
        self.frames.append(frame)
        if frame[0] == 3:
            assert_frame_valid(self.testcase, text, action=self._cs_calls.pop(frame[1]))
        else:
            if frame[0] == 4:
                self._cs_calls.pop(frame[1], None)
            assert_frame_valid(self.testcase, text)

    def note_cs_frame(self, text: str) -> None:
        frame = json.loads(text)
        if frame[0] == 2:
            self._cs_calls[frame[1]] = frame[2]

    def flush(self) -> None:
        while self.link is not None and self.link.deliver_one():
            pass

    def settle(self) -> None:
        """
        Deliver frames and run what is due now, until nothing is left.
        """
        for _ in range(1000):
            self.flush()
            due = [c for c in self.clock.getDelayedCalls() if c.getTime() <= self.clock.seconds()]
            if not due:
                return
            self.clock.advance(0)
        raise AssertionError("the charge point does not settle")

    def advance(self, seconds: float, step: float = 1.0) -> None:
        """
        Let C{seconds} pass, C{step} at a time, delivering frames as they go.
        """
        self.settle()
        remaining = seconds
        while remaining > 1e-9:
            delta = min(step, remaining)
            self.clock.advance(delta)
            remaining -= delta
            self.settle()

    def call(self, request):
        """
        Send a request to the charge point; the Deferred fires with its
        answer once delivered (after L{settle}).
        """
        d = self.session.call(request)
        self.settle()
        return d

    # -- what was received -----------------------------------------------------------

    def requests(self, action: str) -> list:
        return [request for name, request in self.received if name == action]

    def actions(self) -> list[str]:
        return [name for name, _ in self.received]

    def clear(self) -> None:
        self.received.clear()


def make_charge_point(testcase, clock, database: str = ":memory:", plugins=(), **settings):
    """
    A charge point that does not connect by itself, with the built-in
    behaviour and C{plugins}, on C{clock}; its store is closed at cleanup.
    """
    config = ChargePointConfig(database=database, **settings)
    manager = make_plugin_manager(
        builtins=[DefaultChargePointBehaviour()], plugins=plugins, load_entrypoints=False
    )
    charge_point = ChargePoint(config, reactor=clock, clock=clock, plugins=manager, connect=False)
    testcase.addCleanup(charge_point.store.close)
    return charge_point


def queued_transaction_messages(store) -> list[str]:
    """
    The actions of the transaction messages queued in C{store}: the queue
    also holds critical security events (SecurityEventNotification.req),
    left out here.
    """
    return [m.action for m in store.queued() if m.action != "SecurityEventNotification"]


def assert_no_timers(testcase, clock) -> None:
    """
    Fail C{testcase} if C{clock} still holds a delayed call: once the charge
    point and the scripted central system have stopped, nothing of theirs may
    be left to run (a timer left is a leak a real reactor would keep).
    """
    left = [(getattr(call.func, "__qualname__", repr(call.func)), call.getTime()) for call in clock.getDelayedCalls()]
    testcase.assertEqual(left, [], "timers left after stopping")


class LoopbackCentralSystem(ScriptedCentralSystem):
    """
    The scripted central system behind a real WebSocket server on loopback
    (L{openocpp.transport.server}): one RPC session per connection, every
    frame the charge point sends checked against the official schemas.
    """

    def __init__(self, testcase, reactor, identity: str = "CP001") -> None:
        super().__init__(testcase, reactor, identity)
        self.sessions: list[RpcSession] = []
        self.factory = None
        self.port = None

    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(microsecond=0)

    def handler_factory(self, connection):
        handlers = {
            name: self._handler(name)
            for name, spec in ACTIONS.items()
            if spec.received_by(Role.CENTRAL_SYSTEM)
        }
        session = RpcSession(Role.CENTRAL_SYSTEM, handlers, self.clock, call_timeout=10)
        session.add_observer(self._observe)
        self.sessions.append(session)
        self.session = session
        return session

    def _observe(self, direction, text, session):
        if direction == "in":
            self.check_cp_frame(text)
        else:
            self.note_cs_frame(text)

    async def listen(self, port: int = 0):
        from openocpp.transport.server import OcppServerFactory, listen

        if self.factory is None:
            self.factory = OcppServerFactory(self.handler_factory, reactor=self.clock)
        self.port = await listen(self.clock, f"tcp:{port}:interface=127.0.0.1", self.factory)
        return self.port.getHost().port

    async def stop(self):
        """
        Stop listening and close every connection.
        """
        if self.port is not None:
            await self.port.stopListening()
            self.port = None
        if self.factory is not None:
            await self.factory.close_connections()


class ChargePointTestCase(SynchronousTestCase):
    """
    A charge point on a clock, and a scripted central system.
    """

    settings: dict = {}

    def setUp(self):
        self.clock = Clock()
        self.cs = ScriptedCentralSystem(self, self.clock)
        self.plugins = self.make_plugins()
        self.cp = make_charge_point(self, self.clock, plugins=self.plugins, **self.settings)

    def make_plugins(self):
        return []

    def start(self, connect=True):
        self.cp.startService()
        self.addCleanup(self._stop)
        if connect:
            self.cs.connect(self.cp)

    def _stop(self):
        if self.cp.running:
            self.cp.stopService()
        self.cs.disconnect()
        assert_no_timers(self, self.clock)

    def boot_and_clear(self):
        self.start()
        self.cs.clear()
