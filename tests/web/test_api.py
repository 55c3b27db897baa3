"""
Tests for the HTTP API (L{openocpp.web}): every endpoint against a running
central system and its web service on loopback ports, with a scripted test
charge point (L{tests.centralsystem.fake_chargepoint}) connected over a real WebSocket.
"""

import base64
from datetime import timedelta

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, gatherResults, inlineCallbacks
from twisted.logger import globalLogPublisher
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.http_headers import Headers
from zope.interface.verify import verifyObject

from openocpp import hookimpl
from openocpp.centralsystem.service import CentralSystem
from openocpp.centralsystem.tap import CentralSystemOptions, make_service
from openocpp.messages import codec, core, security
from openocpp.messages.datatypes import MeterValue, SampledValue
from openocpp.messages.errors import ErrorCode
from openocpp.messages.registry import ACTIONS, Role
from openocpp.rpc.errors import CallError
from openocpp.web.api import CS_ACTIONS, MAX_LIMIT
from openocpp.web.auth import LoopbackAuthenticator, TokenAuthenticator
from openocpp.web.config import ApiConfig, is_loopback_endpoint, read_token, split_endpoint
from openocpp.web.events import LiveEvents
from openocpp.web.interfaces import IApiAuthenticator, IApiConfig, ILiveEvents
from openocpp.web.openapi import build_openapi, load_openapi, render_openapi
from openocpp.web.service import WebService
from tests.centralsystem.fake_chargepoint import BOOT, NOW, when_disconnected
from tests.centralsystem.store_file import select
from tests.payloads import sample_message
from tests.web.test_firmware import signing_certificate
from tests.web.api_client import TOKEN, ApiMixin, Body, SseReader
from tests.centralsystem.stores import PostgreSQLCentralSystemMixin


