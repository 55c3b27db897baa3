"""
A charge point written with the C{ocpp} package
(C{interop/ocpp_chargepoint.py}, in a child process) against openocpp's
central system and its HTTP API on loopback: its boot and transaction
recorded in the SQLite file, operations sent through the API answered by
it, and every action the API sends accepted by the package's schemas.
"""

import os

from cryptography import x509
from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from openocpp.pki import make_ca

from tests.interop.peer_process import start_peer
from tests.transport.certificates import tls_files
from tests.web.api_client import ApiMixin
from tests.web.test_firmware import signing_certificate

#: The identity the foreign charge point connects with.
IDENTITY = "FOREIGN-1"

#: The AuthorizationKey it is registered with, in the profile tests.
KEY = "interop-key-00112233"

#: The idTag of its charging session.
TAG = "INTEROP-1"


class ForeignChargePointMixin(ApiMixin):
    """
    openocpp's L{CentralSystem} (a temporary SQLite file) and
    L{WebService} on loopback ports, and the C{ocpp} package's charge point
    connected to it.
    """

    timeout = 45

    async def connect_foreign(self, *arguments, overrides=None, registered=None):
        """
        Start the central system (configured with C{overrides}) and its
        API, register L{IDENTITY} (with the C{registered} arguments, when
        given), accept L{TAG} through the API, then the foreign charge
        point; wait for its boot.
        """
        await self.start(**(overrides or {}))
        if registered is not None:
            self.central.store.register_charge_point(IDENTITY, **registered)
        answer = await self.put(f"/api/v1/idtags/{TAG}", {"status": "Accepted"})
        self.assertEqual(answer.status, 201, answer)
        # 127.0.0.1, where the central system listens, rather than the
        # mixin's localhost, which may resolve to ::1 first.
        url = self.url.replace("//localhost:", "//127.0.0.1:")
        self.assertTrue(url.startswith(("ws://127.0.0.1:", "wss://127.0.0.1:")), url)
        self.cp, connected = await start_peer(
            self, reactor, "ocpp_chargepoint.py", "--url", url, "--identity", IDENTITY,
            *arguments, ready="connected",
        )
        self.assertEqual(connected["subprotocol"], "ocpp1.6")
        boot = await self.cp.wait_for("sent", action="BootNotification")
        self.assertEqual(boot["response"]["status"], "Accepted")
        self.assertEqual(boot["response"]["interval"], self.config.heartbeat_interval)

    def action(self, name, payload):
        """
        Send C{name} to the foreign charge point through the API.
        """
        return self.post(f"/api/v1/chargepoints/{IDENTITY}/actions/{name}", payload)


