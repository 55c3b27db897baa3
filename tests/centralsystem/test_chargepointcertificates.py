"""
Tests of L{openocpp.centralsystem.chargepointcertificates}: the
certificates installed on charge points (InstallCertificate.conf Accepted
through the proxy, forgotten on DeleteCertificate.conf Accepted) and the
charge point certificate presented at a profile-3 handshake.
"""

import hashlib
import os

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.centralsystem.chargepointcertificates import CertificateAnswers
from openocpp.messages import security
from openocpp.messages.datatypes import CertificateHashData
from openocpp.messages.enums import (
    DeleteCertificateStatusEnumType,
    InstallCertificateStatusEnumType,
)
from openocpp.pki import make_ca
from tests.centralsystem.fake_chargepoint import BOOT, CentralSystemMixin
from tests.centralsystem.test_security_profiles import TLSMixin
from tests.transport.certificates import client_options


def _hash_data(pem: str, serial_text=None) -> CertificateHashData:
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return CertificateHashData(
        hash_algorithm="SHA256",
        issuer_name_hash=hashlib.sha256(certificate.issuer.public_bytes()).hexdigest().upper(),
        issuer_key_hash="0" * 64,
        serial_number=serial_text or format(certificate.serial_number, "X"),
    )


class InstalledCertificatesTests(CentralSystemMixin, TestCase):
    """
    On loopback: what the proxy's InstallCertificate and DeleteCertificate
    answers leave in the store.
    """

    timeout = 30

    def setUp(self):
        folder = os.path.abspath(self.mktemp())
        self.root = make_ca(os.path.join(folder, "root"), "Root CPO").certificate.read_text()
        self.other = make_ca(os.path.join(folder, "other"), "Other CPO").certificate.read_text()

    @inlineCallbacks
    def test_accepted_install_kept_rejected_not_delete_forgets(self):
        """
        M05.FR.01: an InstallCertificate answered Accepted is kept (type,
        subject, serial, PEM), one answered Rejected is not; M04.FR.01: a
        DeleteCertificate answered Accepted forgets the certificate it
        names (issuerNameHash and serialNumber in upper case),
        one answered NotFound changes nothing.
        """
        yield self.start_central_system()
        cp = yield self.connect("CP1")
        statuses = {self.root: "Accepted", self.other: "Rejected"}
        cp.answers["InstallCertificate"] = lambda request: security.InstallCertificateResponse(
            status=InstallCertificateStatusEnumType(statuses[request.certificate])
        )
        deletions = ["NotFound", "Accepted"]
        cp.answers["DeleteCertificate"] = lambda request: security.DeleteCertificateResponse(
            status=DeleteCertificateStatusEnumType(deletions.pop(0))
        )
        yield cp.call(BOOT)
        proxy = self.central.charge_point("CP1")
        records = self.central.store.charge_point_certificates

        answer = yield proxy.install_certificate("CentralSystemRootCertificate", self.root)
        self.assertEqual(answer.status, "Accepted")
        answer = yield proxy.install_certificate("ManufacturerRootCertificate", self.other)
        self.assertEqual(answer.status, "Rejected")
        yield self.central.store.when_committed(None)
        [row] = self.rows("SELECT * FROM charge_point_certificates")
        root = x509.load_pem_x509_certificate(self.root.encode())
        self.assertEqual(
            (row["identity"], row["source"], row["certificate_type"], row["serial"], row["subject"]),
            ("CP1", "installed", "CentralSystemRootCertificate", format(root.serial_number, "x"),
             root.subject.rfc4514_string()),
        )
        self.assertEqual(row["fingerprint"], root.fingerprint(root.signature_hash_algorithm).hex())
        self.assertEqual(
            x509.load_pem_x509_certificate(row["certificate"].encode()), root
        )

        answer = yield proxy.delete_certificate(_hash_data(self.root))
        self.assertEqual(answer.status, "NotFound")
        yield self.central.store.when_committed(None)
        self.assertEqual(len(records.records("CP1")), 1)
        answer = yield proxy.delete_certificate(_hash_data(self.root))
        self.assertEqual(answer.status, "Accepted")
        yield self.central.store.when_committed(None)
        self.assertEqual(records.records("CP1"), [])

    def test_answer_passed_on_when_not_noted(self):
        """
        An Accepted answer whose certificate is no PEM, or a store that
        fails, is logged; the charge point's answer still reaches the
        caller unchanged.
        """

        class Failing:
            def installed(self, *arguments):
                raise RuntimeError("disk full")

        accepted = security.InstallCertificateResponse(status=InstallCertificateStatusEnumType.ACCEPTED)
        request = security.InstallCertificateRequest(
            certificate_type="CentralSystemRootCertificate", certificate="not a PEM"
        )
        self.assertIs(CertificateAnswers(Failing(), "CP1")(accepted, request), accepted)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

        class NotPem:
            def installed(self, *arguments):
                return False

        self.assertIs(CertificateAnswers(NotPem(), "CP1")(accepted, request), accepted)


class PresentedCertificateTests(TLSMixin, TestCase):
    """
    The charge point certificate of a profile-3 handshake is noted.
    """

    @inlineCallbacks
    def test_presented_certificate_noted_once(self):
        """
        A00.FR.401: a charge point connecting with its certificate has it
        noted (source presented, type ChargePointCertificate), once however
        often it connects; one connecting with a password has none.
        """
        yield self.start_central_system(security_profile=2, **self.tls_settings(tls_ca=str(self.tls.ca)))
        store = self.central.store
        store.register_charge_point("CP001", security_profile=3)
        store.register_charge_point("CP002", password="0123456789abcdef0123", security_profile=2)
        for _ in range(2):
            cp = yield self.connect("CP001", security_profile=3, tls_options=client_options(self.tls, "CP001"))
            self.assertEqual((yield cp.call(BOOT)).status, "Accepted")
            yield cp.close()
        basic = yield self.connect("CP002", password="0123456789abcdef0123", security_profile=2,
                                   tls_options=client_options(self.tls))
        self.assertEqual((yield basic.call(BOOT)).status, "Accepted")
        yield store.when_committed(None)
        [record] = store.charge_point_certificates.records()
        presented = x509.load_pem_x509_certificate(self.tls.clients["CP001"].certificate.read_bytes())
        self.assertEqual(
            (record["identity"], record["source"], record["certificate_type"], record["serial"]),
            ("CP001", "presented", "ChargePointCertificate", format(presented.serial_number, "x")),
        )
        self.assertEqual(
            record["certificate"], presented.public_bytes(serialization.Encoding.PEM).decode("ascii")
        )
        self.assertEqual(store.charge_point_certificates.records("CP002"), [])
