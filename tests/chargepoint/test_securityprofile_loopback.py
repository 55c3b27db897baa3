"""
The connection failures that are security events, end to end over loopback
(Security Whitepaper edition 2, A00 and chapter 8): a real charge point
connecting to a real listener with certificates made in the test, its
security events read from what it raised.
"""

import os
from datetime import datetime, timezone

from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.service import ChargePoint
from openocpp.hookspecs import hookimpl
from openocpp.plugins import make_plugin_manager
from openocpp.transport.security import server_tls_options
from tests.chargepoint.fake_centralsystem import LoopbackCentralSystem
from tests.chargepoint.pki import Authority

KEY = "0123456789abcdef0123"


class EventRecorder:
    """
    A plugin recording the charge point's security events and firing a
    Deferred at the first one of a given type.
    """

    def __init__(self, reactor):
        self.reactor = reactor
        self.kinds = []
        self.tech_infos = []
        self.waiting = {}

    def wait_for(self, kind):
        waiting = self.waiting[kind] = Deferred()
        return waiting

    @hookimpl
    def openocpp_cp_security_event(self, charge_point, kind, tech_info, critical, timestamp):
        self.kinds.append(kind)
        self.tech_infos.append(tech_info)
        waiting = self.waiting.pop(kind, None)
        if waiting is not None:
            self.reactor.callLater(0, waiting.callback, tech_info)


