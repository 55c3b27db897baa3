"""
The charge point's certificates (L{openocpp.chargepoint.certificates}):
SignCertificate and CertificateSigned (Security Whitepaper A02/A03),
GetInstalledCertificateIds (M03), DeleteCertificate (M04) and
InstallCertificate (M05) with CertificateStoreMaxLength and
AdditionalRootCertificateCheck, against the scripted central system on a
L{Clock}; the requirement ids are quoted in the tests' docstrings.
"""

import hashlib
import os
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from openocpp.chargepoint.certstore import hash_data, public_key_bits
from openocpp.messages.datatypes import CertificateHashData
from openocpp.messages.enums import CertificateUseEnumType, HashAlgorithmEnumType
from openocpp.messages.security import (
    CertificateSignedRequest,
    DeleteCertificateRequest,
    GetInstalledCertificateIdsRequest,
    InstallCertificateRequest,
    SignCertificateResponse,
)
from openocpp.messages.enums import GenericStatusEnumType
from tests.chargepoint.fake_centralsystem import ChargePointTestCase
from tests.chargepoint.pki import Authority, name, pem

CS_ROOT = CertificateUseEnumType.CENTRAL_SYSTEM_ROOT_CERTIFICATE
MF_ROOT = CertificateUseEnumType.MANUFACTURER_ROOT_CERTIFICATE


class Events:
    """
    Records the security events the charge point raises.
    """

    def __init__(self, charge_point):
        self.raised = []
        charge_point._certificates._security_event = self.record
        charge_point._certificates.choice._security_event = self.record

    def record(self, kind, tech_info=None, critical=None):
        self.raised.append((kind, tech_info))

    def kinds(self):
        return [kind for kind, _ in self.raised]


class CertificateTestCase(ChargePointTestCase):
    def setUp(self):
        self.settings = {"download_folder": self.mktemp(), **self.settings}
        super().setUp()
        self.cs.answers["SignCertificate"] = lambda r: SignCertificateResponse(
            status=GenericStatusEnumType.ACCEPTED
        )
        self.events = Events(self.cp)
        self.boot_and_clear()
        self.now = self.cp.now()

    def install(self, certificate_pem, kind=CS_ROOT):
        return self.successResultOf(self.cs.call(
            InstallCertificateRequest(certificate_type=kind, certificate=certificate_pem)
        )).status

    def installed(self, kind=CS_ROOT):
        return self.successResultOf(self.cs.call(
            GetInstalledCertificateIdsRequest(certificate_type=kind)
        ))

    def delete(self, data):
        return self.successResultOf(self.cs.call(
            DeleteCertificateRequest(certificate_hash_data=data)
        )).status

    def csr(self):
        self.cp.sign_certificate()
        self.cs.settle()
        return self.cs.requests("SignCertificate")[-1].csr

    def signed(self, chain_pem):
        return self.successResultOf(self.cs.call(
            CertificateSignedRequest(certificate_chain=chain_pem)
        )).status


class HashDataTests(CertificateTestCase):
    def test_hash_data_as_the_whitepaper_defines(self):
        """
        CertificateHashDataType (whitepaper 6.1): SHA-256 of the issuer's
        DER name, of the issuer's public key, and the serial number in hex.
        """
        root = Authority("Root", self.now)
        data = hash_data(root.certificate, None)
        self.assertEqual(data.issuer_name_hash,
                         hashlib.sha256(root.certificate.issuer.public_bytes()).hexdigest())
        point = root.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.assertEqual(public_key_bits(root.key.public_key()), point)
        self.assertEqual(data.issuer_key_hash, hashlib.sha256(point).hexdigest())
        self.assertEqual(data.serial_number, format(root.certificate.serial_number, "x"))

    def test_cross_signed_root_hashes_its_issuers_key(self):
        """
        A root signed by another installed root is identified by that
        issuer's key, not its own.
        """
        old = Authority("Root", self.now)
        new = Authority("Root 2", self.now, signer=old)
        self.assertEqual(self.install(old.pem), "Accepted")
        self.assertEqual(self.install(new.pem), "Accepted")
        listed = self.installed().certificate_hash_data
        self.assertEqual(listed[1], hash_data(new.certificate, old.certificate))


