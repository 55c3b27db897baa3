"""
Security events and the security log (Security Whitepaper edition 2, use
case A04, N01.FR.05 and chapter 8), on a scripted central system and a
L{Clock}.
"""

import csv
import io
from datetime import datetime, timezone

from twisted.internet.defer import Deferred

from openocpp.chargepoint.securityevents import CRITICAL
from openocpp.hookspecs import hookimpl
from openocpp.messages import ChangeConfigurationRequest
from openocpp.messages.enums import ConfigurationStatus
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from tests.chargepoint.fake_centralsystem import ChargePointTestCase

KEY = "0123456789abcdef0123"


class Recorder:
    """
    A plugin recording the security events it is told.
    """

    def __init__(self):
        self.events = []

    @hookimpl
    def openocpp_cp_security_event(self, charge_point, kind, tech_info, critical, timestamp):
        self.events.append((kind, tech_info, critical))


class SecurityEventTests(ChargePointTestCase):
    def make_plugins(self):
        self.recorder = Recorder()
        return [self.recorder]

    def logged(self):
        return [(kind, tech_info) for _, kind, tech_info, _ in self.cp._security_log.entries()]

    def sent(self):
        return [(r.type, r.tech_info) for r in self.cs.security_events]

    def test_table_of_the_whitepaper(self):
        """
        Chapter 8's table: eighteen events, the critical ones pushed.
        """
        self.assertEqual(len(CRITICAL), 18)
        self.assertEqual(
            sorted(kind for kind, critical in CRITICAL.items() if critical),
            ["FirmwareUpdated", "MemoryExhaustion", "ResetOrReboot", "SecurityLogWasCleared",
             "SettingSystemTime", "StartupOfTheDevice", "TamperDetectionActivated"],
        )

    def test_startup_logged_and_sent_once_accepted(self):
        """
        A04.FR.01, A04.FR.04: StartupOfTheDevice is critical: logged at the
        start, and sent with SecurityEventNotification.req once the central
        system accepted the charge point; the time the BootNotification.conf
        set is a SettingSystemTime event, sent too.
        """
        self.cp.startService()
        self.addCleanup(self._stop)
        self.assertEqual(self.logged(), [("StartupOfTheDevice", None)])
        self.assertEqual(self.cp.store.queued()[0].action, "SecurityEventNotification")
        self.cs.connect(self.cp)
        self.assertEqual(
            [kind for kind, _ in self.sent()], ["StartupOfTheDevice", "SettingSystemTime"]
        )
        self.assertEqual([kind for kind, _ in self.logged()], ["StartupOfTheDevice", "SettingSystemTime"])
        self.assertEqual(self.cp.store.queue_length(), 0)
        self.assertEqual(self.cs.security_events[0].timestamp, datetime.fromtimestamp(0, timezone.utc))

    def test_critical_event_offline_is_delivered_after_reconnection(self):
        """
        A04.FR.02: a critical event raised while disconnected waits in the
        persistent queue and is delivered once the charge point is back.
        """
        self.boot_and_clear()
        self.cs.disconnect()
        self.cp.security_event("TamperDetectionActivated", "lid opened")
        self.assertEqual(self.sent()[-1][0], "SettingSystemTime")
        self.assertEqual([m.action for m in self.cp.store.queued()], ["SecurityEventNotification"])
        self.cs.connect(self.cp)
        self.assertEqual(self.sent()[-1], ("TamperDetectionActivated", "lid opened"))
        self.assertEqual(self.cp.store.queue_length(), 0)

    def test_critical_event_survives_a_restart(self):
        """
        A04.FR.02: the queue is in the SQLite file: stopped before it was
        sent, the event goes after the next boot.
        """
        self.boot_and_clear()
        self.cs.disconnect()
        self.cp.security_event("MemoryExhaustion", "flash 98% full")
        self.successResultOf(self.cp.stopService())
        self.cp.startService()
        self.cs.connect(self.cp)
        kinds = [kind for kind, _ in self.sent()]
        self.assertIn("MemoryExhaustion", kinds)
        self.assertEqual(kinds.count("MemoryExhaustion"), 1)

    def test_not_critical_event_is_logged_not_sent(self):
        """
        A04.FR.04, N01.FR.05: every event is logged in the security log,
        also the ones not critical, which are not sent (InvalidMessages is
        not critical).
        """
        self.boot_and_clear()
        before = len(self.sent())
        self.cp.security_event("InvalidMessages", "bad frame")
        self.assertEqual(len(self.sent()), before)
        self.assertEqual(self.logged()[-1], ("InvalidMessages", "bad frame"))
        self.assertEqual(self.recorder.events[-1], ("InvalidMessages", "bad frame", False))

    def test_application_sets_the_criticality(self):
        """
        The application's own events (unknown types: not critical) and an
        overriding C{critical}.
        """
        self.boot_and_clear()
        self.cp.security_event("DoorForcedOpen", "door 2", critical=True)
        self.cp.security_event("TamperDetectionActivated", "test button", critical=False)
        self.cp.security_event("VendorNotice")
        self.cs.settle()
        self.assertEqual(self.sent()[-1], ("DoorForcedOpen", "door 2"))
        self.assertEqual(
            [kind for kind, _ in self.logged()][-3:],
            ["DoorForcedOpen", "TamperDetectionActivated", "VendorNotice"],
        )

    def test_bad_event_type_is_refused(self):
        """
        A type of 1 to 50 characters (SecurityEventNotification.req's
        CiString50 type); techInfo is cut to its 255 characters.
        """
        self.boot_and_clear()
        self.assertRaises(ValueError, self.cp.security_event, "")
        self.assertRaises(ValueError, self.cp.security_event, "x" * 51)
        self.cp.security_event("TamperDetectionActivated", "y" * 300)
        self.cs.settle()
        self.assertEqual(len(self.sent()[-1][1]), 255)

    def test_reset_or_reboot(self):
        """
        A restart (Reset, a firmware's reboot) raises ResetOrReboot, then
        StartupOfTheDevice.
        """
        self.boot_and_clear()
        self.successResultOf(self.cp.restart())
        self.cs.connect(self.cp)
        # (The time the new BootNotification.conf gives is the one kept:
        # no SettingSystemTime.)
        kinds = [kind for kind, _ in self.logged()]
        self.assertEqual(kinds[-2:], ["ResetOrReboot", "StartupOfTheDevice"])
        # Sent at least once each (one sent as the restart cut the
        # connection goes again after it).
        sent = [kind for kind, _ in self.sent()]
        self.assertEqual(sent[-2:], ["ResetOrReboot", "StartupOfTheDevice"])
        self.assertEqual(self.cp.store.queue_length(), 0)

    def test_authorization_key_change_is_logged_without_the_key(self):
        """
        A01.FR.01: the key is stored in the configuration key
        AuthorizationKey; A01.FR.11: the change is in the security log
        (ReconfigurationOfSecurityParameters, not critical); A01.FR.12: its
        content is not, nor in the charge point's log.
        """
        self.boot_and_clear()
        answer = self.cs.call(ChangeConfigurationRequest(key="AuthorizationKey", value=KEY))
        self.cs.settle()
        self.assertEqual(self.successResultOf(answer).status, ConfigurationStatus.ACCEPTED)
        self.assertEqual(
            self.logged()[-1],
            ("ReconfigurationOfSecurityParameters", "AuthorizationKey changed to (hidden)"),
        )
        self.assertNotIn(KEY, self.cp._security_log.csv())
        self.assertEqual(self.cp.ocpp_config.get("AuthorizationKey"), KEY)

    def test_security_log_was_cleared(self):
        """
        Resetting the charge point's data empties the security log, and
        that is a (critical) SecurityLogWasCleared event, sent after the
        next boot.
        """
        self.boot_and_clear()
        self.cp.security_event("InvalidMessages")
        self.successResultOf(self.cp.stopService())
        self.successResultOf(self.cp.reset_data())
        self.assertEqual(self.logged(), [("SecurityLogWasCleared", "charge point data reset")])
        self.cp.startService()
        self.cs.connect(self.cp)
        self.assertIn("SecurityLogWasCleared", [kind for kind, _ in self.sent()])

    def test_invalid_messages(self):
        """
        A frame that is no valid OCPP message (malformed, or a CALL breaking
        its schema) is an InvalidMessages event (not critical: logged).
        """
        self.boot_and_clear()
        self.cs.link.handler.text_received('[2, "x1", "Reset", {"type": "Sometimes"}]')
        self.cs.link.handler.text_received("not json")
        self.cs.settle()
        kinds = [kind for kind, _ in self.logged()]
        self.assertEqual(kinds[-2:], ["InvalidMessages", "InvalidMessages"])
        self.assertIn("Reset", self.logged()[-2][1])

    def test_central_system_without_security_events(self):
        """
        A central system answering CALLERROR NotImplemented: the event is
        dropped at once, not retried ahead of the transaction messages.
        """
        self.boot_and_clear()

        def refuse(request):
            raise CallError(ErrorCode.NOT_IMPLEMENTED, "no security extension")

        self.cs.answers["SecurityEventNotification"] = refuse
        self.cp.security_event("TamperDetectionActivated")
        self.cs.settle()
        self.assertEqual(self.cp.store.queue_length(), 0)
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.cs.actions()[-1], "StartTransaction")

    def test_unanswered_notification_does_not_hold_the_log(self):
        """
        The log is written at once, whatever the central system does with
        the notification.
        """
        self.boot_and_clear()
        self.cs.answers["SecurityEventNotification"] = lambda r: Deferred()
        self.cp.security_event("TamperDetectionActivated")
        self.assertEqual(self.logged()[-1][0], "TamperDetectionActivated")


