"""
The central system's Security Profiles as an operator runs them (Security
Whitepaper edition 2, section 2, use cases A00-A05): TLS from an C{ssl:}
endpoint string or the C{--tls-*} options, one TLS listener serving
profile 2 and profile 3 charge points, the registered profile as a
minimum, the client certificate's subject (A00.FR.404, A00.FR.405, with an
option and a hook), and the subprotocol refusal (TC_088_CSMS).
"""

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp import hookimpl
from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.credentials import INVALID_CERTIFICATE_EVENT, LOWER_PROFILE_EVENT
from openocpp.centralsystem.tap import CentralSystemOptions
from openocpp.transport.errors import HandshakeFailed
from openocpp.transport.security import parse_ssl_description
from tests.centralsystem.fake_chargepoint import BOOT, CentralSystemMixin
from tests.transport.certificates import client_options, tls_files
from tests.transport.loopback import RawClient, handshake_request

KEY = "00112233445566778899"


class SSLDescriptionTests(SynchronousTestCase):
    """
    L{parse_ssl_description} and the config built from an C{ssl:} string.
    """

    def test_split_into_tcp_and_files(self):
        """
        An C{ssl:} string becomes its C{tcp:} part (port, interface,
        backlog) and its files; C{certKey} defaults to C{privateKey}.
        """
        parsed = parse_ssl_description(
            "ssl:8443:privateKey=/k.pem:certKey=/c.pem:interface=127.0.0.1:extraCertChain=/x.pem"
        )
        self.assertEqual(parsed.plain, "tcp:8443:interface=127.0.0.1")
        self.assertEqual((parsed.private_key, parsed.certificate, parsed.extra_chain),
                         ("/k.pem", "/c.pem", "/x.pem"))
        self.assertEqual(parse_ssl_description("ssl:port=1:privateKey=both.pem").certificate, "both.pem")
        self.assertEqual(parse_ssl_description("ssl:1:interface=\\:\\:1").plain, "tcp:1:interface=\\:\\:1")
        self.assertIsNone(parse_ssl_description("tcp:8080"))

    def test_unsupported_arguments_refused(self):
        """
        C{sslmethod} (the whitepaper's TLS 1.2 or above holds, A00.FR.416)
        and a missing port are refused, naming what is wrong.
        """
        error = self.assertRaises(ValueError, parse_ssl_description, "ssl:8443:sslmethod=TLSv1_METHOD")
        self.assertIn("sslmethod= is not taken", str(error))
        self.assertRaises(ValueError, parse_ssl_description, "ssl:privateKey=k.pem")

    def test_ssl_listen_is_profile_2_at_least(self):
        """
        C{listen=ssl:...} with the default profile 0 makes a profile 2
        listener whose files are the string's (profile 0 used to raise);
        giving the files twice is refused.
        """
        config = CentralSystemConfig(listen="ssl:8443:privateKey=k.pem:certKey=c.pem")
        self.assertEqual(
            (config.security_profile, config.tls_key, config.tls_certificate), (2, "k.pem", "c.pem")
        )
        self.assertRaises(
            ValueError, CentralSystemConfig, listen="ssl:8443:privateKey=k.pem", tls_key="k.pem"
        )
        self.assertEqual(CentralSystemConfig(tls_key="k", tls_certificate="c").security_profile, 2)
        self.assertRaises(ValueError, CentralSystemConfig, tls_ca="ca.pem")

    def test_options(self):
        """
        The options: C{--listen ssl:...} alone, C{--tls-*}, the subprotocol
        answer, the certificate identity check and the CPO name.
        """
        tls = tls_files()
        key, certificate = tls.server.key, tls.server.certificate
        options = CentralSystemOptions()
        options.parseOptions(["--listen", f"ssl:8443:privateKey={key}:certKey={certificate}"])
        self.assertEqual(options.config.security_profile, 2)
        options = CentralSystemOptions()
        options.parseOptions(["--listen", "tcp:8443", "--tls-key", str(key), "--tls-cert", str(certificate)])
        self.assertEqual(options.config.security_profile, 2)
        options = CentralSystemOptions()
        options.parseOptions([
            "--security-profile", "3", "--listen", f"ssl:8443:privateKey={key}:certKey={certificate}",
            "--tls-ca", "ca.pem",
            "--subprotocol-mismatch", "close", "--no-certificate-identity", "--cpo-name", "ACME",
        ])
        config = options.config
        self.assertEqual(
            (config.security_profile, config.tls_ca, config.subprotocol_mismatch,
             config.certificate_names_identity, config.cpo_name),
            (3, "ca.pem", "close", False, "ACME"),
        )
        options = CentralSystemOptions()
        self.assertRaises(Exception, options.parseOptions, ["--subprotocol-mismatch", "ignore"])


