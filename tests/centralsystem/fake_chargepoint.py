"""
A scripted test charge point for central system tests: a real WebSocket
client and an RPC session playing the charge point, answering every request
a central system may send, and checking every frame the central system sends
against the official schemas; and the central system it talks to, on a
loopback port for each test (L{CentralSystemMixin}).
"""

import itertools
import json
import os
import sqlite3
from datetime import datetime, timezone
from typing import Any

from twisted.internet import reactor as global_reactor
from twisted.internet.defer import Deferred, inlineCallbacks, succeed

from openocpp import hookimpl
from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.service import CentralSystem
from openocpp.messages import core, security
from openocpp.messages.datatypes import (
    CertificateHashData,
    ChargingSchedule,
    ChargingSchedulePeriod,
    KeyValue,
)
from openocpp.messages.registry import Role
from openocpp.rpc.session import RpcSession
from openocpp.transport.client import OcppClientFactory, client_endpoint, open_connection
from tests.oracle import assert_frame_valid

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)

#: A valid answer to every request a central system may send.
ANSWERS = {
    "CancelReservation": core.CancelReservationResponse(status="Accepted"),
    "ChangeAvailability": core.ChangeAvailabilityResponse(status="Accepted"),
    "ChangeConfiguration": core.ChangeConfigurationResponse(status="Accepted"),
    "ClearCache": core.ClearCacheResponse(status="Accepted"),
    "ClearChargingProfile": core.ClearChargingProfileResponse(status="Accepted"),
    "DataTransfer": core.DataTransferResponse(status="Accepted", data="pong"),
    "GetCompositeSchedule": core.GetCompositeScheduleResponse(
        status="Accepted",
        connector_id=1,
        schedule_start=NOW,
        charging_schedule=ChargingSchedule(
            charging_rate_unit="A",
            charging_schedule_period=[ChargingSchedulePeriod(start_period=0, limit=16.5)],
        ),
    ),
    "GetConfiguration": core.GetConfigurationResponse(
        configuration_key=[KeyValue(key="HeartbeatInterval", readonly=False, value="300")],
        unknown_key=["Nope"],
    ),
    "GetDiagnostics": core.GetDiagnosticsResponse(file_name="diagnostics.zip"),
    "GetLocalListVersion": core.GetLocalListVersionResponse(list_version=3),
    "RemoteStartTransaction": core.RemoteStartTransactionResponse(status="Accepted"),
    "RemoteStopTransaction": core.RemoteStopTransactionResponse(status="Accepted"),
    "ReserveNow": core.ReserveNowResponse(status="Accepted"),
    "Reset": core.ResetResponse(status="Accepted"),
    "SendLocalList": core.SendLocalListResponse(status="Accepted"),
    "SetChargingProfile": core.SetChargingProfileResponse(status="Accepted"),
    "TriggerMessage": core.TriggerMessageResponse(status="Accepted"),
    "UnlockConnector": core.UnlockConnectorResponse(status="Unlocked"),
    "UpdateFirmware": core.UpdateFirmwareResponse(),
    "CertificateSigned": security.CertificateSignedResponse(status="Accepted"),
    "DeleteCertificate": security.DeleteCertificateResponse(status="Accepted"),
    "ExtendedTriggerMessage": security.ExtendedTriggerMessageResponse(status="Accepted"),
    "GetInstalledCertificateIds": security.GetInstalledCertificateIdsResponse(
        status="Accepted",
        certificate_hash_data=[
            CertificateHashData(
                hash_algorithm="SHA256",
                issuer_name_hash="a" * 64,
                issuer_key_hash="b" * 64,
                serial_number="01",
            )
        ],
    ),
    "GetLog": security.GetLogResponse(status="Accepted", filename="log.txt"),
    "InstallCertificate": security.InstallCertificateResponse(status="Accepted"),
    "SignedUpdateFirmware": security.SignedUpdateFirmwareResponse(status="Accepted"),
}


