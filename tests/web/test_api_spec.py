"""
The HTTP API on the specification's corner cases (issue 10): id tags in any
case are one record, the requests OCPP 1.6 forbids are refused and not
sent, an empty POST is an empty payload, C{meterWh} has one JSON type, and
"last seen" follows every message.
"""

import sqlite3

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from openocpp.messages.datatypes import MeterValue, SampledValue
from tests.centralsystem.fake_chargepoint import BOOT, NOW, RejectingBoot, raw_call
from tests.web.api_client import ApiMixin

_TX_PROFILE = {
    "chargingProfileId": 7,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]},
}


class IdTagCaseApiTests(ApiMixin, TestCase):
    """
    C{/api/v1/idtags/{idTag}}: every case of a tag is the one record, spelt
    as first written.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_other_case_is_the_same_record(self):
        """
        PUT C{CHILD1} creates it (201); PUT C{child1} changes it (200, still
        C{CHILD1}: no second record); GET and DELETE in any case find it.
        """
        created = yield self.put("/api/v1/idtags/CHILD1", {"parentIdTag": "Group1"})
        self.assertEqual(created.status, 201)
        changed = yield self.put("/api/v1/idtags/child1", {"status": "Blocked"})
        self.assertEqual((changed.status, changed.json["idTag"], changed.json["status"]), (200, "CHILD1", "Blocked"))
        listed = yield self.get("/api/v1/idtags")
        self.assertEqual((listed.json["total"], [t["idTag"] for t in listed.json["items"]]), (1, ["CHILD1"]))
        found = yield self.get("/api/v1/idtags/Child1")
        self.assertEqual((found.status, found.json["idTag"]), (200, "CHILD1"))
        deleted = yield self.delete("/api/v1/idtags/cHILD1")
        self.assertEqual(deleted.status, 204)
        gone = yield self.get("/api/v1/idtags/CHILD1")
        self.assertError(gone, 404, "unknown_id_tag")

    @inlineCallbacks
    def test_transactions_filtered_by_tag_in_any_case(self):
        """
        C{?idtag=tag1} finds the transactions started with C{TAG1}.
        """
        self.central.store.set_id_tag("TAG1")
        cp = yield self.booted()
        yield cp.call(core.StartTransactionRequest(connector_id=1, id_tag="TAG1", meter_start=0, timestamp=NOW))
        found = yield self.get("/api/v1/transactions?idtag=tag1")
        self.assertEqual(found.json["total"], 1)


class ForbiddenCallsApiTests(ApiMixin, TestCase):
    """
    C{POST .../actions/{Action}} of what OCPP 1.6 forbids: refused, with the
    reason, and nothing sent to the charge point.
    """

    @inlineCallbacks
    def test_pending_remote_start_and_stop_409(self):
        """
        Pending: RemoteStartTransaction and RemoteStopTransaction are 409
        C{not_allowed_now} (section 4.2); GetConfiguration and
        TriggerMessage(BootNotification) are sent.
        """
        yield self.start(unknown_charge_points="pending")
        cp = yield self.connect("NEW")
        yield cp.call(BOOT)
        start = yield self.post("/api/v1/chargepoints/NEW/actions/RemoteStartTransaction", {"idTag": "T"})
        self.assertError(start, 409, "not_allowed_now")
        self.assertIn("4.2", start.json["description"])
        self.assertEqual(start.json["details"], {"registrationStatus": "Pending"})
        stop = yield self.post("/api/v1/chargepoints/NEW/actions/RemoteStopTransaction", {"transactionId": 1})
        self.assertError(stop, 409, "not_allowed_now")
        self.assertEqual(cp.received, [])
        allowed = yield self.post("/api/v1/chargepoints/NEW/actions/GetConfiguration", {})
        self.assertEqual(allowed.status, 200)
        trigger = yield self.post(
            "/api/v1/chargepoints/NEW/actions/TriggerMessage", {"requestedMessage": "BootNotification"}
        )
        self.assertEqual(trigger.status, 200)
        self.assertEqual([type(r).__name__ for r in cp.received], ["GetConfigurationRequest", "TriggerMessageRequest"])

    @inlineCallbacks
    def test_rejected_gets_nothing_409(self):
        """
        Rejected: every action is 409 (section 4.2: the central system
        initiates nothing), none sent.
        """
        yield self.start()
        self.central.plugins.register(RejectingBoot(), name="rejecting")
        self.addCleanup(self.central.plugins.unregister, name="rejecting")
        cp = yield self.connect("CP1")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Rejected")
        for action, payload in [
            ("Reset", {"type": "Soft"}),
            ("GetConfiguration", {}),
            ("TriggerMessage", {"requestedMessage": "BootNotification"}),
            ("ChangeAvailability", {"connectorId": 0, "type": "Operative"}),
        ]:
            answer = yield self.post(f"/api/v1/chargepoints/CP1/actions/{action}", payload)
            self.assertError(answer, 409, "not_allowed_now")
            self.assertEqual(answer.json["details"], {"registrationStatus": "Rejected"})
        self.assertEqual(cp.received, [])

    @inlineCallbacks
    def test_accepted_no_boot_trigger_409(self):
        """
        Accepted: TriggerMessage and ExtendedTriggerMessage of
        BootNotification are 409 (errata 3.40); of Heartbeat, sent.
        """
        yield self.start()
        cp = yield self.booted()
        for action in ("TriggerMessage", "ExtendedTriggerMessage"):
            answer = yield self.post(f"/api/v1/chargepoints/CP1/actions/{action}", {"requestedMessage": "BootNotification"})
            self.assertError(answer, 409, "not_allowed_now")
            self.assertIn("3.40", answer.json["description"])
        self.assertEqual(cp.received, [])
        answer = yield self.post("/api/v1/chargepoints/CP1/actions/TriggerMessage", {"requestedMessage": "Heartbeat"})
        self.assertEqual(answer.status, 200)

    @inlineCallbacks
    def test_remote_start_profile_not_tx_profile_400(self):
        """
        A RemoteStartTransaction chargingProfile whose purpose is not
        TxProfile (section 5.11), or that has a transactionId (errata
        3.41), is 400 C{forbidden_request}; a TxProfile is sent.
        """
        yield self.start()
        cp = yield self.booted()
        for bad in ({**_TX_PROFILE, "chargingProfilePurpose": "TxDefaultProfile"}, {**_TX_PROFILE, "transactionId": 3}):
            answer = yield self.post(
                "/api/v1/chargepoints/CP1/actions/RemoteStartTransaction", {"idTag": "T", "chargingProfile": bad}
            )
            self.assertError(answer, 400, "forbidden_request")
        self.assertEqual(cp.received, [])
        good = yield self.post(
            "/api/v1/chargepoints/CP1/actions/RemoteStartTransaction", {"idTag": "T", "chargingProfile": _TX_PROFILE}
        )
        self.assertEqual(good.status, 200)


class EmptyPostTests(ApiMixin, TestCase):
    """
    A POST without body and without Content-Type is an empty payload.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_no_body_no_content_type(self):
        """
        C{curl -X POST .../actions/ClearCache}: sent as an empty payload.
        """
        cp = yield self.booted()
        answer = yield self.http("POST", "/api/v1/chargepoints/CP1/actions/ClearCache")
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        self.assertEqual(cp.received, [core.ClearCacheRequest()])

    @inlineCallbacks
    def test_body_without_content_type_still_415(self):
        """
        A body must still say it is JSON.
        """
        yield self.booted()
        answer = yield self.http("POST", "/api/v1/chargepoints/CP1/actions/ClearCache", raw=b"{}")
        self.assertError(answer, 415, "unsupported_media_type")

    @inlineCallbacks
    def test_web_page_without_content_type_still_415(self):
        """
        A web page's request (it names its Origin) without Content-Type is
        refused even when empty: another site cannot send actions this way.
        """
        cp = yield self.booted()
        answer = yield self.http(
            "POST", "/api/v1/chargepoints/CP1/actions/ClearChargingProfile", headers={"Origin": "https://evil.example"}
        )
        self.assertError(answer, 415, "unsupported_media_type")
        self.assertEqual(cp.received, [])