class Identities:
    """
    A plugin mapping certificates to identities by their CN through a
    table (as a site whose certificates carry serial numbers would).
    """

    def __init__(self, table):
        self.table = table

    @hookimpl
    def openocpp_cs_certificate_identity(self, certificate, identity, peer):
        from openocpp.transport.security import common_names

        return self.table.get(common_names(certificate)[0])


class TLSMixin(CentralSystemMixin):
    """
    A central system on loopback, with the test run's certificates.
    """

    timeout = 30
    plugins = ()

    def setUp(self):
        self.tls = tls_files()

    def service_arguments(self):
        return {"plugins": list(self.plugins)}

    def tls_settings(self, **more):
        settings = dict(tls_key=str(self.tls.server.key), tls_certificate=str(self.tls.server.certificate))
        settings.update(more)
        return settings

    def refused_status(self, identity, **options):
        connecting = self.connect(identity, **options)
        return self.assertFailure(connecting, HandshakeFailed).addCallback(lambda failed: failed.status)


class TLSListenerTests(TLSMixin, TestCase):
    """
    TLS listeners, the registered profile, the certificate's subject.
    """

    @inlineCallbacks
    def test_ssl_endpoint_string_listens(self):
        """
        C{listen=ssl:0:privateKey=...:certKey=...} alone (profile 0 given)
        listens with TLS at profile 2: a charge point with its password
        gets in over C{wss://}, one without is refused (A00.FR.301: Basic
        authentication at profile 2).
        """
        yield self.start_central_system(
            listen=f"ssl:0:privateKey={self.tls.server.key}:certKey={self.tls.server.certificate}"
            ":interface=127.0.0.1"
        )
        self.assertEqual(self.config.security_profile, 2)
        self.central.store.register_charge_point("CP001", password=KEY)
        cp = yield self.connect("CP001", password=KEY, security_profile=2, tls_options=client_options(self.tls))
        self.assertEqual((yield cp.call(BOOT)).status, "Accepted")
        self.assertEqual((yield self.refused_status("NEW", password="wrong-password-0000", security_profile=2,
                                                    tls_options=client_options(self.tls))), 401)

    @inlineCallbacks
    def test_one_listener_serves_profiles_2_and_3(self):
        """
        A profile 2 listener with a CA asks for an optional client
        certificate: a profile 2 charge point gets in with its password and
        no certificate, a profile 3 one with its certificate and no password
        (A00.FR.401, A00.FR.402), both at once; one registered for profile
        3 without a certificate is refused (the registered profile is a
        minimum), as is a certificate of another CA (A00.FR.403, A00.FR.407).
        """
        yield self.start_central_system(security_profile=2, **self.tls_settings(tls_ca=str(self.tls.ca)))
        store = self.central.store
        store.register_charge_point("CP002", password=KEY, security_profile=2)
        store.register_charge_point("CP001", security_profile=3)
        basic = yield self.connect("CP002", password=KEY, security_profile=2, tls_options=client_options(self.tls))
        mutual = yield self.connect("CP001", security_profile=3, tls_options=client_options(self.tls, "CP001"))
        self.assertEqual((yield basic.call(BOOT)).status, "Accepted")
        self.assertEqual((yield mutual.call(BOOT)).status, "Accepted")
        self.assertEqual([each.identity for each in self.central.charge_points()], ["CP001", "CP002"])
        yield mutual.close()
        status = yield self.refused_status("CP001", password=KEY, security_profile=2,
                                           tls_options=client_options(self.tls))
        self.assertEqual(status, 401)
        from openocpp.transport.security import client_tls_options

        rogue = client_tls_options(
            "localhost", ca_certificates=str(self.tls.ca),
            client_certificate=str(self.tls.rogue_client.certificate),
            client_key=str(self.tls.rogue_client.key),
        )
        yield self.assertFailure(self.connect("CP001", security_profile=3, tls_options=rogue), Exception)

    @inlineCallbacks
    def test_registered_profile_2_upgrades_to_3(self):
        """
        The registered profile is a minimum: a charge point registered for
        profile 2 with a password may connect with its certificate instead
        (the whitepaper's upgrade path, before its registration is changed).
        """
        yield self.start_central_system(security_profile=2, **self.tls_settings(tls_ca=str(self.tls.ca)))
        self.central.store.register_charge_point("CP001", password=KEY, security_profile=2)
        cp = yield self.connect("CP001", security_profile=3, tls_options=client_options(self.tls, "CP001"))
        self.assertEqual((yield cp.call(BOOT)).status, "Accepted")

    @inlineCallbacks
    def test_lower_profile_refused_once_connected_with_a_higher(self):
        """
        A05.FR.09: a charge point registered for profile 2 that connected
        with its certificate (profile 3) is refused with its password from
        then on (401, a log line, a security event of the central system
        naming both profiles); its approval is not changed by it, and an
        operator lowering its registration lets the password in again.
        """
        yield self.start_central_system(security_profile=2, **self.tls_settings(tls_ca=str(self.tls.ca)))
        store = self.central.store
        store.register_charge_point("CP001", password=KEY, security_profile=2)
        basic = yield self.connect("CP001", password=KEY, security_profile=2, tls_options=client_options(self.tls))
        yield basic.close()
        self.assertEqual(store.charge_point_credentials("CP001").security_profile, 2)
        mutual = yield self.connect("CP001", security_profile=3, tls_options=client_options(self.tls, "CP001"))
        yield mutual.close()
        self.assertEqual(store.charge_point_credentials("CP001").security_profile, 3)
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        status = yield self.refused_status("CP001", password=KEY, security_profile=2,
                                           tls_options=client_options(self.tls))
        self.assertEqual(status, 401)
        self.assertEqual(
            [(event["type"], event["tech_info"]) for event in store.security_events("CP001")],
            [(LOWER_PROFILE_EVENT, "registered for security profile 3, connecting with profile 2 at most")],
        )
        self.assertEqual(
            len([event for event in events if "A05.FR.09" in formatEvent(event) and "CP001" in formatEvent(event)]),
            1,
        )
        store.register_charge_point("CP001", security_profile=2)
        basic = yield self.connect("CP001", password=KEY, security_profile=2, tls_options=client_options(self.tls))
        self.assertTrue(basic.connection.open)

    @inlineCallbacks
    def test_raised_profile_keeps_the_approval(self):
        """
        A05.FR.09: raising the registered profile of a charge point not
        approved (unknown charge points pending) does not approve it.
        """
        yield self.start_central_system(
            security_profile=2, unknown_charge_points="pending", **self.tls_settings(tls_ca=str(self.tls.ca))
        )
        store = self.central.store
        store.record_boot("CP001", BOOT, "Pending")
        self.assertFalse(store.is_approved("CP001"))
        mutual = yield self.connect("CP001", security_profile=3, tls_options=client_options(self.tls, "CP001"))
        self.assertEqual((yield mutual.call(BOOT)).status, "Pending")
        self.assertEqual(store.charge_point_credentials("CP001").security_profile, 3)
        self.assertFalse(store.is_approved("CP001"))

    @inlineCallbacks
    def test_plain_listener_refuses_profiles_2_and_3(self):
        """
        A plain listener refuses a charge point registered for profile 2
        or 3 even with its password (A00.FR.002).
        """
        yield self.start_central_system(security_profile=1)
        self.central.store.register_charge_point("P2", password=KEY, security_profile=2)
        self.central.store.register_charge_point("P3", password=KEY, security_profile=3)
        for identity in ("P2", "P3"):
            self.assertEqual((yield self.refused_status(identity, password=KEY, security_profile=1)), 401)

    @inlineCallbacks
    def test_certificate_of_another_charge_point_refused(self):
        """
        A00.FR.405: a certificate whose CN is not the identity is refused
        with 403, even with the right password on a listener serving
        profile 2 too, and a security event of the central system is
        recorded (A00.FR.408).
        """
        yield self.start_central_system(security_profile=2, **self.tls_settings(tls_ca=str(self.tls.ca)))
        self.central.store.register_charge_point("CP001", password=KEY)
        status = yield self.refused_status(
            "CP001", password=KEY, security_profile=3, tls_options=client_options(self.tls, "CP002")
        )
        self.assertEqual(status, 403)
        (event,) = self.central.store.security_events("CP001")
        self.assertEqual(event["type"], INVALID_CERTIFICATE_EVENT)
        self.assertIn("CN is not the charge point identity", event["tech_info"])

    @inlineCallbacks
    def test_certificate_identity_option_off(self):
        """
        With C{certificate_names_identity} off, a certificate signed by the
        CA lets in any identity.
        """
        yield self.start_central_system(
            security_profile=3, certificate_names_identity=False, **self.tls_settings(tls_ca=str(self.tls.ca))
        )
        cp = yield self.connect("SERIAL-42", security_profile=3, tls_options=client_options(self.tls, "CP001"))
        self.assertEqual((yield cp.call(BOOT)).status, "Accepted")

    @inlineCallbacks
    def test_cpo_name_checked(self):
        """
        A00.FR.404: with C{cpo_name}, the certificate's O must be it.
        """
        yield self.start_central_system(
            security_profile=3, cpo_name="Another CPO", **self.tls_settings(tls_ca=str(self.tls.ca))
        )
        status = yield self.refused_status("CP001", security_profile=3, tls_options=client_options(self.tls, "CP001"))
        self.assertEqual(status, 403)
        yield self.central.stopService()
        yield self.start_central_system(
            security_profile=3, cpo_name="openocpp tests", **self.tls_settings(tls_ca=str(self.tls.ca))
        )
        cp = yield self.connect("CP001", security_profile=3, tls_options=client_options(self.tls, "CP001"))
        self.assertEqual((yield cp.call(BOOT)).status, "Accepted")