class InstallCertificateTests(CertificateTestCase):
    def test_install_and_list_by_type(self):
        """
        M05.FR.01/02: installed, Accepted. M03.FR.03/04: listed by type
        with each certificate's hash data; M03.FR.02: NotFound for a type
        with none.
        """
        root = Authority("CS Root", self.now)
        maker = Authority("Manufacturer", self.now)
        self.assertEqual(self.installed(CS_ROOT).status, "NotFound")
        self.assertIsNone(self.installed(CS_ROOT).certificate_hash_data)
        self.assertEqual(self.install(root.pem), "Accepted")
        self.assertEqual(self.install(maker.pem, MF_ROOT), "Accepted")
        answer = self.installed(CS_ROOT)
        self.assertEqual(answer.status, "Accepted")
        self.assertEqual(answer.certificate_hash_data, [hash_data(root.certificate, None)])
        self.assertEqual(self.installed(MF_ROOT).certificate_hash_data,
                         [hash_data(maker.certificate, None)])

    def test_same_certificate_twice_is_kept_once(self):
        root = Authority("CS Root", self.now)
        self.assertEqual(self.install(root.pem), "Accepted")
        self.assertEqual(self.install(root.pem), "Accepted")
        self.assertEqual(len(self.installed().certificate_hash_data), 1)

    def test_invalid_certificate_rejected(self):
        """
        M05.FR.06: not PEM, expired, or not a CA: Rejected.
        """
        self.assertEqual(self.install("-----BEGIN CERTIFICATE-----\nnot\n-----END CERTIFICATE-----"),
                         "Rejected")
        self.assertEqual(self.install("hello"), "Rejected")
        expired = Authority("Old", self.now, start=-10, days=-1)
        self.assertEqual(self.install(expired.pem), "Rejected")
        ca = Authority("CA", self.now)
        leaf = ca.issue(name("leaf"), ec.generate_private_key(ec.SECP256R1()).public_key(),
                        self.now)
        self.assertEqual(self.install(pem(leaf)), "Rejected")
        self.assertEqual(self.installed().status, "NotFound")

    def test_failed_installation_answered_failed(self):
        """
        M05.FR.04: an installation that fails (the certificate store cannot
        write it) is answered Failed, and nothing is installed.
        """
        import sqlite3

        def broken(*arguments, **keywords):
            raise sqlite3.OperationalError("disk I/O error")

        self.patch(self.cp._certificates._store, "add", broken)
        self.assertEqual(self.install(Authority("A", self.now).pem), "Failed")
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)
        self.assertEqual(self.installed().certificate_hash_data, None)

    def test_store_full_rejected(self):
        """
        M05.FR.03: with CertificateStoreMaxLength certificates installed
        (both types counted), Rejected.
        """
        self.cp.ocpp_config.set("CertificateStoreMaxLength", "2")
        self.assertEqual(self.install(Authority("A", self.now).pem), "Accepted")
        self.assertEqual(self.install(Authority("B", self.now).pem, MF_ROOT), "Accepted")
        self.assertEqual(self.install(Authority("C", self.now).pem), "Rejected")
        self.assertEqual(len(self.installed().certificate_hash_data), 1)

    def test_additional_check_M05_FR_09_10_new_root_must_be_signed_by_the_old(self):
        """
        M05.FR.08/09/10: with AdditionalRootCertificateCheck, a new
        CentralSystemRootCertificate not signed by the installed one is
        Rejected, and the old one stays alone.
        """
        self.cp.ocpp_config.set("AdditionalRootCertificateCheck", "true")
        old = Authority("Root", self.now)
        self.assertEqual(self.install(old.pem), "Accepted")
        self.assertEqual(self.install(Authority("Stranger", self.now).pem), "Rejected")
        self.assertEqual(self.installed().certificate_hash_data,
                         [hash_data(old.certificate, None)])

    def test_additional_check_M05_FR_10_not_installed_anywhere(self):
        """
        M05.FR.10: the Rejected root is not installed: not listed, not in
        the TLS client's CA file, and the installed one is no fallback.
        """
        self.cp.ocpp_config.set("AdditionalRootCertificateCheck", "true")
        old = Authority("Root", self.now)
        self.install(old.pem)
        stranger = Authority("Root", self.now)  # the same name, another key
        self.assertEqual(self.install(stranger.pem), "Rejected")
        ca_file, _, _ = self.cp._certificates.tls_files()
        with open(ca_file, "rb") as handle:
            self.assertEqual(x509.load_pem_x509_certificates(handle.read()), [old.certificate])
        (stored,) = self.cp._certificates._store.all(str(CS_ROOT))
        self.assertFalse(stored.fallback)

    def test_additional_check_M05_FR_09_signed_by_the_fallback_is_not_enough(self):
        """
        M05.FR.09: the new root must be signed by the root it replaces (the
        current one), not by the fallback kept from before.
        """
        self.cp.ocpp_config.set("AdditionalRootCertificateCheck", "true")
        old = Authority("Root", self.now)
        new = Authority("Root 2", self.now, signer=old)
        self.install(old.pem)
        self.assertEqual(self.install(new.pem), "Accepted")
        sibling = Authority("Root 3", self.now, signer=old)
        self.assertEqual(self.install(sibling.pem), "Rejected")
        self.assertEqual(self.installed().certificate_hash_data, [
            hash_data(old.certificate, None), hash_data(new.certificate, old.certificate),
        ])

    def test_additional_check_M05_FR_11_13_old_root_is_fallback_until_connected(self):
        """
        M05.FR.11: a new root signed by the old one is installed, the old
        kept as the fallback (both in the TLS client's CA file, the new
        first: M05.FR.13); M05.FR.12: once connected to a server the new
        root issued, the fallback goes. M05.FR.08: a third replaces the
        second, the first goes.
        """
        self.cp.ocpp_config.set("AdditionalRootCertificateCheck", "true")
        old = Authority("Root", self.now)
        new = Authority("Root 2", self.now, signer=old)
        self.assertEqual(self.install(old.pem), "Accepted")
        self.assertEqual(self.install(new.pem), "Accepted")
        self.assertEqual(len(self.installed().certificate_hash_data), 2)
        ca_file, _, _ = self.cp._certificates.tls_files()
        with open(ca_file, "rb") as handle:
            bundle = x509.load_pem_x509_certificates(handle.read())
        self.assertEqual(bundle, [new.certificate, old.certificate])
        # A connection on profile 0 proves nothing about the new root.
        self.cs.disconnect()
        self.cs.connect(self.cp)
        self.assertEqual(len(self.installed().certificate_hash_data), 2)
        third = Authority("Root 3", self.now, signer=new)
        self.assertEqual(self.install(third.pem), "Accepted")
        self.assertEqual(self.installed().certificate_hash_data, [
            hash_data(new.certificate, old.certificate),
            hash_data(third.certificate, new.certificate),
        ])
        # M05.FR.13: a server only the fallback verifies keeps it.
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        self.cp._certificates.connected(2, new.issue(name("127.0.0.1"), key, self.now))
        self.assertEqual(len(self.installed().certificate_hash_data), 2)
        # As the transport hands it: a twisted.internet.ssl.Certificate.
        from twisted.internet.ssl import Certificate

        server = Certificate.loadPEM(pem(third.issue(name("127.0.0.1"), key, self.now)))
        self.cp._certificates.connected(2, server)
        self.assertEqual(self.installed().certificate_hash_data,
                         [hash_data(third.certificate, new.certificate)])

    def test_without_additional_check_roots_add_up(self):
        """
        AdditionalRootCertificateCheck false (its default): several
        CentralSystemRootCertificates may be installed.
        """
        self.assertEqual(self.install(Authority("A", self.now).pem), "Accepted")
        self.assertEqual(self.install(Authority("B", self.now).pem), "Accepted")
        self.assertEqual(len(self.installed().certificate_hash_data), 2)


