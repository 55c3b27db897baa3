"""
ExtendedTriggerMessage (Security Whitepaper edition 2, 5.5 and 5.6), on a
L{Clock} against the scripted central system.
"""

from openocpp.messages import ExtendedTriggerMessageRequest
from openocpp.messages.enums import MessageTriggerEnumType, TriggerMessageStatusEnumType
from tests.chargepoint.fake_centralsystem import ChargePointTestCase

ACCEPTED = TriggerMessageStatusEnumType.ACCEPTED
REJECTED = TriggerMessageStatusEnumType.REJECTED


class ExtendedTriggerTests(ChargePointTestCase):
    def trigger(self, message, connector=None):
        answer = self.successResultOf(self.cs.call(ExtendedTriggerMessageRequest(
            requested_message=message, connector_id=connector
        )))
        self.cs.settle()
        return answer.status

    def test_core_messages(self):
        """
        Heartbeat, StatusNotification, MeterValues and
        FirmwareStatusNotification are sent as TriggerMessage sends them.
        """
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTriggerEnumType.HEARTBEAT), ACCEPTED)
        self.assertEqual(self.trigger(MessageTriggerEnumType.STATUS_NOTIFICATION, 1), ACCEPTED)
        self.assertEqual(self.trigger(MessageTriggerEnumType.METER_VALUES, 1), ACCEPTED)
        self.assertEqual(self.trigger(MessageTriggerEnumType.FIRMWARE_STATUS_NOTIFICATION), ACCEPTED)
        self.assertEqual(
            self.cs.actions(),
            ["Heartbeat", "StatusNotification", "MeterValues", "FirmwareStatusNotification"],
        )
        self.assertEqual(self.cs.requests("StatusNotification")[0].connector_id, 1)

    def test_bad_connector_and_boot_once_accepted_rejected(self):
        """
        A connector that does not exist, and BootNotification once
        accepted (errata 3.35), are Rejected, as with TriggerMessage.
        """
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTriggerEnumType.STATUS_NOTIFICATION, 9), REJECTED)
        self.assertEqual(self.trigger(MessageTriggerEnumType.BOOT_NOTIFICATION), REJECTED)
        self.assertEqual(self.cs.actions(), [])

    def test_boot_notification_while_pending(self):
        """
        While Pending, BootNotification may be triggered.
        """
        from openocpp.messages import BootNotificationResponse
        from openocpp.messages.enums import RegistrationStatus

        self.cs.answers["BootNotification"] = lambda r: BootNotificationResponse(
            status=RegistrationStatus.PENDING, current_time=self.cs.now(), interval=600
        )
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTriggerEnumType.BOOT_NOTIFICATION), ACCEPTED)
        self.assertEqual(self.cs.actions(), ["BootNotification"])

    def test_log_status_idle_without_request_id(self):
        """
        N01.FR.12: no upload running: LogStatusNotification Idle, without a
        requestId.
        """
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTriggerEnumType.LOG_STATUS_NOTIFICATION), ACCEPTED)
        (request,) = self.cs.requests("LogStatusNotification")
        self.assertEqual((request.status, request.request_id), ("Idle", None))

    def test_sign_certificate_rejected_without_certificates(self):
        """
        No certificates part to make a CSR: Rejected; with one (the charge
        point's own), Accepted and it is asked after the answer.
        """
        self.boot_and_clear()
        self.cp._extended_trigger.sign_certificate = None
        self.assertEqual(
            self.trigger(MessageTriggerEnumType.SIGN_CHARGE_POINT_CERTIFICATE), REJECTED
        )
        asked = []
        self.cp._extended_trigger.sign_certificate = lambda: asked.append(True)
        self.assertEqual(
            self.trigger(MessageTriggerEnumType.SIGN_CHARGE_POINT_CERTIFICATE), ACCEPTED
        )
        self.assertEqual(asked, [True])
