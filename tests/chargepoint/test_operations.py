"""
Tests for the charge point's answers to the central system's requests
(OCPP 1.6 chapter 5): availability, configuration, cache, data transfer,
remote start and stop, reset, unlock and every TriggerMessage.
"""

from twisted.internet.defer import Deferred

from openocpp.chargepoint.keys import KeyDefinition, KeyType
from openocpp.hookspecs import hookimpl
from openocpp.messages import (
    AuthorizeResponse,
    BootNotificationResponse,
    ChangeAvailabilityRequest,
    ChangeConfigurationRequest,
    DataTransferRequest,
    GetConfigurationRequest,
    IdTagInfo,
    MeterValue,
    MeterValuesResponse,
    RemoteStartTransactionRequest,
    RemoteStopTransactionRequest,
    ResetRequest,
    TriggerMessageRequest,
    UnlockConnectorRequest,
)
from openocpp.messages.datatypes import (
    ChargingProfile,
    ChargingSchedule,
    ChargingSchedulePeriod,
    SampledValue,
)
from openocpp.messages.enums import (
    AuthorizationStatus,
    AvailabilityStatus,
    AvailabilityType,
    ChargePointStatus,
    ConfigurationStatus,
    DataTransferStatus,
    DiagnosticsStatus,
    MessageTrigger,
    RegistrationStatus,
    RemoteStartStopStatus,
    ResetStatus,
    ResetType,
    TriggerMessageStatus,
    UnlockStatus,
)
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError, CallTimeout
from tests.chargepoint.fake_centralsystem import (
    ChargePointTestCase,
    ScriptedCentralSystem,
    make_charge_point,
    queued_transaction_messages,
)


class SitePlugin:
    """
    A site plugin: records what it is asked, may refuse, adds a key.
    """

    def __init__(self):
        self.calls = []
        self.refuse = set()

    @hookimpl
    def openocpp_cp_configuration_keys(self, charge_point):
        return [
            KeyDefinition(name="SiteMaxCurrent", type=KeyType.INTEGER, readonly=False,
                          default="32", minimum=6, maximum=63, profile="Site"),
            KeyDefinition(name="SiteFirmwareChannel", type=KeyType.STRING, readonly=False,
                          default="stable", reboot_required=True, profile="Site"),
        ]

    @hookimpl
    def openocpp_cp_validate_configuration(self, charge_point, key, value):
        if "validate" in self.refuse and key == "SiteMaxCurrent" and value == "13":
            return False
        return None

    @hookimpl
    def openocpp_cp_configuration_changed(self, charge_point, key, value):
        self.calls.append(("changed", key, value))

    @hookimpl
    def openocpp_cp_change_availability(self, charge_point, connector, operative):
        self.calls.append(("availability", connector, operative))
        return False if "availability" in self.refuse else None

    @hookimpl
    def openocpp_cp_availability_changed(self, charge_point, connector, operative):
        self.calls.append(("availability changed", connector, operative))

    @hookimpl
    def openocpp_cp_remote_start(self, charge_point, connector, id_tag, charging_profile):
        self.calls.append(("remote start", connector, id_tag, charging_profile))
        return False if "start" in self.refuse else None

    @hookimpl
    def openocpp_cp_stop_charging(self, charge_point, connector, reason):
        self.calls.append(("stop charging", connector, reason))

    @hookimpl
    def openocpp_cp_reset(self, charge_point, type):
        self.calls.append(("reset", type, charge_point.store.queue_length()))
        if "reset" in self.refuse:
            return True  # handled: no restart
        return None

    @hookimpl
    def openocpp_cp_reset_allowed(self, charge_point, type):
        return False if "reset_allowed" in self.refuse else None

    @hookimpl
    def openocpp_cp_unlock_connector(self, charge_point, connector):
        self.calls.append(("unlock", connector))
        return UnlockStatus.UNLOCK_FAILED if "unlock" in self.refuse else None

    @hookimpl
    def openocpp_cp_data_transfer(self, charge_point, vendor_id, message_id, data):
        if vendor_id == "org.site":
            return DataTransferStatus.ACCEPTED, (data or "")[::-1]
        return None

    @hookimpl
    def openocpp_cp_diagnostics_status(self, charge_point):
        return DiagnosticsStatus.UPLOADING


class RebootingSite:
    """
    A site whose hard reset reboots the hardware: the process dies at once
    (its connection drops unseen, its timers are gone). What it sent just
    before reaches the central system; the answers are lost.
    """

    def __init__(self, testcase):
        self.testcase = testcase

    @hookimpl
    def openocpp_cp_reset(self, charge_point, type):
        link = self.testcase.cs.link
        sent = [item for item in link.in_flight if item[0] == "cp"]
        for item in sent:
            link.in_flight = [item]
            link.deliver_one()
        self.testcase.cs.crash()
        return Deferred()  # the process is gone: nothing of it runs on


