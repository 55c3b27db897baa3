"""
The TLS settings of both ends (Security Whitepaper edition 2, 2.4 and 2.5):
TLS 1.2 or above (A00.FR.312/416), the required cipher suites
(A00.FR.317/318, A00.FR.421/422), the banned ones refused (A00.FR.319/321,
A00.FR.423/425), no compression (A00.FR.320/424), handshakes in memory.
"""

import ssl

from OpenSSL import SSL
from twisted.trial.unittest import SynchronousTestCase

from openocpp.transport.security import (
    DEFAULT_CIPHERS,
    acceptable_ciphers,
    certificate_requested,
    check_ciphers,
    client_tls_options,
    negotiation_problem,
    server_tls_options,
)
from tests.transport.certificates import tls_files
from tests.transport.handshake import Peer, StdlibClient, handshake

#: The suites A00.FR.317/421 require of a central system.
REQUIRED_ECDSA = ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384")
REQUIRED_RSA = ("AES128-GCM-SHA256", "AES256-GCM-SHA384")


def _server(rsa=False, ciphers=None):
    tls = tls_files()
    issued = tls.rsa_server if rsa else tls.server
    return server_tls_options(str(issued.key), str(issued.certificate), ciphers=ciphers)


def _client(ciphers=None):
    return client_tls_options("localhost", ca_certificates=str(tls_files().ca), ciphers=ciphers)


def _options(context: SSL.Context) -> int:
    # The options a context carries (pyOpenSSL has no getter; set_options
    # is refused once a connection was made from it).
    from OpenSSL._util import lib

    return lib.SSL_CTX_get_options(context._context)


class CipherStringTests(SynchronousTestCase):
    """
    L{acceptable_ciphers} and L{check_ciphers}: the cipher strings allowed.
    """

    def _names(self, ciphers):
        return [each.fullName for each in ciphers.selectCiphers(ciphers._ciphers)]

    def test_default_has_required_suites_A00_FR_317_421(self):
        names = self._names(acceptable_ciphers())
        for name in REQUIRED_ECDSA + REQUIRED_RSA:
            self.assertIn(name, names)
        self.assertEqual(DEFAULT_CIPHERS.split(":")[0], "ECDHE-ECDSA-AES128-GCM-SHA256")

    def test_banned_suites_refused_A00_FR_319_423(self):
        for banned in ("AES128-SHA", "ECDHE-RSA-AES128-SHA256", "aNULL", "eNULL", "HIGH",
                       "ECDHE-ECDSA-AES128-GCM-SHA256:AES128-SHA"):
            with self.assertRaises(ValueError) as raised:
                acceptable_ciphers(banned)
            self.assertIn("bans", str(raised.exception), banned)

    def test_unknown_string_refused(self):
        for nonsense in ("not-a-cipher", "", "\u00e9"):
            with self.assertRaises(ValueError) as raised:
                acceptable_ciphers(nonsense)
            self.assertIn("selects no TLS 1.2 cipher suite", str(raised.exception))

    def test_allowed_override(self):
        names = self._names(acceptable_ciphers("ECDHE+AESGCM"))
        self.assertIn("ECDHE-RSA-AES256-GCM-SHA384", names)
        self.assertNotIn("AES128-GCM-SHA256", names)

    def test_check_names_the_setting(self):
        check_ciphers("tls_ciphers", None)
        check_ciphers("tls_ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256")
        with self.assertRaises(ValueError) as raised:
            check_ciphers("tls_ciphers", "AES128-SHA")
        self.assertTrue(str(raised.exception).startswith("tls_ciphers: "))

    def test_options_refuse_banned(self):
        self.assertRaises(ValueError, _server, ciphers="AES128-SHA")
        self.assertRaises(ValueError, _client, ciphers="AES128-SHA")


