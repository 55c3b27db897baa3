"""
The charge point's private keys kept by a plugin's keeper
(L{openocpp.chargepoint.privatekeys}, the
C{openocpp_cp_private_key_keeper} hook): the database holds references,
never the keys (Security Whitepaper A02.FR.05); without a keeper the stack
keeps them as before; a keeper that fails is a log line, not a crash.
"""

import os
import sqlite3

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from twisted.logger import LogLevel, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from openocpp import hookimpl
from openocpp.chargepoint.interfaces import IPrivateKeyKeeper
from openocpp.chargepoint.privatekeys import KeyUnavailable, PrivateKeys
from tests.chargepoint.pki import Authority, pem
from tests.chargepoint.test_certificates import CertificateTestCase

_PEM = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"


@implementer(IPrivateKeyKeeper)
class MemoryKeeper:
    """
    Keeps keys in a dictionary (what a secure element would do), and
    records what it was asked.
    """

    def __init__(self):
        self.keys = {}
        self.forgotten = []
        self.loaded = []
        self.failing = False

    def keep(self, pem):
        if self.failing:
            raise OSError("secure element not answering")
        reference = f"element-slot-{len(self.keys)}"
        self.keys[reference] = pem
        return reference

    def load(self, reference):
        if self.failing:
            raise OSError("secure element not answering")
        self.loaded.append(reference)
        return self.keys[reference]

    def forget(self, reference):
        self.forgotten.append(reference)
        del self.keys[reference]


class KeeperPlugin:
    """
    Provides a keeper through the hook (C{None}: the stack keeps the keys).
    """

    def __init__(self, keeper):
        self.keeper = keeper

    @hookimpl
    def openocpp_cp_private_key_keeper(self, charge_point):
        return self.keeper


def capture_warnings(testcase):
    """
    @return: the list the warnings logged from now on are appended to.
    """
    seen = []

    def observe(event):
        if event.get("log_level") >= LogLevel.warn:
            seen.append(event)

    globalLogPublisher.addObserver(observe)
    testcase.addCleanup(globalLogPublisher.removeObserver, observe)
    return seen


class PrivateKeysTests(SynchronousTestCase):
    def test_without_keeper_the_pem_is_stored(self):
        keys = PrivateKeys(lambda: None)
        self.assertEqual(keys.keep(_PEM), _PEM)
        self.assertEqual(keys.load(_PEM), _PEM)
        keys.forget(_PEM)  # nothing to tell anyone

    def test_keeper_reference_stored_and_resolved(self):
        keeper = MemoryKeeper()
        keys = PrivateKeys(lambda: keeper)
        reference = keys.keep(_PEM)
        self.assertEqual(reference, "element-slot-0")
        self.assertEqual(keys.load(reference), _PEM)
        keys.forget(reference)
        self.assertEqual(keeper.forgotten, [reference])

    def test_pem_stored_before_a_keeper_still_read(self):
        """
        A key the stack kept before a keeper was registered stays usable.
        """
        keeper = MemoryKeeper()
        self.assertEqual(PrivateKeys(lambda: keeper).load(_PEM), _PEM)
        self.assertEqual(keeper.loaded, [])

    def test_a_pem_or_empty_reference_is_refused(self):
        """
        A02.FR.05: the database never holds the key, even if a keeper gives
        it back as its "reference".
        """
        class Echo(MemoryKeeper):
            def keep(self, pem):
                return pem

        warnings = capture_warnings(self)
        self.assertRaises(KeyUnavailable, PrivateKeys(lambda: Echo()).keep, _PEM)
        self.assertEqual(len(warnings), 1)

    def test_reference_without_keeper_unavailable(self):
        warnings = capture_warnings(self)
        self.assertIsNone(PrivateKeys(lambda: None).load("element-slot-0"))
        self.assertEqual(len(warnings), 1)
        self.assertIn("none is registered", warnings[0]["log_format"])

    def test_raising_keeper_unavailable(self):
        keeper = MemoryKeeper()
        keys = PrivateKeys(lambda: keeper)
        reference = keys.keep(_PEM)
        keeper.failing = True
        warnings = capture_warnings(self)
        self.assertIsNone(keys.load(reference))
        self.assertRaises(KeyUnavailable, keys.keep, _PEM)
        self.assertEqual(len(warnings), 2)

    def test_keeper_without_forget(self):
        class Minimal:
            def keep(self, pem):
                return "ref"

            def load(self, reference):
                return _PEM

        PrivateKeys(lambda: Minimal()).forget("ref")


