"""
The charge point renews its own certificate (L{openocpp.chargepoint.renewal},
Security Whitepaper A03) and keeps the previous one as a fallback
(A02.FR.10/A03.FR.10, L{openocpp.chargepoint.certificates}), against the
scripted central system on a L{Clock}; the requirement ids are quoted in
the tests' names or docstrings.
"""

import os
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.service import ChargePoint
from openocpp.plugins import make_plugin_manager

from openocpp.chargepoint.certstore import CHARGE_POINT_CERTIFICATE, public_key_bits
from openocpp.messages.enums import GenericStatusEnumType
from openocpp.messages.security import SignCertificateResponse
from tests.centralsystem.fake_chargepoint import CentralSystemMixin
from tests.chargepoint.pki import Authority, name, pem
from tests.chargepoint.test_certificates import CS_ROOT, CertificateTestCase

DAY = 86400
HOUR = 3600


class RenewalTestCase(CertificateTestCase):
    """
    A charge point with CpoName set, a CentralSystemRootCertificate, and a
    way to hand it a charge point certificate of a given lifetime.
    """

    def setUp(self):
        super().setUp()
        self.cp.ocpp_config.set("CpoName", "Example CPO")
        self.root = Authority("CS Root", self.now, days=400)
        self.install(self.root.pem)

    def give(self, days, start=-1):
        """
        Store a charge point certificate valid for C{days} days from now
        (as a CertificateSigned.req would), without going through a CSR.
        """
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = self.root.issue(name("CP001", "Example CPO"), key.public_key(), self.cp.now(),
                               start=start, days=days)
        self.cp._certificates._store.add(
            CHARGE_POINT_CERTIFICATE, pem(leaf), leaf.not_valid_before_utc,
            public_key_bits(self.root.key.public_key()),
            private_key=key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode("ascii"),
            now=self.cp.now(),
        )
        return leaf

    def answer_sign(self, status):
        self.cs.answers["SignCertificate"] = lambda request: SignCertificateResponse(
            status=status
        )

    def csrs(self):
        return self.cs.requests("SignCertificate")

    def check(self):
        self.cp._renewal.check()
        self.cs.settle()


