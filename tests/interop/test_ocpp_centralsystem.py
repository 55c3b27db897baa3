"""
openocpp's charge point against a central system written with the C{ocpp}
package (C{interop/ocpp_centralsystem.py}, in a child process): boot,
heartbeat, a whole transaction, and the probe of every call a central
system sends, each answered as the spec says.

The probe's answers for the Core and Remote Trigger profiles are asserted
exactly (L{CURRENT_ANSWERS}), and so are those of the Local Auth List
Management, Reservation, Firmware Management and Smart Charging profiles
with the notifications they make the charge point send
(L{PROFILE_ANSWERS}), and so are the Security Whitepaper's
(L{SECURITY_ANSWERS}): a manufacturer root made by the probe installed,
listed with the hash data the probe computed, used for a signed firmware
whose signature is refused, then deleted; a log uploaded.
"""

from twisted.internet import reactor
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource
from twisted.web.server import Site

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.config import ChargePointConfig
from openocpp.chargepoint.service import ChargePoint
from openocpp.messages import codec
from openocpp.messages.datatypes import MeterValue, SampledValue
from openocpp.messages.enums import AuthorizationStatus
from openocpp.messages.registry import ACTIONS, Role
from openocpp.plugins import make_plugin_manager
from tests.interop.peer_process import start_peer

#: The identity the charge point connects with.
IDENTITY = "CP-INTEROP"

#: What openocpp answers today to each probe call of the Core and Remote
#: Trigger profiles, by (action, case): the CALLRESULT's payload, or
#: C{("CALLERROR", code)}.
CURRENT_ANSWERS = {
    ("GetConfiguration", "a known and an unknown key"): {
        "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
        "unknownKey": ["NoSuchKey"],
    },
    ("ChangeConfiguration", "a writable key"): {"status": "Accepted"},
    ("ChangeConfiguration", "an unknown key"): {"status": "NotSupported"},
    ("ChangeConfiguration", "a read-only key"): {"status": "Rejected"},
    ("ClearCache", ""): {"status": "Accepted"},
    ("DataTransfer", "an unknown vendor"): {"status": "UnknownVendorId"},
    ("ChangeAvailability", "an idle connector"): {"status": "Accepted"},
    ("ChangeAvailability", "back to operative"): {"status": "Accepted"},
    ("ChangeAvailability", "no such connector"): {"status": "Rejected"},
    ("UnlockConnector", "an idle connector"): {"status": "Unlocked"},
    # errata 3.85: an unknown connector is NotSupported
    ("UnlockConnector", "no such connector"): {"status": "NotSupported"},
    # errata 3.35: BootNotification is not triggered once accepted
    ("TriggerMessage", "BootNotification"): {"status": "Rejected"},
    ("TriggerMessage", "DiagnosticsStatusNotification"): {"status": "Accepted"},
    ("TriggerMessage", "FirmwareStatusNotification"): {"status": "Accepted"},
    ("TriggerMessage", "Heartbeat"): {"status": "Accepted"},
    ("TriggerMessage", "MeterValues"): {"status": "Accepted"},
    ("TriggerMessage", "StatusNotification"): {"status": "Accepted"},
    ("TriggerMessage", "StatusNotification of no such connector"): {"status": "Rejected"},
    ("RemoteStartTransaction", "an idle connector"): {"status": "Accepted"},
    ("RemoteStopTransaction", "the running transaction"): {"status": "Accepted"},
    ("RemoteStopTransaction", "an unknown transaction"): {"status": "Rejected"},
    ("Reset", "last"): {"status": "Accepted"},
}

#: Any value of a field (a file name the charge point chooses).
ANY = object()