class MeterWhTypeTests(ApiMixin, TestCase):
    """
    C{meterWh} and C{energyWh} are integers (whole Wh, like meterStart and
    meterStop) in every answer, active or stopped.
    """

    def setUp(self):
        return self.start(accept_any_id_tag=True)

    @inlineCallbacks
    def test_integers_active_and_stopped(self):
        """
        An active transaction read in kWh (C{1.2346}) is C{1235} Wh, not
        C{1234.6}; once stopped, the meter stop; a reading that is no
        finite number (C{inf}) is passed over.
        """
        cp = yield self.booted()
        started = yield cp.call(core.StartTransactionRequest(connector_id=1, id_tag="T", meter_start=1000, timestamp=NOW))
        for value, unit in (("1.2346", "kWh"), ("inf", "kWh")):
            yield cp.call(
                core.MeterValuesRequest(
                    connector_id=1,
                    transaction_id=started.transaction_id,
                    meter_value=[MeterValue(timestamp=NOW, sampled_value=[SampledValue(value=value, unit=unit)])],
                )
            )
        active = yield self.get(f"/api/v1/transactions/{started.transaction_id}")
        self.assertEqual((active.json["meterWh"], active.json["energyWh"]), (1235, 235))
        listed = yield self.get("/api/v1/transactions")
        (item,) = listed.json["items"]
        for answer in (active.json, item):
            self.assertIs(type(answer["meterWh"]), int)
            self.assertIs(type(answer["energyWh"]), int)
        self.assertIn(b'"meterWh": 1235,', active.body)
        yield cp.call(core.StopTransactionRequest(transaction_id=started.transaction_id, meter_stop=1300, timestamp=NOW))
        stopped = yield self.get(f"/api/v1/transactions/{started.transaction_id}")
        self.assertEqual((stopped.json["meterWh"], stopped.json["energyWh"]), (1300, 300))
        self.assertIs(type(stopped.json["meterWh"]), int)


