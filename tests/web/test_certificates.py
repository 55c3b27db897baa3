"""
Tests of L{openocpp.web.certificates}: the issued certificates listed and
revoked through the API, and the certificates a charge point holds.
"""

import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.centralsystem.certificates import CertificateAuthority, check_csr
from openocpp.pki import make_ca
from tests.centralsystem.test_certificates import make_csr
from tests.web.api_client import ApiMixin
from tests.centralsystem.stores import PostgreSQLCentralSystemMixin


class CertificateRoutesTests(ApiMixin, TestCase):
    """
    C{GET /api/v1/certificates} and C{POST .../{serial}/revoke}.
    """

    timeout = 30

    @inlineCallbacks
    def issue(self, identity):
        # What the central system stores once it signed a CSR.
        ca = make_ca(os.path.abspath(self.mktemp()), "ACME")
        authority = CertificateAuthority.from_files(str(ca.key), str(ca.certificate))
        certificate = authority.sign(check_csr(make_csr(identity)[0], identity, "ACME"))
        serial = self.central.store.issued_certificates.record(identity, certificate)
        yield self.central.store.when_committed(None)
        return serial

    @inlineCallbacks
    def test_listed_then_revoked(self):
        """
        Issued certificates are listed newest first, by charge point when
        asked; revoking one answers it with C{revokedAt}, and the list
        says so; an unknown serial is 404.
        """
        yield self.start()
        first = yield self.issue("CP001")
        second = yield self.issue("CP002")
        answer = yield self.get("/api/v1/certificates")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual({each["serial"] for each in answer.json["items"]}, {first, second})
        answer = yield self.get("/api/v1/certificates?chargePoint=CP002")
        (item,) = answer.json["items"]
        self.assertEqual((item["serial"], item["chargePoint"], item["subject"], item["revokedAt"]),
                         (second, "CP002", "CN=CP002,O=ACME", None))
        self.assertTrue(item["certificate"].startswith("-----BEGIN CERTIFICATE-----"))
        answer = yield self.post(f"/api/v1/certificates/{second.upper()}/revoke")
        self.assertEqual(answer.status, 200, answer)
        self.assertIsNotNone(answer.json["revokedAt"])
        self.assertTrue(self.central.store.issued_certificates.is_revoked(second))
        self.assertFalse(self.central.store.issued_certificates.is_revoked(first))
        answer = yield self.post("/api/v1/certificates/abcdef/revoke")
        self.assertError(answer, 404, "unknown_certificate")


class ChargePointCertificateRoutesTests(ApiMixin, TestCase):
    """
    C{GET /api/v1/chargepoints/{identity}/certificates}.
    """

    timeout = 30

    @inlineCallbacks
    def test_installed_and_presented_listed(self):
        """
        The certificates a charge point holds are listed with their source,
        type, subject, serial and PEM; another charge point's are not; an
        unknown charge point is 404.
        """
        yield self.start()
        store = self.central.store
        store.register_charge_point("CP001")
        store.register_charge_point("CP002")
        root = make_ca(os.path.abspath(self.mktemp()), "Root CPO").certificate.read_text()
        self.assertTrue(store.charge_point_certificates.installed("CP001", "CentralSystemRootCertificate", root))
        presented = x509.load_pem_x509_certificate(root.encode())
        store.charge_point_certificates.presented("CP002", presented)
        yield store.when_committed(None)

        answer = yield self.get("/api/v1/chargepoints/CP001/certificates")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.json["chargePoint"], "CP001")
        (item,) = answer.json["items"]
        self.assertEqual(
            (item["source"], item["certificateType"], item["subject"], item["serialNumber"]),
            ("installed", "CentralSystemRootCertificate", presented.subject.rfc4514_string(),
             format(presented.serial_number, "x")),
        )
        self.assertEqual(item["certificate"], root)
        self.assertEqual(item["fingerprintSha256"], presented.fingerprint(hashes.SHA256()).hex())
        answer = yield self.get("/api/v1/chargepoints/CP002/certificates")
        self.assertEqual([each["source"] for each in answer.json["items"]], ["presented"])
        answer = yield self.get("/api/v1/chargepoints/NOPE/certificates")
        self.assertError(answer, 404, "unknown_charge_point")


class PostgreSQLCertificateRoutesTests(PostgreSQLCentralSystemMixin, CertificateRoutesTests):
    """
    The same, with the central system on the PostgreSQL store.
    """


class PostgreSQLChargePointCertificateRoutesTests(PostgreSQLCentralSystemMixin, ChargePointCertificateRoutesTests):
    """
    The same, with the central system on the PostgreSQL store.
    """