#: What the Local Auth List Management, Reservation, Smart Charging and
#: Firmware Management operations answer (OCPP 1.6 sections 5.7, 5.9, 5.10,
#: 5.13, 5.15, 5.16, 7.47), by the probe's (action, case): the CALLRESULT's
#: fields (those named; L{ANY}: present, any value); and the notifications
#: the charge point then sends, by (action, "sent"): their statuses, in
#: this order among the others it sends.
PROFILE_ANSWERS = {
    # Local Auth List Management (5.10: 0 is an empty list; 5.15, 7.47)
    ("GetLocalListVersion", "before any list"): {"listVersion": 0},
    ("SendLocalList", "Full, version 1"): {"status": "Accepted"},
    ("SendLocalList", "Differential, version 2: one added, one removed"): {"status": "Accepted"},
    ("SendLocalList", "Differential, version 2 again"): {"status": "VersionMismatch"},
    ("GetLocalListVersion", "after the lists"): {"listVersion": 2},
    # Reservation (5.13, 5.2)
    ("ReserveNow", "an idle connector"): {"status": "Accepted"},
    ("ReserveNow", "the same reservationId again"): {"status": "Accepted"},
    ("CancelReservation", "a known reservation"): {"status": "Accepted"},
    ("CancelReservation", "an unknown reservation"): {"status": "Rejected"},
    ("ReserveNow", "the busy connector"): {"status": "Occupied"},
    ("StatusNotification", "sent"): ["Reserved", "Available"],
    # Smart Charging (5.16, 5.7, 5.5, 3.13)
    ("SetChargingProfile", "TxProfile of the running transaction"): {"status": "Accepted"},
    ("SetChargingProfile", "TxDefaultProfile on connector 0"): {"status": "Accepted"},
    ("SetChargingProfile", "ChargePointMaxProfile"): {"status": "Accepted"},
    ("SetChargingProfile", "TxProfile on a connector without a transaction"): {"status": "Rejected"},
    ("GetCompositeSchedule", "the busy connector, in A"): {"status": "Accepted", "connectorId": 1},
    ("GetCompositeSchedule", "the charge point (connector 0), in W"): {"status": "Accepted", "connectorId": 0},
    ("GetCompositeSchedule", "no such connector"): {"status": "Rejected"},
    ("ClearChargingProfile", "a known chargingProfileId"): {"status": "Accepted"},
    ("ClearChargingProfile", "by connector and purpose"): {"status": "Accepted"},
    ("ClearChargingProfile", "an unknown chargingProfileId"): {"status": "Unknown"},
    # Firmware Management (5.9, 5.19, 4.4, 4.5)
    ("GetDiagnostics", "upload to --diagnostics-url"): {"fileName": ANY},
    ("DiagnosticsStatusNotification", "sent"): ["Idle", "Uploading", "Uploaded"],
    ("UpdateFirmware", "download from --firmware-url now"): {},
    ("FirmwareStatusNotification", "sent"): ["Idle", "Downloading", "Downloaded", "Installing", "Installed"],
}

#: What the Security Whitepaper's operations answer (edition 2: M03, M04,
#: M05, N01, L01, A02 with their requirement ids), by the probe's
#: (action, case), and the notifications they make the charge point send.
SECURITY_ANSWERS = {
    # ExtendedTriggerMessage (a whitepaper message without a requirement id of its own)
    ("ExtendedTriggerMessage", "Heartbeat"): {"status": "Accepted"},
    # M03.FR.02: none installed
    ("GetInstalledCertificateIds", "CentralSystemRootCertificate"): {"status": "NotFound"},
    # M04.FR.06: no such certificate
    ("DeleteCertificate", "an unknown certificate"): {"status": "NotFound"},
    # M05.FR.06 (not a certificate)
    ("InstallCertificate", "a malformed certificate"): {"status": "Rejected"},
    # M05.FR.01, M05.FR.02
    ("InstallCertificate", "a ManufacturerRootCertificate made by the probe"): {"status": "Accepted"},
    # M03.FR.01, M03.FR.04 (its certificateHashData asserted against the probe's own)
    ("GetInstalledCertificateIds", "ManufacturerRootCertificate, once installed"): {"status": "Accepted"},
    # A02.FR.07 (the chain does not parse)
    ("CertificateSigned", "a malformed chain"): {"status": "Rejected"},
    # N01.FR.01, N01.FR.02 (the file lands on the server)
    ("GetLog", "DiagnosticsLog to --diagnostics-url"): {"status": "Accepted", "filename": ANY},
    ("LogStatusNotification", "sent"): ["Uploading", "Uploaded"],
    # L01.FR.24: the signing certificate is not one
    ("SignedUpdateFirmware", "an unverifiable signature"): {"status": "InvalidCertificate"},
    # L01.FR.03: accepted, downloaded, then its signature refused
    ("SignedUpdateFirmware", "a valid signing certificate, a wrong signature"): {"status": "Accepted"},
    ("SignedFirmwareStatusNotification", "sent"): ["Downloading", "Downloaded", "InvalidSignature"],
    # M04.FR.01, M04.FR.02, by the hash data the probe computed itself
    ("DeleteCertificate", "the ManufacturerRootCertificate installed"): {"status": "Accepted"},
}