class DeleteCertificateTests(CertificateTestCase):
    def test_delete_found_accepted(self):
        """
        M04.FR.01/02: the certificate the hash data names is deleted
        (status Accepted: the schema's name for the whitepaper's
        'Success'); M04.FR.04: deleting it again is NotFound.
        """
        root = Authority("Manufacturer", self.now)
        self.install(root.pem, MF_ROOT)
        data = hash_data(root.certificate, None)
        self.assertEqual(self.delete(data), "Accepted")
        self.assertEqual(self.installed(MF_ROOT).status, "NotFound")
        self.assertEqual(self.delete(data), "NotFound")

    def test_delete_matches_with_the_requests_algorithm_and_any_case(self):
        """
        M04.FR.07: the hash algorithm the central system names is used;
        hex compares without regard to case.
        """
        root = Authority("Manufacturer", self.now)
        self.install(root.pem, MF_ROOT)
        data = hash_data(root.certificate, None, HashAlgorithmEnumType.SHA512)
        shouted = CertificateHashData(
            hash_algorithm=data.hash_algorithm,
            issuer_name_hash=data.issuer_name_hash.upper(),
            issuer_key_hash=data.issuer_key_hash.upper(),
            serial_number=data.serial_number.upper(),
        )
        self.assertEqual(self.delete(shouted), "Accepted")

    def test_delete_root_in_use_failed(self):
        """
        M04.FR.06: the CentralSystemRootCertificate verifying the
        connection (security profile 2 or 3) is not deleted: Failed.
        """
        root = Authority("CS Root", self.now)
        self.install(root.pem)
        self.cp.ocpp_config.set("SecurityProfile", "2")
        self.assertEqual(self.delete(hash_data(root.certificate, None)), "Failed")
        self.assertEqual(self.installed().status, "Accepted")
        self.cp.ocpp_config.set("SecurityProfile", "0")

    def test_delete_charge_point_certificate_failed(self):
        """
        M04.FR.05: the charge point certificate cannot be deleted;
        M04.FR.03: the failed deletion is answered Failed.
        """
        root = Authority("CS Root", self.now)
        self.install(root.pem)
        leaf = root.sign_csr(self.csr(), self.now)
        self.assertEqual(self.signed(pem(leaf)), "Accepted")
        self.assertEqual(self.delete(hash_data(leaf, root.certificate)), "Failed")
        self.assertTrue(self.cp.has_charge_point_certificate())


