"""
A scripted test charge point for central system tests: a real WebSocket
client and an RPC session playing the charge point, answering every request
a central system may send, and checking every frame the central system sends
against the official schemas.
"""

import json
from datetime import datetime, timezone
from typing import Any

from twisted.internet import reactor as global_reactor
from twisted.internet.defer import Deferred, inlineCallbacks

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
    @ivar received: the typed requests the central system sent, in order.
    @ivar frames: every frame in and out, as (direction, text).
    """

    def __init__(self, testcase: Any, identity: str, answers: dict | None = None) -> None:
        self.testcase = testcase
        self.identity = identity
        self.answers = dict(ANSWERS if answers is None else answers)
        self.received: list = []
        self.frames: list = []
        self._actions: dict[str, str] = {}
        self.session: RpcSession | None = None
        self.connection = None

    def _handler(self, action: str):
        def answer(request):
            self.received.append(request)
            answer = self.answers[action]
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