class CompressionTests(SynchronousTestCase):
    """
    A00.FR.320/424: neither end uses TLS compression.
    """

    def test_server_no_compression(self):
        """
        A00.FR.320/424: the central system's TLS server refuses compression.
        """
        self.assertTrue(_options(_server().getContext()) & SSL.OP_NO_COMPRESSION)

    def test_client_no_compression(self):
        """
        A00.FR.320/424: the charge point's TLS client, in a handshake, has
        compression off.
        """
        connection = handshake(_server(), _client()).connection
        self.assertTrue(_options(connection.get_context()) & SSL.OP_NO_COMPRESSION)

    def test_old_versions_off(self):
        # A00.FR.312/416: SSLv2/3, TLS 1.0 and 1.1 are disabled on both ends.
        flags = SSL.OP_NO_SSLv2 | SSL.OP_NO_SSLv3 | SSL.OP_NO_TLSv1 | SSL.OP_NO_TLSv1_1
        self.assertEqual(_options(_server().getContext()) & flags, flags)
        connection = handshake(_server(), _client()).connection
        self.assertEqual(_options(connection.get_context()) & flags, flags)


class ServerHandshakeTests(SynchronousTestCase):
    """
    The central system's TLS options against clients of chosen settings.
    """

    def test_required_suites_A00_FR_317_421(self):
        for rsa, names in ((False, REQUIRED_ECDSA), (True, REQUIRED_RSA)):
            for name in names:
                result = handshake(_server(rsa), Peer(name, maximum=SSL.TLS1_2_VERSION))
                self.assertTrue(result.succeeded, name)
                self.assertEqual((result.cipher, result.version), (name, "TLSv1.2"))

    def test_banned_suite_only_client_refused_A00_FR_321_425(self):
        # With an RSA certificate TLS_RSA_WITH_AES_128_CBC_SHA could be
        # chosen; it is not offered, so the handshake fails.
        for rsa in (False, True):
            result = handshake(_server(rsa), Peer("AES128-SHA", maximum=SSL.TLS1_2_VERSION))
            self.assertFalse(result.succeeded)
            self.assertFalse(result.server.handshook)
            self.assertIn("no shared cipher", result.server.lost.getErrorMessage())

    def test_tls11_client_refused_A00_FR_314_418(self):
        result = handshake(_server(True), Peer(
            "AES128-SHA:@SECLEVEL=0", minimum=SSL.TLS1_1_VERSION, maximum=SSL.TLS1_1_VERSION))
        self.assertFalse(result.server.handshook)
        self.assertIn("unsupported protocol", result.server.lost.getErrorMessage())

    def test_tls13_client(self):
        result = handshake(_server(), Peer(minimum=SSL.TLS1_3_VERSION))
        self.assertTrue(result.succeeded)
        self.assertEqual(result.version, "TLSv1.3")

    def test_stock_python_client(self):
        # What the ocpp package's websockets client uses: ssl's defaults.
        for maximum in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.MAXIMUM_SUPPORTED):
            for rsa in (False, True):
                context = ssl.create_default_context(cafile=str(tls_files().ca))
                context.maximum_version = maximum
                result = handshake(_server(rsa), client=StdlibClient(context))
                self.assertTrue(result.succeeded, (maximum, rsa, result.client.lost))


    def test_client_offering_alpn(self):
        # curl and most TLS libraries offer ALPN (http/1.1); OCPP-J names
        # no ALPN protocol, so none is chosen and the handshake goes on
        # (A00.FR.317: the TLS 1.2 handshake a charge point starts).
        for rsa in (False, True):
            context = ssl.create_default_context(cafile=str(tls_files().ca))
            context.set_alpn_protocols(["http/1.1"])
            result = handshake(_server(rsa), client=StdlibClient(context))
            self.assertTrue(result.succeeded, (rsa, result.client.lost))


