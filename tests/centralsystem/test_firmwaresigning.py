"""
Tests of L{openocpp.centralsystem.firmwaresigning}: the central system
checks a Firmware Signing certificate before it sends it in a
SignedUpdateFirmware.req (L01.FR.11, A00.FR.706).
"""

import os
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from twisted.trial.unittest import SynchronousTestCase

from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.firmwaresigning import SigningCertificateCheck, load_roots
from openocpp.centralsystem.tap import CentralSystemOptions
from openocpp.chargepoint.certificates import CertificateProblem
from tests.chargepoint.pki import DAY, Authority, name, pem

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)


def signer_without_digital_signature(root, now):
    """
    A certificate under C{root} whose key usage is key encipherment only.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateBuilder()
        .subject_name(name("Not a signer"))
        .issuer_name(root.name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 30 * DAY)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(root.key, hashes.SHA256())
    )


class SigningCertificateCheckTests(SynchronousTestCase):
    """
    L{SigningCertificateCheck}.
    """

    def setUp(self):
        self.root = Authority("Manufacturer Root", NOW)
        self.signer = Authority("Firmware Signer", NOW, signer=self.root)
        self.check = SigningCertificateCheck([self.root.certificate], lambda: NOW)

    def refusal(self, text, check=None):
        return str(self.assertRaises(CertificateProblem, check or self.check, text))

    def test_L01_FR_11_signer_of_a_known_root_passes(self):
        """
        L01.FR.11, A00.FR.706: a signing certificate issued by a known
        manufacturer root, valid now, is fit to be sent.
        """
        self.assertEqual(self.check(self.signer.pem), self.signer.certificate)

    def test_not_pem_refused(self):
        """
        A00.FR.706: text that is no PEM certificate is refused, saying so.
        """
        self.assertIn("not a PEM certificate", self.refusal("-----BEGIN CERTIFICATE-----\nbm90\n-----END CERTIFICATE-----\n"))
        self.assertIn("not a PEM certificate", self.refusal("hello"))

    def test_intermediates_refused(self):
        """
        A00.FR.706: the signing certificate comes alone (the whitepaper
        allows no intermediates for it).
        """
        self.assertIn("holds 2 certificates", self.refusal(self.signer.pem + self.root.pem))

    def test_expired_and_future_refused(self):
        """
        A00.FR.706: expired, or not valid yet: refused, naming the date.
        """
        expired = Authority("Expired", NOW, signer=self.root, start=-10, days=-1)
        future = Authority("Future", NOW, signer=self.root, start=2, days=30)
        self.assertIn("expired", self.refusal(expired.pem))
        self.assertIn("not valid before", self.refusal(future.pem))

    def test_key_usage_without_digital_signature_refused(self):
        """
        A00.FR.706: a key usage not allowing digital signatures is refused.
        """
        refused = self.refusal(pem(signer_without_digital_signature(self.root, NOW)))
        self.assertIn("does not allow digital signatures", refused)

    def test_other_issuer_refused_when_roots_are_known(self):
        """
        A00.FR.706: with manufacturer roots known, one of another issuer
        is refused, naming the option; without any, its issuer is not
        asked.
        """
        rogue = Authority("Rogue Signer", NOW)
        self.assertIn("--manufacturer-root", self.refusal(rogue.pem))
        self.assertEqual(SigningCertificateCheck([], lambda: NOW)(rogue.pem), rogue.certificate)


class ManufacturerRootOptionTests(SynchronousTestCase):
    """
    C{--manufacturer-root FILE}.
    """

    def test_option_and_bad_files(self):
        """
        The option reaches the config; a missing file or one with no
        certificate is refused naming the option.
        """
        path = self.mktemp()
        roots = [Authority("Root A", NOW), Authority("Root B", NOW)]
        with open(path, "w") as handle:
            handle.write("".join(root.pem for root in roots))
        options = CentralSystemOptions()
        options.parseOptions(["--manufacturer-root", path])
        self.assertEqual(options.config.manufacturer_roots, path)
        self.assertEqual(load_roots(path), [root.certificate for root in roots])
        empty = self.mktemp()
        with open(empty, "w") as handle:
            handle.write("no certificate here")
        error = self.assertRaises(ValueError, CentralSystemConfig, manufacturer_roots=empty)
        self.assertIn("no PEM certificate", str(error))
        for bad in (empty, os.path.join(self.mktemp(), "missing.pem")):
            options = CentralSystemOptions()
            error = self.assertRaises(Exception, options.parseOptions, ["--manufacturer-root", bad])
            self.assertIn("--manufacturer-root", str(error))