class RenewalTests(RenewalTestCase):
    def test_A03_FR_02_not_before_the_last_month(self):
        """
        A03.FR.02: a certificate expiring in 40 days is not renewed; the
        daily check renews it once it expires within a month (30 days).
        """
        self.give(40)
        self.check()
        self.assertEqual(self.csrs(), [])
        self.cs.advance(9 * DAY, step=HOUR)
        self.assertEqual(self.csrs(), [])
        self.cs.advance(1 * DAY + HOUR, step=HOUR)
        self.assertEqual(len(self.csrs()), 1)

    def test_A03_FR_02_03_13_csr_of_a_new_key_named_identity_and_cpo_name(self):
        """
        A03.FR.02/03: within the month, a new key pair and its PEM CSR in a
        SignCertificate.req; A03.FR.13: O = CpoName, CN = the identity;
        A03.FR.05: the private key is in no frame.
        """
        old = self.give(20)
        self.check()
        (request,) = self.csrs()
        csr = x509.load_pem_x509_csr(request.csr.encode("ascii"))
        self.assertTrue(csr.is_signature_valid)
        self.assertEqual(
            csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value, "Example CPO"
        )
        self.assertEqual(csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value, "CP001")
        self.assertNotEqual(csr.public_key(), old.public_key())
        key = self.cp._certificates._store.pending_key()
        self.assertNotIn(key.splitlines()[1], repr(self.cs.frames))

    def test_at_start_up(self):
        """
        A03.FR.02: the check runs when the charge point starts (sent once
        it is accepted).
        """
        self.give(20)
        self.cp.stopService()
        self.cs.disconnect()
        self.cs.clear()
        self.cp.startService()
        self.cs.connect(self.cp)
        self.assertEqual(len(self.csrs()), 1)

    def test_without_cpo_name_no_csr_and_one_log_line(self):
        """
        The use case's prerequisite: without CpoName no CSR is sent, and
        one log line says so, however often the check runs.
        """
        self.cp.ocpp_config.set("CpoName", "")
        self.give(20)
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        self.check()
        self.cs.advance(3 * DAY, step=HOUR)
        self.assertEqual(self.csrs(), [])
        about = [event for event in logged if "CpoName" in event.get("log_format", "")]
        self.assertEqual(len(about), 1)
        self.cp.ocpp_config.set("CpoName", "Example CPO")
        self.cs.advance(DAY, step=HOUR)
        self.assertEqual(len(self.csrs()), 1)

    def test_rejected_retried_after_a_day_not_sooner(self):
        """
        The A03 error handling (no retry within minutes or hours): a
        Rejected SignCertificate is tried again a day later, not sooner.
        """
        self.answer_sign(GenericStatusEnumType.REJECTED)
        self.give(20)
        self.check()
        self.assertEqual(len(self.csrs()), 1)
        self.check()  # another reason to check (online again, ...)
        self.cs.advance(23 * HOUR, step=HOUR)
        self.assertEqual(len(self.csrs()), 1)
        self.cs.advance(2 * HOUR, step=HOUR)
        self.assertEqual(len(self.csrs()), 2)
        self.assertEqual(self.cp._certificates._store.renewal()["status"], "Rejected")

    def test_no_certificate_signed_retried_after_a_day(self):
        """
        Accepted but no CertificateSigned.req follows: one new CSR a day
        while the certificate is within its last month, not more.
        """
        self.give(20)
        self.check()
        self.cs.advance(3 * DAY + HOUR, step=HOUR)
        self.assertEqual(len(self.csrs()), 4)

    def test_no_answer_retried_after_a_day(self):
        """
        SignCertificate not answered (MessageTimeout): tried again a day
        later, not at once.
        """
        from twisted.internet.defer import Deferred

        self.cs.answers["SignCertificate"] = lambda request: Deferred()
        self.give(20)
        self.check()
        self.cs.advance(HOUR, step=60)
        self.assertEqual(len(self.csrs()), 1)
        self.assertEqual(self.cp._certificates._store.renewal()["status"], "NoAnswer")
        self.cs.advance(DAY, step=HOUR)
        self.assertEqual(len(self.csrs()), 2)

    def test_last_try_in_the_future_does_not_block(self):
        """
        A last try later than now (the central system set the time back) does
        not hold the renewal until that moment comes again.
        """
        from datetime import timedelta

        self.give(20)
        later = self.cp.now() + timedelta(days=300)
        self.cp._certificates._store.set_renewal({"at": later.isoformat(), "status": "Rejected"})
        self.check()
        self.assertEqual(len(self.csrs()), 1)

    def test_offline_waits_until_accepted(self):
        """
        Due while not connected: nothing is sent, and the renewal is not
        counted as tried; sent once the charge point is accepted again.
        """
        self.give(20)
        self.cs.disconnect()
        self.check()
        self.assertIsNone(self.cp._certificates._store.renewal())
        self.cs.connect(self.cp)
        self.assertEqual(len(self.csrs()), 1)

    def test_A03_FR_06_08_09_signed_certificate_ends_the_renewal(self):
        """
        A03.FR.06: the signed certificate is verified and accepted;
        A03.FR.08/09: being the newest valid one, it is what the TLS client
        presents; no other CSR follows.
        """
        self.give(20)
        self.check()
        leaf = self.root.sign_csr(self.csrs()[-1].csr, self.cp.now(), days=365)
        self.assertEqual(self.signed(pem(leaf)), "Accepted")
        self.cs.advance(5 * DAY, step=HOUR)
        self.assertEqual(len(self.csrs()), 1)
        _, cert_file, _ = self.cp._certificates.tls_files()
        with open(cert_file, "rb") as handle:
            self.assertEqual(x509.load_pem_x509_certificate(handle.read()), leaf)

    def test_A03_FR_07_invalid_signed_certificate_rejected(self):
        """
        A03.FR.07: a signed certificate not of the CPO hierarchy is
        discarded with an InvalidChargePointCertificate security event; the
        renewal is tried again a day later.
        """
        self.give(20)
        self.check()
        stranger = Authority("Stranger", self.now)
        self.assertEqual(self.signed(pem(stranger.sign_csr(self.csrs()[-1].csr, self.now))),
                         "Rejected")
        self.assertEqual(self.events.kinds(), ["InvalidChargePointCertificate"])
        self.cs.advance(DAY + HOUR, step=HOUR)
        self.assertEqual(len(self.csrs()), 2)


