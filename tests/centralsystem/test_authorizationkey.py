"""
Tests of L{openocpp.centralsystem.authorizationkey}: the central system
adopts a charge point's new AuthorizationKey when the charge point accepts
it (Security Whitepaper use case A01), whoever sent it.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import TestCase

from openocpp.centralsystem.tap import CentralSystemOptions
from openocpp.messages import core
from openocpp.rpc.redaction import REDACTED
from openocpp.transport.errors import HandshakeFailed
from tests.centralsystem.fake_chargepoint import BOOT, CentralSystemMixin
from tests.web.api_client import ApiMixin

OLD = "00112233445566778899"
NEW = "aabbccddeeff00112233445566778899aabbccdd"
OTHER = "99887766554433221100ffeeddccbbaa"


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
        # A01.FR.02: sent as ChangeConfiguration of the AuthorizationKey.
        (sent,) = [each for each in cp.received if each.action == "ChangeConfiguration"]
        self.assertEqual((sent.key, sent.value), ("AuthorizationKey", NEW))
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
        A01.FR.02, A01.FR.03: once the charge point answers Accepted to the
        ChangeConfiguration of its AuthorizationKey, the new key is its
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


class KeyNotLoggedTests(ApiMixin, TestCase):
    """
    A01.FR.09: the central system puts no AuthorizationKey in clear text in
    its log, frame logging on.
    """

    timeout = 30

    def setUp(self):
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    def logged(self):
        """
        Every event so far: its formatted text, and its fields (what a
        JSON log file or a debugger shows).
        """
        return [f"{formatEvent(event)} {event!r}" for event in self.events]

    @inlineCallbacks
    def test_A01_FR_09_key_change_through_the_api_not_logged(self):
        """
        A01.FR.09: a key change sent through the API (accepted, then one
        too long for the schema, then one the charge point rejects) leaves
        no key in any log line, frame logging (C{log_frames}) included, nor
        in the API's answers; the frames themselves still carry it.
        """
        yield self.start(security_profile=1, log_frames=True)
        self.central.store.register_charge_point("CP1", password=OLD, security_profile=1)
        cp = yield self.connect("CP1", password=OLD, security_profile=1)
        yield cp.call(BOOT)
        path = "/api/v1/chargepoints/CP1/actions/ChangeConfiguration"
        accepted = yield self.post(path, {"key": "AuthorizationKey", "value": NEW})
        self.assertEqual(accepted.json, {"status": "Accepted"})
        long_key = "f0" * 251
        too_long = yield self.post(path, {"key": "AuthorizationKey", "value": long_key})
        self.assertEqual(too_long.status, 400)
        cp.answers["ChangeConfiguration"] = core.ChangeConfigurationResponse(status="Rejected")
        rejected = yield self.post(path, {"key": "authorizationkey", "value": OTHER})
        self.assertEqual(rejected.json, {"status": "Rejected"})
        yield cp.close()
        logged = self.logged()
        # The frame log is on: the frames are there, their keys are not.
        self.assertTrue(any('"AuthorizationKey"' in line and REDACTED in line for line in logged))
        for secret in (NEW, long_key, OTHER, OLD):
            self.assertEqual([line for line in logged if secret in line], [])
            self.assertNotIn(secret.encode("ascii"), too_long.body)
        self.assertIn(NEW, "".join(text for _, text in cp.frames))


class PendingOnKeyFailureTests(ApiMixin, TestCase):
    """
    A01.FR.05: a charge point that did not accept its new AuthorizationKey
    is still let in, and with C{--pending-on-key-failure} restricted to
    Pending until a new key is accepted.
    """

    timeout = 30

    @inlineCallbacks
    def boot(self, password):
        cp = yield self.connect("CP1", password=password, security_profile=1)
        answer = yield cp.call(BOOT)
        return cp, answer.status

    @inlineCallbacks
    def refuse_a_key(self, **settings):
        yield self.start(security_profile=1, **settings)
        self.central.store.register_charge_point("CP1", password=OLD, security_profile=1)
        cp, status = yield self.boot(OLD)
        self.assertEqual(status, "Accepted")
        cp.answers["ChangeConfiguration"] = core.ChangeConfigurationResponse(status="NotSupported")
        answer = yield self.post(
            "/api/v1/chargepoints/CP1/actions/ChangeConfiguration", {"key": "AuthorizationKey", "value": NEW}
        )
        self.assertEqual(answer.json, {"status": "NotSupported"})
        yield cp.close()
        shown = yield self.get("/api/v1/chargepoints/CP1")
        return shown.json["keyRefusal"]

    @inlineCallbacks
    def test_A01_FR_05_pending_until_a_key_is_accepted(self):
        """
        A01.FR.05: with C{pending_on_key_failure}, after a NotSupported the
        charge point still connects with its old key (A01.FR.04) but its
        BootNotification is answered Pending, the API saying why; the
        central system may send a new key while Pending, and once one is
        accepted the reason is gone and the next boot is Accepted.
        """
        refusal = yield self.refuse_a_key(pending_on_key_failure=True)
        self.assertIn("ChangeConfiguration(AuthorizationKey) answered NotSupported at ", refusal)
        cp, status = yield self.boot(OLD)
        self.assertEqual(status, "Pending")
        shown = yield self.get("/api/v1/chargepoints/CP1")
        self.assertEqual((shown.json["registrationStatus"], shown.json["keyRefusal"]), ("Pending", refusal))
        answer = yield self.post(
            "/api/v1/chargepoints/CP1/actions/ChangeConfiguration", {"key": "AuthorizationKey", "value": NEW}
        )
        self.assertEqual(answer.json, {"status": "Accepted"})
        yield cp.close()
        shown = yield self.get("/api/v1/chargepoints/CP1")
        self.assertIsNone(shown.json["keyRefusal"])
        cp, status = yield self.boot(NEW)
        self.assertEqual(status, "Accepted")

    @inlineCallbacks
    def test_refusal_shown_but_not_restricting_by_default(self):
        """
        A01.FR.05 is the operator's choice: without the option the refusal
        is shown and the next boot is Accepted.
        """
        refusal = yield self.refuse_a_key()
        self.assertIn("answered NotSupported", refusal)
        cp, status = yield self.boot(OLD)
        self.assertEqual(status, "Accepted")

    def test_option(self):
        """
        C{--pending-on-key-failure} sets C{pending_on_key_failure}, off by
        default.
        """
        options = CentralSystemOptions()
        options.parseOptions([])
        self.assertFalse(options.config.pending_on_key_failure)
        options = CentralSystemOptions()
        options.parseOptions(["--pending-on-key-failure"])
        self.assertTrue(options.config.pending_on_key_failure)
