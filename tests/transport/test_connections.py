"""
Tests of L{openocpp.transport}: identity and credentials parsing, the
configuration checks of each Security Profile, and real WebSocket
connections over loopback between our server and client, with TLS and
client certificates made by L{tests.transport.certificates} (helpers in
L{tests.transport.loopback}).
"""

from __future__ import annotations

from typing import Any

from OpenSSL import SSL
from service_identity import VerificationError
from twisted.internet import reactor
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, DeferredQueue
from twisted.internet.error import ConnectionClosed as TCPConnectionClosed
from twisted.internet.task import Clock, deferLater
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

from openocpp.transport.client import ClientConnectionService, OcppClientFactory, check_client_configuration
from openocpp.transport.connection import MAX_HANDSHAKE_SIZE, OcppConnection
from openocpp.transport.errors import ConnectionClosed, HandshakeFailed, MessageTooLarge
from openocpp.transport.identity import (
    MAX_IDENTITY_LENGTH,
    InvalidIdentity,
    connection_url,
    identity_from_path,
)
from openocpp.transport.interfaces import IConnectionHandler, IOcppConnection
from openocpp.transport.security import (
    InvalidAuthorization,
    SecurityProfile,
    authorization_key_matches,
    basic_authorization,
    client_tls_options,
    common_names,
    load_certificates,
    password_from_authorization,
    server_tls_options,
)
from openocpp.transport.server import OcppServerFactory, listen, server_endpoint
from tests.transport.certificates import tls_files
from tests.transport.loopback import (
    LaxServerProtocol,
    LOOPBACK,
    ConnectionTestsMixin,
    Handlers,
    NoSubprotocolServerProtocol,
    PongCountingServerProtocol,
    RecordingHandler,
    SilentClientProtocol,
    SilentServerProtocol,
    handshake_request,
    settle,
)



# -- unit tests ---------------------------------------------------------------


class IdentityTests(SynchronousTestCase):
    """
    The charge point identity in the connection URL.
    """

    def test_last_segment(self) -> None:
        """
        The identity is the last path segment.
        """
        self.assertEqual(identity_from_path("/webServices/ocpp/CP3211"), "CP3211")
        self.assertEqual(identity_from_path("/CP3211"), "CP3211")

    def test_percent_decoded(self) -> None:
        """
        The identity is percent-decoded, as UTF-8; beyond ASCII only when
        allowed, and then normalised to NFC.
        """
        self.assertEqual(identity_from_path("/ocppj/RDAM%20123"), "RDAM 123")
        self.assertEqual(
            identity_from_path("/ocpp/Zu%CC%88rich-1", allow_unicode=True), "Z\u00fcrich-1"
        )
        with self.assertRaises(InvalidIdentity):
            identity_from_path("/ocpp/Z%C3%BCrich-1")

    def test_empty_refused(self) -> None:
        """
        A path ending in C{"/"} carries no identity.
        """
        for path in ("/", "/ocpp/", ""):
            with self.assertRaises(InvalidIdentity):
                identity_from_path(path)

    def test_longest(self) -> None:
        """
        48 characters are accepted, 49 refused.
        """
        self.assertEqual(MAX_IDENTITY_LENGTH, 48)
        self.assertEqual(identity_from_path("/ocpp/" + "A" * 48), "A" * 48)
        with self.assertRaises(InvalidIdentity) as raised:
            identity_from_path("/ocpp/" + "A" * 49)
        self.assertIn("49", str(raised.exception))
        # characters count, not encoded bytes
        self.assertEqual(
            identity_from_path("/ocpp/" + "%C3%BC" * 48, allow_unicode=True), "ü" * 48
        )

    def test_invalid_encoding_refused(self) -> None:
        """
        Percent-encoded bytes that are not UTF-8, and control characters,
        are refused.
        """
        with self.assertRaises(InvalidIdentity):
            identity_from_path("/ocpp/%FF%FE")
        with self.assertRaises(InvalidIdentity):
            identity_from_path("/ocpp/CP%0A1")

    def test_connection_url(self) -> None:
        """
        The connection URL is the endpoint URL, C{"/"} and the
        percent-encoded identity (OCPP-J 1.6 section 3.1.1's examples),
        whether or not the endpoint URL ends in C{"/"}.
        """
        self.assertEqual(
            connection_url("ws://centralsystem.example.com/ocpp", "CP001"),
            "ws://centralsystem.example.com/ocpp/CP001",
        )
        self.assertEqual(
            connection_url("wss://centralsystem.example.com/ocppj", "RDAM 123"),
            "wss://centralsystem.example.com/ocppj/RDAM%20123",
        )
        self.assertEqual(
            connection_url("ws://127.0.0.1:9000/ocpp/", "a:b@c"),
            "ws://127.0.0.1:9000/ocpp/a%3Ab%40c",
        )
        self.assertEqual(connection_url("ws://cs:80", "CP"), "ws://cs:80/CP")

    def test_connection_url_round_trip(self) -> None:
        """
        The server reads back the identity the client put in the URL.
        """
        for identity in ("CP001", "RDAM 123", "a:1;2=(3)&[4]'*+,!$", "x" * 48):
            url = connection_url("ws://cs/ocpp", identity)
            path = url[len("ws://cs"):]
            self.assertEqual(identity_from_path(path), identity)

    def test_connection_url_refuses(self) -> None:
        """
        Not a ws/wss URL, or a bad identity: L{ValueError}.
        """
        with self.assertRaises(ValueError):
            connection_url("http://cs/ocpp", "CP001")
        with self.assertRaises(InvalidIdentity):
            connection_url("ws://cs/ocpp", "")
        with self.assertRaises(InvalidIdentity):
            connection_url("ws://cs/ocpp", "A" * 49)