class RenewalRestartTests(RenewalTestCase):
    def setUp(self):
        self.settings = {"database": self.mktemp()}
        super().setUp()

    def test_last_try_survives_a_restart(self):
        """
        The last renewal is in the SQLite file: a restart (a new charge
        point on the same file) does not send another CSR sooner than a
        day after it.
        """
        from tests.chargepoint.fake_centralsystem import make_charge_point

        self.answer_sign(GenericStatusEnumType.REJECTED)
        self.give(20)
        self.check()
        self.assertEqual(len(self.csrs()), 1)
        self.cp.stopService()
        self.cs.disconnect()
        self.cp.store.close()
        self.cp = make_charge_point(self, self.clock, database=self.cp.config.database,
                                    **{k: v for k, v in self.settings.items() if k != "database"})
        self.cp.startService()
        self.cs.connect(self.cp)
        self.cs.advance(12 * HOUR, step=HOUR)
        self.assertEqual(len(self.csrs()), 1)
        self.cs.advance(13 * HOUR, step=HOUR)
        self.assertEqual(len(self.csrs()), 2)


class FallbackTests(RenewalTestCase):
    def test_A03_FR_10_previous_certificate_back_when_the_new_one_is_refused(self):
        """
        A03.FR.10: the old certificate is kept; the new one not having
        connected yet, there is a fallback; taken, the new one is marked
        refused, an InvalidChargePointCertificate event raised, and the old
        one presented again; the old one having connected, no fallback.
        """
        certificates = self.cp._certificates
        old = self.give(20, start=-300)
        certificates.tls_files()
        certificates.connected(3)
        new = self.give(365)
        _, cert_file, _ = certificates.tls_files()
        with open(cert_file, "rb") as handle:
            self.assertEqual(x509.load_pem_x509_certificate(handle.read()), new)
        self.assertTrue(certificates.choice.can_fall_back())
        certificates.choice.fall_back("3 connection attempts failed (tlsv1 alert unknown ca)")
        self.assertEqual(self.events.kinds(), ["InvalidChargePointCertificate"])
        self.assertIn("unknown ca", self.events.raised[0][1])
        _, cert_file, _ = certificates.tls_files()
        with open(cert_file, "rb") as handle:
            self.assertEqual(x509.load_pem_x509_certificate(handle.read()), old)
        self.assertFalse(certificates.choice.can_fall_back())
        # The refused one does not count as renewed: the old one is still
        # due for renewal.
        self.assertEqual(certificates.choice.expiry(), old.not_valid_after_utc)

    def test_no_fallback_without_an_older_certificate(self):
        """
        A single certificate has nothing to fall back on.
        """
        self.give(365)
        self.cp._certificates.tls_files()
        self.assertFalse(self.cp._certificates.choice.can_fall_back())

    def test_A03_FR_10_old_certificates_dropped_a_month_after_the_new_one_worked(self):
        """
        A03.FR.10: once a connection with the new certificate succeeded,
        the older ones are kept for one month (30 days), then removed.
        """
        certificates = self.cp._certificates
        self.give(60, start=-300)
        new = self.give(365)
        certificates.tls_files()
        certificates.connected(3)
        self.cs.advance(29 * DAY, step=HOUR)
        self.assertEqual(len(certificates._store.all(CHARGE_POINT_CERTIFICATE)), 2)
        self.cs.advance(2 * DAY, step=HOUR)
        (left,) = certificates._store.all(CHARGE_POINT_CERTIFICATE)
        self.assertEqual(left.certificate, new)

    def test_A03_FR_08_switch_once_the_new_one_is_valid(self):
        """
        A03.FR.08: a certificate valid from a later date is presented
        from then (the check says a switch is due).
        """
        certificates = self.cp._certificates
        self.give(20, start=-300)
        certificates.tls_files()
        self.give(365, start=2)
        self.assertFalse(certificates.choice.switch_due())
        self.cs.advance(2 * DAY + HOUR, step=HOUR)
        self.assertTrue(certificates.choice.switch_due())