class ClientHandshakeTests(SynchronousTestCase):
    """
    The charge point's TLS options against servers of chosen settings.
    """

    def _peer_server(self, ciphers, rsa=False, **versions):
        tls = tls_files()
        return Peer(ciphers, certificate=tls.rsa_server if rsa else tls.server, **versions)

    def test_required_suites_A00_FR_318_422(self):
        for rsa, names in ((False, REQUIRED_ECDSA), (True, REQUIRED_RSA)):
            for name in names:
                server = self._peer_server(name, rsa, maximum=SSL.TLS1_2_VERSION)
                result = handshake(server, _client())
                self.assertTrue(result.succeeded, name)
                self.assertEqual(result.cipher, name)

    def test_banned_suite_only_server_refused_A00_FR_322_426(self):
        server = self._peer_server("AES128-SHA", True, maximum=SSL.TLS1_2_VERSION)
        result = handshake(server, _client())
        self.assertFalse(result.client.handshook)
        self.assertIn("handshake failure", result.client.lost.getErrorMessage())

    def test_tls11_server_refused_A00_FR_315_419(self):
        server = self._peer_server("AES128-SHA:@SECLEVEL=0", True,
                                   minimum=SSL.TLS1_1_VERSION, maximum=SSL.TLS1_1_VERSION)
        result = handshake(server, _client())
        self.assertFalse(result.client.handshook)
        self.assertIn("protocol version", result.client.lost.getErrorMessage())

    def test_tls13_server(self):
        result = handshake(self._peer_server(None, minimum=SSL.TLS1_3_VERSION), _client())
        self.assertTrue(result.succeeded)
        self.assertEqual(result.version, "TLSv1.3")


class NegotiationCheckTests(SynchronousTestCase):
    """
    L{negotiation_problem}: both ends check the version and cipher suite a
    handshake ended with (A00.FR.313, A00.FR.417), for TLS options made
    elsewhere than L{client_tls_options} and L{server_tls_options}.
    """

    def test_allowed(self):
        self.assertIsNone(negotiation_problem(handshake(_server(), _client()).connection))
        result = handshake(_server(), Peer(maximum=SSL.TLS1_2_VERSION))
        self.assertIsNone(negotiation_problem(result.connection))

    def test_old_version_A00_FR_313(self):
        server = Peer("AES128-SHA:@SECLEVEL=0", maximum=SSL.TLS1_1_VERSION,
                      certificate=tls_files().rsa_server)
        result = handshake(server, Peer("AES128-SHA:@SECLEVEL=0", maximum=SSL.TLS1_1_VERSION))
        self.assertTrue(result.succeeded)
        kind, why = negotiation_problem(result.connection)
        self.assertEqual(kind, "InvalidTLSVersion")
        self.assertIn("TLSv1.1", why)

    def test_banned_suite_A00_FR_319(self):
        server = Peer("AES128-SHA", maximum=SSL.TLS1_2_VERSION, certificate=tls_files().rsa_server)
        result = handshake(server, Peer("AES128-SHA", maximum=SSL.TLS1_2_VERSION))
        self.assertTrue(result.succeeded)
        self.assertEqual(negotiation_problem(result.connection)[0], "InvalidTLSCipherSuite")


class CertificateRequestTests(SynchronousTestCase):
    """
    L{certificate_requested}: whether the central system asked for the
    charge point's certificate (A00.FR.003 for profile 3).
    """

    def test_asked(self):
        tls = tls_files()
        for maximum in (SSL.TLS1_2_VERSION, None):
            server = server_tls_options(str(tls.server.key), str(tls.server.certificate),
                                        client_ca=str(tls.ca), require_client_certificate=False)
            if maximum is not None:
                server.getContext().set_max_proto_version(maximum)
            self.assertIs(certificate_requested(handshake(server, _client()).connection), True)

    def test_not_asked(self):
        for maximum in (SSL.TLS1_2_VERSION, None):
            server = _server()
            if maximum is not None:
                server.getContext().set_max_proto_version(maximum)
            self.assertIs(certificate_requested(handshake(server, _client()).connection), False)

    def test_unknown_for_other_options(self):
        result = handshake(_server(), Peer())
        self.assertIsNone(certificate_requested(result.connection))