class CertificateIdentityHookTests(TLSMixin, TestCase):
    """
    The C{openocpp_cs_certificate_identity} hook maps certificates.
    """

    plugins = (Identities({"CP002": "SITE-7"}),)

    @inlineCallbacks
    def test_hook_maps_certificate_to_identity(self):
        """
        The hook's answer decides instead of the CN: CP002's certificate
        is SITE-7's, so SITE-7 gets in with it and CP002 does not.
        """
        yield self.start_central_system(security_profile=3, **self.tls_settings(tls_ca=str(self.tls.ca)))
        cp = yield self.connect("SITE-7", security_profile=3, tls_options=client_options(self.tls, "CP002"))
        self.assertEqual((yield cp.call(BOOT)).status, "Accepted")
        status = yield self.refused_status("CP002", security_profile=3, tls_options=client_options(self.tls, "CP002"))
        self.assertEqual(status, 403)


class Revoker:
    """
    A plugin standing for a CA server (A00.FR.704): the certificates of
    the CNs in C{revoked} are revoked; C{error} makes it fail.
    """

    def __init__(self, revoked=(), error=None):
        self.revoked = set(revoked)
        self.error = error
        self.asked = []

    @hookimpl
    def openocpp_cs_certificate_revoked(self, certificate, identity, peer):
        from openocpp.transport.security import common_names

        self.asked.append(identity)
        if self.error is not None:
            raise self.error
        return common_names(certificate)[0] in self.revoked