class ShortLivedTests(RenewalTestCase):
    def test_certificate_within_a_month_renewed_at_most_daily(self):
        """
        A CA issuing certificates shorter than a month: each signed one is
        due again at once, yet the charge point sends one CSR a day, not a
        loop.
        """
        self.give(20)
        self.check()
        for day in range(1, 4):
            leaf = self.root.sign_csr(self.csrs()[-1].csr, self.cp.now(), days=10)
            self.assertEqual(self.signed(pem(leaf)), "Accepted")
            self.cs.advance(12 * HOUR, step=HOUR)
            self.assertEqual(len(self.csrs()), day)
            self.cs.advance(12 * HOUR + 60, step=HOUR)
            self.assertEqual(len(self.csrs()), day + 1)
        self.assertEqual(self.events.raised, [])


class ProfileThreeTestCase(SynchronousTestCase):
    """
    A charge point on profile 3 on a memory reactor, with an old
    certificate that connected and a new one that has not; its connection
    attempts are made to fail by hand.
    """

    #: More certificates: (start, days) from now.
    more: tuple = ()

    def setUp(self):
        self.reactor = MemoryReactorClock()
        config = ChargePointConfig(
            database=self.mktemp(), url="ws://127.0.0.1:9/openocpp",
            download_folder=self.mktemp(), reconnect_initial_delay=1, reconnect_max_delay=2,
            security_profile_attempts=3,
        )
        plugins = make_plugin_manager(
            builtins=[DefaultChargePointBehaviour()], load_entrypoints=False
        )
        self.cp = ChargePoint(config, reactor=self.reactor, plugins=plugins)
        self.addCleanup(self._stop)
        now = self.cp.now()
        root = Authority("CS Root", now, days=400)
        store = self.cp._certificates._store
        store.add(str(CS_ROOT), root.pem, root.certificate.not_valid_before_utc,
                  public_key_bits(root.key.public_key()), now=now)
        self.certificates = []
        for start, days in ((-300, 20), (-1, 365)) + self.more:
            key = ec.generate_private_key(ec.SECP256R1())
            leaf = root.issue(name("CP001"), key.public_key(), now, start=start, days=days)
            store.add(CHARGE_POINT_CERTIFICATE, pem(leaf), leaf.not_valid_before_utc,
                      public_key_bits(root.key.public_key()), now=now,
                      private_key=key.private_bytes(
                          serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()).decode("ascii"))
            self.certificates.append(leaf)
        old_row = store.all(CHARGE_POINT_CERTIFICATE)[0].row_id
        store.set_proven(old_row, now)
        self.cp.ocpp_config.set("SecurityProfile", "3")

    def _stop(self):
        if self.cp.running:
            self.cp.stopService()
        self.cp.store.close()

    def presented(self):
        path = os.path.join(self.cp._certificates._folder, "charge-point-certificate.pem")
        with open(path, "rb") as handle:
            return x509.load_pem_x509_certificate(handle.read())

    def refuse_attempt(self, text="tlsv1 alert unknown ca"):
        from OpenSSL import SSL

        attempts = len(self.reactor.tcpClients)
        _, _, factory, _, _ = self.reactor.tcpClients[-1]
        factory.clientConnectionFailed(
            self.reactor.connectors[-1], Failure(SSL.Error([("SSL routines", "", text)]))
        )
        for _ in range(40):
            self.reactor.advance(0.5)
            if len(self.reactor.tcpClients) > attempts:
                return

    def kinds(self):
        return [kind for _, kind, _, _ in self.cp._security_log.entries()]


