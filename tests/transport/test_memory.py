"""
What one server connection keeps: autobahn's options on a class shared by
the factory's connections, not copied into each, and an open connection's
protocol without what its opening handshake left.
"""

from __future__ import annotations

from collections import deque

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.transport import framing
from openocpp.transport.connection import NO_SEND_QUEUE
from openocpp.transport.server import _HANDSHAKE_LEFTOVERS, OcppServerFactory, OcppServerProtocol
from tests.transport.loopback import ConnectionTestsMixin, Handlers, handshake_request

_PEER = IPv4Address("TCP", "127.0.0.1", 1)


class OptionsClassTests(SynchronousTestCase):
    """
    L{OcppServerFactory.buildProtocol} makes protocols of a subclass holding
    the factory's autobahn options.
    """

    def test_options_on_the_class(self) -> None:
        """
        The options are class attributes of a subclass of the factory's
        protocol, with its name, made once for the factory's connections.
        """
        factory = OcppServerFactory(Handlers(), reactor=Clock(), ping_interval=7)
        protocol = factory.buildProtocol(_PEER)
        self.assertIsInstance(protocol, OcppServerProtocol)
        self.assertIs(protocol.factory, factory)
        self.assertEqual(type(protocol).__qualname__, "OcppServerProtocol")
        self.assertEqual(type(protocol).__module__, OcppServerProtocol.__module__)
        self.assertEqual(protocol.autoPingInterval, 7)
        self.assertEqual(protocol.maxMessagePayloadSize, factory.maxMessagePayloadSize)
        self.assertNotIn("autoPingInterval", vars(protocol))
        self.assertIs(type(factory.buildProtocol(_PEER)), type(protocol))

    def test_changed_option(self) -> None:
        """
        An option changed on the factory holds from the next connection on;
        the protocols made before keep theirs, as autobahn's copies do.
        """
        factory = OcppServerFactory(Handlers(), reactor=Clock(), ping_interval=7)
        first = factory.buildProtocol(_PEER)
        factory.setProtocolOptions(autoPingInterval=9)
        second = factory.buildProtocol(_PEER)
        self.assertEqual((first.autoPingInterval, second.autoPingInterval), (7, 9))
        self.assertIsNot(type(first), type(second))

    def test_protocol_own_option(self) -> None:
        """
        An option the protocol class sets itself stays its own.
        """

        class Own(OcppServerProtocol):
            autoFragmentSize = 5

        factory = OcppServerFactory(Handlers(), reactor=Clock())
        factory.protocol = Own
        protocol = factory.buildProtocol(_PEER)
        self.assertIsInstance(protocol, Own)
        self.assertEqual((protocol.autoFragmentSize, factory.autoFragmentSize), (5, 0))


class OpenProtocolTests(ConnectionTestsMixin, TestCase):
    """
    What the protocol of an open server connection keeps.
    """

    async def test_compact(self) -> None:
        """
        Once open, the protocol's instance dictionary holds neither the
        options, nor what the handshake left (read as C{None}), nor the
        attributes at their class's value (closing state, as yet unset);
        messages and the closing handshake work as before, and the closing
        state is set when it closes.
        """
        servers = Handlers(echo=True)
        _, port = await self.start_server(servers, ping_interval=30)
        clients = Handlers()
        _, connecting = self.client(port, "CP1", clients)
        connection = await connecting
        server = await servers.next()
        protocol = (await server.made)._protocol
        attributes = vars(protocol)
        for name in OcppServerProtocol.CONFIG_ATTRS:
            self.assertNotIn(name, attributes)
        for name in _HANDSHAKE_LEFTOVERS:
            self.assertNotIn(name, attributes)
            self.assertIsNone(getattr(protocol, name))
        for name in ("closedByMe", "wasClean", "localCloseCode", "openHandshakeTimeoutCall"):
            self.assertNotIn(name, attributes)
        self.assertEqual(protocol.autoPingInterval, 30)
        self.assertIsNotNone(protocol.autoPingPendingCall)
        self.assertEqual(protocol.websocket_protocol_in_use, "ocpp1.6")
        self.assertEqual(protocol.identity, "CP1")
        # A dictionary of 64 slots (it was 256 before).
        self.assertLessEqual(len(attributes), 42)

        connection.send_text("hello")
        self.assertEqual(await server.texts.get(), "hello")
        self.assertEqual(await (await clients.next()).texts.get(), "echo:hello")
        protocol.connection.close(1000, "bye")
        reason = await server.lost
        self.assertEqual((reason.code, reason.reason, reason.was_clean), (1000, "bye", True))
        self.assertTrue(protocol.closedByMe)
        self.assertEqual(protocol.localCloseCode, 1000)
        self.assertTrue(protocol.wasClean)

    async def test_send_queue_made_when_needed(self) -> None:
        """
        An open server connection shares an empty send queue until a
        synchronous (or chopped) write needs one: then it gets its own and
        the write goes out.
        """
        servers = Handlers()
        _, port = await self.start_server(servers)
        clients = Handlers()
        _, connecting = self.client(port, "CP1", clients)
        await connecting
        protocol = (await (await servers.next()).made)._protocol
        self.assertIs(protocol.send_queue, NO_SEND_QUEUE)
        self.assertNotIn("send_queue", vars(protocol))
        protocol.sendData(framing.text_frame(b"synced", None), sync=True)
        self.assertIsInstance(protocol.send_queue, deque)
        protocol.sendData(framing.text_frame(b"chopped", None), chopsize=3)
        client = await clients.next()
        self.assertEqual(await client.texts.get(), "synced")
        self.assertEqual(await client.texts.get(), "chopped")

    async def test_compression_offered(self) -> None:
        """
        A client offering permessage-deflate (as the C{websockets} package
        does) is upgraded without it: the factory's
        C{perMessageCompressionAccept}, a function, is called as one from
        the options class, not as a method of the protocol.
        """
        servers = Handlers()
        _, port = await self.start_server(servers)
        answer = await self.raw(port, handshake_request(
            "/ocpp/CP1",
            headers={"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"},
        ))
        head = answer.split(b"\r\n\r\n")[0]
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
        self.assertNotIn(b"sec-websocket-extensions", head.lower())
        self.assertEqual(len(servers.made), 1)
