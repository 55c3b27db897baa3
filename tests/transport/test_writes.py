"""
How a server connection writes its frames: to a plain TCP socket at once
when its factory's C{write_now} allows it and nothing waits before them,
else Twisted's way (buffered, sent at the reactor's next poll).
"""

from __future__ import annotations

import socket

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from openocpp.transport import framing
from openocpp.transport.security import client_tls_options, server_tls_options
from tests.transport.certificates import tls_files
from tests.transport.loopback import ConnectionTestsMixin, Handlers, unsent_bytes


class WriteNowTests(ConnectionTestsMixin, TestCase):
    """
    L{openocpp.transport.connection.OcppProtocolMixin.sendData} with and
    without the factory's C{write_now}.
    """

    async def _open(self, **options):
        """
        A server connection and its client: (the server protocol, the
        client's handlers).
        """
        servers, clients = Handlers(), Handlers()
        _, port = await self.start_server(servers, **options)
        _, connecting = self.client(port, "CP1", clients)
        await connecting
        protocol = (await (await servers.next()).made)._protocol
        return protocol, clients

    async def test_written_at_once(self) -> None:
        """
        With C{write_now} answering C{True}, a frame is on the socket when
        the send returns: nothing buffered, the socket not waiting to be
        writable; the client reads it.
        """
        protocol, clients = await self._open(write_now=lambda: True)
        transport = protocol.transport
        protocol.connection.send_text("now")
        self.assertEqual(unsent_bytes(transport), 0)
        self.assertNotIn(transport, reactor.getWriters())
        self.assertEqual(await (await clients.next()).texts.get(), "now")

    async def test_not_now(self) -> None:
        """
        With C{write_now} answering C{False} (the central system, while the
        turn's writes wait for their commit), the frame waits in Twisted's
        buffer for the reactor's next poll, and then arrives.
        """
        allowed = []
        protocol, clients = await self._open(write_now=lambda: bool(allowed))
        transport = protocol.transport
        protocol.connection.send_text("later")
        self.assertGreater(unsent_bytes(transport), 0)
        self.assertIn(transport, reactor.getWriters())
        self.assertEqual(await (await clients.next()).texts.get(), "later")

    async def test_default_twisted_way(self) -> None:
        """
        Without C{write_now} (the default), frames are Twisted's to send.
        """
        protocol, clients = await self._open()
        protocol.connection.send_text("default")
        self.assertGreater(unsent_bytes(protocol.transport), 0)
        self.assertEqual(await (await clients.next()).texts.get(), "default")

    async def test_after_what_waits(self) -> None:
        """
        A frame sent while earlier bytes wait in Twisted's buffer goes after
        them, not before, even when C{write_now} allows writing at once.
        """
        allowed = []
        protocol, clients = await self._open(write_now=lambda: bool(allowed))
        protocol.connection.send_text("first")
        allowed.append(True)
        protocol.connection.send_text("second")
        self.assertGreater(unsent_bytes(protocol.transport), 0)
        client = await clients.next()
        self.assertEqual(await client.texts.get(), "first")
        self.assertEqual(await client.texts.get(), "second")

    async def test_more_than_the_socket_takes(self) -> None:
        """
        What the socket does not take at once is left to Twisted, in order:
        a client reading nothing for a while still gets every frame whole.
        """
        protocol, clients = await self._open(write_now=lambda: True)
        protocol.transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        texts = [str(index) * 60000 for index in range(6)]
        for text in texts:
            protocol.sendData(framing.text_frame(text.encode(), None))
        client = await clients.next()
        for text in texts:
            self.assertEqual(await client.texts.get(), text)

    async def test_not_while_closing(self) -> None:
        """
        Once the transport is closing, frames go Twisted's way (which sends
        what is buffered before it closes), not to the socket.
        """
        protocol, clients = await self._open(write_now=lambda: True)
        client = await clients.next()
        transport = protocol.transport
        transport.loseConnection()
        protocol.sendData(framing.text_frame(b"late", None))
        self.assertGreater(unsent_bytes(transport), 0)
        await protocol.when_lost()
        await client.lost

    async def test_tls_twisted_way(self) -> None:
        """
        A TLS connection never writes at once: its bytes are TLS records,
        Twisted's TLS protocol's to send.
        """
        files = tls_files()
        servers, clients = Handlers(), Handlers()
        calls = []

        def write_now() -> bool:
            calls.append(True)
            return True

        _, port = await self.start_server(
            servers,
            server_tls_options(files.server.key, files.server.certificate),
            security_profile=2,
            write_now=write_now,
        )
        _, connecting = self.client(
            port, "CP1", clients, "wss",
            client_tls_options("127.0.0.1", ca_certificates=files.ca),
            security_profile=2, password="0123456789abcdef",
        )
        await connecting
        server = await servers.next()
        (await server.made).send_text("over tls")
        self.assertEqual(await (await clients.next()).texts.get(), "over tls")
        self.assertEqual(calls, [])