class SignCertificateTests(CertificateTestCase):
    def test_csr_subject_and_key(self):
        """
        A02.FR.02/03: a new key pair, its public key in a PEM CSR sent with
        SignCertificate.req; A02.FR.13: O = CpoName, CN = the identity;
        A00.FR.503: an elliptic curve key of at least 224 bits.
        """
        self.cp.ocpp_config.set("CpoName", "Example CPO")
        text = self.csr()
        self.assertTrue(text.startswith("-----BEGIN CERTIFICATE REQUEST-----"))
        csr = x509.load_pem_x509_csr(text.encode("ascii"))
        self.assertTrue(csr.is_signature_valid)
        self.assertEqual(
            csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value, "Example CPO"
        )
        self.assertEqual(csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value, "CP001")
        self.assertIsInstance(csr.public_key(), ec.EllipticCurvePublicKey)
        self.assertGreaterEqual(csr.public_key().key_size, 224)

    def test_private_key_never_sent(self):
        """
        A02.FR.05: the private key stays in the charge point: no frame
        carries it, GetConfiguration lists nothing of it.
        """
        self.csr()
        key = self.cp._certificates._store.pending_key()
        body = key.splitlines()[1]
        self.assertNotIn(body, repr(self.cs.frames))

    def test_signed_certificate_accepted_and_used_from_the_next_connection(self):
        """
        A02.FR.06: the chain is verified up to the installed
        CentralSystemRootCertificate; accepted, it is what the TLS client
        uses from the next connection (certificate chain and key files).
        """
        root = Authority("CS Root", self.now)
        intermediate = Authority("CPO Sub CA", self.now, signer=root)
        self.install(root.pem)
        self.assertFalse(self.cp.has_charge_point_certificate())
        leaf = intermediate.sign_csr(self.csr(), self.now)
        self.assertEqual(self.signed(pem(leaf) + intermediate.pem), "Accepted")
        self.assertTrue(self.cp.has_charge_point_certificate())
        self.assertEqual(self.events.raised, [])
        _, cert_file, key_file = self.cp._certificates.tls_files()
        with open(cert_file, "rb") as handle:
            self.assertEqual(x509.load_pem_x509_certificates(handle.read()),
                             [leaf, intermediate.certificate])
        with open(key_file, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), None)
        self.assertEqual(key.public_key(), leaf.public_key())
        self.assertEqual(os.stat(key_file).st_mode & 0o777, 0o600)

    def test_configured_ca_file_is_trusted_too(self):
        """
        The central system's CA file the charge point is configured with is
        a root of the CPO hierarchy as well.
        """
        root = Authority("Configured Root", self.now)
        path = self.mktemp()
        with open(path, "w") as handle:
            handle.write(root.pem)
        self.cp.config.ca_certificates = path
        leaf = root.sign_csr(self.csr(), self.now)
        self.assertEqual(self.signed(pem(leaf)), "Accepted")

    def assertRejected(self, chain, why):
        self.assertEqual(self.signed(chain), "Rejected")
        self.assertEqual(self.events.kinds()[-1:], ["InvalidChargePointCertificate"])
        self.assertIn(why, self.events.raised[-1][1])
        self.assertFalse(self.cp.has_charge_point_certificate())

    def test_invalid_certificates_rejected_with_a_security_event(self):
        """
        A02.FR.06/07: a certificate not valid (not under an installed
        root, expired, another key, another CN, another O than CpoName, not
        PEM) is discarded: Rejected and an InvalidChargePointCertificate
        security event.
        """
        self.cp.ocpp_config.set("CpoName", "Example CPO")
        root = Authority("CS Root", self.now)
        self.install(root.pem)
        csr = self.csr()
        stranger = Authority("Stranger", self.now)
        self.assertRejected(pem(stranger.sign_csr(csr, self.now)), "not an installed")
        self.assertRejected(pem(root.sign_csr(csr, self.now, start=-10, days=-1)), "expired")
        other_key = ec.generate_private_key(ec.SECP256R1()).public_key()
        self.assertRejected(pem(root.issue(name("CP001", "Example CPO"), other_key, self.now)),
                            "not for the key")
        self.assertRejected(pem(root.sign_csr(csr, self.now, subject=name("CP002", "Example CPO"))),
                            "CN")
        self.assertRejected(pem(root.sign_csr(csr, self.now, subject=name("CP001", "Other"))),
                            "CpoName")
        self.assertRejected("garbage", "not PEM")
        # The key still waits: a good certificate for it is accepted.
        self.assertEqual(self.signed(pem(root.sign_csr(csr, self.now))), "Accepted")

    def test_chain_longer_than_max_chain_size_rejected(self):
        """
        CertificateSignedMaxChainSize (whitepaper 7.3): a longer
        certificateChain is Rejected.
        """
        root = Authority("CS Root", self.now)
        self.install(root.pem)
        chain = pem(root.sign_csr(self.csr(), self.now))
        self.cp.ocpp_config.set("CertificateSignedMaxChainSize", str(len(chain) - 1))
        self.assertRejected(chain, "CertificateSignedMaxChainSize")

    def test_without_a_csr_rejected(self):
        root = Authority("CS Root", self.now)
        self.install(root.pem)
        leaf = root.issue(name("CP001"), ec.generate_private_key(ec.SECP256R1()).public_key(),
                          self.now)
        self.assertRejected(pem(leaf), "no certificate signing request")

    def test_future_certificate_used_once_valid_and_newest_wins(self):
        """
        A02.FR.08: a certificate valid from a later date is used from then;
        A02.FR.09: of several valid ones, the newest (by the start of its
        validity) is used.
        """
        root = Authority("CS Root", self.now, days=60)
        self.install(root.pem)
        first = root.sign_csr(self.csr(), self.now)
        self.assertEqual(self.signed(pem(first)), "Accepted")
        later = root.sign_csr(self.csr(), self.now, start=2)
        self.assertEqual(self.signed(pem(later)), "Accepted")
        _, cert_file, _ = self.cp._certificates.tls_files()
        with open(cert_file, "rb") as handle:
            self.assertEqual(x509.load_pem_x509_certificate(handle.read()), first)
        self.cs.advance(3 * 86400, step=3600)
        _, cert_file, _ = self.cp._certificates.tls_files()
        with open(cert_file, "rb") as handle:
            self.assertEqual(x509.load_pem_x509_certificate(handle.read()), later)


