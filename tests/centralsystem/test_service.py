"""
Tests for the Central System role, over real loopback WebSockets with a
scripted test charge point (L{tests.centralsystem.fake_chargepoint}).
"""

import os
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from twisted.internet.defer import gatherResults, inlineCallbacks
from twisted.internet.task import Clock
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

from openocpp import hookimpl
from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.handler import HookEventsHandler, HookRequestHandler
from openocpp.centralsystem.interfaces import (
    ICentralSystem,
    ICentralSystemConfig,
    ICentralSystemEventsHandler,
    IChargePointProxy,
    IChargePointRequestHandler,
)
from openocpp.centralsystem.service import CentralSystem
from openocpp.centralsystem.tap import CentralSystemOptions, make_service
from openocpp.messages import core, security
from openocpp.messages.datatypes import (
    AuthorizationData,
    CertificateHashData,
    ChargingProfile,
    ChargingSchedule,
    ChargingSchedulePeriod,
    Firmware,
    IdTagInfo,
    LogParameters,
    MeterValue,
    SampledValue,
)
from openocpp.messages.errors import ErrorCode
from openocpp.plugins import make_plugin_manager
from openocpp.rpc.errors import CallError, ConnectionLost
from openocpp.transport.errors import HandshakeFailed
from tests.centralsystem.fake_chargepoint import BOOT, NOW, CentralSystemMixin, TestChargePoint, when_disconnected
from tests.centralsystem.stores import PostgreSQLCentralSystemMixin
from tests.plugins.fake_distribution import install_distribution
from tests.transport.loopback import unsent_bytes