class OcppChargePointTests(ForeignChargePointMixin, TestCase):
    """
    The C{ocpp} package's charge point against openocpp's central system.
    """

    async def test_boot_and_transaction_recorded(self):
        """
        The foreign charge point's boot, statuses and whole transaction
        (Authorize, StartTransaction, MeterValues, StopTransaction) are
        accepted and recorded in the central system's SQLite file, and the
        API shows them.
        """
        await self.connect_foreign()
        session = await self.cp.wait_for("session")
        transaction_id = session["transactionId"]
        self.assertIsNotNone(transaction_id, session)
        for line in self.cp.events("sent"):
            self.assertNotIn("error", line["response"], line)
        self.assertEqual(
            self.cp.events("sent", action="Authorize")[0]["response"], {"idTagInfo": {"status": "Accepted"}}
        )

        # What the file holds, read through a connection of our own.
        [record] = self.rows("SELECT * FROM transactions WHERE id = ?", transaction_id)
        self.assertEqual(
            (record["identity"], record["connector_id"], record["id_tag"], record["meter_start"],
             record["meter_stop"], record["stop_reason"], record["stop_id_tag"]),
            (IDENTITY, 1, TAG, 1000, 1500, "Local", TAG),
        )
        # The two MeterValues.req, then the StopTransaction's transactionData.
        values = self.rows(
            "SELECT value, context FROM meter_values WHERE transaction_id = ? ORDER BY id", transaction_id
        )
        self.assertEqual(
            [(v["value"], v["context"]) for v in values],
            [("1250", "Sample.Periodic"), ("1500", "Sample.Periodic"), ("1500", "Transaction.End")],
        )
        [charge_point] = self.rows("SELECT * FROM charge_points WHERE identity = ?", IDENTITY)
        self.assertEqual(charge_point["vendor"], "mobilityhouse-ocpp")

        answer = await self.get(f"/api/v1/transactions/{transaction_id}")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(
            {name: answer.json[name] for name in ("chargePoint", "active", "meterStart", "meterStop", "energyWh")},
            {"chargePoint": IDENTITY, "active": False, "meterStart": 1000, "meterStop": 1500, "energyWh": 500},
        )
        self.assertEqual(self.cp.garbage, [])
        self.assertNotIn("Traceback", self.cp.stderr)

    async def test_api_operations_answered(self):
        """
        RemoteStartTransaction, GetConfiguration and ReserveNow sent
        through the API reach the foreign charge point, whose answers the
        API returns; the remote start's transaction is recorded.
        """
        await self.connect_foreign("--no-session")

        answer = await self.action("GetConfiguration", {"key": ["NumberOfConnectors", "Nope"]})
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(
            answer.json,
            {"configurationKey": [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}],
             "unknownKey": ["Nope"]},
        )

        answer = await self.action("RemoteStartTransaction", {"idTag": TAG, "connectorId": 2})
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        start = await self.cp.wait_for("sent", action="StartTransaction")
        self.assertEqual(start["response"]["idTagInfo"], {"status": "Accepted"})
        # The charge point's Charging status comes after the answer is stored.
        await self.cp.wait_for(
            "sent", action="StatusNotification", where=lambda line: line["request"]["status"] == "Charging"
        )
        answer = await self.get(f"/api/v1/transactions/{start['response']['transactionId']}")
        self.assertEqual(
            (answer.status, answer.json["connectorId"], answer.json["idTag"], answer.json["active"]),
            (200, 2, TAG, True),
        )

        answer = await self.action(
            "ReserveNow",
            {"connectorId": 1, "expiryDate": "2030-01-01T00:00:00Z", "idTag": TAG, "reservationId": 7},
        )
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        reserved = await self.cp.wait_for(
            "sent", action="StatusNotification", where=lambda line: line["request"]["status"] == "Reserved"
        )
        self.assertEqual(reserved["request"]["connectorId"], 1)
        answer = await self.action(
            "ReserveNow",
            {"connectorId": 2, "expiryDate": "2030-01-01T00:00:00Z", "idTag": TAG, "reservationId": 8},
        )
        self.assertEqual((answer.status, answer.json), (200, {"status": "Occupied"}))

        # What the foreign charge point does not support is its CALLERROR.
        answer = await self.action(
            "UpdateFirmware", {"location": "http://127.0.0.1:1/firmware.bin", "retrieveDate": "2030-01-01T00:00:00Z"}
        )
        self.assertError(answer, 502, "call_error", code="NotSupported")

        self.assertEqual(
            [line["action"] for line in self.cp.events("received")],
            ["GetConfiguration", "RemoteStartTransaction", "ReserveNow", "ReserveNow", "UpdateFirmware"],
        )
        self.assertEqual(self.cp.garbage, [])
        self.assertNotIn("Traceback", self.cp.stderr)


#: A certificate the foreign charge point is never asked to parse.
_PEM = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"