class SecurityProfileThreeLoopbackTests(TestCase):
    """
    End to end over loopback TLS: a charge point on profile 2 sends a CSR,
    the central system signs it and sends CertificateSigned, then raises
    SecurityProfile to 3: the charge point reconnects with mutual TLS,
    presenting the certificate it stored (no client certificate configured).
    """

    timeout = 30

    async def listen(self, port, profile, tls):
        from openocpp.transport.server import OcppServerFactory, listen

        factory = OcppServerFactory(
            self.cs.handler_factory, reactor=self.reactor, security_profile=profile,
            authenticator=self.authenticate,
        )
        listening = await listen(self.reactor, f"tcp:{port}:interface=127.0.0.1", factory, tls)
        self.addCleanup(factory.close_connections)
        self.addCleanup(listening.stopListening)
        return factory, listening

    def authenticate(self, identity, password, certificate, peer):
        self.seen.append((identity, password, certificate))
        waiting, self.connecting = self.connecting, Deferred()
        self.reactor.callLater(0, waiting.callback, None)
        return True

    async def test_profile_2_to_3_with_the_signed_certificate(self):
        """
        A02.FR.02/03 (the CSR), A02.FR.06 (verified up to the configured
        CentralSystemRootCertificate), A02.FR.08 (used from the next
        connection), A00.FR.402 (the charge point certificate as the TLS
        client certificate).
        """
        await self.upgrade()

    async def test_profile_2_to_3_with_the_key_kept_by_a_keeper(self):
        """
        A02.FR.05 with a plugin's keeper (C{openocpp_cp_private_key_keeper}):
        the same upgrade; the profile-3 TLS context is built with the key the
        keeper gave back, the database holds its reference, and the key
        file is gone once the context is built.
        """
        from tests.chargepoint.test_privatekeys import KeeperPlugin, MemoryKeeper

        keeper = MemoryKeeper()
        cp, leaf = await self.upgrade(plugins=[KeeperPlugin(keeper)])
        self.assertEqual(list(keeper.keys), ["element-slot-0"])
        self.assertIn("element-slot-0", keeper.loaded)
        stored = cp._certificates._store.all("ChargePointCertificate")
        self.assertEqual([each.private_key for each in stored], ["element-slot-0"])
        self.assertFalse(os.path.exists(
            os.path.join(cp._certificates._folder, "charge-point-key.pem")))

    async def upgrade(self, plugins=()):
        """
        Profile 2, SignCertificate, CertificateSigned, then SecurityProfile
        3: the reconnection presents the signed certificate.

        @return: the charge point and the signed certificate.
        """
        from twisted.internet import reactor

        from openocpp.chargepoint.config import ChargePointConfig
        from openocpp.chargepoint.service import ChargePoint
        from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
        from openocpp.messages import ChangeConfigurationRequest
        from openocpp.plugins import make_plugin_manager
        from openocpp.transport.security import server_tls_options
        from tests.chargepoint.fake_centralsystem import LoopbackCentralSystem
        self.reactor = reactor
        self.seen = []
        self.connecting = Deferred()
        booted = Deferred()
        now = datetime.now(timezone.utc)
        folder = self.mktemp()
        os.makedirs(folder)
        ca = Authority("CPO Root", now)
        ca_file = ca.write(os.path.join(folder, "ca.pem"))
        server_key, server_certificate = ca.server(folder, now)
        self.cs = LoopbackCentralSystem(self, reactor)
        signed = Deferred()

        def sign(request):
            reactor.callLater(0, signed.callback, request.csr)
            return SignCertificateResponse(status=GenericStatusEnumType.ACCEPTED)

        self.cs.answers["SignCertificate"] = sign
        status = self.cs.answers["StatusNotification"]

        def status_answered(request):
            # Sent once the boot was accepted: the charge point is online.
            if not booted.called:
                booted.callback(None)
            return status(request)

        self.cs.answers["StatusNotification"] = status_answered
        _, plain = await self.listen(0, 2, server_tls_options(server_key, server_certificate))
        port = plain.getHost().port
        password = "0123456789abcdef0123"
        config = ChargePointConfig(
            url=f"wss://127.0.0.1:{port}/openocpp", security_profile=2, password=password,
            ca_certificates=ca_file, database=self.mktemp(), download_folder=self.mktemp(),
            reconnect_initial_delay=0.05, reconnect_max_delay=0.2,
        )
        cp = ChargePoint(config, reactor=reactor, plugins=make_plugin_manager(
            builtins=[DefaultChargePointBehaviour()], plugins=plugins, load_entrypoints=False))
        cp.startService()
        self.addCleanup(cp.store.close)
        self.addCleanup(cp.stopService)
        await booted
        answer = await cp.sign_certificate()
        self.assertEqual(answer.status, "Accepted")
        csr = await signed
        leaf = ca.sign_csr(csr, now)
        answer = await self.cs.session.call(CertificateSignedRequest(certificate_chain=pem(leaf)))
        self.assertEqual(answer.status, "Accepted")
        self.assertEqual([s[1] for s in self.seen], [password.encode()])
        # The profile 3 listener takes the port's place.
        await plain.stopListening()
        await self.listen(port, 3, server_tls_options(server_key, server_certificate, ca_file))
        reconnected = self.connecting
        answer = await self.cs.session.call(
            ChangeConfigurationRequest(key="SecurityProfile", value="3"))
        self.assertEqual(answer.status, "Accepted")
        await reconnected
        identity, sent_password, certificate = self.seen[-1]
        self.assertEqual(identity, "CP001")
        self.assertIsNone(sent_password)
        self.assertEqual(certificate.original.to_cryptography(), leaf)
        return cp, leaf