class FullSessionTests(CentralSystemMixin, TestCase):
    """
    A charge point's whole day, stored in SQLite.
    """

    def setUp(self):
        return self.start_central_system()

    @inlineCallbacks
    def test_session(self):
        """
        Boot, status, authorize, start, meter values, stop and heartbeat
        are answered per the spec and land in the SQLite file.
        """
        self.central.store.set_id_tag("TAG1", parent_id_tag="GROUP")
        cp = yield self.connect()
        boot = yield cp.call(BOOT)
        self.assertEqual(boot.status, "Accepted")
        self.assertEqual(boot.interval, 300)

        yield cp.call(
            core.StatusNotificationRequest(
                connector_id=1, status="Preparing", error_code="NoError", timestamp=NOW
            )
        )
        authorized = yield cp.call(core.AuthorizeRequest(id_tag="TAG1"))
        self.assertEqual(authorized.id_tag_info, IdTagInfo(status="Accepted", parent_id_tag="GROUP"))

        started = yield cp.call(
            core.StartTransactionRequest(connector_id=1, id_tag="TAG1", meter_start=1000, timestamp=NOW)
        )
        self.assertEqual(started.id_tag_info.status, "Accepted")
        transaction_id = started.transaction_id

        yield cp.call(
            core.MeterValuesRequest(
                connector_id=1,
                transaction_id=transaction_id,
                meter_value=[
                    MeterValue(
                        timestamp=NOW + timedelta(minutes=1),
                        sampled_value=[
                            SampledValue(value="1500", measurand="Energy.Active.Import.Register", unit="Wh"),
                            SampledValue(value="16.0", measurand="Current.Import", phase="L1", unit="A"),
                        ],
                    )
                ],
            )
        )
        stopped = yield cp.call(
            core.StopTransactionRequest(
                transaction_id=transaction_id,
                id_tag="TAG1",
                meter_stop=2500,
                timestamp=NOW + timedelta(minutes=2),
                reason="Local",
                transaction_data=[
                    MeterValue(
                        timestamp=NOW + timedelta(minutes=2),
                        sampled_value=[SampledValue(value="2500", context="Transaction.End")],
                    )
                ],
            )
        )
        self.assertEqual(stopped.id_tag_info.status, "Accepted")
        heartbeat = yield cp.call(core.HeartbeatRequest())
        self.assertLess(abs(heartbeat.current_time - datetime.now(timezone.utc)), timedelta(seconds=5))

        (charge_point,) = self.rows("SELECT * FROM charge_points")
        self.assertEqual(
            (charge_point["identity"], charge_point["vendor"], charge_point["model"], charge_point["firmware_version"]),
            ("CP1", "Acme", "Volt-22", "1.2.3"),
        )
        self.assertEqual(charge_point["registration_status"], "Accepted")
        (connector,) = self.rows("SELECT * FROM connectors")
        self.assertEqual((connector["connector_id"], connector["status"]), (1, "Preparing"))
        (transaction,) = self.rows("SELECT * FROM transactions")
        self.assertEqual(transaction["id"], transaction_id)
        self.assertEqual(
            (transaction["meter_start"], transaction["meter_stop"], transaction["stop_reason"]),
            (1000, 2500, "Local"),
        )
        self.assertEqual(transaction["start_timestamp"], "2026-11-25T08:00:00.000Z")
        values = self.rows("SELECT value, measurand, phase FROM meter_values WHERE transaction_id = ? ORDER BY id", transaction_id)
        self.assertEqual(
            [(v["value"], v["measurand"], v["phase"]) for v in values],
            [("1500", "Energy.Active.Import.Register", None), ("16.0", "Current.Import", "L1"), ("2500", None, None)],
        )
        self.assertEqual(len(self.rows("SELECT * FROM status_history")), 1)

    @inlineCallbacks
    def test_id_tag_statuses(self):
        """
        Unknown tags are Invalid, blocked ones Blocked, and accepted ones
        past their expiry date Expired.
        """
        store = self.central.store
        store.set_id_tag("BLOCKED", status="Blocked")
        store.set_id_tag("OLD", expiry_date=datetime(2020, 1, 1, tzinfo=timezone.utc))
        store.set_id_tag("GOOD", expiry_date=datetime(2099, 1, 1, tzinfo=timezone.utc))
        cp = yield self.connect()
        yield cp.call(BOOT)
        answers = {}
        for tag in ("BLOCKED", "OLD", "GOOD", "NOBODY"):
            response = yield cp.call(core.AuthorizeRequest(id_tag=tag))
            answers[tag] = str(response.id_tag_info.status)
        self.assertEqual(answers, {"BLOCKED": "Blocked", "OLD": "Expired", "GOOD": "Accepted", "NOBODY": "Invalid"})

    @inlineCallbacks
    def test_duplicate_start_transaction(self):
        """
        The same StartTransaction sent twice (after a lost answer) gets the
        same transaction id; a different one gets a new id.
        """
        cp = yield self.connect()
        yield cp.call(BOOT)
        request = core.StartTransactionRequest(connector_id=2, id_tag="T", meter_start=5, timestamp=NOW)
        first = yield cp.call(request)
        again = yield cp.call(request)
        other = yield cp.call(
            core.StartTransactionRequest(connector_id=2, id_tag="T", meter_start=6, timestamp=NOW)
        )
        self.assertEqual(first.transaction_id, again.transaction_id)
        self.assertNotEqual(first.transaction_id, other.transaction_id)
        self.assertEqual(len(self.rows("SELECT * FROM transactions")), 2)

    @inlineCallbacks
    def test_unknown_transaction_stop(self):
        """
        A StopTransaction for a transaction the central system does not know
        is still acknowledged (the charge point must not retry it forever).
        """
        cp = yield self.connect()
        yield cp.call(BOOT)
        response = yield cp.call(
            core.StopTransactionRequest(transaction_id=999, meter_stop=1, timestamp=NOW)
        )
        self.assertIsNone(response.id_tag_info)

    @inlineCallbacks
    def test_reports_stored(self):
        """
        Security events, DataTransfers and firmware/diagnostics/log status
        notifications are stored; DataTransfer answers UnknownVendorId, and
        SignCertificate is rejected without a certificate authority.
        """
        cp = yield self.connect()
        yield cp.call(BOOT)
        yield cp.call(security.SecurityEventNotificationRequest(type="TamperDetectionActivated", timestamp=NOW, tech_info="lid"))
        transfer = yield cp.call(core.DataTransferRequest(vendor_id="com.acme", message_id="x", data="1"))
        self.assertEqual(transfer.status, "UnknownVendorId")
        yield cp.call(core.FirmwareStatusNotificationRequest(status="Downloading"))
        yield cp.call(core.DiagnosticsStatusNotificationRequest(status="Uploaded"))
        yield cp.call(security.LogStatusNotificationRequest(status="Uploading", request_id=7))
        yield cp.call(security.SignedFirmwareStatusNotificationRequest(status="Installed", request_id=8))
        signed = yield cp.call(security.SignCertificateRequest(csr="-----BEGIN CERTIFICATE REQUEST-----"))
        self.assertEqual(signed.status, "Rejected")
        self.assertEqual(
            [(e["type"], e["tech_info"]) for e in self.rows("SELECT * FROM security_events")],
            [("TamperDetectionActivated", "lid")],
        )
        self.assertEqual([d["vendor_id"] for d in self.rows("SELECT * FROM data_transfers")], ["com.acme"])
        self.assertEqual(
            [(r["kind"], r["status"], r["request_id"]) for r in self.rows("SELECT * FROM status_reports ORDER BY id")],
            [
                ("FirmwareStatusNotification", "Downloading", None),
                ("DiagnosticsStatusNotification", "Uploaded", None),
                ("LogStatusNotification", "Uploading", 7),
                ("SignedFirmwareStatusNotification", "Installed", 8),
            ],
        )

    @inlineCallbacks
    def test_frames_logged(self):
        """
        With C{log_frames} on (C{--log-frames}), every OCPP message in and
        out is logged, one structured debug event each, carrying the frame's
        text and its direction.
        """
        from twisted.logger import LogLevel, globalLogPublisher

        self.config.log_frames = True  # read by each new connection
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        cp = yield self.connect()
        yield cp.call(BOOT)
        frames = [
            (event["direction"], event["text"])
            for event in events
            if event.get("log_level") == LogLevel.debug and "text" in event and "direction" in event
            and "CentralSystem" in repr(event.get("log_source"))
        ]
        directions = [direction for direction, _ in frames]
        self.assertIn("in", directions)
        self.assertIn("out", directions)
        self.assertTrue(any('"BootNotification"' in text for direction, text in frames if direction == "in"))
        self.assertTrue(any(text.startswith("[3,") for direction, text in frames if direction == "out"))

    @inlineCallbacks
    def test_reset_data(self):
        """
        C{reset_data} clears every record.
        """
        cp = yield self.connect()
        yield cp.call(BOOT)
        self.central.reset_data()
        self.assertEqual(self.rows("SELECT * FROM charge_points"), [])


