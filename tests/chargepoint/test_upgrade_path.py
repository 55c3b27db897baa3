"""
The upgrade path of the Security Whitepaper edition 2 (use cases A02, A03
and A05), end to end against openocpp's own central system on loopback:
profile 1 on a plain listener, raised to 2 (TLS, the charge point taking
its C{tls_url}), a certificate signed by the central system acting as a CA,
raised to 3 (mutual TLS on the same listener), a downgrade refused, and the
fallback when a raised profile cannot connect.
"""

import os

from cryptography import x509

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.service import CentralSystem
from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.securityprofile import profile_url
from openocpp.chargepoint.service import ChargePoint
from openocpp.messages.enums import CertificateUseEnumType
from openocpp.pki import make_ca, make_server
from openocpp.plugins import make_plugin_manager
from tests.chargepoint.test_securityprofile_loopback import EventRecorder

KEY = "0123456789abcdef0123"


class ProfileUrlTests(SynchronousTestCase):
    def test_url_kept_when_its_scheme_fits(self):
        """
        A URL whose scheme fits the profile is used as it is.
        """
        self.assertEqual(profile_url("ws://cs:80/ocpp", "wss://cs:443/ocpp", 1), "ws://cs:80/ocpp")
        self.assertEqual(profile_url("wss://cs/ocpp", "wss://other/ocpp", 3), "wss://cs/ocpp")

    def test_tls_url_for_profiles_2_and_3(self):
        """
        Profile 2 or 3 on a ws:// URL: the configured TLS URL.
        """
        self.assertEqual(profile_url("ws://cs:80/ocpp", "wss://cs:443/x", 2), "wss://cs:443/x")

    def test_scheme_switched_without_a_tls_url(self):
        """
        Without a TLS URL the scheme is switched, host, port and path kept
        (back to ws:// too, for a fallback below profile 2).
        """
        self.assertEqual(profile_url("ws://cs:8080/ocpp", None, 2), "wss://cs:8080/ocpp")
        self.assertEqual(profile_url("wss://cs/ocpp", None, 1), "ws://cs/ocpp")

    def test_tls_url_must_be_wss(self):
        """
        A tls_url that is not wss:// is a configuration error.
        """
        with self.assertRaises(ValueError) as raised:
            ChargePointConfig(tls_url="ws://cs/ocpp")
        self.assertIn("wss://", str(raised.exception))


