"""
TLS handshakes in memory (C{twisted.test.iosim}: no socket, no clock), for
the tests of the TLS settings both ends use: our options against a peer
whose versions and cipher suites the test chooses (L{Peer}), or against a
stock Python C{ssl} client (L{StdlibClient}).
"""

from __future__ import annotations

import ssl
from typing import Any

from OpenSSL import SSL
from twisted.internet.interfaces import (
    IHandshakeListener,
    IOpenSSLClientConnectionCreator,
    IOpenSSLServerConnectionCreator,
)
from twisted.internet.protocol import Factory, Protocol
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.test.iosim import connectedServerAndClient
from zope.interface import implementer

from tests.transport.certificates import Issued


@implementer(IHandshakeListener)
class Recorder(Protocol):
    """
    The application protocol on either end: records whether the handshake
    completed and why the connection was lost.
    """

    def __init__(self) -> None:
        self.handshook = False
        self.lost: Any = None

    def handshakeCompleted(self) -> None:
        self.handshook = True

    def connectionLost(self, reason: Any) -> None:
        self.lost = reason


@implementer(IOpenSSLClientConnectionCreator, IOpenSSLServerConnectionCreator)
class Peer:
    """
    The other end, made with pyOpenSSL directly: only the cipher suites
    and TLS versions given (no certificate verification).

    @param ciphers: an OpenSSL cipher string for TLS 1.2 and older.
    @param minimum: the oldest version (C{SSL.TLS1_1_VERSION}...), or C{None}.
    @param maximum: the newest version, or C{None}.
    @param certificate: for a server, its L{Issued} certificate and key.
    """

    def __init__(self, ciphers: str | None = None, minimum: int | None = None,
                 maximum: int | None = None, certificate: Issued | None = None) -> None:
        context = SSL.Context(SSL.TLS_METHOD)
        if ciphers is not None:
            context.set_cipher_list(ciphers.encode("ascii"))
        if minimum is not None:
            context.set_min_proto_version(minimum)
        if maximum is not None:
            context.set_max_proto_version(maximum)
        if certificate is not None:
            context.use_certificate_file(str(certificate.certificate))
            context.use_privatekey_file(str(certificate.key))
        self.context = context

    def serverConnectionForTLS(self, protocol: Any) -> SSL.Connection:
        return SSL.Connection(self.context, None)

    def clientConnectionForTLS(self, protocol: Any) -> SSL.Connection:
        connection = SSL.Connection(self.context, None)
        connection.set_connect_state()
        return connection


class Handshake:
    """
    The outcome of L{handshake}.

    @ivar client: the client's L{Recorder}.
    @ivar server: the server's L{Recorder}.
    @ivar connection: the client's C{SSL.Connection} (negotiated cipher and
        version), or C{None} for a L{StdlibClient}.
    """

    def __init__(self, client: Any, server: Recorder, connection: Any) -> None:
        self.client = client
        self.server = server
        self.connection = connection

    @property
    def succeeded(self) -> bool:
        """
        Whether both ends completed the handshake and neither dropped it.
        """
        return (self.client.handshook and self.server.handshook
                and self.client.lost is None and self.server.lost is None)

    @property
    def cipher(self) -> str | None:
        """
        The negotiated cipher suite (OpenSSL name).
        """
        if self.connection is None:
            return self.client.tls.cipher()[0]
        return self.connection.get_cipher_name()

    @property
    def version(self) -> str | None:
        """
        The negotiated TLS version (C{"TLSv1.2"}...).
        """
        if self.connection is None:
            return self.client.tls.version()
        return self.connection.get_protocol_version_name()


def handshake(server_options: Any, client_options: Any = None, client: Any = None) -> Handshake:
    """
    Run a TLS handshake in memory.

    @param server_options: the server's connection creator
        (C{CertificateOptions} or L{Peer}).
    @param client_options: the client's connection creator, or C{None} with
        C{client}.
    @param client: a protocol speaking TLS itself (L{StdlibClient}) instead.
    @return: the L{Handshake}.
    """
    server = Recorder()
    server_protocol = TLSMemoryBIOFactory(
        server_options, False, Factory.forProtocol(lambda: server)
    ).buildProtocol(None)
    if client is None:
        client = Recorder()
        client_protocol = TLSMemoryBIOFactory(
            client_options, True, Factory.forProtocol(lambda: client)
        ).buildProtocol(None)
    else:
        client_protocol = client
    _, _, pump = connectedServerAndClient(lambda: server_protocol, lambda: client_protocol)
    pump.flush()
    connection = getattr(client_protocol, "_tlsConnection", None)
    return Handshake(client, server, connection)


class StdlibClient(Protocol):
    """
    A client speaking TLS with Python's C{ssl} module (what the C{ocpp}
    package's C{websockets} peers use), over memory BIOs.

    @param context: the C{ssl.SSLContext} (default: C{create_default_context}
        trusting C{ca}).
    @ivar handshook: whether the handshake completed.
    @ivar lost: the C{ssl.SSLError} that ended it, else C{None}.
    """

    def __init__(self, context: ssl.SSLContext, hostname: str = "localhost") -> None:
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=hostname)
        self.handshook = False
        self.lost: Any = None

    def connectionMade(self) -> None:
        self._step()

    def dataReceived(self, data: bytes) -> None:
        self._incoming.write(data)
        self._step()

    def _step(self) -> None:
        if not self.handshook and self.lost is None:
            try:
                self.tls.do_handshake()
                self.handshook = True
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as error:
                self.lost = error
        pending = self._outgoing.read()
        if pending:
            self.transport.write(pending)
        if self.lost is not None:
            self.transport.loseConnection()