class KeeperChargePointTests(CertificateTestCase):
    """
    A keeper registered in-process: SignCertificate and CertificateSigned
    store references; the TLS files get the key the keeper gives back.
    """

    def setUp(self):
        self.keeper = MemoryKeeper()
        self.database = os.path.abspath(self.mktemp())
        self.settings = {"database": self.database}
        super().setUp()

    def make_plugins(self):
        return [KeeperPlugin(self.keeper)]

    def stored_values(self):
        """
        What the SQLite file holds where keys go (read from the file).
        """
        self.cp.store.connection.commit()
        db = sqlite3.connect(self.database)
        self.addCleanup(db.close)
        meta = db.execute("SELECT value FROM meta WHERE key = 'certificate_signing_key'")
        rows = db.execute("SELECT private_key FROM certificates WHERE private_key IS NOT NULL")
        return [row[0] for row in meta], [row[0] for row in rows]

    def database_text(self):
        self.cp.store.connection.commit()
        with open(self.database, "rb") as handle:
            return handle.read()

    def sign(self):
        root = Authority("CS Root", self.now)
        self.install(root.pem)
        leaf = root.sign_csr(self.csr(), self.now)
        return leaf, self.signed(pem(leaf))

    def test_A02_FR_05_database_holds_only_references(self):
        """
        A02.FR.05: with a keeper the key of the CSR, then of the charge
        point certificate, is not in the SQLite file: a reference is.
        """
        self.csr()
        self.assertEqual(self.stored_values(), (['"element-slot-0"'], []))
        leaf, status = self.sign()
        self.assertEqual(status, "Accepted")
        self.assertEqual(self.stored_values(), (["null"], ["element-slot-1"]))
        key_body = self.keeper.keys["element-slot-1"].splitlines()[1].encode("ascii")
        self.assertNotIn(key_body, self.database_text())
        # The first CSR's key was replaced by the second's: forgotten.
        self.assertEqual(self.keeper.forgotten, ["element-slot-0"])

    def test_tls_files_get_the_key_the_keeper_gives_back(self):
        leaf, _ = self.sign()
        self.keeper.loaded.clear()
        _, cert_file, key_file = self.cp._certificates.tls_files()
        self.assertEqual(self.keeper.loaded, ["element-slot-0"])
        with open(key_file, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), None)
        self.assertEqual(key.public_key(), leaf.public_key())
        self.assertTrue(self.cp._certificates.key_from_keeper())

    def test_failing_keeper_no_csr_sent(self):
        """
        A keeper that cannot keep the new key: one log line, no CSR sent
        (the key would be lost), the charge point carries on.
        """
        self.keeper.failing = True
        warnings = capture_warnings(self)
        failure = self.failureResultOf(self.cp.sign_certificate(), KeyUnavailable)
        self.assertIn("secure element not answering", str(failure.value))
        self.cs.settle()
        self.assertEqual(self.cs.requests("SignCertificate"), [])
        self.assertEqual(len(warnings), 1)

    def test_failing_keeper_certificate_signed_rejected(self):
        """
        The CSR's key not available when its certificate comes: Rejected
        (A02.FR.07, an InvalidChargePointCertificate event), no crash.
        """
        root = Authority("CS Root", self.now)
        self.install(root.pem)
        leaf = root.sign_csr(self.csr(), self.now)
        self.keeper.failing = True
        self.assertEqual(self.signed(pem(leaf)), "Rejected")
        self.assertEqual(self.events.kinds(), ["InvalidChargePointCertificate"])

    def test_failing_keeper_certificate_not_presented(self):
        """
        The certificate's key not available when connecting: one log line,
        no certificate file (the configured one is used, as with none), and
        no switch to it is due (no reconnection loop).
        """
        self.sign()
        self.keeper.failing = True
        warnings = capture_warnings(self)
        ca_file, cert_file, key_file = self.cp._certificates.tls_files()
        self.assertIsNotNone(ca_file)
        self.assertEqual((cert_file, key_file), (None, None))
        self.assertEqual(len(warnings), 1)
        self.assertFalse(self.cp._certificates.choice.switch_due())
        # Back again at the next connection.
        self.keeper.failing = False
        self.assertIsNotNone(self.cp._certificates.tls_files()[1])

    def test_reference_without_keeper_not_presented(self):
        """
        The keeper's plugin is gone: the reference cannot be read; one log
        line, the certificate not presented.
        """
        self.sign()
        self.cp.plugins.unregister(self.plugins[0])
        warnings = capture_warnings(self)
        self.assertEqual(self.cp._certificates.tls_files()[1:], (None, None))
        self.assertEqual(len(warnings), 1)

    def test_removed_certificate_forgotten(self):
        """
        A certificate removed (an older one after the newer has worked):
        its key's reference is given to the keeper's C{forget}.
        """
        self.sign()
        row = self.cp._certificates._store.all("ChargePointCertificate")[0]
        self.cp._certificates._store.delete(row.row_id)
        self.assertIn(row.private_key, self.keeper.forgotten)
        self.assertNotIn(row.private_key, self.keeper.keys)


class NoKeeperTests(CertificateTestCase):
    def test_without_keeper_the_stack_keeps_the_pem(self):
        """
        No keeper registered: the key is in the database, as before.
        """
        root = Authority("CS Root", self.now)
        self.install(root.pem)
        leaf = root.sign_csr(self.csr(), self.now)
        self.assertEqual(self.signed(pem(leaf)), "Accepted")
        stored = self.cp._certificates._store.all("ChargePointCertificate")[0]
        self.assertTrue(stored.private_key.startswith("-----BEGIN PRIVATE KEY-----"))
        self.assertFalse(self.cp._certificates.key_from_keeper())
        self.assertIsInstance(x509.load_pem_x509_certificate(stored.pem.encode()), x509.Certificate)