class BasicAuthenticationTests(SynchronousTestCase):
    """
    HTTP Basic authentication of Security Profiles 1 and 2.
    """

    def test_spec_example(self) -> None:
        """
        OCPP-J 1.6 section 6.2.2: identity C{AL1000}, key
        0001020304050607FFFFFFFFFFFFFFFFFFFFFFFF sent as raw bytes.
        """
        key = bytes.fromhex("0001020304050607FFFFFFFFFFFFFFFFFFFFFFFF")
        self.assertEqual(
            basic_authorization("AL1000", key),
            "Basic QUwxMDAwOgABAgMEBQYH////////////////",
        )
        self.assertEqual(
            password_from_authorization(
                "Basic QUwxMDAwOgABAgMEBQYH////////////////", "AL1000"
            ),
            key,
        )

    def test_round_trip(self) -> None:
        """
        A text password is sent as UTF-8; an identity with C{":"} works.
        """
        header = basic_authorization("CP:1", "sécret:x")
        self.assertEqual(password_from_authorization(header, "CP:1"), "sécret:x".encode())
        # the scheme is case-insensitive
        token = header.split(" ", 1)[1]
        self.assertEqual(
            password_from_authorization("basic " + token, "CP:1"), "sécret:x".encode()
        )

    def test_refused(self) -> None:
        """
        Missing, not Basic, not base64, or another user name: refused.
        """
        good = basic_authorization("CP001", "secret")
        for header, identity in [
            (None, "CP001"),
            ("Bearer abc", "CP001"),
            ("Basic %%%", "CP001"),
            (good, "CP002"),
            (good, "CP00"),
        ]:
            with self.assertRaises(InvalidAuthorization):
                password_from_authorization(header, identity)

    def test_authorization_key(self) -> None:
        """
        The key matches as raw bytes or as its hexadecimal text.
        """
        key = "0001020304050607FFFFFFFFFFFFFFFFFFFFFFFF"
        self.assertTrue(authorization_key_matches(bytes.fromhex(key), key))
        self.assertTrue(authorization_key_matches(key.encode(), key))
        self.assertTrue(authorization_key_matches(key.lower().encode(), key))
        self.assertFalse(authorization_key_matches(b"0001", key))
        self.assertTrue(authorization_key_matches(b"not hex", "not hex"))
        self.assertFalse(authorization_key_matches(b"NOT HEX", "not hex"))


class ConfigurationTests(SynchronousTestCase):
    """
    A charge point never connects with less than its profile; a central
    system listens as its profile says.
    """

    def test_client_profiles(self) -> None:
        """
        Profiles 0 and 1 need ws://, 2 and 3 wss://; 1 and 2 a password;
        3 a client certificate.
        """
        check_client_configuration(0, "ws://cs/ocpp", None)
        check_client_configuration(1, "ws://cs/ocpp", "key")
        check_client_configuration(2, "wss://cs/ocpp", "key")
        check_client_configuration(3, "wss://cs/ocpp", None, True)
        for args in [
            (2, "ws://cs/ocpp", "key"),
            (3, "ws://cs/ocpp", None, True),
            (0, "wss://cs/ocpp", None),
            (1, "wss://cs/ocpp", "key"),
            (1, "ws://cs/ocpp", None),
            (2, "wss://cs/ocpp", ""),
            (0, "ws://cs/ocpp", "key"),
            (3, "wss://cs/ocpp", None, False),
            (1, "ws://cs/ocpp", "key", True),
        ]:
            with self.assertRaises(ValueError, msg=repr(args)):
                check_client_configuration(*args)
        with self.assertRaises(ValueError):
            check_client_configuration(4, "wss://cs/ocpp", None)

    def test_client_factory_refuses_ws_for_profile_2(self) -> None:
        """
        A factory or service configured for profile 2 with a ws:// URL
        raises L{ValueError} at construction.
        """
        with self.assertRaises(ValueError) as raised:
            OcppClientFactory("ws://127.0.0.1:9/ocpp", "CP001", RecordingHandler,
                              security_profile=2, password="key")
        self.assertIn("wss://", str(raised.exception))
        with self.assertRaises(ValueError):
            ClientConnectionService(reactor, "ws://127.0.0.1:9/ocpp", "CP001",
                                    RecordingHandler, security_profile=2, password="key")

    def test_client_service_profile_3_needs_certificate(self) -> None:
        """
        A profile 3 service without a client certificate raises.
        """
        with self.assertRaises(ValueError):
            ClientConnectionService(reactor, "wss://127.0.0.1:9/ocpp", "CP001",
                                    RecordingHandler, security_profile=3)

    def test_client_refuses_long_identity(self) -> None:
        """
        The client refuses an identity the server would.
        """
        with self.assertRaises(InvalidIdentity):
            OcppClientFactory("ws://127.0.0.1:9/ocpp", "A" * 49, RecordingHandler)

    def test_server_endpoints(self) -> None:
        """
        Plain endpoints for profiles 0 and 1; TLS for 2; TLS requiring
        client certificates for 3.
        """
        files = tls_files()
        tls2 = server_tls_options(files.server.key, files.server.certificate)
        tls3 = server_tls_options(files.server.key, files.server.certificate, files.ca)
        ssl_string = f"ssl:0:privateKey={files.server.key}:certKey={files.server.certificate}"
        server_endpoint(reactor, LOOPBACK, 0)
        server_endpoint(reactor, LOOPBACK, 1)
        server_endpoint(reactor, LOOPBACK, 2, tls2)
        server_endpoint(reactor, ssl_string, 2)
        server_endpoint(reactor, LOOPBACK, 3, tls3)
        for args in [
            (LOOPBACK, 1, tls2),
            (ssl_string, 0),
            (LOOPBACK, 2),
            (LOOPBACK, 3),
            (LOOPBACK, 3, tls2),
            (ssl_string, 3),
            (ssl_string, 2, tls2),
        ]:
            with self.assertRaises(ValueError, msg=repr(args)):
                server_endpoint(reactor, *args)

    def test_tls_loading(self) -> None:
        """
        Certificates and keys load from PEM files; CNs are read.
        """
        files = tls_files()
        [certificate] = load_certificates(files.clients["CP001"].certificate)
        self.assertEqual(common_names(certificate), ["CP001"])
        with self.assertRaises(ValueError):
            load_certificates(files.server.key)
        with self.assertRaises(ValueError):
            client_tls_options("localhost", client_key=files.server.key)

    def test_security_profile(self) -> None:
        """
        What each profile asks for.
        """
        self.assertEqual(
            [(p.scheme, p.requires_basic_auth, p.requires_client_certificate)
             for p in SecurityProfile],
            [("ws", False, False), ("ws", True, False),
             ("wss", True, False), ("wss", False, True)],
        )