class _Transfers(Resource):
    """
    The firmware and diagnostics server of the probe's UpdateFirmware and
    GetDiagnostics: C{GET /firmware.bin} serves a file, C{PUT} or C{POST}
    under C{/diagnostics/} keeps what is uploaded.
    """

    isLeaf = True
    firmware = b"version=2.0-interop\nopenocpp interop firmware\n"

    def __init__(self) -> None:
        super().__init__()
        self.uploads: dict[str, bytes] = {}

    def render_GET(self, request):
        if request.path != b"/firmware.bin":
            request.setResponseCode(404)
            return b"no such file\n"
        return self.firmware

    def render_PUT(self, request):
        if not request.path.startswith(b"/diagnostics/"):
            request.setResponseCode(404)
            return b"uploads go under /diagnostics/\n"
        self.uploads[request.path.decode("utf-8")] = request.content.read()
        return b""

    render_POST = render_PUT


def start_charge_point(testcase, config):
    """
    Start openocpp's charge point for C{config} (the default behaviour, no
    installed plugins), stopped and closed at C{testcase}'s end.
    """
    plugins = make_plugin_manager(builtins=[DefaultChargePointBehaviour()], load_entrypoints=False)
    charge_point = ChargePoint(config, reactor=reactor, plugins=plugins)
    charge_point.startService()
    testcase.addCleanup(charge_point.store.close)
    testcase.addCleanup(charge_point.stopService)
    return charge_point


