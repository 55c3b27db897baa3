"""
Tests of L{openocpp.centralsystem.authorizationkey}: the central system
adopts a charge point's new AuthorizationKey when the charge point accepts
it (Security Whitepaper use case A01), whoever sent it.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from openocpp.transport.errors import HandshakeFailed
from tests.centralsystem.fake_chargepoint import BOOT, CentralSystemMixin

OLD = "00112233445566778899"
NEW = "aabbccddeeff00112233445566778899aabbccdd"


class AuthorizationKeyTests(CentralSystemMixin, TestCase):
    """
    On loopback at profile 1.
    """

    timeout = 30

    @inlineCallbacks
    def change_key(self, status):
        yield self.start_central_system(security_profile=1)
        self.central.store.register_charge_point("CP1", password=OLD, security_profile=1)
        cp = yield self.connect("CP1", password=OLD, security_profile=1)
        cp.answers["ChangeConfiguration"] = core.ChangeConfigurationResponse(status=status)
        yield cp.call(BOOT)
        proxy = self.central.charge_point("CP1")
        answer = yield proxy.change_configuration("AuthorizationKey", NEW)
        self.assertEqual(answer.status, status)
        yield self.central.store.when_committed(None)
        yield cp.close()

    @inlineCallbacks
    def assert_key(self, good, bad):
        cp = yield self.connect("CP1", password=good, security_profile=1)
        self.assertTrue(cp.connection.open)
        yield cp.close()
        failed = yield self.assertFailure(self.connect("CP1", password=bad, security_profile=1), HandshakeFailed)
        self.assertEqual(failed.status, 401)

    @inlineCallbacks
    def test_accepted_key_adopted_and_old_refused(self):
        """
        A01.FR.03: once the charge point answers Accepted, the new key is its
        password (stored hashed, A01.FR.08) and the old one is refused.
        """
        yield self.change_key("Accepted")
        record = self.central.store.charge_point_credentials("CP1")
        self.assertTrue(record.password_hash.startswith("pbkdf2_sha256$"))
        self.assertNotIn(NEW, record.password_hash)
        yield self.assert_key(NEW, OLD)

    @inlineCallbacks
    def test_reboot_required_key_adopted(self):
        """
        RebootRequired: the charge point uses the new key after its reboot,
        so the central system adopts it too.
        """
        yield self.change_key("RebootRequired")
        yield self.assert_key(NEW, OLD)

    @inlineCallbacks
    def test_rejected_key_not_adopted(self):
        """
        A01.FR.04: Rejected or NotSupported keep the old key.
        """
        yield self.change_key("Rejected")
        yield self.assert_key(OLD, NEW)

    @inlineCallbacks
    def test_not_supported_key_not_adopted(self):
        """
        A01.FR.04: NotSupported keeps the old key.
        """
        yield self.change_key("NotSupported")
        yield self.assert_key(OLD, NEW)

    @inlineCallbacks
    def test_other_keys_do_not_change_the_password(self):
        """
        Only AuthorizationKey changes the password.
        """
        yield self.start_central_system(security_profile=1)
        self.central.store.register_charge_point("CP1", password=OLD, security_profile=1)
        cp = yield self.connect("CP1", password=OLD, security_profile=1)
        cp.answers["ChangeConfiguration"] = core.ChangeConfigurationResponse(status="Accepted")
        yield cp.call(BOOT)
        yield self.central.charge_point("CP1").change_configuration("HeartbeatInterval", NEW)
        yield cp.close()
        yield self.assert_key(OLD, NEW)