class CertificateRevokedHookTests(TLSMixin, TestCase):
    """
    A00.FR.702/704: the C{openocpp_cs_certificate_revoked} hook (the CA
    server's answer) refuses a revoked client certificate.
    """

    revoker = Revoker({"CP002"})

    @property
    def plugins(self):
        return (self.revoker,)

    @inlineCallbacks
    def test_revoked_certificate_refused_A00_FR_704(self):
        """
        CP002's certificate is revoked: 403 and a security event of the
        central system; CP001's is not: it gets in.
        """
        yield self.start_central_system(security_profile=3, **self.tls_settings(tls_ca=str(self.tls.ca)))
        cp = yield self.connect("CP001", security_profile=3, tls_options=client_options(self.tls, "CP001"))
        self.assertEqual((yield cp.call(BOOT)).status, "Accepted")
        status = yield self.refused_status("CP002", security_profile=3,
                                           tls_options=client_options(self.tls, "CP002"))
        self.assertEqual(status, 403)
        self.assertEqual(self.revoker.asked, ["CP001", "CP002"])
        (event,) = self.central.store.security_events("CP002")
        self.assertIn("revoked", event["tech_info"])


class CertificateRevocationUnknownTests(TLSMixin, TestCase):
    """
    The CA server cannot answer: 503, not let in unchecked.
    """

    plugins = (Revoker(error=RuntimeError("OCSP responder down")),)

    @inlineCallbacks
    def test_failing_check_is_503(self):
        yield self.start_central_system(security_profile=3, **self.tls_settings(tls_ca=str(self.tls.ca)))
        status = yield self.refused_status("CP001", security_profile=3,
                                           tls_options=client_options(self.tls, "CP001"))
        self.assertEqual(status, 503)