class ConnectionObjectTests(SynchronousTestCase):
    """
    L{OcppConnection} on an in-memory protocol.
    """

    def make(self) -> tuple[OcppConnection, Any]:
        factory = OcppServerFactory(RecordingHandler, reactor=Clock())
        protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1))
        connection = OcppConnection(
            protocol, "CP001", IPv4Address("TCP", "127.0.0.1", 1),
            SecurityProfile.NONE, None, 10,
        )
        return connection, protocol

    def test_interface(self) -> None:
        """
        L{OcppConnection} provides L{IOcppConnection}; the recording
        handler of these tests provides L{IConnectionHandler}.
        """
        connection, _ = self.make()
        self.assertTrue(verifyObject(IOcppConnection, connection))
        self.assertTrue(verifyObject(IConnectionHandler, RecordingHandler(connection)))

    def test_bad_close_code(self) -> None:
        """
        Close codes an endpoint may not send raise L{ValueError}.
        """
        connection, _ = self.make()
        for code in (999, 1004, 1005, 1006, 1015, 2000, 5000):
            with self.assertRaises(ValueError):
                connection.close(code)

    def test_send_when_closed_dropped(self) -> None:
        """
        Sending before the WebSocket is open (or after it closed) drops the
        message silently.
        """
        connection, protocol = self.make()
        self.assertFalse(connection.open)
        connection.send_text("[2,\"1\",\"Heartbeat\",{}]")