class ConnectionFailureEventTests(TestCase):
    """
    A charge point on profile 1 or 2 against a listener that refuses it.
    """

    timeout = 30

    def setUp(self):
        from twisted.internet import reactor

        self.reactor = reactor
        self.now = datetime.now(timezone.utc)
        self.folder = self.mktemp()
        os.makedirs(self.folder)
        self.cs = LoopbackCentralSystem(self, reactor)
        self.accept = True
        self.seen = []

    def authenticate(self, identity, password, certificate, peer):
        self.seen.append((identity, password))
        return self.accept

    async def listen(self, profile, tls=None):
        from openocpp.transport.server import OcppServerFactory, listen

        factory = OcppServerFactory(
            self.cs.handler_factory, reactor=self.reactor, security_profile=profile,
            authenticator=self.authenticate,
        )
        listening = await listen(self.reactor, "tcp:0:interface=127.0.0.1", factory, tls)
        self.addCleanup(factory.close_connections)
        self.addCleanup(listening.stopListening)
        return listening.getHost().port

    def charge_point(self, url, profile, ca_file=None, **more):
        self.events = EventRecorder(self.reactor)
        config = ChargePointConfig(
            url=url, security_profile=profile, password=KEY, ca_certificates=ca_file,
            database=self.mktemp(), download_folder=self.mktemp(),
            reconnect_initial_delay=0.05, reconnect_max_delay=0.2, **more,
        )
        cp = ChargePoint(config, reactor=self.reactor, plugins=make_plugin_manager(
            builtins=[DefaultChargePointBehaviour(), self.events], load_entrypoints=False))
        return cp

    def start(self, cp):
        cp.startService()
        self.addCleanup(cp.store.close)
        self.addCleanup(cp.stopService)

    async def test_untrusted_central_system_certificate(self):
        """
        A00.FR.309 (profile 2) / A00.FR.413 (profile 3): the central
        system's certificate is not signed by a CentralSystemRootCertificate
        the charge point trusts (its certification path is verified,
        A00.FR.307 / A00.FR.411): the charge point terminates the connection
        (A00.FR.310): no WebSocket handshake reaches the central system,
        and an InvalidCentralSystemCertificate security event.
        """
        trusted = Authority("CPO Root", self.now)
        rogue = Authority("Rogue Root", self.now)
        ca_file = trusted.write(os.path.join(self.folder, "ca.pem"))
        key, certificate = rogue.server(self.folder, self.now)
        port = await self.listen(2, server_tls_options(key, certificate))
        cp = self.charge_point(f"wss://127.0.0.1:{port}/openocpp", 2, ca_file)
        raised = self.events.wait_for("InvalidCentralSystemCertificate")
        self.start(cp)
        tech_info = await raised
        self.assertIn("certificate", tech_info.lower())
        self.assertEqual(self.seen, [])  # never got as far as the handshake
        self.assertFalse(cp.connected)

    async def test_untrusted_central_system_certificate_at_profile_3(self):
        """
        A00.FR.413, A00.FR.414 (profile 3, with the charge point's own
        certificate): a central system certificate of a CA the charge point
        does not trust: it terminates the connection before any WebSocket
        handshake, and raises InvalidCentralSystemCertificate.
        """
        from openocpp import pki

        trusted = pki.make_ca(os.path.join(self.folder, "trusted"))
        own = pki.make_charge_point(trusted, "CP001")
        rogue = pki.make_ca(os.path.join(self.folder, "rogue"), "Rogue")
        server = pki.make_server(rogue, ["127.0.0.1"], "Rogue")
        port = await self.listen(3, server_tls_options(
            str(server.key), str(server.certificate), client_ca=str(trusted.certificate),
        ))
        cp = self.charge_point(
            f"wss://127.0.0.1:{port}/openocpp", 3, str(trusted.certificate),
            client_certificate=str(own.certificate), client_key=str(own.key),
        )
        raised = self.events.wait_for("InvalidCentralSystemCertificate")
        self.start(cp)
        await raised
        self.assertEqual(self.seen, [])
        self.assertFalse(cp.connected)

    async def test_central_system_certificate_for_another_name(self):
        """
        A00.FR.308 / A00.FR.412 (the certificate must name the central
        system's host) with A00.FR.309 / A00.FR.413: a certificate signed by
        the trusted root but for another host is not a valid certificate
        for this central system: no connection, and an
        InvalidCentralSystemCertificate security event.
        """
        trusted = Authority("CPO Root", self.now)
        ca_file = trusted.write(os.path.join(self.folder, "ca.pem"))
        key, certificate = trusted.server(self.folder, self.now, host="elsewhere.invalid")
        port = await self.listen(2, server_tls_options(key, certificate))
        cp = self.charge_point(f"wss://127.0.0.1:{port}/openocpp", 2, ca_file)
        raised = self.events.wait_for("InvalidCentralSystemCertificate")
        self.start(cp)
        await raised
        self.assertEqual(self.seen, [])
        self.assertFalse(cp.connected)

    async def test_refused_credentials(self):
        """
        A00.FR.205 / A00.FR.304 (the central system answers the handshake
        with 401 for a wrong AuthorizationKey): a
        FailedToAuthenticateAtCentralSystem security event ("HTTP 401").
        """
        self.accept = False
        port = await self.listen(1)
        cp = self.charge_point(f"ws://127.0.0.1:{port}/openocpp", 1)
        raised = self.events.wait_for("FailedToAuthenticateAtCentralSystem")
        self.start(cp)
        self.assertEqual(await raised, "HTTP 401")
        self.assertEqual(self.seen[0], ("CP001", KEY.encode()))
        self.assertFalse(cp.connected)

    async def test_refused_credentials_over_tls(self):
        """
        The same over TLS (profile 2): the handshake's 401 is
        FailedToAuthenticateAtCentralSystem, not a TLS event.
        """
        self.accept = False
        ca = Authority("CPO Root", self.now)
        ca_file = ca.write(os.path.join(self.folder, "ca.pem"))
        key, certificate = ca.server(self.folder, self.now)
        port = await self.listen(2, server_tls_options(key, certificate))
        cp = self.charge_point(f"wss://127.0.0.1:{port}/openocpp", 2, ca_file)
        raised = self.events.wait_for("FailedToAuthenticateAtCentralSystem")
        self.start(cp)
        self.assertEqual(await raised, "HTTP 401")
        self.assertNotIn("InvalidCentralSystemCertificate", self.events.kinds)

    async def test_tls_below_1_2_offered_by_the_server(self):
        """
        A00.FR.315 (profile 2) / A00.FR.419 (profile 3): the central system
        offers only TLS 1.1 or lower, which the charge point refuses: an
        InvalidTLSVersion security event.
        """
        from twisted.internet.ssl import CertificateOptions, TLSVersion
        from cryptography.hazmat.primitives import serialization
        from cryptography import x509
        from OpenSSL import crypto

        ca = Authority("CPO Root", self.now)
        ca_file = ca.write(os.path.join(self.folder, "ca.pem"))
        key_file, certificate_file = ca.server(self.folder, self.now)
        with open(key_file, "rb") as handle:
            key = crypto.PKey.from_cryptography_key(
                serialization.load_pem_private_key(handle.read(), None))
        with open(certificate_file, "rb") as handle:
            certificate = crypto.X509.from_cryptography(
                x509.load_pem_x509_certificate(handle.read()))
        old = CertificateOptions(
            privateKey=key, certificate=certificate,
            insecurelyLowerMinimumTo=TLSVersion.TLSv1_0, lowerMaximumSecurityTo=TLSVersion.TLSv1_1,
        )
        port = await self.listen(2, old)
        cp = self.charge_point(f"wss://127.0.0.1:{port}/openocpp", 2, ca_file)
        raised = self.events.wait_for("InvalidTLSVersion")
        self.start(cp)
        await raised
        self.assertFalse(cp.connected)