class PostgreSQLFullSessionTests(PostgreSQLCentralSystemMixin, FullSessionTests):
    """
    The same sessions with the central system on the PostgreSQL store
    (C{--store}): boot, Authorize, StartTransaction, MeterValues,
    StopTransaction, each answered once committed there.
    """


class OperationsTests(CentralSystemMixin, TestCase):
    """
    Every operation a central system may ask of a charge point, through its
    proxy.
    """

    def setUp(self):
        return self.start_central_system()

    @inlineCallbacks
    def test_every_operation(self):
        """
        Each of the 26 central-system-initiated operations sends a valid
        request (checked by the test charge point against the official
        schemas) and returns the charge point's typed response.
        """
        cp = yield self.connect()
        proxy = yield self.central.when_connected("CP1")
        profile = ChargingProfile(
            charging_profile_id=1,
            stack_level=0,
            charging_profile_purpose="TxDefaultProfile",
            charging_profile_kind="Absolute",
            charging_schedule=ChargingSchedule(
                charging_rate_unit="W",
                charging_schedule_period=[ChargingSchedulePeriod(start_period=0, limit=11000.0)],
            ),
        )
        # RemoteStartTransaction takes a TxProfile only (section 5.11).
        tx_profile = replace(profile, charging_profile_purpose="TxProfile")
        hash_data = CertificateHashData(
            hash_algorithm="SHA256", issuer_name_hash="ab", issuer_key_hash="cd", serial_number="01"
        )
        calls = [
            ("ChangeAvailability", proxy.change_availability(0, "Inoperative")),
            ("ChangeConfiguration", proxy.change_configuration("HeartbeatInterval", "60")),
            ("ClearCache", proxy.clear_cache()),
            ("ClearChargingProfile", proxy.clear_charging_profile(id=1)),
            ("DataTransfer", proxy.data_transfer("com.acme", "ping", "1")),
            ("GetCompositeSchedule", proxy.get_composite_schedule(1, 3600, "A")),
            ("GetConfiguration", proxy.get_configuration(["HeartbeatInterval", "Nope"])),
            ("GetDiagnostics", proxy.get_diagnostics("ftp://example.com/diag", retries=2, start_time=NOW)),
            ("GetLocalListVersion", proxy.get_local_list_version()),
            ("RemoteStartTransaction", proxy.remote_start_transaction("TAG1", connector_id=1, charging_profile=tx_profile)),
            ("RemoteStopTransaction", proxy.remote_stop_transaction(42)),
            ("ReserveNow", proxy.reserve_now(1, NOW, "TAG1", 5)),
            ("CancelReservation", proxy.cancel_reservation(5)),
            ("Reset", proxy.reset("Soft")),
            ("SendLocalList", proxy.send_local_list(3, "Full", [AuthorizationData(id_tag="TAG1", id_tag_info=IdTagInfo(status="Accepted"))])),
            ("SetChargingProfile", proxy.set_charging_profile(1, profile)),
            ("TriggerMessage", proxy.trigger_message("StatusNotification", connector_id=1)),
            ("UnlockConnector", proxy.unlock_connector(1)),
            ("UpdateFirmware", proxy.update_firmware("https://example.com/fw.bin", NOW)),
            ("CertificateSigned", proxy.certificate_signed("-----BEGIN CERTIFICATE-----")),
            ("DeleteCertificate", proxy.delete_certificate(hash_data)),
            ("ExtendedTriggerMessage", proxy.extended_trigger_message("SignChargePointCertificate")),
            ("GetInstalledCertificateIds", proxy.get_installed_certificate_ids("CentralSystemRootCertificate")),
            ("GetLog", proxy.get_log("SecurityLog", 1, LogParameters(remote_location="https://example.com/logs"))),
            ("InstallCertificate", proxy.install_certificate("CentralSystemRootCertificate", "-----BEGIN CERTIFICATE-----")),
            (
                "SignedUpdateFirmware",
                proxy.signed_update_firmware(
                    2,
                    Firmware(
                        location="https://example.com/fw.bin",
                        retrieve_date_time=NOW,
                        signing_certificate="-----BEGIN CERTIFICATE-----",
                        signature="c2ln",
                    ),
                ),
            ),
        ]
        self.assertEqual(len(calls), 26)
        responses = yield gatherResults([d for _, d in calls])
        for (action, _), response in zip(calls, responses):
            self.assertEqual(response, cp.answers[action], action)
        self.assertEqual([type(r).__name__ for r in cp.received], [a + "Request" for a, _ in calls])
        self.assertEqual(cp.received[9].charging_profile, tx_profile)

    @inlineCallbacks
    def test_call_error_reaches_caller(self):
        """
        A CALLERROR from the charge point fails the proxy's Deferred with
        L{CallError}.
        """
        cp = yield self.connect()
        cp.answers["Reset"] = CallError(ErrorCode.SECURITY_ERROR, "not now")
        proxy = yield self.central.when_connected("CP1")
        error = yield self.assertFailure(proxy.reset("Hard"), CallError)
        self.assertEqual(error.code, ErrorCode.SECURITY_ERROR)
        self.assertEqual(error.description, "not now")

    @inlineCallbacks
    def test_proxy_after_disconnect(self):
        """
        A proxy does not outlive its connection: it says so, and its calls
        fail with L{ConnectionLost}.
        """
        cp = yield self.connect()
        proxy = yield self.central.when_connected("CP1")
        gone = when_disconnected(self.central, "CP1")
        yield cp.close()
        yield gone
        self.assertFalse(proxy.connected)
        self.assertEqual(self.central.charge_points(), [])
        self.assertRaises(KeyError, self.central.charge_point, "CP1")
        yield self.assertFailure(proxy.reset("Soft"), ConnectionLost)