class WebSocketTests(ConnectionTestsMixin, TestCase):
    """
    Security Profiles 0 and 1, the handshake, messages.
    """

    async def test_open_and_exchange(self) -> None:
        """
        A ws connection opens; the server's handler sees the identity from
        the URL (percent-decoded); text goes both ways; both handlers see
        the connection lost when the client closes.
        """
        servers, clients = Handlers(echo=True), Handlers()
        _, port = await self.start_server(servers)
        _, connecting = self.client(port, "RDAM 123", clients)
        connection = await connecting
        server = await servers.next()
        client = await clients.next()
        server_connection = await server.made
        self.assertEqual(server_connection.identity, "RDAM 123")
        self.assertEqual(connection.identity, "RDAM 123")
        self.assertEqual(server_connection.security_profile, SecurityProfile.NONE)
        self.assertIsNone(server_connection.client_certificate)
        self.assertEqual(server_connection.peer.host, "127.0.0.1")
        self.assertEqual(connection.peer.port, port)
        verifyObject(IOcppConnection, server_connection)
        verifyObject(IOcppConnection, connection)

        connection.send_text('[2,"1","Heartbeat",{}]')
        self.assertEqual(await server.texts.get(), '[2,"1","Heartbeat",{}]')
        self.assertEqual(await client.texts.get(), 'echo:[2,"1","Heartbeat",{}]')
        connection.send_text("ü€")
        self.assertEqual(await server.texts.get(), "ü€")

        connection.close(1000, "bye")
        reason = await client.lost
        self.assertEqual((reason.code, reason.was_clean), (1000, True))
        reason = await server.lost
        self.assertIsInstance(server.reason.value, ConnectionClosed)
        self.assertEqual((reason.code, reason.reason), (1000, "bye"))
        self.assertEqual(server.events, ["made", "text", "text", "lost"])
        # closed: sending is dropped silently
        connection.send_text("late")
        server_connection.send_text("late")

    async def test_no_subprotocol_offered_refused_with_400(self) -> None:
        """
        By default a client not offering C{ocpp1.6} is not upgraded: HTTP
        400 naming the subprotocol required and those offered (the OCA's
        TC_088_CSMS); no handler is made.
        """
        servers = Handlers()
        _, port = await self.start_server(servers)
        for protocols, offered in ((None, b"none"), ("ocpp1.5, ocpp2.0.1", b"ocpp1.5, ocpp2.0.1")):
            answer = await self.raw(port, handshake_request("/ocpp/CP001", protocols))
            head = answer.partition(b"\r\n\r\n")[0]
            self.assertTrue(
                head.startswith(b"HTTP/1.1 400 subprotocol ocpp1.6 required (offered: " + offered),
                head,
            )
        self.assertEqual(servers.made, [])

    async def test_no_subprotocol_offered_spec_literal_close(self) -> None:
        """
        With C{subprotocol_mismatch="close"}, a client not offering
        C{ocpp1.6} gets a handshake without Sec-WebSocket-Protocol, then a
        close frame 1002 (OCPP-J 1.6 section 3.2); no handler is made.
        """
        servers = Handlers()
        _, port = await self.start_server(servers, subprotocol_mismatch="close")
        for protocols in (None, "ocpp1.5, ocpp2.0.1"):
            answer = await self.raw(port, handshake_request("/ocpp/CP001", protocols))
            head, _, frames = answer.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
            self.assertNotIn(b"sec-websocket-protocol", head.lower())
            self.assertEqual(frames[0], 0x88)
            self.assertEqual(int.from_bytes(frames[2:4], "big"), 1002)
        self.assertEqual(servers.made, [])

    async def test_subprotocol_among_others(self) -> None:
        """
        C{ocpp1.6} is chosen among the subprotocols offered.
        """
        servers = Handlers()
        _, port = await self.start_server(servers)
        answer = await self.raw(
            port,
            handshake_request("/ocpp/CP001", "ocpp2.0.1, ocpp1.6")
        )
        self.assertIn(b"Sec-WebSocket-Protocol: ocpp1.6\r\n", answer)
        handler = await servers.next()
        await handler.lost

    async def test_client_needs_ocpp16(self) -> None:
        """
        A client whose server does not choose C{ocpp1.6} fails with
        L{HandshakeFailed}, and closes the connection.
        """
        clients = Handlers()
        _, port = await self.start_server(Handlers(), protocol=NoSubprotocolServerProtocol)
        factory, connecting = self.client(port, "CP001", clients)
        failure = await self.refused(connecting)
        failure.trap(HandshakeFailed)
        self.assertIsNone(failure.value.status)
        self.assertIn("ocpp1.6", failure.value.reason)
        self.assertEqual(clients.made, [])
        self.assertEqual(factory._protocols, set())

    async def test_bad_identity(self) -> None:
        """
        An empty or 49-character identity is refused with 404.
        """
        servers = Handlers()
        _, port = await self.start_server(servers)
        for path in ("/ocpp/", "/ocpp/" + "A" * 49, "/ocpp/%FF"):
            answer = await self.raw(port, handshake_request(path))
            self.assertTrue(answer.startswith(b"HTTP/1.1 404 "), answer)
        answer = await self.raw(port, handshake_request("/ocpp/" + "A" * 48))
        self.assertTrue(answer.startswith(b"HTTP/1.1 101 "), answer)
        self.assertEqual(len(servers.made), 1)

    async def test_oversized_handshake(self) -> None:
        """
        Request headers larger than the limit are refused with 431.
        """
        _, port = await self.start_server(Handlers())
        request = handshake_request(
            "/ocpp/CP001", headers={"X-Padding": "x" * (MAX_HANDSHAKE_SIZE + 10)}
        )
        answer = await self.raw(port, request)
        self.assertTrue(answer.startswith(b"HTTP/1.1 431 "), answer)

    async def test_profile_1(self) -> None:
        """
        Profile 1: the right password is accepted (the authenticator gets
        identity, password, no certificate and the peer); a wrong one is
        refused with 401.
        """
        seen = []

        def authenticator(identity, password, certificate, peer):
            seen.append((identity, password, certificate, peer.host))
            return password == b"secret"

        servers = Handlers()
        _, port = await self.start_server(
            servers, security_profile=1, authenticator=authenticator
        )
        _, connecting = self.client(port, "CP001", Handlers(), security_profile=1,
                                    password="secret")
        connection = await connecting
        self.assertEqual(connection.security_profile, SecurityProfile.BASIC)
        self.assertEqual(seen, [("CP001", b"secret", None, "127.0.0.1")])
        handler = await servers.next()
        self.assertEqual((await handler.made).security_profile, 1)

        _, connecting = self.client(port, "CP001", Handlers(), security_profile=1,
                                    password="wrong")
        failure = await self.refused(connecting)
        failure.trap(HandshakeFailed)
        self.assertEqual(failure.value.status, 401)
        self.assertEqual(len(servers.made), 1)

    async def test_profile_1_missing_credentials(self) -> None:
        """
        Profile 1 without an Authorization header, or with another user
        name, is refused with 401 and C{WWW-Authenticate: Basic}.
        """
        _, port = await self.start_server(Handlers(), security_profile=1)
        for headers in (
            {},
            {"Authorization": basic_authorization("CP002", "secret")},
            {"Authorization": "Bearer token"},
        ):
            answer = await self.raw(port, handshake_request("/ocpp/CP001", headers=headers))
            self.assertTrue(answer.startswith(b"HTTP/1.1 401 "), answer)
            self.assertIn(b"\r\nWWW-Authenticate: Basic ", answer)

    async def test_unknown_charge_point_profile_0(self) -> None:
        """
        Profile 0: a charge point the authenticator does not know gets 404
        (OCPP-J 1.6 section 3.2); the authenticator may answer later.
        """
        def authenticator(identity, password, certificate, peer):
            return deferLater(reactor, 0, lambda: identity == "CP001")

        servers = Handlers()
        _, port = await self.start_server(servers, authenticator=authenticator)
        _, connecting = self.client(port, "CP002", Handlers())
        failure = await self.refused(connecting)
        failure.trap(HandshakeFailed)
        self.assertEqual(failure.value.status, 404)
        _, connecting = self.client(port, "CP001", Handlers())
        connection = await connecting
        self.assertEqual(connection.identity, "CP001")

    async def test_refusal_is_one_line(self) -> None:
        """
        A refused handshake is one line at info or above, naming the peer,
        the identity and the reason; autobahn's "failing WebSocket opening
        handshake" and "dropping connection" lines are not among them. A
        request autobahn refuses itself (no upgrade) is one line too.
        """
        from twisted.logger import LogLevel, formatEvent, globalLogPublisher

        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)

        def lines():
            # The server's lines (the test's raw client is a Twisted Factory
            # of its own, whose start and stop lines are not the server's).
            return [
                formatEvent(e) for e in events
                if e.get("log_level", LogLevel.info) >= LogLevel.info
                and not e.get("log_namespace", "").startswith("twisted.")
            ]

        _, port = await self.start_server(Handlers(), authenticator=lambda i, p, c, peer: i == "CP001")
        before = len(lines())
        answer = await self.raw(port, handshake_request("/ocpp/CP002"))
        self.assertTrue(answer.startswith(b"HTTP/1.1 404 "), answer)
        await deferLater(reactor, 0.05, lambda: None)
        refused = lines()[before:]
        self.assertEqual(len(refused), 1, refused)
        self.assertIn("Refused the connection of CP002", refused[0])
        self.assertIn("HTTP 404", refused[0])

        before = len(lines())
        answer = await self.raw(port, b"GET /ocpp/CP001 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 426 "), answer)
        await deferLater(reactor, 0.05, lambda: None)
        refused = lines()[before:]
        self.assertEqual(len(refused), 1, refused)
        self.assertIn("HTTP 426", refused[0])

    async def test_authenticator_error(self) -> None:
        """
        An authenticator that raises is logged and gives HTTP 500, without
        the error's details.
        """
        def authenticator(identity, password, certificate, peer):
            raise RuntimeError("database is down")

        _, port = await self.start_server(Handlers(), authenticator=authenticator)
        answer = await self.raw(port, handshake_request("/ocpp/CP001"))
        self.assertTrue(answer.startswith(b"HTTP/1.1 500 "), answer)
        self.assertNotIn(b"database", answer)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    async def test_oversized_message(self) -> None:
        """
        A message longer than the server's maximum closes the connection
        with 1009; both handlers see it lost.
        """
        servers, clients = Handlers(), Handlers()
        _, port = await self.start_server(servers, max_message_size=1024)
        _, connecting = self.client(port, "CP001", clients)
        connection = await connecting
        server = await servers.next()
        connection.send_text("x" * 1024)
        self.assertEqual(len(await server.texts.get()), 1024)
        connection.send_text("x" * 1025)
        reason = await server.lost
        self.assertEqual(reason.code, 1009)
        reason = await (await clients.next()).lost
        self.assertEqual(reason.code, 1009)
        self.assertEqual(server.events, ["made", "text", "lost"])

    async def test_send_too_large(self) -> None:
        """
        Sending more than our own maximum raises L{MessageTooLarge}; the
        connection stays open.
        """
        servers = Handlers()
        _, port = await self.start_server(servers)
        _, connecting = self.client(port, "CP001", Handlers(), max_message_size=100)
        connection = await connecting
        with self.assertRaises(MessageTooLarge):
            connection.send_text("é" * 51)
        connection.send_text("é" * 50)
        server = await servers.next()
        self.assertEqual(await server.texts.get(), "é" * 50)

    async def test_message_event_fired_when_listened_to(self) -> None:
        """
        Messages reach the handler without autobahn's C{"message"} event
        while nothing listens to it; a listener registered on the protocol
        hears the next ones, and the handler still gets them.
        """
        servers = Handlers()
        _, port = await self.start_server(servers)
        _, connecting = self.client(port, "CP001", Handlers())
        connection = await connecting
        connection.send_text("one")
        server = await servers.next()
        self.assertEqual(await server.texts.get(), "one")
        heard = []
        server.connection._protocol.on(
            "message", lambda payload, is_binary: heard.append((payload, is_binary))
        )
        connection.send_text("two")
        self.assertEqual(await server.texts.get(), "two")
        # The event fires once the handler has the message.
        await settle()
        self.assertEqual(heard, [(b"two", False)])

    async def test_sent_octets_counted(self) -> None:
        """
        What the server sends on an open connection reaches the peer and is
        counted in autobahn's traffic statistics, as autobahn counts it.
        """
        servers, clients = Handlers(), Handlers()
        _, port = await self.start_server(servers)
        _, connecting = self.client(port, "CP001", clients)
        await connecting
        server = await servers.next()
        protocol = server.connection._protocol
        before = protocol.trafficStats.outgoingOctetsWireLevel
        server.connection.send_text("hello")
        client = await clients.next()
        self.assertEqual(await client.texts.get(), "hello")
        # A server's frame of 5 bytes: 2 bytes of header, no mask.
        self.assertEqual(protocol.trafficStats.outgoingOctetsWireLevel - before, 7)

    async def test_binary_message(self) -> None:
        """
        A binary message closes the connection with 1003.
        """
        servers, clients = Handlers(), Handlers()
        _, port = await self.start_server(servers)
        _, connecting = self.client(port, "CP001", clients)
        connection = await connecting
        connection._protocol.sendMessage(b"\x00\x01", isBinary=True)
        server = await servers.next()
        self.assertEqual((await server.lost).code, 1003)
        self.assertEqual((await (await clients.next()).lost).code, 1003)
        self.assertEqual(server.events, ["made", "lost"])

    async def test_handler_errors(self) -> None:
        """
        A handler raising on a message is logged; the connection stays
        open.
        """
        class Failing(RecordingHandler):
            def text_received(self, text):
                super().text_received(text)
                raise ValueError("bug")

        made: list[Failing] = []

        def handler_factory(connection):
            made.append(Failing(connection))
            return made[-1]

        factory = OcppServerFactory(handler_factory)
        port = await listen(reactor, LOOPBACK, factory)
        self.addCleanup(port.stopListening)
        self.addCleanup(factory.close_connections)
        _, connecting = self.client(port.getHost().port, "CP001", Handlers())
        connection = await connecting
        connection.send_text("one")
        connection.send_text("two")
        await made[0].texts.get()
        self.assertEqual(await made[0].texts.get(), "two")
        await settle()
        self.assertEqual(len(self.flushLoggedErrors(ValueError)), 2)
        self.assertTrue(connection.open)


    async def test_closed_while_authenticating(self) -> None:
        """
        Connections closed while the authenticator decides are dropped; its
        late answer changes nothing.
        """
        deciding: list[Deferred[bool]] = []

        def authenticator(identity, password, certificate, peer):
            deciding.append(Deferred())
            return deciding[-1]

        servers = Handlers()
        factory, port = await self.start_server(servers, authenticator=authenticator)
        _, connecting = self.client(port, "CP001", Handlers())
        while not deciding:
            await settle()
        await factory.close_connections()
        await self.refused(connecting)
        deciding[0].callback(True)
        self.assertEqual(servers.made, [])

    async def test_handler_factory_error(self) -> None:
        """
        A handler factory that raises is logged, and the connection closed
        with 1011.
        """
        def handler_factory(connection):
            raise RuntimeError("no handler")

        factory = OcppServerFactory(handler_factory)
        port = await listen(reactor, LOOPBACK, factory)
        self.addCleanup(port.stopListening)
        self.addCleanup(factory.close_connections)
        _, connecting = self.client(port.getHost().port, "CP001", Handlers())
        connection = await connecting
        self.assertEqual((await connection.when_lost()).code, 1011)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)