class UpgradePathMixin:
    """
    The upgrade path 1 -> 2 -> 3 against openocpp's central system; the
    test case says where the plain and the TLS listeners are
    (L{plain_and_tls}).
    """

    timeout = 60

    def setUp(self):
        self.folder = os.path.abspath(self.mktemp())
        self.ca = make_ca(self.folder, "ACME")
        self.server = make_server(self.ca, ["127.0.0.1"], "ACME")

    def central_system(self, profile, **more):
        settings = dict(
            listen="tcp:0:interface=127.0.0.1", database=os.path.abspath(self.mktemp()),
            ping_interval=0, security_profile=profile,
        )
        if profile >= 2:
            settings.update(
                tls_key=str(self.server.key), tls_certificate=str(self.server.certificate),
                tls_ca=str(self.ca.certificate), ca_key=str(self.ca.key),
                ca_certificate=str(self.ca.certificate), cpo_name="ACME",
            )
        settings.update(more)
        central = CentralSystem(CentralSystemConfig(**settings), reactor=reactor,
                                load_entrypoints=False)
        central.startService()
        self.addCleanup(central.stopService)
        central.store.register_charge_point("CP001", password=KEY, security_profile=profile)
        return central

    def charge_point(self, url, tls_url):
        self.events = EventRecorder(reactor)
        config = ChargePointConfig(
            url=url, tls_url=tls_url, security_profile=1, password=KEY,
            database=self.mktemp(), download_folder=self.mktemp(),
            reconnect_initial_delay=0.05, reconnect_max_delay=0.2, security_profile_attempts=2,
        )
        cp = ChargePoint(config, reactor=reactor, plugins=make_plugin_manager(
            builtins=[DefaultChargePointBehaviour(), self.events], load_entrypoints=False))
        cp.startService()
        self.addCleanup(cp.store.close)
        self.addCleanup(cp.stopService)
        return cp

    async def until(self, condition, what):
        for _ in range(2000):
            if condition():
                return
            await deferLater(reactor, 0.01, lambda: None)
        self.fail(f"never: {what} {self.events.kinds} {self.events.tech_infos}")

    async def plain_and_tls(self):
        plain = self.central_system(1)
        tls = self.central_system(2)
        plain_port = (await plain.when_listening()).getHost().port
        tls_port = (await tls.when_listening()).getHost().port
        return (plain, f"ws://127.0.0.1:{plain_port}/ocpp",
                tls, f"wss://127.0.0.1:{tls_port}/ocpp")

    async def test_profile_1_to_2_to_3_driven_from_the_central_system(self):
        """
        A05.FR.02/03/05: the central system installs its root
        (InstallCertificate, M05) and raises SecurityProfile to 2: Accepted,
        the charge point reconnects over TLS (A00.FR.301/302, its tls_url)
        with the same AuthorizationKey. A02/A03: ExtendedTriggerMessage
        SignChargePointCertificate, SignCertificate (CN = identity, O =
        CpoName) signed by the central system as a CA, CertificateSigned
        Accepted; A05.FR.04/05: SecurityProfile 3 Accepted and the charge
        point reconnects with mutual TLS (A00.FR.401 to 405) presenting the
        signed certificate. A05.FR.01: lowering it to 2 is Rejected. A05.FR.06:
        each raise disconnects it first; A05.FR.09: the central system then
        holds it to profile 3.
        """
        plain, plain_url, tls, tls_url = await self.plain_and_tls()
        cp = self.charge_point(plain_url, tls_url)
        proxy = await plain.when_connected("CP001")
        self.assertEqual(proxy.security_profile, 1)
        await self.until(lambda: cp.online, "online at profile 1")

        # Without the root, profile 2 is Rejected (A05.FR.03).
        answer = await proxy.change_configuration("SecurityProfile", "2")
        self.assertEqual(answer.status, "Rejected")
        answer = await proxy.change_configuration("CpoName", "ACME")
        self.assertEqual(answer.status, "Accepted")
        answer = await proxy.install_certificate(
            CertificateUseEnumType.CENTRAL_SYSTEM_ROOT_CERTIFICATE,
            self.ca.certificate.read_text(),
        )
        self.assertEqual(answer.status, "Accepted")
        answer = await proxy.change_configuration("SecurityProfile", "2")
        self.assertEqual(answer.status, "Accepted")

        proxy = await tls.when_connected("CP001")
        self.assertEqual(proxy.security_profile, 2)
        await self.until(lambda: cp.online, "online at profile 2")
        # A05.FR.06: it left the profile 1 central system to do so.
        await self.until(lambda: plain._connected.get("CP001") is None, "disconnected at profile 1")
        self.assertEqual(cp.ocpp_config.integer("SecurityProfile"), 2)

        records = tls.store.issued_certificates.records
        answer = await proxy.extended_trigger_message("SignChargePointCertificate")
        self.assertEqual(answer.status, "Accepted")
        await self.until(lambda: records("CP001") and records("CP001")[0]["delivery"] == "Accepted",
                         "the signed certificate delivered and accepted")
        self.assertTrue(cp.has_charge_point_certificate())

        answer = await proxy.change_configuration("SecurityProfile", "3")
        self.assertEqual(answer.status, "Accepted")
        signed = cp._certificates.tls_files()[1]
        with open(signed, "rb") as handle:
            signed = x509.load_pem_x509_certificates(handle.read())[0]

        def mutual():
            # The central system's connection is the one presenting the
            # signed certificate (its profile is the listener's: 2).
            proxy = tls._connected.get("CP001")
            return (
                proxy is not None and proxy.client_certificate is not None
                and proxy.client_certificate.original.to_cryptography() == signed and cp.online
            )

        from cryptography.x509.oid import NameOID

        self.assertEqual(
            {a.oid: a.value for a in signed.subject},
            {NameOID.COMMON_NAME: "CP001", NameOID.ORGANIZATION_NAME: "ACME"},
        )
        await self.until(mutual, "online at profile 3 with the signed certificate")
        proxy = await tls.when_connected("CP001")

        answer = await proxy.change_configuration("SecurityProfile", "2")
        self.assertEqual(answer.status, "Rejected")
        self.assertEqual(cp.ocpp_config.integer("SecurityProfile"), 3)
        # A05.FR.09: connected with profile 3, it is held to it (its
        # password alone no longer gets it in).
        self.assertEqual(tls.store.charge_point_credentials("CP001").security_profile, 3)
        self.assertFalse([t for t in self.events.tech_infos if t and "fallback" in t])



class UpgradePathTests(UpgradePathMixin, TestCase):
    """
    The plain and the TLS listener of two central systems, and the
    fallback when the TLS one does not answer.
    """

    async def test_fallback_when_profile_2_cannot_connect(self):
        """
        A05.FR.08: the TLS endpoint does not answer: after the bounded
        attempts the charge point goes back to profile 1, connects to the
        plain listener again, and tells the central system with a critical
        ReconfigurationOfSecurityParameters event.
        """
        plain = self.central_system(1)
        plain_port = (await plain.when_listening()).getHost().port
        # A port that was just free: nobody listens there.
        from twisted.internet.protocol import Factory

        closed = reactor.listenTCP(0, Factory(), interface="127.0.0.1")
        dead_port = closed.getHost().port
        await closed.stopListening()
        cp = self.charge_point(f"ws://127.0.0.1:{plain_port}/ocpp",
                               f"wss://127.0.0.1:{dead_port}/ocpp")
        proxy = await plain.when_connected("CP001")
        await self.until(lambda: cp.online, "online at profile 1")
        await proxy.install_certificate(
            CertificateUseEnumType.CENTRAL_SYSTEM_ROOT_CERTIFICATE,
            self.ca.certificate.read_text(),
        )
        raised = self.events.wait_for("ReconfigurationOfSecurityParameters")
        answer = await proxy.change_configuration("SecurityProfile", "2")
        self.assertEqual(answer.status, "Accepted")
        tech_info = await raised
        while "fallback" not in (tech_info or ""):
            raised = self.events.wait_for("ReconfigurationOfSecurityParameters")
            tech_info = await raised
        self.assertIn("fallback to SecurityProfile 1", tech_info)
        self.assertEqual(cp.ocpp_config.integer("SecurityProfile"), 1)
        await self.until(lambda: cp.online, "online at profile 1 again")
        self.assertEqual((await plain.when_connected("CP001")).security_profile, 1)