class RegistrationPolicyTests(CentralSystemMixin, TestCase):
    """
    What unknown charge points are told at boot.
    """

    @inlineCallbacks
    def boot_with(self, policy, identity="NEW"):
        yield self.start_central_system(unknown_charge_points=policy)
        cp = yield self.connect(identity)
        response = yield cp.call(BOOT)
        return cp, response

    @inlineCallbacks
    def test_accept_registers(self):
        """
        Under C{accept}, an unknown charge point is accepted and registered.
        """
        cp, response = yield self.boot_with("accept")
        self.assertEqual(response.status, "Accepted")
        self.assertTrue(self.central.store.is_approved("NEW"))

    @inlineCallbacks
    def test_pending(self):
        """
        Under C{pending}, an unknown charge point is Pending (and kept, so
        an operator can register it); once registered it is Accepted.
        """
        cp, response = yield self.boot_with("pending")
        self.assertEqual(response.status, "Pending")
        self.assertEqual(self.central.store.charge_point("NEW")["vendor"], "Acme")
        self.central.store.register_charge_point("NEW")
        response = yield cp.call(BOOT)
        self.assertEqual(response.status, "Accepted")

    @inlineCallbacks
    def test_reject(self):
        """
        Under C{reject}, an unknown charge point may not connect at all.
        """
        yield self.start_central_system(unknown_charge_points="reject")
        yield self.assertFailure(self.connect("NEW"), HandshakeFailed)
        self.central.store.register_charge_point("NEW")
        cp = yield self.connect("NEW")
        response = yield cp.call(BOOT)
        self.assertEqual(response.status, "Accepted")

    @inlineCallbacks
    def test_rejected_cannot_transact(self):
        """
        A charge point whose boot was rejected gets SecurityError for
        transaction messages until it is accepted.
        """
        yield self.start_central_system(unknown_charge_points="accept")
        cp = yield self.connect("X")
        self.central.store.record_boot("X", BOOT, "Rejected")
        self.central.store.unregister_charge_point("X")
        self.central.store.record_boot("X", BOOT, "Rejected")
        error = yield self.assertFailure(
            cp.call(core.StartTransactionRequest(connector_id=1, id_tag="T", meter_start=0, timestamp=NOW)),
            CallError,
        )
        self.assertEqual(error.code, ErrorCode.SECURITY_ERROR)
        self.assertEqual(self.rows("SELECT * FROM transactions"), [])


class BasicAuthTests(CentralSystemMixin, TestCase):
    """
    Security Profile 1: each charge point's own password.
    """

    config_overrides = {"security_profile": 1}

    @inlineCallbacks
    def setUp(self):
        yield self.start_central_system()
        self.central.store.register_charge_point("CP1", password="0123456789abcdef0123")

    @inlineCallbacks
    def test_right_password(self):
        """
        The registered password lets the charge point in.
        """
        cp = yield self.connect("CP1", password="0123456789abcdef0123", security_profile=1)
        response = yield cp.call(BOOT)
        self.assertEqual(response.status, "Accepted")

    @inlineCallbacks
    def test_raw_key_bytes(self):
        """
        The AuthorizationKey's raw bytes (OCPP-J 6.2) match its hexadecimal
        form too.
        """
        self.central.store.register_charge_point("CP2", password="41424344454647484950")
        cp = yield self.connect("CP2", password=b"ABCDEFGHIP", security_profile=1)
        self.assertTrue(cp.connection.open)

    @inlineCallbacks
    def test_wrong_password(self):
        """
        A wrong password is refused with 401.
        """
        error = yield self.assertFailure(
            self.connect("CP1", password="wrong-password-0000", security_profile=1), HandshakeFailed
        )
        self.assertEqual(error.status, 401)
        self.assertEqual(self.central.charge_points(), [])


class TLSProfilesTests(CentralSystemMixin, TestCase):
    """
    Security Profiles 2 and 3 configured from certificate files.
    """

    def setUp(self):
        from tests.transport.certificates import tls_files

        self.tls = tls_files()

    def client_options(self, client=None):
        from tests.transport.certificates import client_options

        return client_options(self.tls, client)

    @inlineCallbacks
    def test_profile_2(self):
        """
        Profile 2: TLS with the configured key and certificate, and each
        charge point's password.
        """
        yield self.start_central_system(
            security_profile=2,
            tls_key=str(self.tls.server.key),
            tls_certificate=str(self.tls.server.certificate),
        )
        self.central.store.register_charge_point("CP001", password="00112233445566778899")
        cp = yield self.connect("CP001", password="00112233445566778899", security_profile=2, tls_options=self.client_options())
        boot = yield cp.call(BOOT)
        self.assertEqual(boot.status, "Accepted")
        yield self.assertFailure(
            self.connect("CP001", password="99887766554433221100", security_profile=2, tls_options=self.client_options()),
            HandshakeFailed,
        )

    @inlineCallbacks
    def test_profile_3(self):
        """
        Profile 3: a client certificate signed by the configured CA, whose
        common name is the identity, lets the charge point in.
        """
        yield self.start_central_system(
            security_profile=3,
            tls_key=str(self.tls.server.key),
            tls_certificate=str(self.tls.server.certificate),
            tls_ca=str(self.tls.ca),
        )
        cp = yield self.connect("CP001", security_profile=3, tls_options=self.client_options("CP001"))
        boot = yield cp.call(BOOT)
        self.assertEqual(boot.status, "Accepted")
        proxy = self.central.charge_point("CP001")
        self.assertIsNotNone(proxy.client_certificate)
        yield self.assertFailure(
            self.connect("CP002", security_profile=3, tls_options=self.client_options("CP001")),
            HandshakeFailed,
        )