class SubprotocolTests(CentralSystemMixin, TestCase):
    """
    A charge point not offering C{ocpp1.6}.
    """

    timeout = 30

    @inlineCallbacks
    def answer(self, identity):
        client = RawClient(handshake_request("/ocpp/" + identity, "ocpp2.0.1"))
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.central.port.getHost().port)
        yield endpoint.connect(Factory.forProtocol(lambda: client))
        answer = yield client.done
        return answer

    @inlineCallbacks
    def test_refused_with_400_by_default(self):
        """
        TC_088_CSMS: by default the upgrade is refused with HTTP 400 and a
        reason naming the subprotocol, and the charge point is not seen.
        """
        yield self.start_central_system()
        answer = yield self.answer("CP1")
        self.assertTrue(
            answer.startswith(b"HTTP/1.1 400 subprotocol ocpp1.6 required (offered: ocpp2.0.1)"), answer
        )
        self.assertEqual(self.central.charge_points(), [])

    @inlineCallbacks
    def test_spec_literal_close(self):
        """
        With C{subprotocol_mismatch="close"}: the handshake completes
        without Sec-WebSocket-Protocol and the connection is closed with
        1002 (OCPP-J 1.6 section 3.2).
        """
        yield self.start_central_system(subprotocol_mismatch="close")
        answer = yield self.answer("CP1")
        head, _, frames = answer.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
        self.assertNotIn(b"sec-websocket-protocol", head.lower())
        self.assertEqual(int.from_bytes(frames[2:4], "big"), 1002)


class OperatorCommandTests(TestCase):
    """
    C{twistd openocpp centralsystem --listen ssl:...}, as an operator types
    it.
    """

    timeout = 30

    @inlineCallbacks
    def test_ssl_listen_command_serves_tls(self):
        """
        The options and service of C{--listen
        ssl:PORT:privateKey=...:certKey=...} alone: it listens with TLS
        (profile 2), and a charge point registered with a password boots.
        """
        from openocpp.centralsystem.tap import make_service
        from tests.centralsystem.fake_chargepoint import TestChargePoint

        tls = tls_files()
        options = CentralSystemOptions()
        options.parseOptions([
            "--db", self.mktemp() + ".sqlite", "--ping-interval", "0",
            "--listen", f"ssl:0:privateKey={tls.server.key}:certKey={tls.server.certificate}:interface=127.0.0.1",
        ])
        central = make_service(options, reactor)
        central.startService()
        self.addCleanup(central.stopService)
        port = (yield central.when_listening()).getHost().port
        central.store.register_charge_point("CP001", password=KEY)
        cp = TestChargePoint(self, "CP001")
        yield cp.connect(f"wss://localhost:{port}/ocpp", password=KEY, security_profile=2,
                         tls_options=client_options(tls))
        self.addCleanup(cp.close)
        self.assertEqual((yield cp.call(BOOT)).status, "Accepted")

    def test_unreadable_ssl_files_named_as_listen(self):
        """
        A missing file an C{ssl:} string names is reported against
        C{--listen}, the option the operator typed it in.
        """
        from twisted.python import usage

        options = CentralSystemOptions()
        error = self.assertRaises(
            usage.UsageError, options.parseOptions,
            ["--db", self.mktemp(), "--listen", "ssl:0:privateKey=/nonexistent/key.pem"],
        )
        self.assertIn("--listen", str(error))
