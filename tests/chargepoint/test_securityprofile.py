"""
The SecurityProfile and AuthorizationKey keys (Security Whitepaper
edition 2, use cases A01 and A05, 7.2 and 7.6): what a new profile needs,
the reconnection with it, and the fallback when it cannot connect.
"""

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.securityprofile import (
    ProfileWatch,
    client_certificate_refused,
    failure_event,
    profile_problem,
)
from openocpp.chargepoint.service import ChargePoint
from openocpp.messages import ChangeConfigurationRequest
from openocpp.messages.enums import ConfigurationStatus
from openocpp.plugins import make_plugin_manager
from openocpp.transport.errors import HandshakeFailed

KEY = "0123456789abcdef0123"


class ProfileProblemTests(SynchronousTestCase):
    def test_lower_or_equal_rejected(self):
        """
        A05.FR.01: a value lower than or equal to the current one.
        """
        self.assertIn("A05.FR.01", profile_problem(1, 1, True, True, True))
        self.assertIn("A05.FR.01", profile_problem(0, 2, True, True, True))

    def test_basic_auth_needs_a_key(self):
        """
        A05.FR.02: profile 1 or 2 without an AuthorizationKey.
        """
        self.assertIn("A05.FR.02", profile_problem(1, 0, False, True, True))
        self.assertIn("A05.FR.02", profile_problem(2, 0, False, True, True))

    def test_tls_needs_a_root_certificate(self):
        """
        A05.FR.03: profile 2 or 3 without a CentralSystemRootCertificate.
        """
        self.assertIn("A05.FR.03", profile_problem(2, 1, True, False, True))
        self.assertIn("A05.FR.03", profile_problem(3, 2, True, False, True))

    def test_profile_3_needs_a_charge_point_certificate(self):
        """
        A05.FR.04: profile 3 without a ChargePointCertificate.
        """
        self.assertIn("A05.FR.04", profile_problem(3, 2, True, True, False))

    def test_prerequisites_met(self):
        """
        A05.FR.05: all prerequisites met.
        """
        self.assertIsNone(profile_problem(1, 0, True, False, False))
        self.assertIsNone(profile_problem(3, 2, False, True, True))

    def test_failures_that_are_security_events(self):
        """
        Refused credentials are FailedToAuthenticateAtCentralSystem; a
        certificate that fails verification InvalidCentralSystemCertificate
        (A00.FR.309); a refused TLS version InvalidTLSVersion (A00.FR.315);
        a cipher suite InvalidTLSCipherSuite (A00.FR.322); others none.
        """
        from OpenSSL import SSL

        def kind(error):
            event = failure_event(Failure(error))
            return None if event is None else event[0]

        self.assertEqual(kind(HandshakeFailed(401, "Unauthorized")),
                         "FailedToAuthenticateAtCentralSystem")
        self.assertIsNone(kind(HandshakeFailed(404, "Not Found")))
        self.assertEqual(
            kind(SSL.Error([("SSL routines", "", "certificate verify failed")])),
            "InvalidCentralSystemCertificate",
        )
        self.assertEqual(
            kind(SSL.Error([("SSL routines", "", "unsupported protocol")])), "InvalidTLSVersion"
        )
        self.assertEqual(
            kind(SSL.Error([("SSL routines", "", "no shared cipher")])), "InvalidTLSCipherSuite"
        )
        self.assertIsNone(kind(ConnectionRefusedError()))

    def test_client_certificate_refused(self):
        """
        A02.FR.10/A03.FR.10: a TLS alert of the server about the charge
        point's certificate is the central system refusing it; the charge
        point's own verification of the server, refused credentials or no
        connection are not.
        """
        from OpenSSL import SSL

        def refused(error):
            return client_certificate_refused(Failure(error))

        for alert in ("tlsv1 alert unknown ca", "sslv3 alert bad certificate",
                      "sslv3 alert certificate expired", "tlsv13 alert certificate required",
                      "tlsv1 alert access denied"):
            self.assertTrue(refused(SSL.Error([("SSL routines", "", alert)])), alert)
        self.assertFalse(refused(SSL.Error([("SSL routines", "", "certificate verify failed")])))
        self.assertFalse(refused(HandshakeFailed(401, "Unauthorized")))
        self.assertFalse(refused(ConnectionRefusedError()))

    def test_handshake_failures_of_the_client_A00_FR_315_322(self):
        """
        What the charge point's own TLS handshake reports (see
        tests.transport.test_tls.ClientHandshakeTests): a server of TLS 1.1
        or lower is InvalidTLSVersion (A00.FR.315/419); one of banned suites
        only InvalidTLSCipherSuite (A00.FR.322/426); a plain server (its
        HTTP answer read as a TLS record) none.
        """
        from OpenSSL import SSL

        def kind(text):
            event = failure_event(Failure(SSL.Error([("SSL routines", "", text)])))
            return None if event is None else event[0]

        self.assertEqual(kind("tlsv1 alert protocol version"), "InvalidTLSVersion")
        self.assertEqual(kind("tls alert handshake failure"), "InvalidTLSCipherSuite")
        self.assertIsNone(kind("wrong version number"))