class RestartTests(CentralSystemMixin, TestCase):
    """
    A central system stopped and started again: its store is closed with
    the service and opened again with it.
    """

    def setUp(self):
        return self.start_central_system()

    @inlineCallbacks
    def test_stop_then_start(self):
        """
        Stopped, the central system closes its connections and its store;
        started again, it listens again and a charge point reconnecting
        finds its registration, id tags and open transaction intact.
        """
        self.central.store.set_id_tag("TAG1")
        cp = yield self.connect("CP1")
        yield cp.call(BOOT)
        started = yield cp.call(
            core.StartTransactionRequest(connector_id=1, id_tag="TAG1", meter_start=0, timestamp=NOW)
        )
        lost = cp.when_lost()
        yield self.central.stopService()
        yield lost
        self.assertIsNone(self.central.port)
        self.assertEqual(self.central.charge_points(), [])

        self.central.startService()
        yield self.central.when_listening().addCallback(self._listening)
        cp = yield self.connect("CP1")
        proxy = yield self.central.when_connected("CP1")
        # Known from before the restart, without booting again.
        self.assertEqual(proxy.registration_status, "Accepted")
        authorized = yield cp.call(core.AuthorizeRequest(id_tag="TAG1"))
        self.assertEqual(authorized.id_tag_info.status, "Accepted")
        stopped = yield cp.call(
            core.StopTransactionRequest(
                transaction_id=started.transaction_id, meter_stop=500, timestamp=NOW, id_tag="TAG1"
            )
        )
        self.assertEqual(stopped.id_tag_info.status, "Accepted")
        (transaction,) = self.rows("SELECT * FROM transactions")
        self.assertEqual(
            (transaction["id"], transaction["identity"], transaction["meter_stop"]),
            (started.transaction_id, "CP1", 500),
        )


class ReconnectTests(CentralSystemMixin, TestCase):
    """
    One connection per identity: the newest wins.
    """

    def service_arguments(self):
        self.events = []

        class Recorder:
            @hookimpl
            def openocpp_cs_charge_point_connected(inner, charge_point):
                self.events.append(("connected", charge_point))

            @hookimpl
            def openocpp_cs_charge_point_disconnected(inner, charge_point):
                self.events.append(("disconnected", charge_point))

        return {"plugins": [Recorder()], "load_entrypoints": False}

    def setUp(self):
        return self.start_central_system()

    @inlineCallbacks
    def test_replaced(self):
        """
        A second connection with the same identity closes the first; the
        handler hears the old one go and the new one come, and only the new
        proxy is listed.
        """
        first = yield self.connect("CP1")
        old = yield self.central.when_connected("CP1")
        lost = first.when_lost()
        second = yield self.connect("CP1")
        yield lost
        new = self.central.charge_point("CP1")
        self.assertIsNot(old, new)
        self.assertFalse(old.connected)
        self.assertTrue(new.connected)
        self.assertEqual(self.central.charge_points(), [new])
        self.assertEqual(
            self.events, [("connected", old), ("disconnected", old), ("connected", new)]
        )
        response = yield second.call(BOOT)
        self.assertEqual(response.status, "Accepted")


class AnswerWritesTests(CentralSystemMixin, TestCase):
    """
    Answers go to the charge point's socket at once, except while the
    turn's writes wait for their commit: then they leave after it.
    """

    def service_arguments(self):
        test = self

        class WritesThenAnswers:
            # Writes, and answers without waiting for the commit.
            @hookimpl
            def openocpp_cs_data_transfer(inner, charge_point, request):
                test.central.store.set_id_tag("WRITTEN")
                return core.DataTransferResponse(status="Accepted")

        return {"plugins": [WritesThenAnswers()], "load_entrypoints": False}

    def setUp(self):
        return self.start_central_system()

    @inlineCallbacks
    def test_answer_after_commit(self):
        """
        An answer given while writes are pending (a plugin's, without
        C{when_committed}) is still in the transport's buffer, not on the
        socket, when the commit runs; an answer with nothing pending is on
        the socket when the handler returns.
        """
        cp = yield self.connect("CP1")
        yield cp.call(BOOT)
        proxy = yield self.central.when_connected("CP1")
        transport = proxy._connection._protocol.transport
        buffered_at_commit = []
        group = self.central.store._group
        commit = group.commit

        def observed_commit():
            buffered_at_commit.append(unsent_bytes(transport))
            commit()

        group.commit = observed_commit
        answer = yield cp.call(core.DataTransferRequest(vendor_id="V"))
        self.assertEqual(answer.status, "Accepted")
        self.assertGreater(buffered_at_commit[0], 0)
        self.assertTrue(self.central.store.id_tag("WRITTEN"))
        self.assertFalse(self.central.store.writes_pending())
        self.assertTrue(self.central._nothing_to_commit())
        self.central.store.set_id_tag("OTHER")
        self.assertFalse(self.central._nothing_to_commit())