class OperationsTestCase(ChargePointTestCase):
    def make_plugins(self):
        self.site = SitePlugin()
        return [self.site]

    def ask(self, request):
        result = self.cs.call(request)
        self.cs.settle()
        return self.successResultOf(result)

    def statuses(self):
        return [(r.connector_id, r.status) for r in self.cs.requests("StatusNotification")]

    def mark(self):
        """
        @return: a mark for L{wire}: what the charge point sent so far.
        """
        return len(self.cs.frames)

    def wire(self, mark=0):
        """
        @return: what the charge point sent since C{mark}, in order: the
            action of each CALL, with the connector and status of a
            StatusNotification and the reason of a StopTransaction, and
            C{("answer", status)} for each answer to the central system.
        """
        sent = []
        for frame in self.cs.frames[mark:]:
            if frame[0] == 3:
                sent.append(("answer", frame[2].get("status")))
            elif frame[0] == 2 and frame[2] == "StatusNotification":
                sent.append((frame[2], frame[3]["connectorId"], frame[3]["status"]))
            elif frame[0] == 2 and frame[2] == "StopTransaction":
                sent.append((frame[2], frame[3].get("reason")))
            elif frame[0] == 2:
                sent.append((frame[2],))
        return sent

    def busy_queue(self):
        """
        Put a MeterValues.req of the transaction on connector 1 in flight,
        unanswered until the returned Deferred fires.
        """
        waiting = Deferred()
        self.cs.answers["MeterValues"] = lambda request: waiting
        self.cp.send_meter_values(1, [MeterValue(
            timestamp=self.cs.now(), sampled_value=[SampledValue(value="5")]
        )])
        self.cs.settle()
        self.assertEqual(self.cs.actions()[-1], "MeterValues")
        return waiting