class ChargePointTests(ApiMixin, TestCase):
    """
    C{/api/v1/chargepoints}: listing, one, registration and its removal.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_list(self):
        """
        The list holds connected charge points with their boot information
        and connector statuses, and registered ones that are offline.
        """
        yield self.booted("CP1", statuses=[("Available", 1), ("Charging", 2)])
        self.central.store.register_charge_point("OFF", password="0123456789abcdef")
        answer = yield self.get("/api/v1/chargepoints")
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.json["total"], 2)
        cp1, off = answer.json["items"]
        self.assertEqual(cp1["identity"], "CP1")
        self.assertTrue(cp1["connected"])
        self.assertTrue(cp1["registered"])
        self.assertEqual(cp1["registrationStatus"], "Accepted")
        self.assertEqual(cp1["boot"]["chargePointVendor"], "Acme")
        self.assertEqual(cp1["boot"]["firmwareVersion"], "1.2.3")
        self.assertIsNotNone(cp1["lastSeen"])
        self.assertEqual(
            [(c["connectorId"], c["status"], c["errorCode"]) for c in cp1["connectors"]],
            [(1, "Available", "NoError"), (2, "Charging", "NoError")],
        )
        self.assertEqual(cp1["connection"]["peer"], "127.0.0.1")
        self.assertEqual(
            (off["identity"], off["connected"], off["registered"], off["hasPassword"], off["boot"]),
            ("OFF", False, True, True, None),
        )
        self.assertNotIn("password_hash", answer.body.decode())

        online = yield self.get("/api/v1/chargepoints?connected=true")
        self.assertEqual([cp["identity"] for cp in online.json["items"]], ["CP1"])
        offline = yield self.get("/api/v1/chargepoints?connected=false")
        self.assertEqual([cp["identity"] for cp in offline.json["items"]], ["OFF"])

    @inlineCallbacks
    def test_last_seen_is_the_last_message_of_any_kind(self):
        """
        C{lastSeen} is the time of the charge point's last message of any
        kind: its CALLRESULT to a request of the central system (here
        ClearCache's) counts as much as its own CALLs, and the list shows
        that time.
        """
        store = self.central.store
        heard = []
        touch = store.touch

        def noting(identity):
            heard.append(identity)
            touch(identity)

        # Before the connection exists: it keeps the store's touch.
        store.touch = noting
        yield self.booted("CP1", statuses=[])
        before = store.last_seen("CP1")
        del heard[:]
        answer = yield self.post("/api/v1/chargepoints/CP1/actions/ClearCache", {})
        self.assertEqual(answer.status, 200, answer)
        # The one frame CP1 sent since: its CALLRESULT.
        self.assertEqual(heard, ["CP1"])
        after = store.last_seen("CP1")
        self.assertGreaterEqual(after, before)
        listed = yield self.get("/api/v1/chargepoints/CP1")
        self.assertEqual(listed.json["lastSeen"], after)

    @inlineCallbacks
    def test_pagination(self):
        """
        C{limit} and C{offset} page the list; the total counts them all.
        Bad values are 400.
        """
        for number in range(5):
            self.central.store.register_charge_point(f"CP{number}")
        answer = yield self.get("/api/v1/chargepoints?limit=2&offset=3")
        self.assertEqual(
            (answer.json["total"], answer.json["limit"], answer.json["offset"]), (5, 2, 3)
        )
        self.assertEqual([cp["identity"] for cp in answer.json["items"]], ["CP3", "CP4"])
        default = yield self.get("/api/v1/chargepoints")
        self.assertEqual(default.json["limit"], 50)
        for query in ["limit=0", f"limit={MAX_LIMIT + 1}", "limit=x", "offset=-1", "connected=maybe"]:
            bad = yield self.get("/api/v1/chargepoints?" + query)
            self.assertError(bad, 400, "bad_query")

    @inlineCallbacks
    def test_one(self):
        """
        One charge point by identity; an unknown one is 404. A charge point
        only connected (never booted) is found too.
        """
        yield self.booted("CP1")
        answer = yield self.get("/api/v1/chargepoints/CP1")
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.json["connectors"][0]["status"], "Available")
        yield self.connect("FRESH")
        fresh = yield self.get("/api/v1/chargepoints/FRESH")
        self.assertEqual((fresh.json["connected"], fresh.json["boot"]), (True, None))
        missing = yield self.get("/api/v1/chargepoints/NOPE")
        self.assertError(missing, 404, "unknown_charge_point")

    @inlineCallbacks
    def test_put(self):
        """
        PUT registers a charge point (201), then changes its password and
        security profile (200); the password is stored hashed and checks.
        """
        created = yield self.put("/api/v1/chargepoints/NEW", {"password": "0123456789abcdef", "securityProfile": 1})
        self.assertEqual(created.status, 201)
        self.assertEqual(
            (created.json["registered"], created.json["hasPassword"], created.json["securityProfile"]),
            (True, True, 1),
        )
        store = self.central.store
        self.assertTrue(store.is_approved("NEW"))
        self.assertTrue(store.check_password("NEW", ["0123456789abcdef"]))
        changed = yield self.put("/api/v1/chargepoints/NEW", {"password": "fedcba9876543210"})
        self.assertEqual(changed.status, 200)
        self.assertEqual(changed.json["securityProfile"], 1)
        self.assertTrue(store.check_password("NEW", ["fedcba9876543210"]))
        self.assertFalse(store.check_password("NEW", ["0123456789abcdef"]))
        empty = yield self.put("/api/v1/chargepoints/NEW")
        self.assertEqual(empty.status, 200)
        self.assertTrue(empty.json["hasPassword"])
        cleared = yield self.put("/api/v1/chargepoints/NEW", {"password": None})
        self.assertEqual(cleared.status, 200)
        self.assertFalse(cleared.json["hasPassword"])
        self.assertIsNone(store.check_password("NEW", ["fedcba9876543210"]))

    @inlineCallbacks
    def test_put_pending(self):
        """
        A charge point kept Pending at boot is accepted at its next boot
        once registered through the API.
        """
        yield self.central.stopService()
        yield self.web.stopService()
        yield self.start(unknown_charge_points="pending")
        cp = yield self.connect("WAIT")
        first = yield cp.call(BOOT)
        self.assertEqual(first.status, "Pending")
        listed = yield self.get("/api/v1/chargepoints/WAIT")
        self.assertEqual((listed.json["registered"], listed.json["registrationStatus"]), (False, "Pending"))
        answer = yield self.put("/api/v1/chargepoints/WAIT")
        self.assertEqual(answer.status, 201)
        second = yield cp.call(BOOT)
        self.assertEqual(second.status, "Accepted")

    @inlineCallbacks
    def test_put_bad(self):
        """
        Unknown members, a bad security profile or password, a body that
        is not an object or not JSON are 400, another content type 415.
        """
        for body in [{"pasword": "x"}, {"securityProfile": 4}, {"securityProfile": "1"}, {"password": ""}, {"password": 5}, [1]]:
            answer = yield self.put("/api/v1/chargepoints/NEW", body)
            self.assertError(answer, 400, "bad_body")
        answer = yield self.put("/api/v1/chargepoints/NEW", raw=b"{nope", headers={"Content-Type": "application/json"})
        self.assertError(answer, 400, "bad_json")
        answer = yield self.put("/api/v1/chargepoints/NEW", raw=b"{}", headers={"Content-Type": "text/plain"})
        self.assertError(answer, 415, "unsupported_media_type")
        self.assertIsNone(self.central.store.charge_point("NEW"))

    @inlineCallbacks
    def test_put_password_of_16_to_40_bytes(self):
        """
        Security Whitepaper 7.2: the password (the AuthorizationKey) is 16
        to 40 bytes: 15 or 41 bytes (a two-byte character counted as two)
        are 400 bad_password, saying the lengths, and nothing is
        registered; 16 and 40 are stored.
        """
        for password in ["a" * 15, "a" * 41, "\u00e9" * 8 + "a" * 25]:
            answer = yield self.put("/api/v1/chargepoints/NEW", {"password": password})
            self.assertError(answer, 400, "bad_password")
            self.assertIn("16 to 40 bytes", answer.json["description"])
        self.assertIsNone(self.central.store.charge_point("NEW"))
        for password in ["a" * 16, "b" * 40]:
            answer = yield self.put("/api/v1/chargepoints/NEW", {"password": password})
            self.assertIn(answer.status, (200, 201))
            self.assertTrue(self.central.store.check_password("NEW", [password]))

    @inlineCallbacks
    def test_put_refuses_an_identity_that_could_never_connect(self):
        """
        PUT refuses (400 bad_identity, nothing stored) an identity the OCPP
        listener refuses: a lookalike letter, a zero-width character, only
        dots, more than 48 characters.
        """
        for identity in ["CP%D0%A1", "CP%E2%80%8B1", "..", "X" * 49]:
            answer = yield self.put(f"/api/v1/chargepoints/{identity}")
            self.assertError(answer, 400, "bad_identity")
        self.assertEqual(select(self.central.store, "SELECT count(*) FROM charge_points")[0][0], 0)

    @inlineCallbacks
    def test_delete(self):
        """
        DELETE unregisters (204); again, or unknown, is 404.
        """
        self.central.store.register_charge_point("OLD")
        answer = yield self.delete("/api/v1/chargepoints/OLD")
        self.assertEqual((answer.status, answer.body), (204, b""))
        self.assertIsNone(self.central.store.charge_point("OLD"))
        again = yield self.delete("/api/v1/chargepoints/OLD")
        self.assertError(again, 404, "unknown_charge_point")

    @inlineCallbacks
    def test_identity_escaped(self):
        """
        Identities are percent-decoded from the path.
        """
        answer = yield self.put("/api/v1/chargepoints/A%20B%2C%3D")
        self.assertEqual(answer.json["identity"], "A B,=")
        self.assertTrue(self.central.store.is_approved("A B,="))


class ActionTests(ApiMixin, TestCase):
    """
    C{POST /api/v1/chargepoints/{identity}/actions/{Action}}: every
    central-system-initiated operation, and each way one can fail.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_every_action(self):
        """
        Each of the 26 actions a central system sends (core and security)
        reaches the charge point as the request given, every optional field
        set; the answer is the charge point's response payload.
        """
        self.assertEqual(len(CS_ACTIONS), 26)
        cp = yield self.booted()
        payloads = {name: codec.encode(sample_message(spec.request, full=True)) for name, spec in CS_ACTIONS.items()}
        # Every field set, as the spec allows it to an Accepted charge point
        # (RemoteStartTransaction: section 5.11; triggers: errata 3.40).
        del payloads["RemoteStartTransaction"]["chargingProfile"]["transactionId"]
        payloads["RemoteStartTransaction"]["chargingProfile"]["chargingProfilePurpose"] = "TxProfile"
        payloads["TriggerMessage"]["requestedMessage"] = "Heartbeat"
        payloads["ExtendedTriggerMessage"]["requestedMessage"] = "Heartbeat"
        # A signing certificate the API's check lets through (L01.FR.11).
        payloads["SignedUpdateFirmware"]["firmware"]["signingCertificate"] = signing_certificate()
        answers = yield gatherResults(
            [self.post(f"/api/v1/chargepoints/CP1/actions/{name}", payload) for name, payload in payloads.items()]
        )
        for (name, payload), answer in zip(payloads.items(), answers):
            self.assertEqual(answer.status, 200, (name, answer))
            self.assertEqual(answer.json, codec.encode(cp.answers[name]), name)
        received = {type(request).action: request for request in cp.received}
        for name, payload in payloads.items():
            self.assertEqual(received[name], codec.decode(CS_ACTIONS[name].request, payload), name)

    @inlineCallbacks
    def test_empty_body(self):
        """
        An action without a required field may be sent with an empty body.
        """
        cp = yield self.booted()
        answer = yield self.post("/api/v1/chargepoints/CP1/actions/ClearCache", raw=b"", headers={"Content-Type": "application/json"})
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        self.assertEqual(cp.received, [core.ClearCacheRequest()])

    @inlineCallbacks
    def test_unknown_action(self):
        """
        An action that does not exist, or that charge points send, is 404.
        """
        yield self.booted()
        for action in ["Nope", "BootNotification", "reset"]:
            answer = yield self.post(f"/api/v1/chargepoints/CP1/actions/{action}", {})
            self.assertError(answer, 404, "unknown_action")

    @inlineCallbacks
    def test_not_connected(self):
        """
        A charge point never heard of is 404 unknown_charge_point; a known
        one that is offline 404 not_connected.
        """
        unknown = yield self.post("/api/v1/chargepoints/NOPE/actions/Reset", {"type": "Soft"})
        self.assertError(unknown, 404, "unknown_charge_point")
        cp = yield self.booted()
        gone = when_disconnected(self.central, "CP1")
        yield cp.close()
        yield gone
        self.assertEqual(self.central.charge_points(), [])
        offline = yield self.post("/api/v1/chargepoints/CP1/actions/Reset", {"type": "Soft"})
        self.assertError(offline, 404, "not_connected")

    @inlineCallbacks
    def test_invalid_payload(self):
        """
        A payload breaking the action's schema is 400 with the OCPP error
        code and a description naming the field; nothing is sent.
        """
        cp = yield self.booted()
        cases = [
            ({"type": "Warm"}, "PropertyConstraintViolation", "type"),
            ({}, "OccurenceConstraintViolation", "type"),
            ({"type": 1}, "TypeConstraintViolation", "type"),
            ({"type": "Soft", "extra": 1}, "PropertyConstraintViolation", "extra"),
            ([], "FormationViolation", ""),
        ]
        for payload, code, field in cases:
            answer = yield self.post("/api/v1/chargepoints/CP1/actions/Reset", payload)
            self.assertError(answer, 400, "invalid_payload", code=code)
            self.assertIn(field, answer.json["description"])
        not_json = yield self.post(
            "/api/v1/chargepoints/CP1/actions/Reset", raw=b'{"type": ', headers={"Content-Type": "application/json"}
        )
        self.assertError(not_json, 400, "bad_json")
        nan = yield self.post(
            "/api/v1/chargepoints/CP1/actions/ChangeAvailability",
            raw=b'{"connectorId": NaN, "type": "Operative"}',
            headers={"Content-Type": "application/json"},
        )
        self.assertError(nan, 400, "bad_json")
        self.assertEqual(cp.received, [])

    @inlineCallbacks
    def test_call_error(self):
        """
        A CALLERROR from the charge point is 502 with its code, description
        and details.
        """
        cp = yield self.booted()
        cp.answers["Reset"] = CallError(ErrorCode.SECURITY_ERROR, "not now", {"why": "busy"})
        answer = yield self.post("/api/v1/chargepoints/CP1/actions/Reset", {"type": "Hard"})
        self.assertError(answer, 502, "call_error", code="SecurityError")
        self.assertEqual(answer.json["description"], "not now")
        self.assertEqual(answer.json["details"], {"why": "busy"})

    @inlineCallbacks
    def test_connection_lost(self):
        """
        A charge point that disconnects before answering is 502
        connection_lost.
        """
        cp = yield self.booted()
        cp.answers["Reset"] = Deferred()
        pending = self.post("/api/v1/chargepoints/CP1/actions/Reset", {"type": "Hard"})
        yield cp.wait_for(1)
        yield cp.close()
        answer = yield pending
        self.assertError(answer, 502, "connection_lost")

    @inlineCallbacks
    def test_client_gone(self):
        """
        A client that disconnects while its call waits for the answer
        cancels the call: the next one goes out at once.
        """
        cp = yield self.booted()
        cp.answers["Reset"] = Deferred()
        abandoned = self.agent.request(
            b"POST",
            (self.base + "/api/v1/chargepoints/CP1/actions/Reset").encode(),
            Headers({"Content-Type": ["application/json"]}),
            Body(b'{"type": "Hard"}'),
        )
        yield cp.wait_for(1)
        abandoned.cancel()
        yield self.assertFailure(abandoned, Exception)
        answer = yield self.post("/api/v1/chargepoints/CP1/actions/ClearCache")
        self.assertEqual(answer.json, {"status": "Accepted"})
        self.assertEqual(cp.received, [core.ResetRequest(type="Hard"), core.ClearCacheRequest()])

    @inlineCallbacks
    def test_action_logged_with_who(self):
        """
        An operation is logged with who asked for it.
        """
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        yield self.booted()
        yield self.post("/api/v1/chargepoints/CP1/actions/Reset", {"type": "Soft"})
        audit = [e for e in events if e.get("log_format", "").startswith("API {method}")]
        self.assertEqual(len(audit), 1)
        self.assertEqual(audit[0]["path"], "/api/v1/chargepoints/CP1/actions/Reset")
        self.assertEqual(audit[0]["status"], 200)
        self.assertTrue(audit[0]["who"].startswith("anonymous from 127.0.0.1:"))


class TimeoutTests(ApiMixin, TestCase):
    """
    A charge point that does not answer within the call timeout.
    """

    def setUp(self):
        return self.start(call_timeout=0.2)

    @inlineCallbacks
    def test_timeout(self):
        """
        No answer within the central system's call timeout is 504.
        """
        cp = yield self.booted()
        cp.answers["Reset"] = Deferred()
        answer = yield self.post("/api/v1/chargepoints/CP1/actions/Reset", {"type": "Soft"})
        self.assertError(answer, 504, "timeout")
        self.assertIn("0.2", answer.json["description"])


class IdTagTests(ApiMixin, TestCase):
    """
    C{/api/v1/idtags}: the id tags the central system authorizes with.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_put_get_delete(self):
        """
        PUT adds (201) then replaces (200) a tag; GET gives it; the central
        system authorizes by it; DELETE forgets it (204, then 404).
        """
        created = yield self.put(
            "/api/v1/idtags/TAG1",
            {"status": "Accepted", "expiryDate": "2099-01-01T00:00:00+01:00", "parentIdTag": "GROUP"},
        )
        self.assertEqual(created.status, 201)
        self.assertEqual(
            created.json,
            {"idTag": "TAG1", "status": "Accepted", "expiryDate": "2098-12-31T23:00:00.000Z", "parentIdTag": "GROUP"},
        )
        cp = yield self.booted()
        authorized = yield cp.call(core.AuthorizeRequest(id_tag="TAG1"))
        self.assertEqual((authorized.id_tag_info.status, authorized.id_tag_info.parent_id_tag), ("Accepted", "GROUP"))

        replaced = yield self.put("/api/v1/idtags/TAG1", {"status": "Blocked"})
        self.assertEqual(replaced.status, 200)
        self.assertEqual(replaced.json, {"idTag": "TAG1", "status": "Blocked", "expiryDate": None, "parentIdTag": None})
        got = yield self.get("/api/v1/idtags/TAG1")
        self.assertEqual(got.json["status"], "Blocked")
        authorized = yield cp.call(core.AuthorizeRequest(id_tag="TAG1"))
        self.assertEqual(authorized.id_tag_info.status, "Blocked")

        deleted = yield self.delete("/api/v1/idtags/TAG1")
        self.assertEqual(deleted.status, 204)
        missing = yield self.get("/api/v1/idtags/TAG1")
        self.assertError(missing, 404, "unknown_id_tag")
        again = yield self.delete("/api/v1/idtags/TAG1")
        self.assertError(again, 404, "unknown_id_tag")

    @inlineCallbacks
    def test_list(self):
        """
        The list is by tag, paginated, filtered by status.
        """
        for tag, status in [("C", "Blocked"), ("A", "Accepted"), ("B", "Expired"), ("D", "Accepted")]:
            self.central.store.set_id_tag(tag, status=status)
        page = yield self.get("/api/v1/idtags?limit=2&offset=1")
        self.assertEqual([t["idTag"] for t in page.json["items"]], ["B", "C"])
        self.assertEqual(page.json["total"], 4)
        accepted = yield self.get("/api/v1/idtags?status=Accepted")
        self.assertEqual([t["idTag"] for t in accepted.json["items"]], ["A", "D"])
        bad = yield self.get("/api/v1/idtags?status=Maybe")
        self.assertError(bad, 400, "bad_query")

    @inlineCallbacks
    def test_bad(self):
        """
        A bad status, expiry date, parent or member, or a tag longer than
        20 characters, is 400 and changes nothing.
        """
        for body in [
            {"status": "ConcurrentTx"},
            {"status": "Maybe"},
            {"expiryDate": "tomorrow"},
            {"expiryDate": 5},
            {"parentIdTag": "P" * 21},
            {"colour": "red"},
        ]:
            answer = yield self.put("/api/v1/idtags/TAG", body)
            self.assertError(answer, 400, "bad_body")
        long = yield self.put("/api/v1/idtags/" + "T" * 21, {})
        self.assertError(long, 400, "bad_id_tag")
        self.assertIsNone(self.central.store.id_tag("TAG"))


class TransactionTests(ApiMixin, TestCase):
    """
    C{/api/v1/transactions}: transactions with their energy and meter
    values.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def run_transaction(self, cp, connector=1, meter_start=1000, readings=(("1500", "Wh"),)):
        started = yield cp.call(
            core.StartTransactionRequest(connector_id=connector, id_tag="TAG1", meter_start=meter_start, timestamp=NOW)
        )
        for minutes, (value, unit) in enumerate(readings, start=1):
            yield cp.call(
                core.MeterValuesRequest(
                    connector_id=connector,
                    transaction_id=started.transaction_id,
                    meter_value=[
                        MeterValue(
                            timestamp=NOW + timedelta(minutes=minutes),
                            sampled_value=[
                                SampledValue(value=value, measurand="Energy.Active.Import.Register", unit=unit),
                                SampledValue(value="16.0", measurand="Current.Import", phase="L1", unit="A"),
                            ],
                        )
                    ],
                )
            )
        return started.transaction_id

    @inlineCallbacks
    def test_active_and_finished(self):
        """
        Active transactions show the energy delivered so far (latest energy
        register reading, in Wh whatever its unit, less the meter start);
        stopped ones their meter stop less start. Filters select by charge
        point, activity and id tag.
        """
        self.central.store.set_id_tag("TAG1")
        cp1 = yield self.booted("CP1")
        cp2 = yield self.booted("CP2")
        first = yield self.run_transaction(cp1, readings=[("1500", "Wh"), ("2.25", "kWh")])
        second = yield self.run_transaction(cp2, meter_start=0, readings=[])
        answer = yield self.get("/api/v1/transactions?active=true")
        self.assertEqual([t["transactionId"] for t in answer.json["items"]], [second, first])
        by_id = {t["transactionId"]: t for t in answer.json["items"]}
        self.assertEqual((by_id[first]["meterWh"], by_id[first]["energyWh"]), (2250.0, 1250.0))
        self.assertEqual((by_id[second]["energyWh"], by_id[second]["active"]), (None, True))

        yield cp1.call(
            core.StopTransactionRequest(
                transaction_id=first, meter_stop=2600, timestamp=NOW + timedelta(minutes=5), reason="Remote"
            )
        )
        active = yield self.get("/api/v1/transactions?active=true")
        self.assertEqual([t["transactionId"] for t in active.json["items"]], [second])
        done = yield self.get("/api/v1/transactions?active=false")
        (stopped,) = done.json["items"]
        self.assertEqual(
            (stopped["transactionId"], stopped["energyWh"], stopped["stopReason"], stopped["active"]),
            (first, 1600, "Remote", False),
        )
        of_cp2 = yield self.get("/api/v1/transactions?chargepoint=CP2")
        self.assertEqual([t["transactionId"] for t in of_cp2.json["items"]], [second])
        of_tag = yield self.get("/api/v1/transactions?idtag=TAG1&limit=1")
        self.assertEqual((of_tag.json["total"], len(of_tag.json["items"])), (2, 1))
        bad = yield self.get("/api/v1/transactions?active=sometimes")
        self.assertError(bad, 400, "bad_query")

    @inlineCallbacks
    def test_one_with_meter_values(self):
        """
        One transaction by id comes with its sampled values, oldest first;
        an unknown or malformed id is 404.
        """
        self.central.store.set_id_tag("TAG1")
        cp = yield self.booted()
        transaction_id = yield self.run_transaction(cp, readings=[("1500", "Wh"), ("1700", "Wh")])
        answer = yield self.get(f"/api/v1/transactions/{transaction_id}")
        self.assertEqual(answer.json["energyWh"], 700.0)
        self.assertEqual(
            [(v["value"], v["measurand"], v["phase"], v["unit"]) for v in answer.json["meterValues"]],
            [
                ("1500", "Energy.Active.Import.Register", None, "Wh"),
                ("16.0", "Current.Import", "L1", "A"),
                ("1700", "Energy.Active.Import.Register", None, "Wh"),
                ("16.0", "Current.Import", "L1", "A"),
            ],
        )
        self.assertEqual(answer.json["meterValues"][0]["timestamp"], "2026-11-25T08:01:00.000Z")
        for path in ["/api/v1/transactions/999", "/api/v1/transactions/abc", "/api/v1/transactions/-1"]:
            missing = yield self.get(path)
            self.assertError(missing, 404, "unknown_transaction")


class EventTests(ApiMixin, TestCase):
    """
    C{/api/v1/events}: security events, status history and status reports.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_events(self):
        """
        Every kind is listed newest first, paginated, filtered by kind and
        charge point.
        """
        cp = yield self.booted("CP1", statuses=[("Available", 1), ("Charging", 1)])
        yield cp.call(security.SecurityEventNotificationRequest(type="FirmwareUpdated", timestamp=NOW, tech_info="v2"))
        yield cp.call(core.FirmwareStatusNotificationRequest(status="Installed"))
        other = yield self.booted("CP2", statuses=[("Faulted", 1)])
        answer = yield self.get("/api/v1/events")
        self.assertEqual(answer.json["total"], 5)
        self.assertEqual(
            [(e["kind"], e["chargePoint"]) for e in answer.json["items"]],
            [("status", "CP2"), ("report", "CP1"), ("security", "CP1"), ("status", "CP1"), ("status", "CP1")],
        )
        report, secure = answer.json["items"][1:3]
        self.assertEqual((report["action"], report["status"]), ("FirmwareStatusNotification", "Installed"))
        self.assertEqual((secure["type"], secure["techInfo"]), ("FirmwareUpdated", "v2"))
        statuses = yield self.get("/api/v1/events?kind=status&chargepoint=CP1&limit=1")
        self.assertEqual(statuses.json["total"], 2)
        (latest,) = statuses.json["items"]
        self.assertEqual((latest["status"], latest["connectorId"], latest["errorCode"]), ("Charging", 1, "NoError"))
        security_only = yield self.get("/api/v1/events?kind=security")
        self.assertEqual([e["kind"] for e in security_only.json["items"]], ["security"])
        bad = yield self.get("/api/v1/events?kind=gossip")
        self.assertError(bad, 400, "bad_query")
        del other


class StreamTests(ApiMixin, TestCase):
    """
    C{/api/v1/stream}: live events as Server-Sent Events.
    """

    @inlineCallbacks
    def setUp(self):
        yield self.start()

    @inlineCallbacks
    def open_stream(self, query="", last_event_id=None):
        headers = {"Accept": ["text/event-stream"]}
        if last_event_id is not None:
            headers["Last-Event-ID"] = [str(last_event_id)]
        response = yield self.agent.request(
            b"GET", (self.base + "/api/v1/stream" + query).encode(), Headers(headers)
        )
        self.assertEqual(response.code, 200)
        self.assertEqual(
            response.headers.getRawHeaders("content-type"), ["text/event-stream; charset=utf-8"]
        )
        reader = SseReader()
        response.deliverBody(reader)
        yield reader.wait(lambda: reader.comments)
        self.addCleanup(lambda: reader.transport.stopProducing())
        return reader

    @inlineCallbacks
    def test_live_events(self):
        """
        Connections, boots, status changes, transactions and meter values
        arrive as they happen, with the OCPP payloads; API changes too.
        """
        self.central.store.set_id_tag("TAG1")
        reader = yield self.open_stream()
        cp = yield self.booted("CP1", statuses=[("Preparing", 1)])
        started = yield cp.call(core.StartTransactionRequest(connector_id=1, id_tag="TAG1", meter_start=5, timestamp=NOW))
        yield cp.call(
            core.MeterValuesRequest(
                connector_id=1,
                transaction_id=started.transaction_id,
                meter_value=[MeterValue(timestamp=NOW, sampled_value=[SampledValue(value="7")])],
            )
        )
        yield cp.call(core.HeartbeatRequest())
        yield cp.call(core.StopTransactionRequest(transaction_id=started.transaction_id, meter_stop=9, timestamp=NOW))
        yield self.put("/api/v1/idtags/TAG2", {})
        yield cp.close()
        expected = [
            "connected", "boot", "status", "transactionStarted", "meterValues",
            "transactionStopped", "idTagChanged", "disconnected",
        ]
        yield reader.wait(lambda: len(reader.events) >= len(expected))
        self.assertEqual(reader.kinds(), expected)
        self.assertEqual([number for number, _, _ in reader.events], list(range(1, 9)))
        by_kind = {kind: data for _, kind, data in reader.events}
        self.assertEqual(by_kind["connected"]["chargePoint"], "CP1")
        self.assertEqual(by_kind["status"]["request"]["status"], "Preparing")
        self.assertEqual(by_kind["status"]["action"], "StatusNotification")
        self.assertEqual(by_kind["transactionStarted"]["response"]["transactionId"], started.transaction_id)
        self.assertEqual(by_kind["meterValues"]["request"]["meterValue"][0]["sampledValue"], [{"value": "7"}])
        self.assertEqual(by_kind["idTagChanged"]["record"]["status"], "Accepted")

    @inlineCallbacks
    def test_catch_up_and_filter(self):
        """
        A client reconnecting with C{Last-Event-ID} gets the events it
        missed first; C{?chargepoint=} keeps one charge point's events.
        """
        yield self.booted("CP1")
        yield self.booted("CP2")
        late = yield self.open_stream(last_event_id=2)
        yield late.wait(lambda: len(late.events) >= 4)
        self.assertEqual(
            [(n, k, d["chargePoint"]) for n, k, d in late.events],
            [(3, "status", "CP1"), (4, "connected", "CP2"), (5, "boot", "CP2"), (6, "status", "CP2")],
        )
        only = yield self.open_stream("?chargepoint=CP1")
        yield self.booted("CP3")
        cp1_again = yield self.connect("CP1")
        yield only.wait(lambda: "connected" in only.kinds())
        yield late.wait(lambda: len(late.events) >= 9)
        self.assertEqual({d["chargePoint"] for _, _, d in only.events}, {"CP1"})
        del cp1_again

    @inlineCallbacks
    def test_keepalive_and_stop(self):
        """
        Comment lines keep the stream alive; stopping the service ends the
        stream.
        """
        reader = yield self.open_stream()
        comments = len(reader.comments)
        self.web.streams._beat()
        yield reader.wait(lambda: len(reader.comments) > comments)
        self.assertEqual(reader.comments[-1], ": keepalive")
        self.assertEqual(len(self.web.streams), 1)
        yield self.web.stopService()
        self.assertEqual(len(self.web.streams), 0)
        self.assertNotIn(
            "openocpp-web-live-events", [name for name, _ in self.central.plugins.list_name_plugin()]
        )


class AuthTests(ApiMixin, TestCase):
    """
    An API with a token: Bearer or Basic, every request but the OpenAPI
    document and the console's files.
    """

    token = TOKEN

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_refused(self):
        """
        No token, a wrong one or another scheme is 401 with a Bearer
        challenge, and changes nothing.
        """
        for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token " + TOKEN},
                        {"Authorization": "Basic " + base64.b64encode(b"ops:wrong").decode()}]:
            answer = yield self.put("/api/v1/idtags/T", {}, headers=headers, auth=False)
            self.assertError(answer, 401, "unauthorized")
            self.assertEqual(answer.header("www-authenticate"), b'Bearer realm="openocpp"')
        stream = yield self.get("/api/v1/stream", auth=False)
        self.assertEqual(stream.status, 401)
        self.assertIsNone(self.central.store.id_tag("T"))

    @inlineCallbacks
    def test_bearer_and_basic(self):
        """
        The token as Bearer or as Basic password lets the request in; the
        change is logged with who made it (the Basic user name).
        """
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        bearer = yield self.put("/api/v1/idtags/T1", {})
        self.assertEqual(bearer.status, 201)
        basic = yield self.put(
            "/api/v1/idtags/T2", {},
            headers={"Authorization": "Basic " + base64.b64encode(f"alice:{TOKEN}".encode()).decode()},
            auth=False,
        )
        self.assertEqual(basic.status, 201)
        who = [e["who"] for e in events if e.get("log_format", "").startswith("API {method}")]
        self.assertEqual(len(who), 2)
        self.assertTrue(who[0].startswith("bearer token from 127.0.0.1"))
        self.assertTrue(who[1].startswith("alice from 127.0.0.1"))

    @inlineCallbacks
    def test_public(self):
        """
        The OpenAPI document and the console's page need no token.
        """
        openapi = yield self.get("/api/openapi.json", auth=False)
        self.assertEqual(openapi.status, 200)
        page = yield self.get("/", auth=False)
        self.assertEqual(page.status, 200)

    @inlineCallbacks
    def test_any_host(self):
        """
        With a token, the Host header does not matter (it may be reached
        under any name).
        """
        answer = yield self.get("/api/v1/idtags", headers={"Host": "cs.example.com"})
        self.assertEqual(answer.status, 200)


class LoopbackHostTests(ApiMixin, TestCase):
    """
    An API without a token answers loopback host names only.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_host(self):
        """
        Under a loopback host name it answers; under another name (a DNS
        rebinding page) it is 403.
        """
        for host in ["localhost:8081", "127.0.0.1", "[::1]:8081"]:
            answer = yield self.get("/api/v1/idtags", headers={"Host": host})
            self.assertEqual(answer.status, 200, host)
        answer = yield self.get("/api/v1/idtags", headers={"Host": "evil.example:8081"})
        self.assertError(answer, 403, "forbidden")


class RoutingTests(ApiMixin, TestCase):
    """
    Unknown routes, wrong methods, the OpenAPI document and the console's
    files.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_unknown_route(self):
        """
        Unknown API paths are JSON 404s.
        """
        for path in ["/api/v1/nope", "/api/v2/chargepoints", "/api/v1/chargepoints/CP1/actions", "/api", "/api/v1/idtags/T/x"]:
            answer = yield self.get(path)
            self.assertError(answer, 404, "not_found")

    @inlineCallbacks
    def test_wrong_method(self):
        """
        A method a route does not take is 405 with the methods it takes.
        """
        answer = yield self.delete("/api/v1/transactions")
        self.assertError(answer, 405, "method_not_allowed")
        self.assertEqual(answer.header("allow"), b"GET, HEAD")
        answer = yield self.get("/api/v1/chargepoints/CP1/actions/Reset")
        self.assertError(answer, 405, "method_not_allowed")
        self.assertEqual(answer.header("allow"), b"POST")
        answer = yield self.post("/api/v1/idtags/T", {})
        self.assertEqual(answer.header("allow"), b"DELETE, GET, HEAD, PUT")

    @inlineCallbacks
    def test_body_too_large(self):
        """
        A body over 1 MiB is 413.
        """
        answer = yield self.put(
            "/api/v1/idtags/T", raw=b" " * (1024 * 1024 + 1), headers={"Content-Type": "application/json"}
        )
        self.assertError(answer, 413, "body_too_large")

    @inlineCallbacks
    def test_trailing_slash(self):
        """
        A trailing slash names the same resource.
        """
        answer = yield self.get("/api/v1/chargepoints/")
        self.assertEqual(answer.status, 200)

    @inlineCallbacks
    def test_actions_listed(self):
        """
        C{GET /api/v1/actions} lists the 26 actions a central system sends.
        """
        answer = yield self.get("/api/v1/actions")
        self.assertEqual(len(answer.json), 26)
        self.assertIn({"action": "Reset", "profile": "Core"}, answer.json)
        self.assertIn({"action": "GetLog", "profile": "Security"}, answer.json)

    @inlineCallbacks
    def test_openapi_served(self):
        """
        The OpenAPI document served is the committed file, which is what
        L{build_openapi} builds from the routes and the OCPP schemas.
        """
        answer = yield self.get("/api/openapi.json")
        self.assertEqual(answer.body, load_openapi())
        self.assertEqual(load_openapi().decode("utf-8"), render_openapi())

    @inlineCallbacks
    def test_console_files(self):
        """
        The console's page, script and style are served at the root with a
        strict Content-Security-Policy; no folder is listed.
        """
        page = yield self.get("/")
        self.assertEqual(page.status, 200)
        self.assertIn(b'<table id="chargepoints"', page.body)
        self.assertIn(b"script-src 'self'", page.header("content-security-policy"))
        script = yield self.get("/console.js")
        self.assertEqual(script.header("content-type"), b"text/javascript")
        style = yield self.get("/console.css")
        self.assertEqual(style.status, 200)
        missing = yield self.get("/nope.html")
        self.assertEqual(missing.status, 404)


class OpenApiTests(SynchronousTestCase):
    """
    The OpenAPI document.
    """

    def test_valid(self):
        """
        It is a valid OpenAPI 3.1 document.
        """
        from openapi_spec_validator import validate

        validate(build_openapi())

    def test_every_route_documented(self):
        """
        Every route and method of the API is in the document, every action
        a central system sends with its request and response schemas, and
        nothing else.
        """
        from openocpp.web.api import ApiResource

        from openocpp.web.config import ApiConfig
        from openocpp.web.messages import MessageRoutes
        from openocpp.web.uploads import UploadsApi

        resource = ApiResource(None, None, None, None, None, b"")
        # The upload routes join the API's in WebService.
        resource.routes.extend(UploadsApi(None, None, ApiConfig(), None).routes())
        resource.routes.extend(MessageRoutes(None, None).routes())
        documented = {
            (path, method.upper())
            for path, item in build_openapi()["paths"].items()
            for method in item
            if method != "parameters"
        }
        routed = set()
        for route in resource.routes:
            for method in route.handlers:
                path = "/api/" + route.pattern
                if path.endswith("/actions/{action}"):  # documented one path per action
                    for name in CS_ACTIONS:
                        routed.add((path.replace("{action}", name), method.decode()))
                else:
                    routed.add((path, method.decode()))
        self.assertEqual(documented, routed)
        schemas = build_openapi()["components"]["schemas"]
        for name, spec in ACTIONS.items():
            present = name + "Request" in schemas
            self.assertEqual(present, spec.sent_by(Role.CENTRAL_SYSTEM), name)


class LiveEventsTests(SynchronousTestCase):
    """
    L{LiveEvents}: numbering, keeping and telling.
    """

    def test_keep_and_catch_up(self):
        """
        Events are numbered from 1; the last C{keep} are kept and given to
        a subscriber catching up after a number; unsubscribing stops them.
        """
        events = LiveEvents(keep=3)
        for number in range(5):
            events.publish("tick", {"n": number})
        heard = []
        unsubscribe = events.subscribe(lambda *event: heard.append(event), after=3)
        self.assertEqual(heard, [(4, "tick", {"n": 3}), (5, "tick", {"n": 4})])
        events.publish("tock", {})
        unsubscribe()
        events.publish("tock", {})
        self.assertEqual([n for n, _, _ in heard], [4, 5, 6])
        self.assertEqual(events.last, 7)

    def test_failing_listener(self):
        """
        A listener that raises is logged; the others are still told.
        """
        events = LiveEvents()
        heard = []

        def broken(*event):
            raise RuntimeError("boom")

        events.subscribe(broken)
        events.subscribe(lambda *event: heard.append(event))
        events.publish("tick", {})
        self.assertEqual(len(heard), 1)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)


class ConfigTests(SynchronousTestCase):
    """
    The API's settings: loopback endpoints, tokens, options and the service
    tree.
    """

    def test_loopback_endpoints(self):
        """
        Only ports bound to a loopback interface, and UNIX sockets, count as
        loopback-only.
        """
        for description in [
            "tcp:8081:interface=127.0.0.1", "tcp:port=8081:interface=127.0.0.2", "tcp6:8081:interface=\\:\\:1",
            "ssl:8443:privateKey=k.pem:interface=localhost", "unix:/run/ocpp.sock",
        ]:
            self.assertTrue(is_loopback_endpoint(description), description)
        for description in [
            "tcp:8081", "tcp:8081:interface=0.0.0.0", "tcp:8081:interface=192.168.1.2", "tcp6:8081:interface=\\:\\:",
            "systemd:domain=INET:index=0", "tcp:8081:interface=localhost.example.com",
        ]:
            self.assertFalse(is_loopback_endpoint(description), description)
        self.assertEqual(
            split_endpoint("tcp6:8081:interface=\\:\\:1"), ("tcp6", ["8081"], {"interface": "::1"})
        )

    def test_config(self):
        """
        Without a token the endpoint must be loopback-only; a token may not
        be blank.
        """
        self.assertIsNone(ApiConfig(endpoint="tcp:8081:interface=127.0.0.1").token)
        self.assertEqual(ApiConfig(endpoint="tcp:8081", token="t").endpoint, "tcp:8081")
        error = self.assertRaises(ValueError, ApiConfig, endpoint="tcp:8081")
        self.assertIn("--api-token", str(error))
        self.assertRaises(ValueError, ApiConfig, endpoint="tcp:8081", token="  ")

    def test_token_file(self):
        """
        C{file:PATH} reads the token from the file's first line.
        """
        path = self.mktemp()
        with open(path, "w") as file:
            file.write("from-file\nignored\n")
        self.assertEqual(read_token("file:" + path), "from-file")
        self.assertEqual(read_token("plain"), "plain")
        self.assertIsNone(read_token(None))
        self.assertIn("cannot read", str(self.assertRaises(ValueError, read_token, "file:/no/such/file")))

    def test_options(self):
        """
        C{--api} and C{--api-token} make the API's config; without
        C{--api} there is none; the rules are usage errors.
        """
        options = CentralSystemOptions()
        options.parseOptions(["--db", ":memory:"])
        self.assertIsNone(options.api_config)
        options = CentralSystemOptions()
        options.parseOptions(["--api", "tcp:8081", "--api-token", TOKEN])
        self.assertEqual((options.api_config.endpoint, options.api_config.token), ("tcp:8081", TOKEN))
        for arguments, words in [
            (["--api", "tcp:8081"], "loopback"),
            (["--api-token", TOKEN], "--api"),
            (["--api", "tcp:8081", "--api-token", "file:/no/such"], "token file"),
        ]:
            error = self.assertRaises(usage.UsageError, CentralSystemOptions().parseOptions, arguments)
            self.assertIn(words, str(error))

    def test_make_service(self):
        """
        With C{--api}, C{make_service} gives a C{MultiService} holding the
        central system (named C{centralsystem}) and then the web service
        (named C{api}) serving it; without, the central system alone.
        """
        options = CentralSystemOptions()
        options.parseOptions(
            ["--db", ":memory:", "--listen", "tcp:0:interface=127.0.0.1", "--api", "tcp:0:interface=127.0.0.1"]
        )
        service = make_service(options)
        self.assertIsInstance(service, MultiService)
        central, web = list(service)
        self.addCleanup(central.store.close)
        self.assertIsInstance(central, CentralSystem)
        self.assertIs(service.getServiceNamed("centralsystem"), central)
        self.assertIs(service.getServiceNamed("api"), web)
        self.assertIsInstance(web, WebService)
        self.assertIs(web.central, central)
        plain = CentralSystemOptions()
        plain.parseOptions(["--db", ":memory:", "--listen", "tcp:0:interface=127.0.0.1"])
        alone = make_service(plain)
        self.addCleanup(alone.store.close)
        self.assertIsInstance(alone, CentralSystem)

    def test_interfaces(self):
        """
        Every implementation provides its interface.
        """
        self.assertTrue(verifyObject(IApiConfig, ApiConfig()))
        self.assertTrue(verifyObject(IApiAuthenticator, TokenAuthenticator(TOKEN)))
        self.assertTrue(verifyObject(IApiAuthenticator, LoopbackAuthenticator()))
        self.assertTrue(verifyObject(ILiveEvents, LiveEvents()))


class MemoryDatabaseTests(ApiMixin, TestCase):
    """
    With C{--db :memory:} the API reads the store's own connection.
    """

    def setUp(self):
        return self.start(database=":memory:")

    @inlineCallbacks
    def test_reads(self):
        """
        Lists come from the private in-memory database.
        """
        self.central.store.set_id_tag("MEM")
        answer = yield self.get("/api/v1/idtags")
        self.assertEqual([t["idTag"] for t in answer.json["items"]], ["MEM"])


class OperatorChangeApiTests(ApiMixin, TestCase):
    """
    The API's writes are the central system's operator commands: answered
    once committed, and told to plugins (C{openocpp_cs_operator_change}),
    from which the event stream learns of them.
    """

    def setUp(self):
        return self.start()

    def heard(self):
        changes = []

        class Audit:
            @hookimpl
            def openocpp_cs_operator_change(inner, change):
                changes.append((change.kind, change.key, change.created))

        self.central.plugins.register(Audit(), name="audit")
        self.addCleanup(self.central.plugins.unregister, name="audit")
        return changes

    def published(self):
        events = []
        self.addCleanup(self.web.events.subscribe(lambda number, kind, data: events.append((kind, data))))
        return events

    @inlineCallbacks
    def test_plugin_hears_api_writes(self):
        """
        A plugin hears every change the API makes, once made; the event
        stream publishes them.
        """
        changes = self.heard()
        events = self.published()
        self.assertEqual((yield self.put("/api/v1/idtags/tag1", {"status": "Blocked"})).status, 201)
        self.assertEqual((yield self.put("/api/v1/idtags/TAG1")).status, 200)
        self.assertEqual((yield self.delete("/api/v1/idtags/Tag1")).status, 204)
        self.assertEqual((yield self.put("/api/v1/chargepoints/CP7", {"password": "secret-password-7"})).status, 201)
        self.assertEqual((yield self.delete("/api/v1/chargepoints/CP7")).status, 204)
        self.assertEqual((yield self.delete("/api/v1/chargepoints/CP7")).status, 404)
        self.assertEqual(
            changes,
            [
                ("idTagSet", "tag1", True),
                ("idTagSet", "tag1", False),
                ("idTagRemoved", "tag1", False),
                ("chargePointRegistered", "CP7", True),
                ("chargePointUnregistered", "CP7", False),
            ],
        )
        self.assertEqual(
            [(kind, data.get("idTag") or data.get("chargePoint")) for kind, data in events],
            [("idTagChanged", "tag1")] * 3 + [("chargePointChanged", "CP7")] * 2,
        )
        self.assertEqual(events[0][1]["record"]["status"], "Blocked")
        self.assertIsNone(events[2][1]["record"])
        self.assertEqual([data["registered"] for _, data in events[3:]], [True, False])

    @inlineCallbacks
    def test_failing_commit_is_503(self):
        """
        A write whose commit fails (a full disk) is answered 503 saying
        nothing was kept, not as a success; nothing is stored, and no
        plugin hears of it.
        """
        from tests.centralsystem.store_file import FullDisk

        changes = self.heard()
        full = FullDisk(self.central.store)
        for method, path in [
            (self.put, "/api/v1/idtags/TAG9"),
            (self.put, "/api/v1/chargepoints/CP9"),
        ]:
            answer = yield method(path)
            self.assertError(answer, 503, "storage_failed")
            self.assertIn("nothing was kept", answer.json["description"])
            self.assertIn("disk is full", answer.json["description"])
        full.make_room()
        self.assertEqual((yield self.get("/api/v1/idtags/TAG9")).status, 404)
        self.assertEqual((yield self.get("/api/v1/chargepoints/CP9")).status, 404)
        self.assertEqual(changes, [])
        self.flushLoggedErrors()

    @inlineCallbacks
    def test_restarted_api_reads_the_reopened_store(self):
        """
        The central system and its API stopped and started again: the API
        reads and writes the store opened again, with what was stored.
        """
        self.assertEqual((yield self.put("/api/v1/idtags/KEEP1")).status, 201)
        yield self.pool.closeCachedConnections()
        yield self.web.stopService()
        yield self.central.stopService()
        self.central.startService()
        self.web.startService()
        port = yield self.web.when_listening()
        self.base = f"http://127.0.0.1:{port.getHost().port}"
        self.assertEqual((yield self.get("/api/v1/idtags/KEEP1")).json["status"], "Accepted")
        self.assertEqual((yield self.put("/api/v1/idtags/KEEP2")).status, 201)
        self.assertEqual((yield self.get("/api/v1/idtags")).json["total"], 2)


class PostgreSQLChargePointTests(PostgreSQLCentralSystemMixin, ChargePointTests):
    """
    The same, with the central system on the PostgreSQL store.
    """


class PostgreSQLIdTagTests(PostgreSQLCentralSystemMixin, IdTagTests):
    """
    The same, with the central system on the PostgreSQL store.
    """


class PostgreSQLTransactionTests(PostgreSQLCentralSystemMixin, TransactionTests):
    """
    The same, with the central system on the PostgreSQL store.
    """


class PostgreSQLEventTests(PostgreSQLCentralSystemMixin, EventTests):
    """
    The same, with the central system on the PostgreSQL store.
    """