class ObserverTests(CentralSystemMixin, TestCase):
    """
    Observers hear every answered request.
    """

    @inlineCallbacks
    def test_request_handled(self):
        """
        C{openocpp_cs_request_handled} gets each request with the response
        sent; an observer that raises changes nothing for the charge point.
        """
        seen = []

        class Observer:
            @hookimpl
            def openocpp_cs_request_handled(self, charge_point, request, response):
                seen.append((charge_point.identity, type(request).__name__, type(response).__name__))

        class Broken:
            @hookimpl
            def openocpp_cs_request_handled(self):
                raise RuntimeError("dashboard down")

        yield self.start_central_system()
        self.central.plugins.register(Observer())
        self.central.plugins.register(Broken())
        cp = yield self.connect()
        boot = yield cp.call(BOOT)
        yield cp.call(core.HeartbeatRequest())
        self.assertEqual(boot.status, "Accepted")
        self.assertEqual(
            seen,
            [("CP1", "BootNotificationRequest", "BootNotificationResponse"), ("CP1", "HeartbeatRequest", "HeartbeatResponse")],
        )
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 2)
        self.assertEqual(boot.status, "Accepted")


class AuthorizationPlugin:
    """
    A site's authorization decision: only tags starting with C{VIP} charge.
    """

    @hookimpl
    def openocpp_cs_authorize(self, charge_point, request):
        status = "Accepted" if request.id_tag.startswith("VIP") else "Blocked"
        return core.AuthorizeResponse(id_tag_info=IdTagInfo(status=status))


class PluginTests(CentralSystemMixin, TestCase):
    """
    Plugins override the built-in behaviour.
    """

    @inlineCallbacks
    def test_in_process_plugin(self):
        """
        A plugin registered in process decides authorization instead of the
        id-tag table (which accepts every tag here).
        """
        yield self.start_central_system(accept_any_id_tag=True)
        self.central.plugins.register(AuthorizationPlugin(), name="site")
        self.addCleanup(self.central.plugins.unregister, name="site")
        cp = yield self.connect()
        vip = yield cp.call(core.AuthorizeRequest(id_tag="VIP-1"))
        other = yield cp.call(core.AuthorizeRequest(id_tag="JOE"))
        self.assertEqual((vip.id_tag_info.status, other.id_tag_info.status), ("Accepted", "Blocked"))

    @inlineCallbacks
    def test_plugin_registered_after_calls_decides_the_next(self):
        """
        A plugin registered while a charge point is connected, after the
        built-in behaviour alone answered (the direct path), decides the
        next call; unregistered, the built-in decides again.
        """
        yield self.start_central_system(accept_any_id_tag=True)
        cp = yield self.connect()
        before = yield cp.call(core.AuthorizeRequest(id_tag="JOE"))
        self.central.plugins.register(AuthorizationPlugin(), name="site")
        during = yield cp.call(core.AuthorizeRequest(id_tag="JOE"))
        self.central.plugins.unregister(name="site")
        after = yield cp.call(core.AuthorizeRequest(id_tag="JOE"))
        self.assertEqual(
            (before.id_tag_info.status, during.id_tag_info.status, after.id_tag_info.status),
            ("Accepted", "Blocked", "Accepted"),
        )

    def install_site_distribution(self):
        """
        Install, for this test only, a distribution whose C{openocpp} entry
        point C{site} blocks every id tag.
        """
        install_distribution(
            self,
            """
            from openocpp import hookimpl
            from openocpp.messages import core
            from openocpp.messages.datatypes import IdTagInfo

            @hookimpl
            def openocpp_cs_authorize(charge_point, request):
                return core.AuthorizeResponse(id_tag_info=IdTagInfo(status="Blocked"))
            """,
        )

    @inlineCallbacks
    def test_entry_point_plugin(self):
        """
        A plugin installed as a distribution with an C{openocpp} entry point
        is found and overrides the built-in decision.
        """
        self.install_site_distribution()
        yield self.start_central_system(load_entrypoints=True, accept_any_id_tag=True)
        self.assertIn("site", [name for name, _ in self.central.plugins.list_name_plugin()])
        cp = yield self.connect()
        answer = yield cp.call(core.AuthorizeRequest(id_tag="ANY"))
        self.assertEqual(answer.id_tag_info.status, "Blocked")

    @inlineCallbacks
    def test_installed_plugin_does_not_reach_test_central_system(self):
        """
        The central systems the tests build load no entry points: a plugin
        installed on the machine does not change their answers, while a
        central system built with entry points on gets it.
        """
        self.install_site_distribution()
        loading = CentralSystem(CentralSystemConfig(database=":memory:"), load_entrypoints=True)
        self.assertIn("site", [name for name, _ in loading.plugins.list_name_plugin()])
        yield self.start_central_system(accept_any_id_tag=True)
        self.assertNotIn("site", [name for name, _ in self.central.plugins.list_name_plugin()])
        cp = yield self.connect()
        answer = yield cp.call(core.AuthorizeRequest(id_tag="ANY"))
        self.assertEqual(answer.id_tag_info.status, "Accepted")

    @inlineCallbacks
    def test_failing_plugin_answers_internal_error(self):
        """
        A plugin that raises gets the charge point an InternalError, and the
        connection lives on.
        """

        class Broken:
            @hookimpl
            def openocpp_cs_heartbeat(self, charge_point, request):
                raise RuntimeError("disk on fire")

        yield self.start_central_system()
        self.central.plugins.register(Broken(), name="broken")
        cp = yield self.connect()
        error = yield self.assertFailure(cp.call(core.HeartbeatRequest()), CallError)
        self.assertEqual(error.code, ErrorCode.INTERNAL_ERROR)
        self.assertNotIn("disk on fire", error.description)
        self.flushLoggedErrors(RuntimeError)
        boot = yield cp.call(BOOT)
        self.assertEqual(boot.status, "Accepted")