class TLSTests(ConnectionTestsMixin, TestCase):
    """
    Security Profiles 2 and 3.
    """

    def setUp(self) -> None:
        self.files = tls_files()

    def server_tls(self, client_ca: bool = False, wrong_host: bool = False) -> Any:
        issued = self.files.wrong_host_server if wrong_host else self.files.server
        return server_tls_options(
            issued.key, issued.certificate, self.files.ca if client_ca else None
        )

    def client_tls(self, host: str = "127.0.0.1", client: Any = None) -> Any:
        return client_tls_options(
            host,
            ca_certificates=self.files.ca,
            client_certificate=None if client is None else client.certificate,
            client_key=None if client is None else client.key,
        )

    async def test_profile_2(self) -> None:
        """
        Profile 2 with the right password: connected over TLS; the client
        sees the server's certificate.
        """
        servers = Handlers(echo=True)
        _, port = await self.start_server(
            servers, self.server_tls(), security_profile=2,
            authenticator=lambda i, p, c, peer: p == b"secret",
        )
        _, connecting = self.client(port, "CP001", Handlers(), "wss", self.client_tls(),
                                    security_profile=2, password="secret")
        connection = await connecting
        self.assertEqual(common_names(connection.client_certificate), ["localhost"])
        server = await (await servers.next()).made
        self.assertIsNone(server.client_certificate)
        self.assertEqual(server.security_profile, 2)
        connection.send_text("over TLS")
        self.assertEqual(await servers.made[0].texts.get(), "over TLS")

        _, connecting = self.client(port, "CP001", Handlers(), "wss", self.client_tls(),
                                    security_profile=2, password="wrong")
        failure = await self.refused(connecting)
        failure.trap(HandshakeFailed)
        self.assertEqual(failure.value.status, 401)

    async def test_profile_2_ssl_endpoint_string(self) -> None:
        """
        A profile 2 server may listen with an C{ssl:} endpoint string.
        """
        servers = Handlers()
        _, port = await self.start_server(
            servers,
            endpoint=(f"ssl:0:interface=127.0.0.1:privateKey={self.files.server.key}"
                      f":certKey={self.files.server.certificate}"),
            security_profile=2,
        )
        _, connecting = self.client(port, "CP001", Handlers(), "wss", self.client_tls(),
                                    security_profile=2, password="secret")
        connection = await connecting
        self.assertEqual(connection.security_profile, 2)

    async def test_plain_client_to_tls_port(self) -> None:
        """
        A ws:// client connecting to a profile 2 (TLS) port fails; no
        handler is made on either side.
        """
        servers, clients = Handlers(), Handlers()
        _, port = await self.start_server(servers, self.server_tls(), security_profile=2)
        _, connecting = self.client(port, "CP001", clients, security_profile=1,
                                    password="secret", open_handshake_timeout=2)
        await self.refused(connecting)
        self.assertEqual((servers.made, clients.made), ([], []))

    async def test_hostname_mismatch(self) -> None:
        """
        A server certificate for another host name is refused by the
        client.
        """
        servers = Handlers()
        _, port = await self.start_server(
            servers, self.server_tls(wrong_host=True), security_profile=2
        )
        _, connecting = self.client(port, "CP001", Handlers(), "wss", self.client_tls(),
                                    security_profile=2, password="secret")
        failure = await self.refused(connecting)
        self.assertIsInstance(failure.value, (VerificationError, SSL.Error), failure)
        self.assertEqual(servers.made, [])

    async def test_untrusted_server(self) -> None:
        """
        A server certificate not signed by the client's CA is refused.
        """
        _, port = await self.start_server(Handlers(), self.server_tls(), security_profile=2)
        tls = client_tls_options("127.0.0.1", ca_certificates=self.files.rogue_ca)
        _, connecting = self.client(port, "CP001", Handlers(), "wss", tls,
                                    security_profile=2, password="secret")
        failure = await self.refused(connecting)
        self.assertIsInstance(failure.value, SSL.Error, failure)

    async def test_profile_3(self) -> None:
        """
        Profile 3: a client certificate signed by the CA, with the identity
        as CN, is accepted; the server's connection carries it.
        """
        seen = []
        servers = Handlers()
        _, port = await self.start_server(
            servers, self.server_tls(client_ca=True), security_profile=3,
            authenticator=lambda i, p, c, peer: seen.append((i, p, common_names(c))) or True,
        )
        _, connecting = self.client(
            port, "CP001", Handlers(), "wss",
            self.client_tls(client=self.files.clients["CP001"]), security_profile=3,
        )
        connection = await connecting
        self.assertEqual(connection.security_profile, 3)
        server = await (await servers.next()).made
        self.assertEqual(common_names(server.client_certificate), ["CP001"])
        self.assertEqual(seen, [("CP001", None, ["CP001"])])

    async def test_profile_3_accepted_as_another_profile_A00_FR_003(self) -> None:
        """
        A00.FR.003: a server that accepts a profile 3 client over TLS
        without asking for its certificate (so, as profile 2 or less) has
        its connection terminated by the client.
        """
        _, port = await self.start_server(
            Handlers(), self.server_tls(), security_profile=2, protocol=LaxServerProtocol
        )
        clients = Handlers()
        _, connecting = self.client(
            port, "CP001", clients, "wss",
            self.client_tls(client=self.files.clients["CP001"]), security_profile=3,
        )
        failure = await self.refused(connecting)
        failure.trap(HandshakeFailed)
        self.assertIn("A00.FR.003", failure.value.reason)
        self.assertIsNone(failure.value.event)
        self.assertEqual(clients.made, [])

    async def test_profile_3_on_a_listener_of_optional_certificates(self) -> None:
        """
        A listener of profile 2 asking for an optional client certificate
        (one port for 2 and 3) asks for it: a profile 3 client connects.
        """
        options = server_tls_options(self.files.server.key, self.files.server.certificate,
                                     self.files.ca, require_client_certificate=False)
        _, port = await self.start_server(Handlers(), options, security_profile=2)
        _, connecting = self.client(
            port, "CP001", Handlers(), "wss",
            self.client_tls(client=self.files.clients["CP001"]), security_profile=3,
        )
        connection = await connecting
        self.assertEqual(connection.security_profile, 3)

    async def test_server_side_profile_3_on_optional_certificates_A00_FR_402(self) -> None:
        """
        A00.FR.402 (profile 3 is TLS with a client certificate): on a
        listener of profile 2 asking for an optional certificate, the
        server's connection of a client that presented one (verified by TLS)
        is profile 3; one that sent only its password stays profile 2.
        """
        options = server_tls_options(self.files.server.key, self.files.server.certificate,
                                     self.files.ca, require_client_certificate=False)
        servers = Handlers()
        _, port = await self.start_server(
            servers, options, security_profile=2, authenticator=lambda i, p, c, peer: True
        )
        _, connecting = self.client(
            port, "CP001", Handlers(), "wss",
            self.client_tls(client=self.files.clients["CP001"]), security_profile=3,
        )
        await connecting
        server = await (await servers.next()).made
        self.assertEqual(server.security_profile, 3)
        _, connecting = self.client(
            port, "CP002", Handlers(), "wss", self.client_tls(),
            security_profile=2, password="secret-password-16",
        )
        await connecting
        server = await (await servers.next()).made
        self.assertEqual(server.security_profile, 2)

    async def test_failed_tls_handshake_logged_A00_FR_323(self) -> None:
        """
        A00.FR.321/323: a client offering only a banned suite is refused by
        the TLS handshake, which the server logs with OpenSSL's reason.
        """
        from twisted.internet.endpoints import TCP4ClientEndpoint, wrapClientTLS
        from twisted.internet.protocol import Factory, Protocol
        from twisted.logger import globalLogPublisher

        from tests.transport.handshake import Peer

        logged = Deferred()

        def observe(event):
            if "TLS handshake with" in event.get("log_format", "") and not logged.called:
                logged.callback(event)

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        _, port = await self.start_server(Handlers(), self.server_tls(), security_profile=2)
        endpoint = wrapClientTLS(Peer("AES128-SHA", maximum=SSL.TLS1_2_VERSION),
                                 TCP4ClientEndpoint(reactor, "127.0.0.1", port))
        client = await endpoint.connect(Factory.forProtocol(Protocol))
        self.addCleanup(client.transport.loseConnection)  # (a no-op once lost)
        event = await logged
        self.assertIn("no shared cipher", event["reason"])
        # The one line: autobahn's error-level "SSL error: ..." is not
        # written beside it.
        errors = []

        def observe_errors(event):
            if event.get("log_level") is not None and event["log_level"].name in ("error", "critical"):
                errors.append(event)

        globalLogPublisher.addObserver(observe_errors)
        self.addCleanup(globalLogPublisher.removeObserver, observe_errors)
        await deferLater(reactor, 0.05, lambda: None)
        self.assertEqual(errors, [])

    async def test_profile_3_unknown_certificate(self) -> None:
        """
        A client certificate from another CA, or none, fails the TLS
        handshake.
        """
        servers = Handlers()
        _, port = await self.start_server(
            servers, self.server_tls(client_ca=True), security_profile=3
        )
        for client in (self.files.rogue_client, None):
            _, connecting = self.client(
                port, "CP001", Handlers(), "wss", self.client_tls(client=client),
                security_profile=3,
            )
            failure = await self.refused(connecting)
            self.assertIsInstance(failure.value, (SSL.Error, TCPConnectionClosed), failure)
        self.assertEqual(servers.made, [])

    async def test_profile_3_wrong_common_name(self) -> None:
        """
        A valid client certificate whose CN is not the identity is refused
        with 403.
        """
        servers = Handlers()
        _, port = await self.start_server(
            servers, self.server_tls(client_ca=True), security_profile=3
        )
        _, connecting = self.client(
            port, "CP001", Handlers(), "wss",
            self.client_tls(client=self.files.clients["CP002"]), security_profile=3,
        )
        failure = await self.refused(connecting)
        failure.trap(HandshakeFailed)
        self.assertEqual(failure.value.status, 403)
        self.assertEqual(servers.made, [])

    async def test_profile_mismatch(self) -> None:
        """
        A profile 3 client at a profile 2 port, which lets it through TLS,
        is refused for lacking Basic credentials (A00.FR.002).
        """
        _, port = await self.start_server(Handlers(), self.server_tls(), security_profile=2)
        _, connecting = self.client(
            port, "CP001", Handlers(), "wss",
            self.client_tls(client=self.files.clients["CP001"]), security_profile=3,
        )
        failure = await self.refused(connecting)
        failure.trap(HandshakeFailed)
        self.assertEqual(failure.value.status, 401)


    async def test_tls_at_plain_profile(self) -> None:
        """
        A profile 1 server reached over TLS (a misconfigured endpoint)
        refuses the connection with 403: profiles 0 and 1 are not TLS.
        """
        from openocpp.transport.server import TLSServerEndpoint
        from twisted.internet.endpoints import serverFromString

        factory = OcppServerFactory(Handlers(), security_profile=1)
        endpoint = TLSServerEndpoint(serverFromString(reactor, LOOPBACK), self.server_tls())
        port = await endpoint.listen(factory)
        self.addCleanup(port.stopListening)
        self.addCleanup(factory.close_connections)
        _, connecting = self.client(port.getHost().port, "CP001", Handlers(), "wss",
                                    self.client_tls(), security_profile=2, password="x")
        failure = await self.refused(connecting)
        failure.trap(HandshakeFailed)
        self.assertEqual(failure.value.status, 403)


