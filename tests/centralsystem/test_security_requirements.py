"""
Security Whitepaper (edition 2) requirements of the central system that
other tests covered without naming them, each checked here on loopback:
HTTP Basic with the identity as the user (A00.FR.202-204), the central
system as the TLS server presenting its certificate (A00.FR.305/306 at
profile 2, A00.FR.409/410 at profile 3), and its refusal of TLS below 1.2.
"""

import base64

from cryptography import x509

from twisted.internet import reactor
from OpenSSL import SSL
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.endpoints import TCP4ClientEndpoint, wrapClientTLS
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from zope.interface import implementer
from twisted.trial.unittest import TestCase

from tests.centralsystem.fake_chargepoint import BOOT, CentralSystemMixin
from tests.transport.certificates import client_options, tls_files
from tests.transport.loopback import RawClient, handshake_request

KEY = "00112233445566778899"


def basic(user, password):
    """
    An C{Authorization} header's value for HTTP Basic.
    """
    return "Basic " + base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")


class HttpBasicTests(CentralSystemMixin, TestCase):
    """
    Profile 1: the charge point authenticates with HTTP Basic.
    """

    timeout = 30

    @inlineCallbacks
    def handshake(self, headers=None):
        yield self.start_central_system(security_profile=1)
        self.central.store.register_charge_point("CP1", password=KEY, security_profile=1)
        return (yield self.raw(headers))

    @inlineCallbacks
    def raw(self, headers=None):
        client = RawClient(handshake_request("/ocpp/CP1", headers=headers))
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.central.port.getHost().port)
        yield endpoint.connect(Factory.forProtocol(lambda: client))
        return (yield client.done)

    @inlineCallbacks
    def test_A00_FR_202_203_credentials_required_with_every_connection(self):
        """
        A00.FR.202, A00.FR.203: a connection request without credentials is
        refused with 401 asking for HTTP Basic; the same request with them
        is upgraded, and the next one without them is refused again.
        """
        refused = yield self.handshake()
        self.assertTrue(refused.startswith(b"HTTP/1.1 401"), refused[:200])
        self.assertIn(b"WWW-Authenticate: Basic", refused)
        upgraded = yield self.raw({"Authorization": basic("CP1", KEY)})
        self.assertTrue(upgraded.startswith(b"HTTP/1.1 101"), upgraded[:200])
        again = yield self.raw()
        self.assertTrue(again.startswith(b"HTTP/1.1 401"), again[:200])

    @inlineCallbacks
    def test_A00_FR_204_user_name_is_the_identity(self):
        """
        A00.FR.204: the right password under another user name than the
        identity is refused.
        """
        refused = yield self.handshake({"Authorization": basic("CP2", KEY)})
        self.assertTrue(refused.startswith(b"HTTP/1.1 401"), refused[:200])


@implementer(IOpenSSLClientConnectionCreator)
class OldTLSClient:
    """
    A TLS client offering at most the version C{highest} (and down to TLS
    1.0, ciphers of any security level), to see the server refuse it.
    """

    def __init__(self, highest):
        self.context = SSL.Context(SSL.TLS_METHOD)
        self.context.set_min_proto_version(SSL.TLS1_VERSION)
        self.context.set_max_proto_version(highest)
        self.context.set_cipher_list(b"DEFAULT@SECLEVEL=0")

    def clientConnectionForTLS(self, protocol):
        connection = SSL.Connection(self.context, None)
        connection.set_connect_state()
        return connection


class LostReason(Protocol):
    """
    Sends a handshake request; L{done} fires with why the connection was
    lost (the exception).
    """

    def __init__(self):
        self.done = Deferred()
        self.data = b""

    def connectionMade(self):
        self.transport.write(handshake_request("/ocpp/CP002"))

    def dataReceived(self, data):
        self.data += data

    def connectionLost(self, reason):
        # The exception, not the Failure (which would fail the Deferred).
        self.done.callback(reason.value)


class TLSServerTests(CentralSystemMixin, TestCase):
    """
    Profiles 2 and 3: the central system is the TLS server.
    """

    timeout = 30

    @inlineCallbacks
    def test_A00_FR_305_306_409_410_server_presents_its_certificate(self):
        """
        A00.FR.305, A00.FR.306 (profile 2) and A00.FR.409, A00.FR.410
        (profile 3): the charge point connects as the TLS client, and the
        certificate the central system authenticates itself with is its
        configured one, for both kinds of charge points on one listener.
        """
        tls = tls_files()
        yield self.start_central_system(
            security_profile=2, tls_key=str(tls.server.key), tls_certificate=str(tls.server.certificate),
            tls_ca=str(tls.ca),
        )
        store = self.central.store
        store.register_charge_point("CP002", password=KEY, security_profile=2)
        store.register_charge_point("CP001", security_profile=3)
        basic_cp = yield self.connect("CP002", password=KEY, security_profile=2, tls_options=client_options(tls))
        mutual_cp = yield self.connect("CP001", security_profile=3, tls_options=client_options(tls, "CP001"))
        expected = x509.load_pem_x509_certificates(tls.server.certificate.read_bytes())[0]
        for cp in (basic_cp, mutual_cp):
            self.assertEqual((yield cp.call(BOOT)).status, "Accepted")
            # (On the charge point's side, the peer's certificate is the
            # central system's.)
            self.assertEqual(cp.connection.client_certificate.original.to_cryptography(), expected)

    @inlineCallbacks
    def test_A00_FR_313_314_417_418_below_tls_1_2_refused(self):
        """
        A00.FR.311-314 (profile 2), A00.FR.415-418 (profile 3): the
        channel is TLS; the central system checks the TLS version and ends
        a handshake offering TLS 1.1 at most with a protocol version alert
        (no HTTP reaches it), while the same client at TLS 1.2 gets its
        HTTP answer.
        """
        tls = tls_files()
        yield self.start_central_system(
            security_profile=2, tls_key=str(tls.server.key), tls_certificate=str(tls.server.certificate),
            tls_ca=str(tls.ca),
        )
        client = LostReason()
        plain = TCP4ClientEndpoint(reactor, "127.0.0.1", self.central.port.getHost().port)
        connecting = wrapClientTLS(OldTLSClient(SSL.TLS1_1_VERSION), plain)
        yield connecting.connect(Factory.forProtocol(lambda: client))
        reason = yield client.done
        self.assertEqual(client.data, b"")
        # The server's alert, received by the client.
        self.assertIn("alert protocol version", str(reason).lower())
        current = LostReason()
        yield wrapClientTLS(OldTLSClient(SSL.TLS1_2_VERSION), plain).connect(Factory.forProtocol(lambda: current))
        yield current.done
        self.assertTrue(current.data.startswith(b"HTTP/1.1 401"), current.data[:100])