class TlsFilesTests(CertificateTestCase):
    def test_nothing_installed_no_files(self):
        self.assertEqual(self.cp._certificates.tls_files(), (None, None, None))
        self.assertFalse(self.cp._certificates.has_central_system_root())



class UnwritableFolderTests(CertificateTestCase):
    def test_unwritable_folder_falls_back_on_the_configured_files(self):
        """
        Installed certificates that cannot be written out leave the
        connection to the configured files, with one log line, not a crash.
        """
        from openocpp.chargepoint.config import ChargePointConfig

        self.install(Authority("CS Root", self.now).pem)
        os.makedirs(os.path.dirname(self.cp._certificates._folder), exist_ok=True)
        with open(self.cp._certificates._folder, "w"):
            pass  # a file where the folder should be
        self.assertRaises(OSError, self.cp._certificates.tls_files)
        self.cp.config = ChargePointConfig(
            url="wss://127.0.0.1:8443/openocpp", security_profile=2,
            password="0123456789abcdef", download_folder=self.cp.config.download_folder,
        )
        self.cp.ocpp_config.set("AuthorizationKey", "0123456789abcdef")
        self.cp.ocpp_config.set("SecurityProfile", "2")
        self.assertIsNotNone(self.cp._connection_service())
        self.cp.ocpp_config.set("SecurityProfile", "0")