class FallbackConnectionTests(ProfileThreeTestCase):
    """
    The attempts with the new certificate are refused at the TLS layer.
    """

    def test_A03_FR_10_refused_new_certificate_falls_back_on_the_old_one(self):
        """
        A03.FR.10 (A02.FR.10): the central system refuses the new
        certificate in C{security_profile_attempts} attempts in a row: the
        charge point reconnects with the old one, with one
        InvalidChargePointCertificate security event; further refusals
        raise no other.
        """
        old, new = self.certificates
        self.cp.startService()
        self.reactor.advance(0)
        self.assertEqual(self.presented(), new)
        for _ in range(2):
            self.refuse_attempt()
        self.assertEqual(self.presented(), new)
        self.refuse_attempt()
        self.assertEqual(self.presented(), old)
        self.assertEqual(self.kinds().count("InvalidChargePointCertificate"), 1)
        self.assertEqual(int(self.cp.getServiceNamed("connection").factory.security_profile), 3)
        for _ in range(4):
            self.refuse_attempt()
        self.assertEqual(self.presented(), old)
        self.assertEqual(self.kinds().count("InvalidChargePointCertificate"), 1)

    def test_other_failures_do_not_count(self):
        """
        Failures that are not a refusal of the certificate (the server's
        certificate failing verification) leave the new certificate.
        """
        _, new = self.certificates
        self.cp.startService()
        self.reactor.advance(0)
        for _ in range(4):
            self.refuse_attempt("certificate verify failed")
        self.assertEqual(self.presented(), new)
        self.assertNotIn("InvalidChargePointCertificate", self.kinds())