#: Every action the API sends, in an order where each finds the foreign
#: charge point as its case needs, with what the API answers: 200 and the
#: charge point's CALLRESULT, or 502 and the CALLERROR's code (what the
#: foreign charge point does not support).
API_CALLS = [
    ("GetLocalListVersion", {}, 200, {"listVersion": 0}),
    ("SendLocalList", {"listVersion": 1, "updateType": "Full",
                       "localAuthorizationList": [{"idTag": TAG, "idTagInfo": {"status": "Accepted"}}]},
     200, {"status": "Accepted"}),
    ("SendLocalList", {"listVersion": 1, "updateType": "Differential", "localAuthorizationList": []},
     200, {"status": "VersionMismatch"}),
    ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}, 200, {"status": "Accepted"}),
    ("ChangeConfiguration", {"key": "NumberOfConnectors", "value": "9"}, 200, {"status": "Rejected"}),
    ("ClearCache", {}, 200, {"status": "Accepted"}),
    ("DataTransfer", {"vendorId": "org.example", "messageId": "ping", "data": "1"},
     200, {"status": "UnknownVendorId"}),
    ("ChangeAvailability", {"connectorId": 2, "type": "Inoperative"}, 200, {"status": "Accepted"}),
    ("ReserveNow", {"connectorId": 2, "expiryDate": "2030-01-01T00:00:00Z", "idTag": TAG, "reservationId": 1},
     200, {"status": "Unavailable"}),
    ("ReserveNow", {"connectorId": 1, "expiryDate": "2030-01-01T00:00:00Z", "idTag": TAG, "reservationId": 2},
     200, {"status": "Accepted"}),
    ("CancelReservation", {"reservationId": 2}, 200, {"status": "Accepted"}),
    ("CancelReservation", {"reservationId": 2}, 200, {"status": "Rejected"}),
    ("TriggerMessage", {"requestedMessage": "Heartbeat"}, 200, {"status": "Accepted"}),
    # (the API does not send a BootNotification trigger to an accepted charge
    # point, errata 3.40: that is its 409, not the charge point's answer)
    ("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 9}, 200, {"status": "Rejected"}),
    ("UnlockConnector", {"connectorId": 1}, 200, {"status": "Unlocked"}),
    ("RemoteStopTransaction", {"transactionId": 999999}, 200, {"status": "Rejected"}),
    ("GetConfiguration", {"key": ["SupportedFeatureProfiles"]}, 200,
     {"configurationKey": [{"key": "SupportedFeatureProfiles", "readonly": True,
                            "value": "Core,LocalAuthListManagement,Reservation,RemoteTrigger"}]}),
    ("RemoteStartTransaction", {"idTag": TAG}, 200, {"status": "Accepted"}),
    ("UpdateFirmware", {"location": "http://127.0.0.1:1/firmware.bin", "retrieveDate": "2030-01-01T00:00:00Z"},
     502, "NotSupported"),
    ("GetDiagnostics", {"location": "http://127.0.0.1:1/diagnostics/"}, 502, "NotSupported"),
    ("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}}},
     502, "NotSupported"),
    ("GetCompositeSchedule", {"connectorId": 1, "duration": 60}, 502, "NotSupported"),
    ("ClearChargingProfile", {"id": 1}, 502, "NotSupported"),
    ("ExtendedTriggerMessage", {"requestedMessage": "Heartbeat"}, 502, "NotSupported"),
    ("GetInstalledCertificateIds", {"certificateType": "CentralSystemRootCertificate"}, 502, "NotSupported"),
    ("DeleteCertificate", {"certificateHashData": {"hashAlgorithm": "SHA256", "issuerNameHash": "00",
                                                   "issuerKeyHash": "00", "serialNumber": "01"}},
     502, "NotSupported"),
    ("InstallCertificate", {"certificateType": "CentralSystemRootCertificate", "certificate": _PEM},
     502, "NotSupported"),
    # a chain that does not parse (A02.FR.07)
    ("CertificateSigned", {"certificateChain": _PEM}, 200, {"status": "Rejected"}),
    ("GetLog", {"log": {"remoteLocation": "http://127.0.0.1:1/logs/"}, "logType": "DiagnosticsLog",
                "requestId": 1}, 502, "NotSupported"),
    ("SignedUpdateFirmware", {"requestId": 2, "firmware": {
        "location": "http://127.0.0.1:1/firmware.bin", "retrieveDateTime": "2030-01-01T00:00:00Z",
        "signingCertificate": signing_certificate(), "signature": "c2lnbmF0dXJl"}}, 502, "NotSupported"),
    ("Reset", {"type": "Soft"}, 200, {"status": "Accepted"}),
]


class EveryApiActionTests(ForeignChargePointMixin, TestCase):
    """
    Every action the API can send, to the C{ocpp} package's charge point,
    which validates each request against the OCPP 1.6 schemas.
    """

    async def test_every_action_answered(self):
        """
        Each action of C{GET /api/v1/actions} (L{API_CALLS}) reaches the
        foreign charge point as a request its schemas accept, and the API
        returns its answer: the CALLRESULT, or the API's 502 C{call_error}
        with the CALLERROR's code.
        """
        await self.connect_foreign("--no-session")
        listed = await self.get("/api/v1/actions")
        self.assertEqual({entry["action"] for entry in listed.json}, {call[0] for call in API_CALLS})
        for action, payload, status, expected in API_CALLS:
            answer = await self.action(action, payload)
            if status == 200:
                self.assertEqual((answer.status, answer.json), (200, expected), (action, payload))
            else:
                self.assertError(answer, status, "call_error", code=expected)
        received = self.cp.events("received")
        self.assertEqual([line["action"] for line in received], [call[0] for call in API_CALLS])
        # The package validated each request: none was answered with a
        # FormatViolation or another error of its own.
        self.assertEqual(
            {line["response"]["error"] for line in received if "error" in line["response"]}, {"NotSupported"}
        )
        self.assertNotIn("Traceback", self.cp.stderr)