class ManyChargePointsTests(CentralSystemMixin, TestCase):
    """
    Many charge points at once on one central system.
    """

    timeout = 120

    @inlineCallbacks
    def test_thousand(self):
        """
        1,000 charge points connect, boot and heartbeat concurrently.
        """
        yield self.start_central_system()
        count = 1000
        charge_points = []

        @inlineCallbacks
        def one(index):
            cp = TestChargePoint(self, f"CP{index:04d}")
            yield cp.connect(self.url)
            charge_points.append(cp)
            boot = yield cp.call(BOOT)
            beat = yield cp.call(core.HeartbeatRequest())
            return (str(boot.status), beat.current_time is not None)

        # Charge points come online a hundred at a time, as a ramp would
        # bring them, rather than a thousand handshakes in the same instant.
        from twisted.internet.defer import DeferredSemaphore

        ramp = DeferredSemaphore(100)
        results = yield gatherResults([ramp.run(one, i) for i in range(count)])
        self.assertEqual(results, [("Accepted", True)] * count)
        self.assertEqual(len(self.central.charge_points()), count)
        self.assertEqual(len(self.rows("SELECT * FROM charge_points WHERE registration_status = 'Accepted'")), count)
        yield gatherResults([cp.close() for cp in charge_points])


class InterfaceTests(SynchronousTestCase):
    """
    The implementations provide their interfaces.
    """

    def test_verify(self):
        """
        Service, config, handlers and proxy provide their interfaces.
        """
        config = CentralSystemConfig(database=":memory:")
        central = CentralSystem(config, load_entrypoints=False)
        self.addCleanup(central.store.close)
        self.assertTrue(verifyObject(ICentralSystem, central))
        self.assertTrue(verifyObject(ICentralSystemConfig, config))
        self.assertTrue(verifyObject(IChargePointRequestHandler, HookRequestHandler(central.plugins)))
        self.assertTrue(verifyObject(ICentralSystemEventsHandler, HookEventsHandler(central.plugins)))
        from openocpp.centralsystem.proxy import ChargePointProxy

        class Connection:
            identity = "CP1"
            peer = None
            security_profile = 0
            client_certificate = None

        self.assertTrue(verifyObject(IChargePointProxy, ChargePointProxy(None, Connection())))

    def test_connection_handler(self):
        """
        The central system's handler of a charge point connection is the
        transport's L{IConnectionHandler}, as the charge point's is.
        """
        from openocpp.centralsystem.connection import ChargePointConnection
        from openocpp.transport.interfaces import IConnectionHandler

        central = CentralSystem(CentralSystemConfig(database=":memory:"), load_entrypoints=False)
        self.addCleanup(central.store.close)
        handler = ChargePointConnection(central, object())
        self.assertTrue(verifyObject(IConnectionHandler, handler))

    def test_plugin_manager_refused(self):
        """
        C{plugins} is a list of plugin objects: a plugin manager (the old
        way, which meant building the store twice) is refused clearly,
        before any file is opened.
        """
        config = CentralSystemConfig(database=os.path.abspath(self.mktemp()))
        error = self.assertRaises(
            TypeError, CentralSystem, config, plugins=make_plugin_manager(load_entrypoints=False)
        )
        self.assertIn("list of plugin objects", str(error))
        self.assertFalse(os.path.exists(config.database))

    def test_config_interface_is_enough(self):
        """
        A config holding only the names L{ICentralSystemConfig} declares
        builds a central system: the service reads nothing else of it.
        """
        defaults = CentralSystemConfig(database=":memory:")
        config = type("Config", (), {name: getattr(defaults, name) for name in ICentralSystemConfig})()
        self.assertIn("plugins", list(ICentralSystemConfig))
        central = CentralSystem(config, load_entrypoints=False)
        self.addCleanup(central.store.close)
        self.assertIs(central.config, config)


