"""
A light fleet of charge points for the cluster tests: hundreds in this
process, each an RPC session over openocpp's reconnecting client
(L{ClientConnectionService}, the charge point role's backoff), with none
of the charge point role's collaborators.

A L{FleetChargePoint} answers every call a central system makes with the
scripted answers of L{tests.centralsystem.fake_chargepoint} (a
DataTransfer with its own identity, so a test knows which charger
answered), and its L{FleetChargePoint.call} sends a request again on the
next connection when the connection is lost before the answer, as a
charge point's transaction queue does: so a StartTransaction the central
system committed but could not answer arrives twice, and must be
recognised.
"""

import json
import time
from typing import Any

from twisted.internet.defer import Deferred, DeferredSemaphore, gatherResults, inlineCallbacks
from twisted.web.client import Agent, HTTPConnectionPool, readBody
from twisted.web.http_headers import Headers

from openocpp.messages import core
from openocpp.messages.registry import Role
from openocpp.rpc.errors import CallTimeout, ConnectionLost
from openocpp.rpc.session import RpcSession
from openocpp.transport.client import ClientConnectionService
from tests.centralsystem.fake_chargepoint import ANSWERS, BOOT
from tests.web.api_client import Answer, Body

#: The reconnection backoff of the fleet (seconds): the first wait is
#: C{INITIAL_DELAY * FACTOR} plus up to 1 s of jitter, then each grows by
#: C{FACTOR}, up to C{MAX_DELAY}.
INITIAL_DELAY = 0.5
FACTOR = 1.5
MAX_DELAY = 4.0


def backoff_bound(attempts: int) -> float:
    """
    The longest a charge point waits in all before its C{attempts}-th
    reconnection attempt (each wait at its most jitter).
    """
    total, delay = 0.0, INITIAL_DELAY
    for _ in range(attempts):
        delay = min(delay * FACTOR, MAX_DELAY)
        total += delay + 1.0
    return total


class FleetChargePoint:
    """
    One charge point of the fleet.

    @ivar identity: its identity.
    @ivar connections: how many times it connected.
    @ivar sessions: its L{RpcSession}s, one per connection, the last live.
    @ivar connected_at: when each connection opened (C{time.monotonic()}).
    @ivar lost: how many times a call of it was cut by a lost connection
        and sent again.
    """

    def __init__(self, reactor: Any, url: str, identity: str) -> None:
        self.identity = identity
        self.connections = 0
        self.sessions: list[RpcSession] = []
        self.connected_at: list[float] = []
        self.lost = 0
        self._reactor = reactor
        answers = dict(ANSWERS)
        answers["DataTransfer"] = lambda request: core.DataTransferResponse(
            status="Accepted", data=f"{identity}:{request.data}"
        )
        self._handlers = {action: self._handler(answer) for action, answer in answers.items()}
        self.service = ClientConnectionService(
            reactor, url, identity, self._session,
            initial_delay=INITIAL_DELAY, max_delay=MAX_DELAY, factor=FACTOR, connect_timeout=10,
        )

    @staticmethod
    def _handler(answer):
        def handle(request):
            return answer(request) if callable(answer) else answer

        return handle

    def _session(self, connection: Any) -> RpcSession:
        session = RpcSession(Role.CHARGE_POINT, self._handlers, self._reactor, call_timeout=15)
        self.sessions.append(session)
        self.connected_at.append(time.monotonic())
        self.connections += 1
        return session

    def start(self) -> Deferred:
        """
        Connect; fire once connected.
        """
        self.service.startService()
        return self.service.whenConnected()

    def stop(self) -> Deferred:
        """
        Close the connection and stop reconnecting.
        """
        return self.service.stopService()

    @inlineCallbacks
    def call(self, request: Any):
        """
        Send C{request} on the live connection; when the connection is lost
        before the answer, on the next one, until answered.

        @return: a Deferred firing with the response.
        """
        while True:
            yield self.service.whenConnected()
            session = self.sessions[-1]
            try:
                response = yield session.call(request)
            except (ConnectionLost, CallTimeout):
                # Lost with its node (or its answer lost): again on the next
                # connection, as the transaction queue does.
                self.lost += 1
                continue
            return response

    def boot(self) -> Deferred:
        """
        BootNotification, then an Available StatusNotification.
        """
        return self.call(BOOT).addCallback(
            lambda _: self.call(
                core.StatusNotificationRequest(connector_id=1, status="Available", error_code="NoError")
            )
        )


@inlineCallbacks
def start_fleet(reactor: Any, url: str, identities: list[str], at_once: int = 50):
    """
    Connect and boot a fleet, C{at_once} charge points at a time.

    @return: a Deferred firing with the L{FleetChargePoint}s.
    """
    fleet = [FleetChargePoint(reactor, url, identity) for identity in identities]
    limit = DeferredSemaphore(at_once)

    @inlineCallbacks
    def one(charge_point):
        yield charge_point.start()
        yield charge_point.boot()

    yield gatherResults([limit.run(one, charge_point) for charge_point in fleet], consumeErrors=True)
    return fleet


def stop_fleet(fleet: list[FleetChargePoint]) -> Deferred:
    """
    Close every charge point's connection.
    """
    return gatherResults([charge_point.stop() for charge_point in fleet], consumeErrors=True)


class ApiClient:
    """
    JSON requests to the HTTP APIs of the nodes, over one pool of
    persistent connections (close it with L{close}).
    """

    def __init__(self, reactor: Any) -> None:
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self.pool.maxPersistentPerHost = 20
        self.agent = Agent(reactor, pool=self.pool)

    @inlineCallbacks
    def request(self, method: str, url: str, body: Any = None):
        """
        One request; a Deferred firing with its L{tests.web.api_client.Answer}.
        """
        headers = {}
        producer = None
        if body is not None:
            producer = Body(json.dumps(body).encode("utf-8"))
            headers["Content-Type"] = ["application/json"]
        response = yield self.agent.request(method.encode("ascii"), url.encode("utf-8"), Headers(headers), producer)
        data = yield readBody(response)
        return Answer(response.code, response.headers, data)

    def close(self) -> Deferred:
        """
        Close the pool's connections.
        """
        return self.pool.closeCachedConnections()