class SecurityLogTests(ChargePointTestCase):
    def make_plugins(self):
        self.recorder = Recorder()
        return [self.recorder]

    def test_circular_log_keeps_the_last_entries(self):
        """
        A04.FR.04 ("in a rolling format"): at most
        SecurityLogMaxEntriesCount entries, the oldest dropped first.
        """
        self.cp.ocpp_config.set("SecurityLogMaxEntriesCount", "3")
        self.boot_and_clear()
        for n in range(5):
            self.cp.security_event("InvalidMessages", f"frame {n}")
        entries = self.cp._security_log.entries()
        self.assertEqual([tech for _, _, tech, _ in entries], ["frame 2", "frame 3", "frame 4"])

    def test_no_log_kept_with_zero_entries(self):
        """
        SecurityLogMaxEntriesCount 0: the stack keeps nothing; the
        application is told each event (C{openocpp_cp_security_event}), and
        critical ones are still sent.
        """
        self.cp.ocpp_config.set("SecurityLogMaxEntriesCount", "0")
        self.boot_and_clear()
        self.cp.security_event("TamperDetectionActivated", "lid")
        self.cs.settle()
        self.assertEqual(self.cp._security_log.count(), 0)
        self.assertIn(("TamperDetectionActivated", "lid", True), self.recorder.events)
        self.assertEqual(self.cs.security_events[-1].type, "TamperDetectionActivated")

    def test_csv_within_a_time_window(self):
        """
        The log as CSV (a header, one line per entry, RFC 3339 times),
        within a time window.
        """
        self.boot_and_clear()
        self.cs.advance(100)
        self.cp.security_event("InvalidMessages", 'a "quoted", text')
        self.cs.advance(100)
        self.cp.security_event("TamperDetectionActivated")
        log = self.cp._security_log
        rows = list(csv.reader(io.StringIO(log.csv())))
        self.assertEqual(rows[0], ["timestamp", "type", "techInfo", "critical"])
        self.assertEqual(rows[-2][1:], ["InvalidMessages", 'a "quoted", text', "false"])
        self.assertEqual(rows[-1][1:], ["TamperDetectionActivated", "", "true"])
        now = self.cp.now().timestamp()
        window = list(csv.reader(io.StringIO(log.csv(
            oldest=datetime.fromtimestamp(now - 150, timezone.utc),
            latest=datetime.fromtimestamp(now - 50, timezone.utc),
        ))))
        self.assertEqual([row[1] for row in window[1:]], ["InvalidMessages"])