class ChangeAvailabilityTests(OperationsTestCase):
    def test_inoperative_and_back(self):
        self.boot_and_clear()
        answer = self.ask(ChangeAvailabilityRequest(connector_id=1, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.ACCEPTED)
        self.assertEqual(self.statuses(), [(1, "Unavailable")])
        # already so: Accepted, nothing changes
        answer = self.ask(ChangeAvailabilityRequest(connector_id=1, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.ACCEPTED)
        # the firmware cannot make it available meanwhile
        self.cp.status_notification(1, ChargePointStatus.AVAILABLE)
        self.cs.settle()
        self.assertEqual(self.statuses(), [(1, "Unavailable")])
        answer = self.ask(ChangeAvailabilityRequest(connector_id=1, type=AvailabilityType.OPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.ACCEPTED)
        self.assertEqual(self.statuses(), [(1, "Unavailable"), (1, "Available")])
        self.assertEqual(self.site.calls[:2], [("availability", 1, False), ("availability changed", 1, False)])

    def test_whole_charge_point(self):
        self.boot_and_clear()
        answer = self.ask(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.ACCEPTED)
        self.assertEqual(self.statuses(), [(0, "Unavailable"), (1, "Unavailable"), (2, "Unavailable")])
        self.assertFalse(self.cp.startable(1))
        self.ask(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.OPERATIVE))
        self.assertEqual(self.statuses()[3:], [(0, "Available"), (1, "Available"), (2, "Available")])

    def test_scheduled(self):
        """
        During a transaction the change is Scheduled, and applied when the
        transaction ends.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cp.status_notification(1, ChargePointStatus.CHARGING)
        self.cs.settle()
        answer = self.ask(ChangeAvailabilityRequest(connector_id=1, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.SCHEDULED)
        answer = self.ask(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.SCHEDULED)
        self.assertEqual(self.statuses(), [(1, "Charging"), (2, "Unavailable")])
        self.cp.stop_transaction(1, "TAG")
        self.cp.status_notification(1, ChargePointStatus.FINISHING)
        self.cs.settle()
        self.assertEqual(self.statuses()[2:], [(1, "Unavailable"), (0, "Unavailable")])

    def test_scheduled_stop_before_unavailable(self):
        """
        With ChangeAvailability Scheduled, the transaction's
        StopTransaction.req goes before the connector's Unavailable status
        (section 5.2; 4.9, C8), the charge point's own after both.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.ask(ChangeAvailabilityRequest(connector_id=1, type=AvailabilityType.INOPERATIVE))
        mark = self.mark()
        self.cp.stop_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(
            self.wire(mark),
            [("StopTransaction", None), ("StatusNotification", 1, "Unavailable")],
        )

    def test_scheduled_stop_before_unavailable_queue_busy(self):
        """
        The same order while the queue is busy with an earlier message: the
        status waits for the StopTransaction.req.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        waiting = self.busy_queue()
        self.ask(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.INOPERATIVE))
        mark = self.mark()
        self.cp.stop_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.wire(mark), [])
        waiting.callback(MeterValuesResponse())
        self.cs.settle()
        # Connector 2, free, became Unavailable at once (it waited in the
        # RPC session behind the MeterValues.req only).
        self.assertEqual(
            self.wire(mark),
            [("StatusNotification", 2, "Unavailable"), ("StopTransaction", None),
             ("StatusNotification", 1, "Unavailable"), ("StatusNotification", 0, "Unavailable")],
        )

    def test_scheduled_stop_before_unavailable_offline(self):
        """
        The same order when the transaction stopped offline: after the
        reconnection, the StopTransaction.req first.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.ask(ChangeAvailabilityRequest(connector_id=1, type=AvailabilityType.INOPERATIVE))
        self.cs.disconnect()
        self.cp.stop_transaction(1, "TAG")
        self.cp.status_notification(2, ChargePointStatus.PREPARING)
        self.cs.connect(self.cp)
        sent = self.wire()
        self.assertLess(
            sent.index(("StopTransaction", None)),
            sent.index(("StatusNotification", 1, "Unavailable")),
        )
        self.assertIn(("StatusNotification", 2, "Preparing"), sent)

    def test_whole_after_scheduled(self):
        """
        ConnectorId 0 applies to the charge point and all connectors
        (section 5.2): Operative after a scheduled Inoperative makes every
        connector available again, one made inoperative by itself too.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        answer = self.ask(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.SCHEDULED)
        self.cp.stop_transaction(1, "TAG")
        self.cs.settle()
        self.assertFalse(self.cp._connectors.operative(1))
        answer = self.ask(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.OPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.ACCEPTED)
        self.assertEqual(self.statuses()[-3:], [(0, "Available"), (1, "Available"), (2, "Available")])
        self.assertTrue(self.cp.startable(1))
        self.assertTrue(self.cp.startable(2))
        self.ask(ChangeAvailabilityRequest(connector_id=2, type=AvailabilityType.INOPERATIVE))
        self.ask(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.OPERATIVE))
        self.assertTrue(self.cp.startable(2))
        self.assertEqual(self.statuses()[-2:], [(2, "Unavailable"), (2, "Available")])

    def test_already_so_during_transaction(self):
        """
        Asked for the availability it already has, the charge point answers
        Accepted, even during a transaction (section 5.2).
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        answer = self.ask(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.OPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.ACCEPTED)
        self.cp.stop_transaction(1, "TAG")
        self.cs.settle()
        self.assertTrue(self.cp._connectors.operative(1))

    def test_persisted(self):
        """
        Inoperative survives a restart.
        """
        path = self.mktemp()
        cp = make_charge_point(self, self.clock, database=path)
        cp.startService()
        self.cs.connect(cp)
        self.ask(ChangeAvailabilityRequest(connector_id=2, type=AvailabilityType.INOPERATIVE))
        self.cs.crash()
        cs = ScriptedCentralSystem(self, self.clock)
        again = make_charge_point(self, self.clock, database=path)
        again.startService()
        cs.connect(again)
        self.assertIn((2, "Unavailable"), [(r.connector_id, r.status) for r in cs.requests("StatusNotification")])
        self.assertFalse(again.startable(2))
        again.stopService()

    def test_scheduled_persisted(self):
        """
        A change scheduled during a transaction survives a restart, and
        applies when the transaction ends.
        """
        path = self.mktemp()
        cp = make_charge_point(self, self.clock, database=path)
        cp.startService()
        self.cs.connect(cp)
        cp.start_transaction(1, "TAG")
        self.cs.settle()
        answer = self.ask(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.SCHEDULED)
        self.cs.crash()
        cs = ScriptedCentralSystem(self, self.clock)
        again = make_charge_point(self, self.clock, database=path)
        again.startService()
        self.addCleanup(again.stopService)
        cs.connect(again)
        self.assertTrue(again._connectors.operative(1))
        self.assertFalse(again.startable(2))
        again.stop_transaction(1, "TAG")
        cs.settle()
        self.assertFalse(again._connectors.operative(1))
        self.assertEqual(
            [(r.connector_id, r.status) for r in cs.requests("StatusNotification")][-2:],
            [(1, "Unavailable"), (0, "Unavailable")],
        )

    def test_rejected(self):
        self.boot_and_clear()
        answer = self.ask(ChangeAvailabilityRequest(connector_id=3, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.REJECTED)
        self.site.refuse.add("availability")
        answer = self.ask(ChangeAvailabilityRequest(connector_id=1, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(answer.status, AvailabilityStatus.REJECTED)
        self.assertEqual(self.statuses(), [])


class ChangeConfigurationTests(OperationsTestCase):
    def change(self, key, value):
        return self.ask(ChangeConfigurationRequest(key=key, value=value)).status

    def test_outcomes(self):
        """
        Accepted, Rejected (read-only, bad value, refused by a plugin),
        NotSupported (unknown key), RebootRequired (a plugin's key that
        needs a reboot).
        """
        self.boot_and_clear()
        self.assertEqual(self.change("LocalPreAuthorize", "true"), ConfigurationStatus.ACCEPTED)
        self.assertIs(self.cp.ocpp_config.boolean("LocalPreAuthorize"), True)
        self.assertEqual(self.change("NumberOfConnectors", "4"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.change("HeartbeatInterval", "soon"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.change("NoSuchKey", "1"), ConfigurationStatus.NOT_SUPPORTED)
        self.assertEqual(self.change("SiteMaxCurrent", "16"), ConfigurationStatus.ACCEPTED)
        self.site.refuse.add("validate")
        self.assertEqual(self.change("SiteMaxCurrent", "13"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.change("SiteMaxCurrent", "99"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.change("SiteFirmwareChannel", "beta"), ConfigurationStatus.REBOOT_REQUIRED)
        self.assertEqual(self.cp.ocpp_config.get("SiteMaxCurrent"), "16")
        self.assertEqual(
            [c for c in self.site.calls if c[0] == "changed"],
            [("changed", "LocalPreAuthorize", "true"), ("changed", "SiteMaxCurrent", "16"),
             ("changed", "SiteFirmwareChannel", "beta")],
        )

    def test_message_timeout(self):
        """
        MessageTimeout applies to the calls made from now on.
        """
        self.boot_and_clear()
        self.assertEqual(self.change("MessageTimeout", "5"), ConfigurationStatus.ACCEPTED)
        self.cs.answers["DataTransfer"] = lambda r: Deferred()
        result = self.cp.data_transfer("org.example")
        self.cs.advance(5)
        self.failureResultOf(result)

    def test_security_profile(self):
        """
        SecurityProfile may only be raised, and only when what the new
        profile needs is there (profile 1: an AuthorizationKey).
        """
        self.boot_and_clear()
        self.assertEqual(self.change("SecurityProfile", "0"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.change("SecurityProfile", "1"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.change("SecurityProfile", "2"), ConfigurationStatus.REJECTED)
        self.assertEqual(self.change("AuthorizationKey", "0123456789abcdef0123"), ConfigurationStatus.ACCEPTED)
        # the charge point reconnects with the new key
        self.assertTrue(self.cs.link.closed)
        self.cs.connect(self.cp)
        self.assertEqual(self.change("SecurityProfile", "1"), ConfigurationStatus.ACCEPTED)
        self.assertTrue(self.cs.link.closed)
        self.assertEqual(self.cp.ocpp_config.integer("SecurityProfile"), 1)

    def test_get_configuration(self):
        self.boot_and_clear()
        answer = self.ask(GetConfigurationRequest())
        keys = {k.key: (k.readonly, k.value) for k in answer.configuration_key}
        self.assertEqual(len(keys), 54)  # 52 standard ones shown and the plugin's 2
        self.assertEqual(keys["NumberOfConnectors"], (True, "2"))
        self.assertEqual(keys["HeartbeatInterval"], (False, "300"))
        self.assertEqual(keys["SiteMaxCurrent"], (False, "32"))
        self.assertNotIn("AuthorizationKey", keys)
        self.assertIsNone(answer.unknown_key)
        answer = self.ask(GetConfigurationRequest(key=["MeterValueSampleInterval", "Nope", "AuthorizationKey"]))
        self.assertEqual([(k.key, k.value) for k in answer.configuration_key], [("MeterValueSampleInterval", "60")])
        self.assertEqual(answer.unknown_key, ["Nope", "AuthorizationKey"])

    def test_keys_case_insensitive(self):
        """
        Keys are CiString50Type, case-insensitive (sections 6.9, 6.23,
        7.17): any case names the key, which is answered by its own name.
        """
        self.boot_and_clear()
        self.assertEqual(self.change("heartbeatINTERVAL", "60"), ConfigurationStatus.ACCEPTED)
        self.assertEqual(self.cp.ocpp_config.get("HeartbeatInterval"), "60")
        self.assertIn(("changed", "HeartbeatInterval", "60"), self.site.calls)
        self.cs.clear()
        self.cs.advance(60)
        self.assertEqual(self.cs.actions(), ["Heartbeat"])
        self.assertEqual(self.change("numberofconnectors", "4"), ConfigurationStatus.REJECTED)
        answer = self.ask(GetConfigurationRequest(key=["heartbeatinterval", "AUTHORIZATIONKEY"]))
        self.assertEqual(
            [(k.key, k.readonly, k.value) for k in answer.configuration_key],
            [("HeartbeatInterval", False, "60")],
        )
        self.assertEqual(answer.unknown_key, ["AUTHORIZATIONKEY"])

    def test_get_configuration_max_keys(self):
        self.boot_and_clear()
        self.cp.ocpp_config.set("GetConfigurationMaxKeys", "2")
        result = self.cs.call(GetConfigurationRequest(key=["A", "B", "C"]))
        self.cs.settle()
        failure = self.failureResultOf(result, CallError)
        self.assertEqual(failure.value.code, ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION)


class DataTransferTests(OperationsTestCase):
    def test_answers(self):
        self.boot_and_clear()
        answer = self.ask(DataTransferRequest(vendor_id="org.site", data="abc"))
        self.assertEqual((answer.status, answer.data), (DataTransferStatus.ACCEPTED, "cba"))
        answer = self.ask(DataTransferRequest(vendor_id="com.other"))
        self.assertEqual((answer.status, answer.data), (DataTransferStatus.UNKNOWN_VENDOR_ID, None))


class RemoteStartStopTests(OperationsTestCase):
    def test_remote_start(self):
        """
        Accepted; the simulated charger then starts the transaction:
        Preparing, StartTransaction, Charging.
        """
        self.boot_and_clear()
        profile = ChargingProfile(
            charging_profile_id=1, stack_level=0, charging_profile_purpose="TxProfile",
            charging_profile_kind="Relative",
            charging_schedule=ChargingSchedule(
                charging_rate_unit="A",
                charging_schedule_period=[ChargingSchedulePeriod(start_period=0, limit=16.0)]),
        )
        answer = self.ask(RemoteStartTransactionRequest(id_tag="APP", connector_id=2, charging_profile=profile))
        self.assertEqual(answer.status, RemoteStartStopStatus.ACCEPTED)
        self.assertEqual(self.cs.actions(), ["StatusNotification", "StartTransaction", "StatusNotification"])
        self.assertEqual(self.statuses(), [(2, "Preparing"), (2, "Charging")])
        self.assertEqual(self.cs.requests("StartTransaction")[0].id_tag, "APP")
        self.assertEqual(self.site.calls[0], ("remote start", 2, "APP", profile))
        # the frame order: the answer goes before the StartTransaction
        kinds = [(f[0], f[2] if f[0] == 2 else None) for f in self.cs.frames]
        self.assertLess(kinds.index((3, None)), kinds.index((2, "StartTransaction")))

    def test_no_connector_chosen(self):
        self.boot_and_clear()
        self.cp.start_transaction(1, "X")
        self.cs.settle()
        answer = self.ask(RemoteStartTransactionRequest(id_tag="APP"))
        self.assertEqual(answer.status, RemoteStartStopStatus.ACCEPTED)
        self.assertEqual(self.cs.requests("StartTransaction")[1].connector_id, 2)
        answer = self.ask(RemoteStartTransactionRequest(id_tag="APP"))
        self.assertEqual(answer.status, RemoteStartStopStatus.REJECTED)

    def test_rejected(self):
        self.boot_and_clear()
        self.cp.start_transaction(1, "X")
        self.cs.settle()
        for request in [
            RemoteStartTransactionRequest(id_tag="APP", connector_id=1),  # busy
            RemoteStartTransactionRequest(id_tag="APP", connector_id=0),
            RemoteStartTransactionRequest(id_tag="APP", connector_id=3),
        ]:
            self.assertEqual(self.ask(request).status, RemoteStartStopStatus.REJECTED)
        self.site.refuse.add("start")
        answer = self.ask(RemoteStartTransactionRequest(id_tag="APP", connector_id=2))
        self.assertEqual(answer.status, RemoteStartStopStatus.REJECTED)
        self.cp.status_notification(2, ChargePointStatus.FAULTED, "GroundFailure")
        self.site.refuse.clear()
        answer = self.ask(RemoteStartTransactionRequest(id_tag="APP", connector_id=2))
        self.assertEqual(answer.status, RemoteStartStopStatus.REJECTED)

    def test_authorize_remote(self):
        """
        With AuthorizeRemoteTxRequests the idTag is authorized first; a
        refused one starts nothing.
        """
        self.cp.ocpp_config.set("AuthorizeRemoteTxRequests", "true")
        self.boot_and_clear()
        self.cs.answers["Authorize"] = lambda r: AuthorizeResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.INVALID)
        )
        answer = self.ask(RemoteStartTransactionRequest(id_tag="BAD", connector_id=1))
        self.assertEqual(answer.status, RemoteStartStopStatus.ACCEPTED)
        self.assertEqual(self.cs.actions(), ["Authorize"])
        self.cs.answers["Authorize"] = lambda r: AuthorizeResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.ACCEPTED)
        )
        self.ask(RemoteStartTransactionRequest(id_tag="GOOD", connector_id=1))
        self.assertEqual(self.cs.actions()[1:3], ["Authorize", "StatusNotification"])
        self.assertEqual(self.cs.requests("StartTransaction")[0].id_tag, "GOOD")

    def test_remote_stop(self):
        self.boot_and_clear()
        self.cp.start_transaction(1, "X")
        self.cs.settle()
        answer = self.ask(RemoteStopTransactionRequest(transaction_id=999))
        self.assertEqual(answer.status, RemoteStartStopStatus.REJECTED)
        answer = self.ask(RemoteStopTransactionRequest(transaction_id=100))
        self.assertEqual(answer.status, RemoteStartStopStatus.ACCEPTED)
        stop = self.cs.requests("StopTransaction")[0]
        self.assertEqual((stop.transaction_id, stop.reason, stop.id_tag), (100, "Remote", None))
        self.assertIn(("stop charging", 1, "Remote"), self.site.calls)
        self.assertEqual(self.statuses(), [(1, "Finishing")])
        self.cs.advance(5)
        self.assertEqual(self.statuses(), [(1, "Finishing"), (1, "Available")])


class ResetTests(OperationsTestCase):
    def test_soft(self):
        """
        A soft reset stops every transaction (SoftReset), waits for the
        StopTransactions to be delivered, then restarts: a new boot.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cp.start_transaction(2, "B")
        self.cs.settle()
        answer = self.ask(ResetRequest(type=ResetType.SOFT))
        self.assertEqual(answer.status, ResetStatus.ACCEPTED)
        self.assertEqual([r.reason for r in self.cs.requests("StopTransaction")], ["SoftReset"] * 2)
        self.assertIn(("reset", ResetType.SOFT, 0), self.site.calls)
        # the default behaviour restarted the service: it dropped the
        # connection; the next one boots again
        self.assertTrue(self.cs.link.closed)
        self.assertTrue(self.cp.running)
        self.cs.clear()
        self.cs.connect(self.cp)
        self.assertEqual(self.cs.actions()[0], "BootNotification")

    def test_hard_offline_queue(self):
        """
        A hard reset does not wait for the queue.
        """
        self.site.refuse.add("reset")
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cs.settle()
        self.cs.answers["StopTransaction"] = lambda r: Deferred()
        answer = self.ask(ResetRequest(type=ResetType.HARD))
        self.assertEqual(answer.status, ResetStatus.ACCEPTED)
        self.assertEqual(self.cs.requests("StopTransaction")[0].reason, "HardReset")
        self.assertIn(("reset", ResetType.HARD, 1), self.site.calls)

    def stop_transactions(self, cs):
        return [(r.transaction_id, r.reason) for r in cs.requests("StopTransaction")]

    def test_hard_stop_sent_once_across_restart(self):
        """
        A Hard reset during a transaction sends its StopTransaction exactly
        once across the reset and the reboot (errata 3.36: "after having
        restarted and having been accepted"): the default behaviour
        restarts the service, on the same SQLite file.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cs.settle()
        answer = self.ask(ResetRequest(type=ResetType.HARD))
        self.assertEqual(answer.status, ResetStatus.ACCEPTED)
        self.assertTrue(self.cs.link.closed)
        self.assertEqual(self.stop_transactions(self.cs), [])
        self.assertEqual(queued_transaction_messages(self.cp.store), ["StopTransaction"])
        self.cs.clear()
        mark = self.mark()
        self.cs.connect(self.cp)
        self.cs.advance(60)
        self.assertEqual(self.stop_transactions(self.cs), [(100, "HardReset")])
        self.assertEqual(self.cp.store.queue_length(), 0)
        # After the boot every status, but connector 1's (and the charge
        # point's) after the StopTransaction still queued.
        self.assertEqual(
            self.wire(mark),
            [("BootNotification",), ("StatusNotification", 2, "Available"),
             ("StopTransaction", "HardReset"), ("StatusNotification", 1, "Finishing"),
             ("StatusNotification", 0, "Available"),
             # the reset's critical security events, queued behind the stop
             # (ResetOrReboot, StartupOfTheDevice)
             ("SecurityEventNotification",), ("SecurityEventNotification",)],
        )

    def test_hard_stop_sent_once_after_reboot(self):
        """
        The same when the reset reboots the hardware: the process dies
        (here: a plugin's reset hook kills it) and a new one starts from the
        SQLite file.
        """
        path = self.mktemp()
        cp = make_charge_point(self, self.clock, database=path, plugins=[RebootingSite(self)])
        cp.startService()
        self.cs.connect(cp)
        cp.start_transaction(1, "A")
        self.cs.settle()
        answer = self.ask(ResetRequest(type=ResetType.HARD))
        self.assertEqual(answer.status, ResetStatus.ACCEPTED)
        self.assertEqual(self.stop_transactions(self.cs), [])
        cs = ScriptedCentralSystem(self, self.clock)
        again = make_charge_point(self, self.clock, database=path)
        again.startService()
        self.addCleanup(again.stopService)
        cs.connect(again)
        cs.advance(60)
        self.assertEqual(self.stop_transactions(cs), [(100, "HardReset")])
        self.assertEqual(again.store.queue_length(), 0)

    def test_soft_stop_sent_once(self):
        """
        A Soft reset sends the StopTransaction before it resets, and not
        again after.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cs.settle()
        self.ask(ResetRequest(type=ResetType.SOFT))
        self.assertEqual(self.stop_transactions(self.cs), [(100, "SoftReset")])
        self.cs.connect(self.cp)
        self.cs.advance(60)
        self.assertEqual(self.stop_transactions(self.cs), [(100, "SoftReset")])

    def test_rejected(self):
        self.site.refuse.add("reset_allowed")
        self.boot_and_clear()
        self.assertEqual(self.ask(ResetRequest(type=ResetType.SOFT)).status, ResetStatus.REJECTED)


class UnlockTests(OperationsTestCase):
    def test_unlock(self):
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cs.settle()
        answer = self.ask(UnlockConnectorRequest(connector_id=1))
        self.assertEqual(answer.status, UnlockStatus.UNLOCKED)
        self.assertEqual(self.cs.requests("StopTransaction")[0].reason, "UnlockCommand")
        self.assertEqual(self.site.calls[-1], ("unlock", 1))
        self.site.refuse.add("unlock")
        self.assertEqual(self.ask(UnlockConnectorRequest(connector_id=2)).status, UnlockStatus.UNLOCK_FAILED)

    def test_unlock_order(self):
        """
        UnlockConnector during a transaction: the transaction is finished
        first (section 5.18), then the answer, the StopTransaction.req, the
        statuses that follow (Finishing, then Available once unplugged).
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cp.status_notification(1, ChargePointStatus.CHARGING)
        self.cs.settle()
        mark = self.mark()
        self.ask(UnlockConnectorRequest(connector_id=1))
        self.cs.advance(5)
        self.assertEqual(
            self.wire(mark),
            [("answer", "Unlocked"), ("StopTransaction", "UnlockCommand"),
             ("StatusNotification", 1, "Finishing"), ("StatusNotification", 1, "Available")],
        )
        self.assertEqual(self.site.calls[-1], ("unlock", 1))

    def test_unlock_order_queue_busy(self):
        """
        The same order while the queue is busy with an earlier message.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cs.settle()
        waiting = self.busy_queue()
        mark = self.mark()
        self.ask(UnlockConnectorRequest(connector_id=1))
        self.assertEqual(self.wire(mark), [("answer", "Unlocked")])
        waiting.callback(MeterValuesResponse())
        self.cs.settle()
        self.assertEqual(
            self.wire(mark),
            [("answer", "Unlocked"), ("StopTransaction", "UnlockCommand"),
             ("StatusNotification", 1, "Finishing")],
        )

    def test_unlock_hook_never_answers(self):
        """
        An unlock hook that never answers holds the queue for at most
        MessageTimeout.
        """
        class StuckLock:
            @hookimpl
            def openocpp_cp_unlock_connector(self, charge_point, connector):
                return Deferred()

        self.cp.plugins.register(StuckLock())
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cs.settle()
        mark = self.mark()
        answer = self.cs.call(UnlockConnectorRequest(connector_id=1))
        self.assertEqual(self.wire(mark), [])
        self.cs.advance(30)
        self.assertEqual(self.wire(mark)[0], ("StopTransaction", "UnlockCommand"))
        self.failureResultOf(answer, CallTimeout)

    def test_unknown_connector(self):
        self.boot_and_clear()
        for connector in (0, 3):
            answer = self.ask(UnlockConnectorRequest(connector_id=connector))
            self.assertEqual(answer.status, UnlockStatus.NOT_SUPPORTED)


class TriggerMessageTests(OperationsTestCase):
    def trigger(self, message, connector=None):
        answer = self.ask(TriggerMessageRequest(requested_message=message, connector_id=connector))
        self.cs.settle()
        return answer.status

    def test_boot_notification(self):
        """
        Rejected once accepted (errata 3.35); while Pending, sent at once.
        """
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTrigger.BOOT_NOTIFICATION), TriggerMessageStatus.REJECTED)
        self.assertEqual(self.cs.actions(), [])

    def test_boot_notification_pending(self):
        self.cs.answers["BootNotification"] = lambda r: BootNotificationResponse(
            status=RegistrationStatus.PENDING, current_time=self.cs.now(), interval=600)
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTrigger.BOOT_NOTIFICATION), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.cs.actions(), ["BootNotification"])

    def test_heartbeat(self):
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTrigger.HEARTBEAT), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.cs.actions(), ["Heartbeat"])

    def test_status_notification(self):
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTrigger.STATUS_NOTIFICATION, 2), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.statuses(), [(2, "Available")])

    def test_meter_values(self):
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTrigger.METER_VALUES, 0), TriggerMessageStatus.ACCEPTED)
        request = self.cs.requests("MeterValues")[0]
        self.assertEqual((request.connector_id, request.transaction_id), (0, None))

    def test_meter_values_empty_sampled_data(self):
        """
        An Accepted TriggerMessage(MeterValues) sends MeterValues (section
        5.17) also when MeterValuesSampledData is empty: its default
        register, Energy.Active.Import.Register, is read.
        """
        self.boot_and_clear()
        self.cp.ocpp_config.change("MeterValuesSampledData", "")
        self.assertEqual(self.trigger(MessageTrigger.METER_VALUES, 1), TriggerMessageStatus.ACCEPTED)
        (request,) = self.cs.requests("MeterValues")
        self.assertEqual(request.connector_id, 1)
        (value,) = request.meter_value[0].sampled_value
        self.assertEqual(
            (value.measurand, value.unit, value.context),
            ("Energy.Active.Import.Register", "Wh", "Trigger"),
        )

    def test_meter_values_nothing_to_send(self):
        """
        A meter that gives no value: the trigger is Rejected rather than
        Accepted without a MeterValues.req following.
        """
        class SilentMeter:
            @hookimpl
            def openocpp_cp_meter_value(self, charge_point, connector, measurand, phase, context):
                return []

        self.cp.plugins.register(SilentMeter())
        self.boot_and_clear()
        for connector in (1, None):
            self.assertEqual(
                self.trigger(MessageTrigger.METER_VALUES, connector), TriggerMessageStatus.REJECTED
            )
        self.assertEqual(self.cs.actions(), [])

    def test_meter_values_answer_first(self):
        """
        The TriggerMessage.conf goes out before the MeterValues.req it
        announces (section 5.17).
        """
        self.boot_and_clear()
        before = len(self.cs.frames)
        self.trigger(MessageTrigger.METER_VALUES, 2)
        frames = self.cs.frames[before:]
        self.assertEqual([frame[0] for frame in frames[:2]], [3, 2])
        self.assertEqual(frames[1][2], "MeterValues")

    def test_diagnostics_status(self):
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTrigger.DIAGNOSTICS_STATUS_NOTIFICATION), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.cs.requests("DiagnosticsStatusNotification")[0].status, "Uploading")

    def test_firmware_status(self):
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTrigger.FIRMWARE_STATUS_NOTIFICATION), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(self.cs.requests("FirmwareStatusNotification")[0].status, "Idle")

    def test_unknown_connector(self):
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTrigger.STATUS_NOTIFICATION, 5), TriggerMessageStatus.REJECTED)
        self.assertEqual(self.cs.actions(), [])
        self.assertEqual(self.trigger(MessageTrigger.METER_VALUES, 5), TriggerMessageStatus.REJECTED)
        self.assertEqual(self.cs.actions(), [])

    def test_irrelevant_connector_ignored(self):
        """
        A connectorId that does not concern the requested message is
        ignored, and the message sent (section 5.17).
        """
        self.boot_and_clear()
        self.assertEqual(self.trigger(MessageTrigger.HEARTBEAT, 7), TriggerMessageStatus.ACCEPTED)
        self.assertEqual(
            self.trigger(MessageTrigger.FIRMWARE_STATUS_NOTIFICATION, 7), TriggerMessageStatus.ACCEPTED
        )
        self.assertEqual(self.cs.actions(), ["Heartbeat", "FirmwareStatusNotification"])


class UnsupportedProfileTests(OperationsTestCase):
    """
    The requests of profiles the charge point does not support get the
    answer the specification gives for that case, a regular response where
    there is one.
    """