class FakeConnectionService:
    """
    What L{ProfileWatch} watches: each C{whenConnected} a Deferred the test
    fires.
    """

    def __init__(self):
        self.waiting = []

    def whenConnected(self, failAfterFailures=None):
        self.waiting.append(Deferred())
        return self.waiting[-1]

    def fail(self, text):
        from OpenSSL import SSL

        self.waiting[-1].errback(SSL.Error([("SSL routines", "", text)]))

    def connect(self):
        self.waiting[-1].callback(object())


class FailureStreakTests(SynchronousTestCase):
    """
    The security events of failed connection attempts are raised once per
    streak of failures, not at each reconnection attempt.
    """

    def setUp(self):
        self.raised = []
        self.service = FakeConnectionService()
        self.watch = ProfileWatch(
            self.service, security_event=lambda *event: self.raised.append(event),
            fall_back=lambda previous, reason: None, previous=None, profile=2,
        )
        self.watch.start()

    def test_repeated_failure_raised_once(self):
        """
        A00.FR.315: the central system offering only TLS 1.1, ten attempts
        in a row: one InvalidTLSVersion.
        """
        for _ in range(10):
            self.service.fail("tlsv1 alert protocol version")
        self.assertEqual([kind for kind, _ in self.raised], ["InvalidTLSVersion"])
        self.assertEqual(len(self.service.waiting), 11)  # still watching

    def test_each_type_once_per_streak(self):
        """
        Different failures in one streak: each type once.
        """
        for text in ("tlsv1 alert protocol version", "tls alert handshake failure",
                     "certificate verify failed", "tlsv1 alert protocol version",
                     "tls alert handshake failure"):
            self.service.fail(text)
        self.assertEqual([kind for kind, _ in self.raised], [
            "InvalidTLSVersion", "InvalidTLSCipherSuite", "InvalidCentralSystemCertificate",
        ])

    def test_connection_ends_the_streak(self):
        """
        A connection in between: the next failure is a new streak, raised
        again.
        """
        self.service.fail("certificate verify failed")
        self.service.fail("certificate verify failed")
        self.service.connect()
        self.watch.disconnected()
        self.service.fail("certificate verify failed")
        self.service.fail("certificate verify failed")
        self.assertEqual([kind for kind, _ in self.raised],
                         ["InvalidCentralSystemCertificate"] * 2)