class OperatorCommandTests(SynchronousTestCase):
    """
    Operator commands are central-system methods: they write the store,
    answer once the write is committed, and then tell plugins.
    """

    def setUp(self):
        self.clock = Clock()
        self.changes = []

        class Audit:
            @hookimpl
            def openocpp_cs_operator_change(inner, change):
                self.changes.append(change)

        self.central = CentralSystem(
            CentralSystemConfig(database=":memory:"),
            reactor=self.clock,
            plugins=[Audit()],
            load_entrypoints=False,
        )
        self.addCleanup(self.central.store.close)

    def committed(self, written):
        # Nothing is answered, nor told, before the group commit.
        self.assertNoResult(written)
        self.assertEqual(self.changes, [])
        self.clock.advance(0)
        return self.successResultOf(written)

    def test_id_tag_set_and_removed(self):
        """
        Setting an id tag answers, once committed, with the change the
        plugins hear; removing it too; removing an unknown one changes
        nothing and tells no one.
        """
        change = self.committed(self.central.set_id_tag("tag1", status="Blocked"))
        self.assertEqual((change.kind, change.key, change.created), ("idTagSet", "tag1", True))
        self.assertEqual(change.record.status, "Blocked")
        self.assertEqual(self.changes, [change])
        self.changes.clear()
        removed = self.committed(self.central.remove_id_tag("TAG1"))
        self.assertEqual((removed.kind, removed.key), ("idTagRemoved", "tag1"))
        self.assertIsNone(self.central.store.id_tag("tag1"))
        self.assertIsNone(self.successResultOf(self.central.remove_id_tag("TAG1")))
        self.assertEqual(self.changes, [removed])

    def test_charge_point_registered_and_unregistered(self):
        """
        Registering a charge point (with a password, then without) and
        unregistering it are told to plugins once committed.
        """
        change = self.committed(self.central.register_charge_point("CP1", password="a-long-password"))
        self.assertEqual((change.kind, change.key, change.created), ("chargePointRegistered", "CP1", True))
        self.assertTrue(self.central.store.is_approved("CP1"))
        self.changes.clear()
        again = self.committed(self.central.register_charge_point("CP1", clear_password=True))
        self.assertFalse(again.created)
        self.assertIsNone(self.central.store.charge_point_credentials("CP1").password_hash)
        self.changes.clear()
        gone = self.committed(self.central.unregister_charge_point("CP1"))
        self.assertEqual(gone.kind, "chargePointUnregistered")
        self.assertFalse(self.central.store.is_approved("CP1"))


class OptionsTests(SynchronousTestCase):
    """
    C{twistd openocpp centralsystem}'s options and the service they build.
    """

    def test_defaults(self):
        """
        With no option, it listens on loopback port 8080 with an SQLite file
        in the current folder and accepts unknown charge points.
        """
        options = CentralSystemOptions()
        options.parseOptions([])
        config = options.config
        self.assertEqual(config.listen, "tcp:8080:interface=127.0.0.1")
        self.assertEqual(config.database, "openocpp-centralsystem.sqlite")
        self.assertEqual(config.unknown_charge_points, "accept")
        self.assertFalse(config.accept_any_id_tag)
        self.assertFalse(config.log_frames)

    def test_options(self):
        """
        Every option reaches the config.
        """
        options = CentralSystemOptions()
        options.parseOptions(
            [
                "--listen", "tcp:9000", "--db", ":memory:", "--heartbeat-interval", "60",
                "--unknown-chargepoints", "pending", "--accept-any-idtag",
                "--security-profile", "1",
                "--plugin", "tests.plugins.test_manager", "--plugin", "tests.centralsystem.fake_chargepoint",
                "--call-timeout", "5", "--ping-interval", "0", "--log-frames",
            ]
        )
        config = options.config
        self.assertEqual(
            (config.listen, config.database, config.heartbeat_interval, config.unknown_charge_points),
            ("tcp:9000", ":memory:", 60, "pending"),
        )
        self.assertTrue(config.accept_any_id_tag)
        self.assertEqual(config.security_profile, 1)
        self.assertEqual(config.plugins, ["tests.plugins.test_manager", "tests.centralsystem.fake_chargepoint"])
        self.assertEqual((config.call_timeout, config.ping_interval), (5.0, 0.0))
        self.assertTrue(config.log_frames)

    def test_bad_options(self):
        """
        Bad values are usage errors naming the problem.
        """
        for arguments, words in [
            (["--unknown-chargepoints", "maybe"], "--unknown-chargepoints"),
            (["--security-profile", "7"], "--security-profile"),
            (["--security-profile", "2"], "TLS"),
            (["--heartbeat-interval", "0"], "--heartbeat-interval"),
        ]:
            error = self.assertRaises(usage.UsageError, CentralSystemOptions().parseOptions, arguments)
            self.assertIn(words, str(error))

    def test_make_service(self):
        """
        C{makeService} builds a central system from the options, with the
        built-in behaviour and the plugins named.
        """
        from openocpp import tap
        from openocpp.gctuning import GarbageCollectorTuning

        options = tap.Options()
        options.parseOptions(
            ["centralsystem", "--db", ":memory:", "--listen", "tcp:0:interface=127.0.0.1",
             "--plugin", "tests.centralsystem.test_service"]
        )
        service = tap.makeService(options)
        tuning, central, guard = list(service)
        self.addCleanup(central.store.close)
        self.assertIsInstance(tuning, GarbageCollectorTuning)
        self.assertIsInstance(guard, tap.ListeningGuard)
        self.assertIsInstance(central, CentralSystem)
        self.assertEqual(central.config.database, ":memory:")
        plugins = central.plugins.get_plugins()
        names = [type(plugin).__name__ for plugin in plugins]
        self.assertIn("DefaultCentralSystemBehaviour", names)
        self.assertIn(sys.modules[__name__], plugins)
        self.assertEqual(central.plugins.get_name(sys.modules[__name__]), __name__)

    def test_missing_plugin(self):
        """
        A plugin that cannot be imported is a usage error naming it.
        """
        options = CentralSystemOptions()
        options.parseOptions(["--db", ":memory:", "--plugin", "no.such.module"])
        error = self.assertRaises(usage.UsageError, make_service, options)
        self.assertIn("no.such.module", str(error))