class OcppCentralSystemTests(TestCase):
    """
    openocpp's L{ChargePoint} (real reactor, loopback, a temporary SQLite
    file) against the C{ocpp} package's central system.
    """

    timeout = 45

    async def start(self, *arguments):
        """
        Start the foreign central system with C{arguments}, then a charge
        point connecting to it; wait for its boot to be accepted.
        """
        self.cs, listening = await start_peer(
            self, reactor, "ocpp_centralsystem.py", "--port", "0", *arguments, ready="listening"
        )
        self.assertEqual(listening["host"], "127.0.0.1")
        config = ChargePointConfig(
            url=f"ws://127.0.0.1:{listening['port']}/ocpp",
            identity=IDENTITY,
            database=self.mktemp(),
            reconnect_initial_delay=0.05,
            reconnect_max_delay=0.2,
        )
        self.cp = start_charge_point(self, config)
        boot = await self.cs.wait_for("received", action="BootNotification")
        self.assertEqual(boot["identity"], IDENTITY)
        self.assertEqual(boot["response"]["status"], "Accepted")
        self.assertEqual(boot["request"]["chargePointVendor"], "openocpp")
        return boot

    def assertAllAnswered(self):
        """
        Every request the charge point sent passed the package's schema
        validation and got a CALLRESULT.
        """
        for line in self.cs.events("received"):
            self.assertNotIn("error", line["response"], line)

    def assertFields(self, result, expected, key):
        """
        C{result} has the fields of C{expected} with their values (L{ANY}:
        any value, but present).
        """
        for name, value in expected.items():
            self.assertIn(name, result, key)
            if value is not ANY:
                self.assertEqual(result[name], value, key)

    def assertInOrder(self, expected, actual, key):
        """
        C{expected} is a subsequence of C{actual}: each item found after the
        one before it.
        """
        remaining = iter(actual)
        for item in expected:
            self.assertTrue(any(each == item for each in remaining), f"{key}: {expected} in {actual}")

    def received(self, action):
        return [line["request"] for line in self.cs.events("received", action=action)]

    async def test_boot_heartbeat_and_transaction(self):
        """
        The charge point boots, reports its connectors, beats at the
        interval the central system gave, and runs a transaction
        (Authorize, StartTransaction, MeterValues with its transactionId,
        StopTransaction) that the foreign central system receives as the
        schemas say.
        """
        await self.start("--no-probe", "--heartbeat-interval", "1")
        await self.cs.wait_for("received", action="StatusNotification", count=3)
        self.assertEqual(
            [(s["connectorId"], s["status"]) for s in self.received("StatusNotification")],
            [(0, "Available"), (1, "Available"), (2, "Available")],
        )
        beat = await self.cs.wait_for("received", action="Heartbeat")
        self.assertEqual(beat["request"], {})
        self.assertIn("currentTime", beat["response"])

        status, _ = await self.cp.authorize(1, "TAG-1")
        self.assertEqual(status, AuthorizationStatus.ACCEPTED)
        self.assertEqual(await self.cp.start_transaction(1, "TAG-1"), AuthorizationStatus.ACCEPTED)
        start = await self.cs.wait_for("received", action="StartTransaction")
        transaction_id = start["response"]["transactionId"]
        self.assertEqual(self.cp.transaction_id(1), transaction_id)
        self.assertEqual((start["request"]["connectorId"], start["request"]["idTag"]), (1, "TAG-1"))

        reading = MeterValue(
            timestamp=self.cp.now(),
            sampled_value=[SampledValue(value="1234", measurand="Energy.Active.Import.Register", unit="Wh")],
        )
        self.assertTrue(await self.cp.send_meter_values(1, [reading]))
        meter = await self.cs.wait_for(
            "received", action="MeterValues",
            where=lambda line: line["request"].get("transactionId") == transaction_id,
        )
        self.assertEqual(meter["request"]["meterValue"][0]["sampledValue"][0]["value"], "1234")

        await self.cp.stop_transaction(1, "TAG-1")
        stop = await self.cs.wait_for("received", action="StopTransaction")
        self.assertEqual(stop["request"]["transactionId"], transaction_id)
        self.assertEqual(stop["request"]["idTag"], "TAG-1")
        self.assertEqual(stop["response"], {"idTagInfo": {"status": "Accepted"}})
        self.assertEqual(self.received("Authorize"), [{"idTag": "TAG-1"}])
        self.assertIsNone(self.cp.transaction_id(1))
        self.assertAllAnswered()
        self.assertEqual(self.cs.garbage, [])
        self.assertNotIn("Traceback", self.cs.stderr)

    async def test_probe(self):
        """
        Every call a central system sends (the Security Whitepaper's too)
        gets a well-formed answer: a CALLRESULT valid against the official
        schema, or a CALLERROR NotSupported for a profile the charge point
        does not support; the Core and Remote Trigger ones exactly as
        L{CURRENT_ANSWERS} says; and the charge point sends what the
        triggers, the remote start and stop and the reset ask for.
        """
        transfers = _Transfers()
        port = reactor.listenTCP(0, Site(transfers), interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        base = f"http://127.0.0.1:{port.getHost().port}"
        await self.start(
            "--firmware-url", f"{base}/firmware.bin", "--diagnostics-url", f"{base}/diagnostics/",
        )
        summary = await self.cs.wait_for("summary", identity=IDENTITY, timeout=30)
        probes = self.cs.events("probe", identity=IDENTITY)

        self.assertEqual(
            {line["action"] for line in probes},
            {name for name, spec in ACTIONS.items() if spec.received_by(Role.CHARGE_POINT)},
        )
        self.assertEqual(
            (summary["calls"], summary["invalid"], summary["timeouts"], summary["closed"]),
            (len(probes), 0, 0, 0),
        )
        for line in probes:
            key = (line["action"], line["case"])
            outcome = line["outcome"]
            spec = ACTIONS[line["action"]]
            self.assertTrue("result" in outcome or "error" in outcome, f"{key}: {outcome}")
            if "result" in outcome:
                # the package validated it; openocpp's own validator agrees
                codec.validate(spec.response, outcome["result"])
            if key in SECURITY_ANSWERS:
                self.assertIn("result", outcome, key)
                self.assertEqual(
                    set(outcome["result"]) - {"certificateHashData"}, set(SECURITY_ANSWERS[key]), key
                )
                self.assertFields(outcome["result"], SECURITY_ANSWERS[key], key)
            elif key in CURRENT_ANSWERS:
                self.assertEqual(outcome.get("result"), CURRENT_ANSWERS[key], key)
            elif key in PROFILE_ANSWERS:
                self.assertIn("result", outcome, key)
                self.assertFields(outcome["result"], PROFILE_ANSWERS[key], key)
            else:
                self.assertEqual(key, ("GetConfiguration", "every key"), "a probe call without an expected answer")
        self.assertEqual(
            {key for key in CURRENT_ANSWERS} - {(line["action"], line["case"]) for line in probes}, set()
        )
        self.assertEqual(
            {key for key in {**PROFILE_ANSWERS, **SECURITY_ANSWERS} if key[1] != "sent"}
            - {(line["action"], line["case"]) for line in probes},
            set(),
        )
        # The charge point's hash data of the root it installed is the
        # probe's own (SHA-256 of the issuer's name and key, the serial).
        by_case = {(line["action"], line["case"]): line for line in probes}
        deleted = by_case[("DeleteCertificate", "the ManufacturerRootCertificate installed")]
        listed = by_case[("GetInstalledCertificateIds", "ManufacturerRootCertificate, once installed")]
        self.assertEqual(
            listed["outcome"]["result"]["certificateHashData"],
            [deleted["request"]["certificateHashData"]],
        )
        self.assertNotIn(
            "certificateHashData",
            by_case[("GetInstalledCertificateIds", "CentralSystemRootCertificate")]["outcome"]["result"],
        )

        every_key = [line for line in probes if line["case"] == "every key"][0]["outcome"]["result"]
        keys = {entry["key"]: entry for entry in every_key["configurationKey"]}
        self.assertIn("Core", keys["SupportedFeatureProfiles"]["value"].split(","))
        self.assertEqual(keys["NumberOfConnectors"], {"key": "NumberOfConnectors", "readonly": True, "value": "2"})

        # What the triggers, the remote start and stop and the reset made
        # the charge point send (a triggered message may still be on its way
        # when the probe ends: waited for, not looked up).
        diagnostics = await self.cs.wait_for("received", action="DiagnosticsStatusNotification")
        self.assertEqual(diagnostics["request"], {"status": "Idle"})
        firmware = await self.cs.wait_for("received", action="FirmwareStatusNotification")
        self.assertEqual(firmware["request"], {"status": "Idle"})
        triggered = await self.cs.wait_for(
            "received", action="MeterValues",
            where=lambda line: line["request"]["meterValue"][0]["sampledValue"][0].get("context") == "Trigger",
        )
        self.assertEqual(triggered["request"]["connectorId"], 1)
        await self.cs.wait_for(
            "received", action="StatusNotification",
            where=lambda line: (line["request"]["connectorId"], line["request"]["status"]) == (2, "Unavailable"),
        )
        # The probe waited for these two before going on.
        start = self.received("StartTransaction")[0]
        self.assertEqual((start["connectorId"], start["idTag"]), (1, "INTEROP-1"))
        stop = self.received("StopTransaction")[0]
        self.assertEqual((stop["transactionId"], stop["reason"]), (1, "Remote"))
        # The firmware update's reboot, then the soft reset: the charge
        # point connects again and boots anew, twice.
        await self.cs.wait_for("received", action="BootNotification", count=3)
        await self.cs.wait_for("received", action="FirmwareStatusNotification",
                               where=lambda line: line["request"]["status"] == "Installed")
        # The simulated charger installed it: the boot after its reboot
        # reports the new firmwareVersion (issue 12).
        boots = self.received("BootNotification")
        self.assertNotEqual(boots[0].get("firmwareVersion"), "2.0-interop")
        self.assertEqual(boots[1]["firmwareVersion"], "2.0-interop")
        for key, statuses in {**PROFILE_ANSWERS, **SECURITY_ANSWERS}.items():
            if key[1] == "sent":
                sent = [request["status"] for request in self.received(key[0])]
                self.assertInOrder(statuses, sent, key)
        # The diagnostics file and the log landed on the server.
        self.assertEqual(sorted(transfers.uploads), sorted({
            "/diagnostics/" + by_case[("GetDiagnostics", "upload to --diagnostics-url")]
            ["outcome"]["result"]["fileName"],
            "/diagnostics/" + by_case[("GetLog", "DiagnosticsLog to --diagnostics-url")]
            ["outcome"]["result"]["filename"],
        }))
        # Every SignedFirmwareStatusNotification of the signed update
        # carries its requestId (L01.FR.10).
        self.assertEqual(
            {request.get("requestId") for request in self.received("SignedFirmwareStatusNotification")
             if request["status"] != "Idle"},
            {3},
        )
        self.assertEqual(self.cs.events("problem"), [])
        self.assertAllAnswered()
        self.assertEqual(self.cs.garbage, [])
        self.assertNotIn("Traceback", self.cs.stderr)


class SecureOcppCentralSystemTests(TestCase):
    """
    openocpp's L{ChargePoint} at Security Profiles 2 and 3 against the
    C{ocpp} package's central system listening with Python's C{ssl}.
    """

    timeout = 45

    def setUp(self):
        import os

        from openocpp import pki

        folder = os.path.abspath(self.mktemp())
        self.ca = pki.make_ca(folder, "Interop CPO")
        self.server = pki.make_server(self.ca, ["127.0.0.1"], "Interop CPO")
        self.own = pki.make_charge_point(self.ca, IDENTITY, "Interop CPO")

    async def boot(self, profile, *arguments, **settings):
        """
        Start the foreign central system with TLS (and C{arguments}), then
        the charge point at C{profile} with C{settings}; wait for its boot
        to be accepted; return the foreign side's C{connected} line.
        """
        self.cs, listening = await start_peer(
            self, reactor, "ocpp_centralsystem.py", "--port", "0", "--no-probe",
            "--tls-cert", str(self.server.certificate), "--tls-key", str(self.server.key), *arguments,
            ready="listening",
        )
        config = ChargePointConfig(
            url=f"wss://127.0.0.1:{listening['port']}/ocpp", identity=IDENTITY, security_profile=profile,
            ca_certificates=str(self.ca.certificate), database=self.mktemp(),
            reconnect_initial_delay=0.05, reconnect_max_delay=0.2, **settings,
        )
        self.cp = start_charge_point(self, config)
        boot = await self.cs.wait_for("received", action="BootNotification")
        self.assertEqual(boot["response"]["status"], "Accepted")
        (connected,) = self.cs.events("connected")
        return connected

    async def test_profile_2_basic_auth_over_tls(self):
        """
        A00.FR.301, A00.FR.303: over TLS 1.2 or above, the charge point's
        HTTP Basic credentials are its identity and AuthorizationKey.
        """
        key = "0123456789abcdef0123"
        connected = await self.boot(2, password=key)
        self.assertEqual((connected["basicUser"], connected["basicPassword"]), (IDENTITY, key))
        self.assertNotIn("clientCertificateCN", connected)

    async def test_profile_3_client_certificate(self):
        """
        A00.FR.401, A00.FR.402: with the foreign central system requiring a
        client certificate, the charge point presents its own (CN its
        identity) and sends no password.
        """
        connected = await self.boot(
            3, "--tls-ca", str(self.ca.certificate),
            client_certificate=str(self.own.certificate), client_key=str(self.own.key),
        )
        self.assertEqual(connected["clientCertificateCN"], IDENTITY)
        self.assertNotIn("basicUser", connected)