class ProfileSwitchTests(SynchronousTestCase):
    """
    A charge point on a memory reactor: its connection attempts are made to
    fail or succeed by hand.
    """

    def setUp(self):
        self.reactor = MemoryReactorClock()
        self.config = ChargePointConfig(
            database=self.mktemp(), url="ws://127.0.0.1:9/openocpp",
            reconnect_initial_delay=1, reconnect_max_delay=2, security_profile_attempts=3,
        )
        plugins = make_plugin_manager(
            builtins=[DefaultChargePointBehaviour()], load_entrypoints=False
        )
        self.cp = ChargePoint(self.config, reactor=self.reactor, plugins=plugins)
        self.addCleanup(self._stop)

    def _stop(self):
        if self.cp.running:
            self.cp.stopService()

    def change(self, key, value):
        answer = self.successResultOf(
            self.cp._requests.change_configuration(ChangeConfigurationRequest(key=key, value=value))
        )
        self.reactor.advance(0)  # the change applies after the answer
        return answer.status

    def fail_attempt(self, error=None):
        """
        Refuse the connection attempt in progress (with C{error}, default:
        connection refused), then wait (the backoff) for the next one.
        """
        attempts = len(self.reactor.tcpClients)
        _, _, factory, _, _ = self.reactor.tcpClients[-1]
        error = ConnectionRefusedError() if error is None else error
        factory.clientConnectionFailed(self.reactor.connectors[-1], Failure(error))
        for _ in range(40):
            self.reactor.advance(0.5)
            if len(self.reactor.tcpClients) > attempts:
                return

    def events(self):
        return [(kind, tech) for _, kind, tech, _ in self.cp._security_log.entries()]

    def test_raised_profile_reconnects_with_it(self):
        """
        A05.FR.05 to A05.FR.07: Accepted, then disconnected and connected
        again with the new profile (HTTP Basic with the AuthorizationKey);
        A00.FR.001: one connection, with the one profile configured.
        """
        self.cp.startService()
        self.assertEqual(self.change("AuthorizationKey", KEY), ConfigurationStatus.ACCEPTED)
        self.assertEqual(self.change("SecurityProfile", "1"), ConfigurationStatus.ACCEPTED)
        service = self.cp.getServiceNamed("connection")
        self.assertEqual(int(service.factory.security_profile), 1)
        self.assertEqual(self.cp.ocpp_config.integer("SecurityProfile"), 1)
        self.assertIn(
            ("ReconfigurationOfSecurityParameters", "SecurityProfile changed to 1"), self.events()
        )

    def test_lowering_is_rejected_without_reconnecting(self):
        """
        A05.FR.01: Rejected, the value kept, no reconnection (A00.FR.005:
        no lowering through OCPP messages).
        """
        self.cp.ocpp_config.set("AuthorizationKey", KEY)
        self.cp.ocpp_config.set("SecurityProfile", "1")
        self.cp.startService()
        service = self.cp.getServiceNamed("connection")
        self.assertEqual(self.change("SecurityProfile", "0"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.change("SecurityProfile", "1"), ConfigurationStatus.REJECTED)
        self.assertIs(self.cp.getServiceNamed("connection"), service)
        self.assertEqual(self.cp.ocpp_config.integer("SecurityProfile"), 1)

    def test_profile_1_without_a_key_is_rejected(self):
        """
        A05.FR.02: no AuthorizationKey, profile 1 Rejected.
        """
        self.cp.startService()
        self.assertEqual(self.change("SecurityProfile", "1"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.cp.ocpp_config.integer("SecurityProfile"), 0)

    def test_profile_3_without_certificates_is_rejected(self):
        """
        A05.FR.03 and A05.FR.04: no root certificate, no charge point
        certificate: profile 2 and 3 Rejected.
        """
        self.cp.ocpp_config.set("AuthorizationKey", KEY)
        self.cp.ocpp_config.set("SecurityProfile", "1")
        self.cp.startService()
        self.assertEqual(self.change("SecurityProfile", "2"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.change("SecurityProfile", "3"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.cp.ocpp_config.integer("SecurityProfile"), 1)

    def test_fallback_after_the_attempts_fail(self):
        """
        A05.FR.08: the new profile cannot connect in
        C{security_profile_attempts} attempts: the previous one is restored,
        the charge point connects with it, and a critical security event
        says so.
        """
        self.cp.startService()
        self.change("AuthorizationKey", KEY)
        self.assertEqual(self.change("SecurityProfile", "1"), ConfigurationStatus.ACCEPTED)
        for _ in range(3):
            self.fail_attempt()
        self.assertEqual(self.cp.ocpp_config.integer("SecurityProfile"), 0)
        service = self.cp.getServiceNamed("connection")
        self.assertEqual(int(service.factory.security_profile), 0)
        kind, tech = self.events()[-1]
        self.assertEqual(kind, "ReconfigurationOfSecurityParameters")
        self.assertIn("fallback to SecurityProfile 0", tech)
        self.assertEqual(self.cp.store.queued()[-1].action, "SecurityEventNotification")
        # The fallback is not itself watched for a fallback.
        for _ in range(5):
            self.fail_attempt()
        self.assertEqual(self.cp.ocpp_config.integer("SecurityProfile"), 0)

    def test_tls_failure_event_once_across_reconnections(self):
        """
        A00.FR.315 on a clock: the central system offers only TLS 1.1 at
        every one of six attempts; InvalidTLSVersion is in the security log
        once, not six times.
        """
        from OpenSSL import SSL

        self.cp.startService()
        for _ in range(6):
            self.fail_attempt(SSL.Error([("SSL routines", "", "tlsv1 alert protocol version")]))
        self.assertEqual(len(self.reactor.tcpClients), 7)
        kinds = [kind for kind, _ in self.events()]
        self.assertEqual(kinds.count("InvalidTLSVersion"), 1)

    def test_no_fallback_before_the_attempts_are_used(self):
        """
        Fewer failures than C{security_profile_attempts}: the new profile
        stays.
        """
        self.cp.startService()
        self.change("AuthorizationKey", KEY)
        self.change("SecurityProfile", "1")
        for _ in range(2):
            self.fail_attempt()
        self.assertEqual(self.cp.ocpp_config.integer("SecurityProfile"), 1)