class RenewalLoopbackTests(CentralSystemMixin, TestCase):
    """
    End to end over loopback TLS: openocpp's central system, acting as the
    CA (C{ca_key}/C{ca_certificate}), and a charge point on profile 3 whose
    configured certificate expires in 20 days; the charge point's timers
    run on a L{Clock}, moved by hand.
    """

    timeout = 60

    async def start_both(self, folder, tls_ca, ca_key, ca_certificate, server, old):
        """
        Start the central system (profile 3, verifying client certificates
        with C{tls_ca}, signing CSRs with C{ca_key}/C{ca_certificate}) and
        a charge point presenting C{old} (certificate, file, key file).
        """
        from twisted.internet import reactor
        from twisted.internet.task import Clock

        await self.start_central_system(
            security_profile=3, tls_key=server[0], tls_certificate=server[1], tls_ca=tls_ca,
            ca_key=ca_key, ca_certificate=ca_certificate, cpo_name="ACME",
        )
        await self.central.register_charge_point("CP001", security_profile=3)
        self.clock = Clock()
        self.clock.advance(reactor.seconds())  # the CP's time starts right, moved by hand
        config = ChargePointConfig(
            url=self.url, security_profile=3, ca_certificates=server[2],
            client_certificate=old[1], client_key=old[2],
            database=self.mktemp(), download_folder=self.mktemp(),
            reconnect_initial_delay=0.05, reconnect_max_delay=0.2,
        )
        cp = ChargePoint(config, reactor=reactor, clock=self.clock, plugins=make_plugin_manager(
            builtins=[DefaultChargePointBehaviour()], load_entrypoints=False))
        cp.ocpp_config.set("CpoName", "ACME")
        cp.startService()
        self.addCleanup(cp.store.close)
        self.addCleanup(cp.stopService)
        return cp

    def presented(self):
        """
        The certificate the charge point presents to the central system now
        (C{None} while not connected); the charge point's clock moves on.
        """
        self.clock.advance(0.1)  # its timers: reconnection, the switch
        proxy = self.central._connected.get("CP001")
        if proxy is None or proxy.client_certificate is None:
            return None
        return proxy.client_certificate.original.to_cryptography()

    async def test_A03_renews_and_reconnects_with_the_new_certificate(self):
        """
        A03.FR.02/03/13: the charge point sends a CSR by itself once
        accepted; A03.FR.04/11: the central system (its own CA here: a hook
        delegates to a CA server) answers Accepted, has it signed and sends
        CertificateSigned
        (A03.FR.06: verified, Accepted); A03.FR.08: the charge point
        reconnects presenting the new certificate, which then counts as
        proven (A03.FR.10: the old one is kept for a month).
        """
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        from openocpp.pki import make_ca, make_server
        from tests.chargepoint.loopback import wait_for

        folder = os.path.abspath(self.mktemp())
        ca = make_ca(folder, "ACME")
        server = make_server(ca, ["localhost", "127.0.0.1"], "ACME")
        old = Authority.load(ca.key, ca.certificate).write_issued(
            folder, name("CP001", "ACME"), datetime.now(timezone.utc), days=20
        )
        cp = await self.start_both(
            folder, str(ca.certificate), str(ca.key), str(ca.certificate),
            (str(server.key), str(server.certificate), str(ca.certificate)), old,
        )
        await wait_for(self, lambda: self.presented() == old[0] and cp.online,
                       "connected with the old")
        records = self.central.store.issued_certificates.records
        await wait_for(self, lambda: self.presented() is not None and records("CP001")
                       and records("CP001")[0]["delivery"] == "Accepted", "the renewal")
        (record,) = records("CP001")
        await wait_for(self, lambda: (self.presented() or old[0]) != old[0],
                       "a connection with the new certificate")
        new = self.presented()
        self.assertEqual(format(new.serial_number, "x"), record["serial"])
        self.assertEqual(new.subject.rfc4514_string(), "CN=CP001,O=ACME")
        await wait_for(self, lambda: cp._certificates._store.proven() is not None, "proven")
        (stored,) = cp._certificates._store.all(CHARGE_POINT_CERTIFICATE)
        self.assertEqual(cp._certificates._store.proven()[0], stored.row_id)
        self.assertEqual(stored.certificate, new)
        # Renewed: a day later (the daily check), no other CSR.
        self.clock.advance(86400 + 60)
        await deferLater(reactor, 0.3, lambda: None)
        self.assertEqual(len(records("CP001")), 1)
        self.assertEqual(cp._certificates._store.renewal()["status"], "Accepted")

    async def test_A03_FR_10_new_certificate_refused_back_to_the_old_one(self):
        """
        A03.FR.10: the central system signs the new certificate under a CA
        its TLS listener does not trust: the handshakes with it fail (an
        "unknown ca" alert); after C{security_profile_attempts} of them the
        charge point connects with the old certificate again, with one
        InvalidChargePointCertificate security event, and sends no other
        CSR the same day.
        """
        from tests.chargepoint.loopback import wait_for

        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        now = datetime.now(timezone.utc)
        server_root = Authority("Server Root", now, days=400)
        server = server_root.server(folder, now, host="localhost")
        # The CA the central system signs with: under the root the charge
        # point trusts (so CertificateSigned is Accepted), not under the one
        # its listener verifies clients with.
        signer = Authority("Signer", now, signer=server_root, days=400)
        old_ca = Authority("Old CA", now, days=400)
        old = old_ca.write_issued(folder, name("CP001", "ACME"), now, days=20)
        cp = await self.start_both(
            folder, old_ca.write(f"{folder}/old-ca.pem"), signer.write_key(f"{folder}/signer.key"),
            signer.write(f"{folder}/signer.pem"),
            (server[0], server[1], server_root.write(f"{folder}/server-root.pem")), old,
        )
        records = self.central.store.issued_certificates.records
        await wait_for(self, lambda: self.presented() is not None and records("CP001")
                       and records("CP001")[0]["delivery"] == "Accepted", "the renewal")

        def events():
            self.presented()  # (time goes on)
            return [kind for _, kind, _, _ in cp._security_log.entries()]

        await wait_for(self, lambda: "InvalidChargePointCertificate" in events(), "the fallback")
        await wait_for(self, lambda: self.presented() == old[0] and cp.online,
                       "connected with the old certificate again")
        self.assertEqual(events().count("InvalidChargePointCertificate"), 1)
        self.assertEqual(len(records("CP001")), 1)
        self.assertEqual(cp._certificates.choice.expiry(), old[0].not_valid_after_utc)


class SwitchConnectionTests(ProfileThreeTestCase):
    """
    The same charge point with a third certificate, valid from two days on.
    """

    more = ((2, 365),)

    def test_A03_FR_08_reconnects_once_the_newer_certificate_is_valid(self):
        """
        A03.FR.08: once the current time is after the third certificate's
        'not valid before', the daily check makes the charge point
        reconnect presenting it.
        """
        _, new, newest = self.certificates
        self.cp.startService()
        self.reactor.advance(0)
        self.assertEqual(self.presented(), new)
        attempts = len(self.reactor.tcpClients)
        for _ in range(47):
            self.reactor.advance(3600)
        self.assertEqual(self.presented(), new)
        for _ in range(26):
            self.reactor.advance(3600)
        self.assertEqual(self.presented(), newest)
        self.assertGreater(len(self.reactor.tcpClients), attempts)