class TestChargePoint:
    """
    One scripted charge point connection.

    @ivar session: its L{RpcSession} (role: charge point).
    @ivar connection: its connection once open.
    @ivar answers: the answer to each action's request by action name: a
        response, an exception to raise, or a callable of the request
        returning either.
    @ivar received: the typed requests the central system sent, in order.
    @ivar frames: every frame in and out, as (direction, text).
    """

    def __init__(self, testcase: Any, identity: str, answers: dict | None = None) -> None:
        self.testcase = testcase
        self.identity = identity
        self.answers = dict(ANSWERS if answers is None else answers)
        self.received: list = []
        self._received_changed = Condition()
        self.frames: list = []
        self._actions: dict[str, str] = {}
        self.session: RpcSession | None = None
        self.connection = None

    def _handler(self, action: str):
        def answer(request):
            self.received.append(request)
            # Told on the next reactor turn, once the request is handled:
            # a test woken by it does not run inside the session's dispatch.
            global_reactor.callLater(0, self._received_changed.changed)
            answer = self.answers[action]
            if callable(answer):
                # A script: the answer depends on the request.
                answer = answer(request)
            if isinstance(answer, Exception):
                raise answer
            return answer

        return answer

    def _observe(self, direction: str, text: str, session: Any) -> None:
        self.frames.append((direction, text))
        frame = json.loads(text)
        if direction == "out":
            if frame[0] == 2:
                self._actions[frame[1]] = frame[2]
            return
        # Every frame the central system sends must be valid: CALLs by their
        # action, CALLRESULTs by the action of our CALL they answer.
        if frame[0] == 2:
            assert_frame_valid(self.testcase, frame)
        elif frame[0] == 3:
            assert_frame_valid(self.testcase, frame, action=self._actions.get(frame[1]))
        else:
            assert_frame_valid(self.testcase, frame)

    def make_session(self, connection: Any) -> RpcSession:
        """
        The transport's handler factory.
        """
        self.session = RpcSession(
            Role.CHARGE_POINT,
            {action: self._handler(action) for action in self.answers},
            global_reactor,
            call_timeout=10,
        )
        self.session.add_observer(self._observe)
        return self.session

    @inlineCallbacks
    def connect(self, url: str, password: str | None = None, security_profile: int = 0, tls_options=None):
        """
        Connect to the central system at C{url}; fire with self once open.
        """
        factory = OcppClientFactory(
            url,
            self.identity,
            self.make_session,
            security_profile=security_profile,
            password=password,
            reactor=global_reactor,
        )
        self.factory = factory
        endpoint = client_endpoint(global_reactor, url, tls_options=tls_options)
        self.connection = yield open_connection(endpoint, factory)
        return self

    def wait_for(self, count: int = 1) -> Deferred:
        """
        Fire once the central system has sent C{count} requests (at once if
        it has already).
        """
        return self._received_changed.wait(lambda: len(self.received) >= count)

    def call(self, request: Any) -> Deferred:
        """
        Send a request to the central system.
        """
        return self.session.call(request)

    def close(self) -> Deferred:
        """
        Close the connection; fire once it is closed.
        """
        return self.close_after(self.connection.close)

    def when_lost(self) -> Deferred:
        """
        Fire once the connection is lost, whoever closed it.
        """
        return self.connection.when_lost()

    def close_after(self, action) -> Deferred:
        lost = self.when_lost()
        action()
        return lost


_unique_ids = itertools.count(1)


def raw_call(cp, action, payload):
    """
    Send a CALL frame as text from the scripted charge point C{cp}; fire
    with the frame answering it (a CALLRESULT or CALLERROR, decoded).
    """
    unique_id = f"raw-{next(_unique_ids)}"
    answered = Deferred()

    def observe(direction, text, session):
        frame = json.loads(text)
        if direction == "in" and frame[0] in (3, 4) and frame[1] == unique_id:
            session.remove_observer(observe)
            answered.callback(frame)

    cp.session.add_observer(observe)
    # The scripted charge point checks the answer against the schema of
    # the action it believes it called.
    cp._actions[unique_id] = action
    cp.connection.send_text(json.dumps([2, unique_id, action, payload]))
    return answered


class RejectingBoot:
    """
    A plugin answering every BootNotification with Rejected.
    """

    @hookimpl
    def openocpp_cs_boot_notification(self, charge_point, request):
        return core.BootNotificationResponse(status="Rejected", current_time=NOW, interval=60)


BOOT = core.BootNotificationRequest(
    charge_point_vendor="Acme",
    charge_point_model="Volt-22",
    charge_point_serial_number="SN-1",
    firmware_version="1.2.3",
)


