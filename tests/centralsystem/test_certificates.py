"""
Tests of L{openocpp.centralsystem.certificates}: SignCertificate answered
as a CA (Security Whitepaper use cases A02, A03), the CSR's checks, the
issued certificates kept and revoked, and a revoked certificate refused.
"""

import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import deferLater
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp import hookimpl
from openocpp.centralsystem.certificates import InvalidRequest, check_csr
from openocpp.messages import core, security
from openocpp.pki import make_ca, make_server
from openocpp.transport.errors import HandshakeFailed
from openocpp.transport.security import client_tls_options
from tests.centralsystem.fake_chargepoint import BOOT, CentralSystemMixin


def make_csr(common_name="CP001", organization="ACME", key=None):
    """
    A CSR and its key, as the charge point makes them (A02.FR.02, A02.FR.03).
    """
    key = ec.generate_private_key(ec.SECP256R1()) if key is None else key
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization is not None:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii"), key


class CheckCsrTests(SynchronousTestCase):
    """
    L{check_csr}: the whitepaper's certificate properties.
    """

    def test_good_csr_passes(self):
        """
        An ECDSA P-256 CSR naming the identity and the CPO passes; so does
        an RSA 2048 one (A00.FR.502, A00.FR.503).
        """
        pem, _ = make_csr()
        self.assertEqual(check_csr(pem, "CP001", "ACME").subject.rfc4514_string(), "CN=CP001,O=ACME")
        pem, _ = make_csr(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
        check_csr(pem, "CP001", None)

    def test_wrong_common_name_refused(self):
        """
        A00.FR.511: the CN must be the charge point's identity.
        """
        pem, _ = make_csr("CP002")
        error = self.assertRaises(InvalidRequest, check_csr, pem, "CP001", None)
        self.assertIn("A00.FR.511", str(error))

    def test_wrong_organization_refused(self):
        """
        A00.FR.509, A02.FR.13: with a CPO name, the O must be it.
        """
        for organization in ("Other", None):
            pem, _ = make_csr(organization=organization)
            error = self.assertRaises(InvalidRequest, check_csr, pem, "CP001", "ACME")
            self.assertIn("A00.FR.509", str(error))

    def test_short_keys_refused(self):
        """
        A00.FR.502: an RSA key under 2048 bits is refused; A00.FR.503: a
        curve under 224 bits too.
        """
        pem, _ = make_csr(key=rsa.generate_private_key(public_exponent=65537, key_size=1024))
        self.assertIn("A00.FR.502", str(self.assertRaises(InvalidRequest, check_csr, pem, "CP001", None)))
        pem, _ = make_csr(key=ec.generate_private_key(ec.SECP192R1()))
        self.assertIn("A00.FR.503", str(self.assertRaises(InvalidRequest, check_csr, pem, "CP001", None)))

    def test_not_a_csr_refused(self):
        """
        Text that is no PEM CSR is refused, saying so.
        """
        error = self.assertRaises(InvalidRequest, check_csr, "-----BEGIN NOTHING-----", "CP001", None)
        self.assertIn("not a PEM certificate signing request", str(error))


class SignCertificateTests(CentralSystemMixin, TestCase):
    """
    On loopback: a charge point at profile 2 asks for a certificate, gets
    it, and connects with it at profile 3 on the same listener.
    """

    timeout = 30

    def setUp(self):
        folder = os.path.abspath(self.mktemp())
        self.ca = make_ca(folder, "ACME")
        self.server = make_server(self.ca, ["localhost", "127.0.0.1"], "ACME")
        self.folder = folder

    def start(self, **more):
        settings = dict(
            security_profile=2,
            tls_key=str(self.server.key), tls_certificate=str(self.server.certificate),
            tls_ca=str(self.ca.certificate),
            ca_key=str(self.ca.key), ca_certificate=str(self.ca.certificate), cpo_name="ACME",
        )
        settings.update(more)
        return self.start_central_system(**settings)

    def tls(self, certificate=None, key=None):
        return client_tls_options(
            "localhost", ca_certificates=str(self.ca.certificate),
            client_certificate=certificate, client_key=key,
        )

    @inlineCallbacks
    def booted(self):
        """
        CP001, registered with its password, connected at profile 2 and
        booted: fires with its fake charge point.
        """
        self.central.store.register_charge_point("CP001", password="00112233445566778899")
        cp = yield self.connect("CP001", password="00112233445566778899", security_profile=2, tls_options=self.tls())
        yield cp.call(BOOT)
        return cp

    @inlineCallbacks
    def test_csr_signed_delivered_listed_and_revoked(self):
        """
        A02.FR.03/A02.FR.04: SignCertificate with a good CSR is Accepted,
        then CertificateSigned brings a chain (PEM, A00.FR.507) whose leaf
        names the charge point and is signed by the CA (SHA-256, a serial
        number, a key usage: A00.FR.506, A00.FR.508, A00.FR.512); the central system
        lists it with the charge point's answer; the charge point connects
        with it at profile 3 (A00.FR.401); once revoked, that certificate is
        refused (403).
        """
        yield self.start()
        record, certificate_file, key_file = yield self.signed_files()
        mutual = yield self.connect("CP001", security_profile=3, tls_options=self.tls(certificate_file, key_file))
        self.assertEqual((yield mutual.call(BOOT)).status, "Accepted")
        yield mutual.close()

        self.assertTrue(self.central.store.issued_certificates.revoke(record["serial"]))
        yield self.central.store.when_committed(None)
        failed = yield self.assertFailure(
            self.connect("CP001", security_profile=3, tls_options=self.tls(certificate_file, key_file)),
            HandshakeFailed,
        )
        self.assertEqual(failed.status, 403)
        self.assertIsNotNone(self.central.store.issued_certificates.records()[0]["revoked_at"])

    @inlineCallbacks
    def test_revoked_in_the_api_closes_the_live_connection(self):
        """
        Revoking (the API's route) a certificate a live profile-3
        connection presented closes that connection at once, with a
        security event of the central system; a connection with another
        certificate stays; the next handshake with it is refused (403).
        """
        from openocpp.web.certificates import CertificateRoutes

        yield self.start()
        record, certificate_file, key_file = yield self.signed_files()
        mutual = yield self.connect("CP001", security_profile=3, tls_options=self.tls(certificate_file, key_file))
        self.assertEqual((yield mutual.call(BOOT)).status, "Accepted")
        self.central.store.register_charge_point("CP009", password="99887766554433221100")
        other = yield self.connect("CP009", password="99887766554433221100", security_profile=2,
                                   tls_options=self.tls())
        yield other.call(BOOT)
        lost = mutual.when_lost()
        answer = yield CertificateRoutes(self.central).revoke(None, record["serial"].upper())
        self.assertIsNotNone(answer["revokedAt"])
        yield lost
        events = [each for each in self.central.store.security_events("CP001")
                  if each["type"] == "InvalidChargePointCertificate"]
        self.assertEqual(len(events), 1)
        self.assertIn(f"revoked (serial {record['serial']}): connection closed", events[0]["tech_info"])
        self.assertEqual((yield other.call(core.HeartbeatRequest())).__class__, core.HeartbeatResponse)
        failed = yield self.assertFailure(
            self.connect("CP001", security_profile=3, tls_options=self.tls(certificate_file, key_file)),
            HandshakeFailed,
        )
        self.assertEqual(failed.status, 403)
        yield other.close()

    @inlineCallbacks
    def signed_files(self):
        """
        CP001 at profile 2 asks for a certificate and gets it; its
        connection closed.

        @return: a Deferred of the issued certificate's record and the
            files of the certificate chain and of its key.
        """
        self.central.store.register_charge_point("CP001", password="00112233445566778899")
        cp = yield self.connect("CP001", password="00112233445566778899", security_profile=2, tls_options=self.tls())
        cp.answers["CertificateSigned"] = security.CertificateSignedResponse(status="Accepted")
        yield cp.call(BOOT)
        pem, key = make_csr()
        answer = yield cp.call(security.SignCertificateRequest(csr=pem))
        self.assertEqual(answer.status, "Accepted")
        yield cp.wait_for(1)
        (signed,) = [each for each in cp.received if each.action == "CertificateSigned"]
        chain = x509.load_pem_x509_certificates(signed.certificate_chain.encode())
        ca = x509.load_pem_x509_certificate(self.ca.certificate.read_bytes())
        self.assertEqual(chain[0].subject.rfc4514_string(), "CN=CP001,O=ACME")
        chain[0].verify_directly_issued_by(ca)
        # A00.FR.506: SHA-256; A00.FR.508: a serial number; A00.FR.512: a
        # key usage restricting the key to a client's.
        self.assertIsInstance(chain[0].signature_hash_algorithm, hashes.SHA256)
        self.assertGreater(chain[0].serial_number, 0)
        usage = chain[0].extensions.get_extension_for_class(x509.KeyUsage).value
        self.assertEqual((usage.digital_signature, usage.key_cert_sign), (True, False))
        self.assertEqual(chain[0].public_key().public_numbers(), key.public_key().public_numbers())
        records = self.central.store.issued_certificates.records
        for _ in range(500):
            # The charge point's answer is on its way back.
            if records("CP001")[0]["delivery"] is not None:
                break
            yield deferLater(reactor, 0.01, lambda: None)
        (record,) = records("CP001")
        self.assertEqual((record["serial"], record["delivery"]), (format(chain[0].serial_number, "x"), "Accepted"))
        yield cp.close()

        certificate_file = os.path.join(self.folder, "issued.crt.pem")
        key_file = os.path.join(self.folder, "issued.key.pem")
        with open(certificate_file, "w") as file:
            file.write(signed.certificate_chain)
        with open(key_file, "wb") as file:
            file.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        return record, certificate_file, key_file

    @inlineCallbacks
    def test_bad_csr_rejected_and_recorded(self):
        """
        A CSR for another identity is Rejected, nothing is sent or issued,
        and a security event of the central system says why.
        """
        yield self.start()
        cp = yield self.booted()
        pem, _ = make_csr("CP002")
        answer = yield cp.call(security.SignCertificateRequest(csr=pem))
        self.assertEqual(answer.status, "Rejected")
        self.assertEqual(self.central.store.issued_certificates.records(), [])
        (event,) = self.central.store.security_events("CP001")
        self.assertEqual(event["type"], "InvalidCertificateSigningRequest")
        self.assertIn("A00.FR.511", event["tech_info"])
        self.assertEqual(cp.received, [])

    @inlineCallbacks
    def test_without_ca_rejected(self):
        """
        A02.FR.12, A03.FR.12 (the same answer whether the charge point
        renews or was asked to): without a CA (and no plugin) the central
        system cannot process a SignCertificate: Rejected.
        """
        yield self.start(ca_key=None, ca_certificate=None)
        cp = yield self.booted()
        pem, _ = make_csr()
        self.assertEqual((yield cp.call(security.SignCertificateRequest(csr=pem))).status, "Rejected")


class DelegatingCertificateAuthority:
    """
    A plugin standing for a dedicated CA (A02.FR.04): it takes every CSR
    and answers Accepted; the certificate would come later, from it.
    """

    def __init__(self):
        self.csrs = []

    @hookimpl
    def openocpp_cs_sign_certificate(self, charge_point, request):
        self.csrs.append((charge_point.identity, request.csr))
        return security.SignCertificateResponse(status="Accepted")


class SignCertificateHookTests(CentralSystemMixin, TestCase):
    """
    A02.FR.04: a plugin's C{openocpp_cs_sign_certificate} answers the
    SignCertificate instead of the configured CA.
    """

    timeout = 30
    # The same central system and charge point TLS as SignCertificateTests'.
    start = SignCertificateTests.start
    tls = SignCertificateTests.tls
    booted = SignCertificateTests.booted

    def setUp(self):
        SignCertificateTests.setUp(self)
        self.authority = DelegatingCertificateAuthority()

    def service_arguments(self):
        return {"plugins": [self.authority]}

    @inlineCallbacks
    def test_A02_FR_04_plugin_asked_before_the_configured_ca(self):
        """
        With a CA configured too, the plugin's answer is the one sent: the
        CSR is the plugin's to sign, so the central system neither issues
        a certificate nor sends CertificateSigned itself.
        """
        yield self.start()
        cp = yield self.booted()
        pem, _ = make_csr("CP001")
        answer = yield cp.call(security.SignCertificateRequest(csr=pem))
        self.assertEqual(answer.status, "Accepted")
        self.assertEqual(self.authority.csrs, [("CP001", pem)])
        # The configured CA would send CertificateSigned right after its
        # answer: a round trip later it would have arrived.
        yield cp.call(core.HeartbeatRequest())
        self.assertEqual(self.central.store.issued_certificates.records(), [])
        self.assertEqual([each.action for each in cp.received], [])

    @inlineCallbacks
    def test_A02_FR_04_plugin_without_a_configured_ca(self):
        """
        Without a CA the plugin's Accepted is sent, not the Rejected of
        A02.FR.12.
        """
        yield self.start(ca_key=None, ca_certificate=None)
        cp = yield self.booted()
        pem, _ = make_csr("CP001")
        self.assertEqual((yield cp.call(security.SignCertificateRequest(csr=pem))).status, "Accepted")
        self.assertEqual(self.authority.csrs, [("CP001", pem)])