class LastSeenApiTests(ApiMixin, TestCase):
    """
    C{lastSeen} is the time of a charge point's last message of any kind.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def made_old(self):
        """
        Write CP1's last-seen time, then make it old in the file.

        @return: a Deferred firing with CP1's record as the API gives it.
        """
        store = self.central.store
        store.write_last_seen()
        store.commit()
        connection = sqlite3.connect(self.config.database)
        connection.execute("UPDATE charge_points SET last_seen = '2000-01-01T00:00:00.000Z'")
        connection.commit()
        connection.close()
        old = yield self.get("/api/v1/chargepoints/CP1")
        self.assertEqual(old.json["lastSeen"], "2000-01-01T00:00:00.000Z")
        return old

    @inlineCallbacks
    def test_an_answer_to_the_central_system_updates_last_seen(self):
        """
        The console's "last seen" counts a charge point's answers to the
        central system's calls too: with CP1's last-seen time made old, its
        CALLRESULT to a Reset sent through the API (no request of its own)
        makes it new again.
        """
        yield self.booted()
        old = yield self.made_old()
        answer = yield self.post("/api/v1/chargepoints/CP1/actions/Reset", {"type": "Soft"})
        self.assertEqual(answer.json, {"status": "Accepted"})
        seen = yield self.get("/api/v1/chargepoints/CP1")
        self.assertGreaterEqual(seen.json["lastSeen"], old.json["lastBoot"])

    @inlineCallbacks
    def test_any_message_updates_last_seen(self):
        """
        After boot, the record's last-seen time is made old; a
        StatusNotification (no Heartbeat) makes it new again, before the
        store writes it; the write follows.
        """
        cp = yield self.booted()
        store = self.central.store
        old = yield self.made_old()
        yield raw_call(cp, "StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"})
        seen = yield self.get("/api/v1/chargepoints/CP1")
        self.assertGreaterEqual(seen.json["lastSeen"], old.json["lastBoot"])
        listed = yield self.get("/api/v1/chargepoints")
        self.assertEqual(listed.json["items"][0]["lastSeen"], seen.json["lastSeen"])
        store.write_last_seen()
        store.commit()
        (row,) = self.rows("SELECT last_seen FROM charge_points WHERE identity = 'CP1'")
        self.assertEqual(row["last_seen"], seen.json["lastSeen"])