class CentralSystemMixin:
    """
    Runs a central system on a loopback port for each test.
    """

    config_overrides: dict = {}

    def start_central_system(self, load_entrypoints=False, **overrides):
        """
        Start a central system on a loopback port, configured with
        C{overrides}.

        @param load_entrypoints: whether the installed plugins (C{openocpp}
            entry points) join it; off unless a test is about them, so that a
            plugin installed on the machine does not change the results.
        """
        settings = dict(
            listen="tcp:0:interface=127.0.0.1",
            database=os.path.abspath(self.mktemp() + ".sqlite"),
            ping_interval=0,
        )
        settings.update(self.config_overrides)
        settings.update(overrides)
        self.config = CentralSystemConfig(**settings)
        self.central = self.make_central_system(self.config, load_entrypoints=load_entrypoints)
        self.central.startService()
        self.addCleanup(self.central.stopService)
        return self.central.when_listening().addCallback(self._listening)

    def make_central_system(self, config, load_entrypoints=False):
        """
        Build (not start) a central system for C{config} on the reactor,
        with this test's L{service_arguments}.

        @param load_entrypoints: see L{start_central_system}.
        """
        arguments = {"load_entrypoints": load_entrypoints}
        arguments.update(self.service_arguments())
        return CentralSystem(config, reactor=global_reactor, **arguments)

    def service_arguments(self):
        """
        Keyword arguments a test case adds to L{CentralSystem}'s.
        """
        return {}

    def _listening(self, port):
        scheme = "wss" if self.config.security_profile >= 2 else "ws"
        self.url = f"{scheme}://localhost:{port.getHost().port}/ocpp"
        return port

    @inlineCallbacks
    def connect(self, identity="CP1", password=None, security_profile=0, tls_options=None):
        charge_point = TestChargePoint(self, identity)
        yield charge_point.connect(
            self.url, password=password, security_profile=security_profile, tls_options=tls_options
        )
        self.addCleanup(lambda: charge_point.close() if charge_point.connection.open else None)
        return charge_point

    def rows(self, sql, *arguments):
        # Read the SQLite file through a connection of our own: what is
        # there is what a crash would leave.
        connection = sqlite3.connect(self.config.database)
        connection.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in connection.execute(sql, arguments)]
        finally:
            connection.close()


class Condition:
    """
    Deferreds waiting for a predicate on some recorded state, checked each
    time the recorder says the state changed: a test waits on the event
    itself instead of polling the clock (trial's timeout bounds the wait).
    """

    def __init__(self) -> None:
        self._waiting: list = []

    def wait(self, predicate) -> Deferred:
        """
        A Deferred firing (with None) once C{predicate()} is true: at once
        if it is already.
        """
        if predicate():
            return succeed(None)
        waiting = Deferred()
        self._waiting.append((predicate, waiting))
        return waiting

    def changed(self) -> None:
        """
        The state changed: fire the Deferreds whose predicate is now true.
        """
        waiting, self._waiting = self._waiting, []
        for predicate, deferred in waiting:
            if predicate():
                deferred.callback(None)
            else:
                self._waiting.append((predicate, deferred))


class ObservedList(list):
    """
    A list whose appends a L{Condition} hears of: for a plugin's record of
    what it did, waited on with L{wait}.
    """

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.condition = Condition()

    def append(self, item) -> None:
        super().append(item)
        self.condition.changed()

    def wait(self, predicate) -> Deferred:
        """
        See L{Condition.wait}.
        """
        return self.condition.wait(predicate)


class _DisconnectWatcher:
    """
    A plugin firing a Deferred when the central system says a charge point
    is disconnected.
    """

    def __init__(self, central, identity: str) -> None:
        self.central = central
        self.identity = identity
        self.disconnected = Deferred()

    @hookimpl
    def openocpp_cs_charge_point_disconnected(self, charge_point):
        if charge_point.identity == self.identity:
            # On the next reactor turn: once the central system has finished
            # telling every plugin, and not while pluggy loops over them.
            global_reactor.callLater(0, self._fire)

    def _fire(self):
        if not self.disconnected.called:
            self.central.plugins.unregister(self)
            self.disconnected.callback(None)


def when_disconnected(central, identity: str) -> Deferred:
    """
    A Deferred firing once the central system C{central} has said through
    its C{openocpp_cs_charge_point_disconnected} hook that C{identity} is
    disconnected (at once if it is not connected now).
    """
    if identity not in {proxy.identity for proxy in central.charge_points()}:
        return succeed(None)
    watcher = _DisconnectWatcher(central, identity)
    central.plugins.register(watcher)
    return watcher.disconnected
