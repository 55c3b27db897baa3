"""
The recipe of docs/security.md, end to end over loopback: certificates
made with C{python -m openocpp.pki}, a central system at Security Profile
3 (C{twistd openocpp centralsystem --security-profile 3 --tls-*}) and an
openocpp charge point at profile 3 (C{twistd openocpp chargepoint
--security-profile 3 ...}) that boots over mutual TLS.
"""

import io
import os
import stat

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import deferLater
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.centralsystem.tap import CentralSystemOptions
from openocpp.centralsystem.tap import make_service as make_central_system
from openocpp.chargepoint.tap import ChargePointOptions
from openocpp.chargepoint.tap import make_service as make_charge_point
from openocpp.pki.__main__ import main as _main


def main(arguments):
    # The command, its output kept out of the test's.
    return _main(arguments, out=io.StringIO(), err=io.StringIO())


class CommandTests(SynchronousTestCase):
    """
    C{python -m openocpp.pki}'s files.
    """

    def test_files_made_with_the_whitepaper_properties(self):
        """
        The CA is made once and reused; the server certificate names its
        hosts (CN and subjectAltName, A00.FR.510) and comes with the CA; a
        charge point's names its identity (A00.FR.511) and the CPO
        (A00.FR.509); keys are P-256 (A00.FR.503, A00.FR.501), private to
        their owner; each is signed with ECDSA and SHA-256 (A00.FR.504-506),
        with a serial number (A00.FR.508) and a key usage (A00.FR.512).
        """
        folder = os.path.abspath(self.mktemp())
        self.assertEqual(main([folder, "--charge-point", "CP001", "--cpo-name", "ACME"]), 0)
        ca = open(os.path.join(folder, "ca.crt.pem"), "rb").read()
        self.assertEqual(main([folder, "--host", "cs.example.com"]), 0)
        self.assertEqual(open(os.path.join(folder, "ca.crt.pem"), "rb").read(), ca)
        server = x509.load_pem_x509_certificates(open(os.path.join(folder, "server.crt.pem"), "rb").read())
        self.assertEqual(len(server), 2)
        names = server[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertEqual(names.get_values_for_type(x509.DNSName), ["cs.example.com"])
        charge_point = x509.load_pem_x509_certificate(open(os.path.join(folder, "CP001.crt.pem"), "rb").read())
        subject = charge_point.subject
        self.assertEqual(subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value, "CP001")
        self.assertEqual(subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value, "ACME")
        self.assertEqual(charge_point.public_key().curve.name, "secp256r1")
        mode = os.stat(os.path.join(folder, "CP001.key.pem")).st_mode
        self.assertEqual(stat.S_IMODE(mode) & 0o077, 0)
        # Every certificate made: a P-256 key (128-bit security, A00.FR.501),
        # signed with ECDSA (A00.FR.505) over SHA-256 (A00.FR.506), both
        # BSI TR-02102 algorithms (A00.FR.504), a serial number
        # (A00.FR.508) and a Key Usage extension (A00.FR.512).
        made = [x509.load_pem_x509_certificate(ca), *server, charge_point]
        for certificate in made:
            self.assertEqual(certificate.public_key().curve.name, "secp256r1")
            self.assertEqual(certificate.signature_algorithm_oid, x509.oid.SignatureAlgorithmOID.ECDSA_WITH_SHA256)
            self.assertIsInstance(certificate.signature_hash_algorithm, hashes.SHA256)
            self.assertGreater(certificate.serial_number, 0)
            certificate.extensions.get_extension_for_class(x509.KeyUsage)

    def test_bad_identity_refused(self):
        """
        An identity that cannot name a file is refused with status 2.
        """
        self.assertEqual(main([os.path.abspath(self.mktemp()), "--charge-point", "../x"]), 2)


class RecipeTests(TestCase):
    """
    The recipe's commands, in-process.
    """

    timeout = 60

    @inlineCallbacks
    def test_profile_3_charge_point_boots(self):
        """
        A00.FR.401 to A00.FR.405 with the recipe's files: the charge point
        connects with its certificate, the central system (with the CPO
        name checked) accepts it, and it boots.
        """
        folder = os.path.abspath(self.mktemp())
        self.assertEqual(main([folder, "--charge-point", "CP001", "--cpo-name", "ACME"]), 0)
        path = lambda name: os.path.join(folder, name)  # noqa: E731
        options = CentralSystemOptions()
        options.parseOptions([
            "--db", path("cs.sqlite"), "--listen", "tcp:0:interface=127.0.0.1",
            "--security-profile", "3", "--tls-key", path("server.key.pem"),
            "--tls-cert", path("server.crt.pem"), "--tls-ca", path("ca.crt.pem"), "--cpo-name", "ACME",
        ])
        central = make_central_system(options, reactor)
        central.startService()
        self.addCleanup(central.stopService)
        port = (yield central.when_listening()).getHost().port
        options = ChargePointOptions()
        options.parseOptions([
            "--db", path("cp.sqlite"), "--url", f"wss://localhost:{port}/ocpp", "--identity", "CP001",
            "--security-profile", "3", "--ca-certificates", path("ca.crt.pem"),
            "--client-certificate", path("CP001.crt.pem"), "--client-key", path("CP001.key.pem"),
        ])
        charge_point = make_charge_point(options, reactor)
        charge_point.startService()
        self.addCleanup(charge_point.stopService)
        proxy = yield central.when_connected("CP001")
        self.assertEqual(proxy.security_profile, 3)
        for _ in range(1000):
            if charge_point.online:
                break
            yield deferLater(reactor, 0.01, lambda: None)
        self.assertTrue(charge_point.online)
        self.assertEqual(central.store.registration_status("CP001"), "Accepted")
