"""
Real WebSocket connections over loopback for the transport tests (and the
central system's tests of the handshake): handlers recording what the
transport tells them, a raw HTTP client for hand-written handshakes, servers
that misbehave on purpose, and a mixin that starts servers and clients and
closes everything in cleanups.
"""

from __future__ import annotations

from typing import Any

from autobahn.websocket.types import ConnectionRequest
from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredQueue
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import deferLater
from twisted.python.failure import Failure
from zope.interface import implementer

from openocpp.transport.client import OcppClientFactory, OcppClientProtocol, client_endpoint, open_connection
from openocpp.transport.connection import OcppConnection
from openocpp.transport.errors import ConnectionClosed
from openocpp.transport.interfaces import IConnectionHandler, IOcppConnection
from openocpp.transport.server import OcppServerFactory, OcppServerProtocol, listen

#: A server endpoint on a free loopback port.
LOOPBACK = "tcp:0:interface=127.0.0.1"


@implementer(IConnectionHandler)
class RecordingHandler:
    """
    Records what the transport tells it; echoes text if asked to.

    @ivar made: fires with the connection on C{connection_made}.
    @ivar lost: fires with the reason's L{ConnectionClosed} on
        C{connection_lost}.
    @ivar texts: a L{DeferredQueue} of the texts received.
    """

    def __init__(self, connection: IOcppConnection, echo: bool = False):
        self.connection = connection
        self.echo = echo
        self.made: Deferred[IOcppConnection] = Deferred()
        self.lost: Deferred[ConnectionClosed] = Deferred()
        self.texts: DeferredQueue[str] = DeferredQueue()
        self.events: list[str] = []

    def connection_made(self, connection: IOcppConnection) -> None:
        self.events.append("made")
        self.made.callback(connection)

    def text_received(self, text: str) -> None:
        self.events.append("text")
        self.texts.put(text)
        if self.echo:
            self.connection.send_text("echo:" + text)

    def connection_lost(self, reason: Failure) -> None:
        self.events.append("lost")
        self.reason = reason
        self.lost.callback(reason.value)


class Handlers:
    """
    A handler factory remembering the handlers it made, in order.
    """

    def __init__(self, echo: bool = False):
        self.echo = echo
        self.made: list[RecordingHandler] = []
        self._next: DeferredQueue[RecordingHandler] = DeferredQueue()

    def __call__(self, connection: IOcppConnection) -> RecordingHandler:
        handler = RecordingHandler(connection, self.echo)
        self.made.append(handler)
        self._next.put(handler)
        return handler

    def next(self) -> Deferred[RecordingHandler]:
        """
        The next handler made (or the oldest not yet taken).
        """
        return self._next.get()


CLOSE_FRAME = b"\x88\x82\x00\x00\x00\x00\x03\xe8"
"""
A client's close frame, code 1000 (masked with a zero key).
"""


class RawClient(Protocol):
    """
    Sends a hand-written HTTP request; collects the answer until the server
    closes the connection.  If the server switches to WebSocket, sends a
    close frame (1000) at once: the server closes after the closing
    handshake.
    """

    def __init__(self, request: bytes):
        self.request = request
        self.data = b""
        self.closing = False
        self.done: Deferred[bytes] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.request)

    def dataReceived(self, data: bytes) -> None:
        self.data += data
        if not self.closing and b"\r\n\r\n" in self.data:
            self.closing = True
            if self.data.startswith(b"HTTP/1.1 101 "):
                self.transport.write(CLOSE_FRAME)

    def connectionLost(self, reason: Failure) -> None:
        self.done.callback(self.data)


def handshake_request(
    path: str, protocols: str | None = "ocpp1.6", headers: dict[str, str] | None = None
) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if protocols is not None:
        lines.append(f"Sec-WebSocket-Protocol: {protocols}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class SilentClientProtocol(OcppClientProtocol):
    """
    A client that never answers pings.
    """

    def onPing(self, payload: bytes) -> None:
        pass


class SilentServerProtocol(OcppServerProtocol):
    """
    A server that never answers pings.
    """

    def onPing(self, payload: bytes) -> None:
        pass


class PongCountingServerProtocol(OcppServerProtocol):
    """
    A server telling the factory's C{pongs} queue about each pong.
    """

    def onPong(self, payload: bytes) -> None:
        self.factory.pongs.put(payload)


class LaxServerProtocol(OcppServerProtocol):
    """
    A server accepting every handshake with C{ocpp1.6}, checking nothing
    (no credentials, no profile), and starting no session.
    """

    def onConnect(self, request: ConnectionRequest) -> str:
        return "ocpp1.6"

    def onOpen(self) -> None:
        pass


class NoSubprotocolServerProtocol(OcppServerProtocol):
    """
    A server accepting every handshake without choosing a subprotocol.
    """

    def onConnect(self, request: ConnectionRequest) -> None:
        return None

    def onOpen(self) -> None:
        pass


class ConnectionTestsMixin:
    """
    Real connections over loopback; everything is closed in cleanups.
    """

    timeout = 10

    async def start_server(
        self,
        handlers: Handlers,
        tls: Any = None,
        endpoint: str = LOOPBACK,
        **options: Any,
    ) -> tuple[OcppServerFactory, int]:
        protocol = options.pop("protocol", None)
        factory = OcppServerFactory(handlers, **options)
        if protocol is not None:
            factory.protocol = protocol
        port = await listen(reactor, endpoint, factory, tls)
        self.addCleanup(port.stopListening)
        self.addCleanup(factory.close_connections)
        return factory, port.getHost().port

    def client(self, port: int, identity: str, handlers: Handlers,
               scheme: str = "ws", tls: Any = None, **options: Any,
               ) -> tuple[OcppClientFactory, Deferred[OcppConnection]]:
        protocol = options.pop("protocol", None)
        factory = OcppClientFactory(f"{scheme}://127.0.0.1:{port}/ocpp", identity,
                                    handlers, **options)
        if protocol is not None:
            factory.protocol = protocol
        self.addCleanup(factory.close_connections)
        connecting = open_connection(
            client_endpoint(reactor, factory.connection_url, tls), factory
        )
        return factory, connecting

    async def raw(self, port: int, request: bytes) -> bytes:
        """
        Send C{request} (see L{RawClient}); return the answer.
        """
        client = RawClient(request)
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
        await endpoint.connect(Factory.forProtocol(lambda: client))
        return await client.done

    async def refused(self, connecting: Deferred[Any]) -> Failure:
        try:
            result = await connecting
        except Exception:
            return Failure()
        self.fail(f"connection not refused: {result!r}")

    async def first_refusal(self) -> Failure:
        """
        A client service (profile 1, a wrong password, a 5 s first retry)
        against a server refusing every charge point.

        @return: the failure of its first attempt.
        """
        from openocpp.transport.client import ClientConnectionService

        _, port = await self.start_server(Handlers(), security_profile=1, authenticator=lambda *args: False)
        service = ClientConnectionService(
            reactor, f"ws://127.0.0.1:{port}/ocpp", "CP001", Handlers(),
            security_profile=1, password="nope", initial_delay=5,
        )
        service.startService()
        self.addCleanup(service.stopService)
        return await self.refused(service.whenConnected(failAfterFailures=1))


def unsent_bytes(transport: Any) -> int:
    """
    How many bytes a Twisted TCP transport holds of its output, unsent.
    """
    return len(transport.dataBuffer) - transport.offset + transport._tempDataLen


async def settle() -> None:
    """
    Let the reactor run once: whatever was triggered finishes.
    """
    await deferLater(reactor, 0, lambda: None)