class SecurityFlowTests(ForeignChargePointMixin, TestCase):
    """
    The Security Whitepaper's flows of a charge point, sent by the C{ocpp}
    package's, against openocpp's central system configured as a CA.
    """

    async def test_sign_certificate_and_notifications(self):
        """
        A02.FR.02-04, A02.FR.11: the foreign charge point's SignCertificate (a CSR made
        with C{cryptography}, CN its identity, O the CPO name) is Accepted,
        then the central system's CertificateSigned brings a chain whose
        leaf names it, carries its key and is signed by the CA; the charge
        point accepts it and the central system records and lists that
        answer. Its SecurityEventNotification (A04.FR.03), LogStatusNotification
        (N01.FR.07) and SignedFirmwareStatusNotification (L01.FR.10) are
        answered and recorded with their requestIds.
        """
        ca = make_ca(os.path.abspath(self.mktemp()), "Interop CPO")
        await self.connect_foreign(
            "--no-session", "--security", "--cpo-name", "Interop CPO",
            overrides=dict(ca_key=str(ca.key), ca_certificate=str(ca.certificate), cpo_name="Interop CPO"),
        )
        await self.cp.wait_for("security")
        sent = {line["action"]: line for line in self.cp.events("sent")}
        self.assertEqual(sent["SignCertificate"]["response"], {"status": "Accepted"})
        for action in ("SecurityEventNotification", "LogStatusNotification", "SignedFirmwareStatusNotification"):
            self.assertEqual(sent[action]["response"], {}, action)

        certificate = await self.cp.wait_for("certificate")
        signed = await self.cp.wait_for("received", action="CertificateSigned")
        self.assertEqual(signed["response"], {"status": "Accepted"})
        authority = x509.load_pem_x509_certificate(ca.certificate.read_bytes())
        self.assertEqual(certificate["issuer"], authority.subject.rfc4514_string())
        self.assertIn(f"CN={IDENTITY}", certificate["subject"])
        self.assertIn("O=Interop CPO", certificate["subject"])
        leaf = x509.load_pem_x509_certificates(signed["request"]["certificateChain"].encode())[0]
        leaf.verify_directly_issued_by(authority)

        # The central system recorded the issue and the charge point's answer.
        # (The answer reaches it just after the foreign charge point printed
        # it: the row is looked at again until it has it, within the timeout.)
        while self.rows("SELECT delivery FROM issued_certificates WHERE identity = ?", IDENTITY) != [
            {"delivery": "Accepted"}
        ]:
            await deferLater(reactor, 0.01, lambda: None)
        listed = await self.get(f"/api/v1/certificates?chargePoint={IDENTITY}")
        self.assertEqual(listed.status, 200, listed)
        [item] = listed.json["items"]
        self.assertEqual(
            (item["chargePoint"], item["delivery"], int(item["serial"], 16)),
            (IDENTITY, "Accepted", int(certificate["serialNumber"], 16)),
        )

        [event] = self.rows("SELECT type, tech_info FROM security_events WHERE identity = ?", IDENTITY)
        self.assertEqual((event["type"], event["tech_info"]), ("StartupOfTheDevice", "interop boot"))
        reports = self.rows(
            "SELECT kind, status, request_id FROM status_reports WHERE identity = ? ORDER BY id", IDENTITY
        )
        self.assertEqual(
            [(r["kind"], r["status"], r["request_id"]) for r in reports],
            [("LogStatusNotification", "Uploaded", 7), ("SignedFirmwareStatusNotification", "Downloading", 8)],
        )
        self.assertEqual(self.cp.garbage, [])
        self.assertNotIn("Traceback", self.cp.stderr)