class ReconnectionTests(ConnectionTestsMixin, TestCase):
    """
    L{ClientConnectionService} and pings.
    """

    async def test_reconnects(self) -> None:
        """
        The server goes away and comes back: the service reconnects, with
        a fresh handler.
        """
        servers, clients = Handlers(), Handlers()
        factory, port = await self.start_server(servers)
        service = ClientConnectionService(
            reactor, f"ws://127.0.0.1:{port}/ocpp", "CP001", clients,
            initial_delay=0.05, max_delay=0.2, jitter=lambda: 0,
        )
        service.startService()
        self.addCleanup(service.stopService)
        first = await service.whenConnected()
        self.assertEqual(first.identity, "CP001")
        await (await servers.next()).made

        listening = [p for p in reactor.getReaders()
                     if getattr(p, "getHost", None) and p.getHost().port == port
                     and hasattr(p, "stopListening")]
        await listening[0].stopListening()
        await factory.close_connections()
        self.assertEqual((await clients.made[0].lost).code, 1001)

        again = await listen(reactor, f"tcp:{port}:interface=127.0.0.1", factory)
        self.addCleanup(again.stopListening)
        await (await servers.next()).made
        second = await service.whenConnected()
        self.assertIsNot(second, first)
        self.assertTrue(second.open)
        self.assertEqual(len(clients.made), 2)

    async def test_gives_up_when_asked(self) -> None:
        """
        C{whenConnected(failAfterFailures=1)} fails with the refusal.
        """
        failure = await self.first_refusal()
        failure.trap(HandshakeFailed)
        self.assertEqual(failure.value.status, 401)

    async def test_stop_closes_going_away(self) -> None:
        """
        Stopping the service closes the connection with 1001.
        """
        servers = Handlers()
        _, port = await self.start_server(servers)
        service = ClientConnectionService(
            reactor, f"ws://127.0.0.1:{port}/ocpp", "CP001", Handlers())
        service.startService()
        await service.whenConnected()
        await service.stopService()
        reason = await (await servers.next()).lost
        self.assertEqual(reason.code, 1001)

    async def test_server_drops_silent_client(self) -> None:
        """
        A client that stops answering the server's pings is dropped after
        the ping timeout; one that answers stays.
        """
        clock = Clock()
        servers, clients = Handlers(), Handlers()
        factory, port = await self.start_server(
            servers, ping_interval=5, ping_timeout=3, clock=clock,
            protocol=PongCountingServerProtocol,
        )
        factory.pongs = DeferredQueue()
        _, connecting = self.client(port, "CP001", Handlers())
        await connecting
        answering = await servers.next()
        _, connecting = self.client(port, "CP002", clients, protocol=SilentClientProtocol)
        await connecting
        silent = await servers.next()

        clock.advance(5)  # pings go out
        await factory.pongs.get()  # the answering client's pong
        await settle()
        self.assertEqual(silent.events, ["made"])
        clock.advance(3)  # timeout
        reason = await silent.lost
        self.assertEqual((reason.code, reason.was_clean), (1006, False))
        await clients.made[0].lost
        self.assertEqual(answering.events, ["made"])

    async def test_client_drops_silent_server(self) -> None:
        """
        A server that stops answering the client's pings is dropped, and
        the service reconnects.
        """
        clock = Clock()
        servers, clients = Handlers(), Handlers()
        _, port = await self.start_server(servers, protocol=SilentServerProtocol)
        service = ClientConnectionService(
            reactor, f"ws://127.0.0.1:{port}/ocpp", "CP001", clients,
            ping_interval=5, ping_timeout=3, clock=clock,
            initial_delay=1, max_delay=2, factor=2, jitter=lambda: 0,
        )
        service.startService()
        self.addCleanup(service.stopService)
        await service.whenConnected()
        first = await servers.next()
        clock.advance(5)
        await settle()
        clock.advance(3)
        reason = await clients.made[0].lost
        self.assertEqual(reason.code, 1006)
        await first.lost
        await settle()
        clock.advance(2)  # the retry
        await (await servers.next()).made
        connection = await service.whenConnected()
        self.assertTrue(connection.open)