class SecurityProfileTwoTests(ForeignChargePointMixin, TestCase):
    """
    The C{ocpp} package's charge point at Security Profile 2 (TLS and HTTP
    Basic) against openocpp's central system listening with TLS.
    """

    async def test_profile_2_boots_and_wrong_password_refused(self):
        """
        A00.FR.301, A00.FR.302: over C{wss://} with HTTP Basic (the
        identity as the user, A00.FR.303, and its AuthorizationKey) it
        boots, and the Security Whitepaper's requests it sends then are
        answered. With a wrong password the upgrade is refused with 401
        and it never connects.
        """
        tls = tls_files()
        settings = dict(tls_key=str(tls.server.key), tls_certificate=str(tls.server.certificate))
        await self.connect_foreign(
            "--no-session", "--security", "--password", KEY, "--ca-certificates", str(tls.ca),
            overrides=settings, registered=dict(password=KEY, security_profile=2),
        )
        await self.cp.wait_for("security")
        sent = {line["action"]: line for line in self.cp.events("sent")}
        for action in ("SecurityEventNotification", "LogStatusNotification", "SignedFirmwareStatusNotification"):
            self.assertEqual(sent[action]["response"], {}, action)
        (proxy,) = self.central.charge_points()
        self.assertEqual((proxy.identity, proxy.security_profile), (IDENTITY, 2))
        self.assertEqual(self.cp.garbage, [])

        url = self.url.replace("//localhost:", "//127.0.0.1:")
        wrong, _ = await start_peer(
            self, reactor, "ocpp_chargepoint.py", "--url", url, "--identity", IDENTITY, "--no-session",
            "--password", "not-the-password-0000", "--ca-certificates", str(tls.ca), ready=None,
        )
        ended = await wrong.ended
        self.assertEqual(getattr(ended, "exitCode", 0), 1, wrong.diagnosis())
        self.assertEqual(wrong.events("connected"), [])
        # One line saying why, no traceback.
        (refused,) = wrong.events("disconnected")
        self.assertIn("401", refused["reason"])
        self.assertNotIn("Traceback", wrong.stderr)


class SecurityProfileThreeTests(ForeignChargePointMixin, TestCase):
    """
    The C{ocpp} package's charge point at Security Profile 3 (mutual TLS,
    Python's C{ssl} with its defaults) against openocpp's central system.
    """

    async def test_profile_3_boots_and_another_certificate_refused(self):
        """
        A00.FR.401, A00.FR.405: with a client certificate the central
        system's CA signed, CN its identity, it boots without a password;
        with a certificate naming another charge point the upgrade is
        refused with 403 and it never connects.
        """
        from openocpp.pki import make_charge_point, make_server

        ca = make_ca(os.path.abspath(self.mktemp()), "Interop CPO")
        server = make_server(ca, ["localhost", "127.0.0.1"], "Interop CPO")
        own = make_charge_point(ca, IDENTITY, "Interop CPO")
        other = make_charge_point(ca, "SOMEONE-ELSE", "Interop CPO")
        settings = dict(
            tls_key=str(server.key), tls_certificate=str(server.certificate), tls_ca=str(ca.certificate),
            security_profile=3, cpo_name="Interop CPO",
        )
        await self.connect_foreign(
            "--no-session", "--ca-certificates", str(ca.certificate),
            "--client-certificate", str(own.certificate), "--client-key", str(own.key),
            overrides=settings,
        )
        (proxy,) = self.central.charge_points()
        self.assertEqual((proxy.identity, proxy.security_profile), (IDENTITY, 3))
        self.assertEqual(self.cp.garbage, [])

        url = self.url.replace("//localhost:", "//127.0.0.1:")
        wrong, _ = await start_peer(
            self, reactor, "ocpp_chargepoint.py", "--url", url, "--identity", IDENTITY, "--no-session",
            "--ca-certificates", str(ca.certificate),
            "--client-certificate", str(other.certificate), "--client-key", str(other.key), ready=None,
        )
        ended = await wrong.ended
        self.assertEqual(getattr(ended, "exitCode", 0), 1, wrong.diagnosis())
        self.assertEqual(wrong.events("connected"), [])
        (refused,) = wrong.events("disconnected")
        self.assertIn("403", refused["reason"])
        self.assertNotIn("Traceback", wrong.stderr)
