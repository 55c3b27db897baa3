"""
Tests for the Smart Charging side of the central system and its API
(L{openocpp.web.charging}, L{openocpp.centralsystem.chargingprofiles}): the
profiles a charge point accepted are kept from its answers, replaced and
cleared as the charge point does, and listed; the generic action route
sends the three Smart Charging messages.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from openocpp.messages.enums import (
    ChargingProfileStatus,
    ClearChargingProfileStatus,
    GetCompositeScheduleStatus,
)
from tests.centralsystem.fake_chargepoint import NOW
from tests.web.api_client import ApiMixin
from tests.centralsystem.stores import PostgreSQLCentralSystemMixin


def profile_json(profile_id=1, purpose="TxDefaultProfile", stack_level=0, limit=16.0, transaction_id=None):
    profile = {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
    }
    if transaction_id is not None:
        profile["transactionId"] = transaction_id
    return profile


class ChargingProfileListTests(ApiMixin, TestCase):
    """
    C{GET /api/v1/chargepoints/{identity}/chargingprofiles}.
    """

    def setUp(self):
        return self.start()

    def set_answer(self, cp, status):
        cp.answers["SetChargingProfile"] = core.SetChargingProfileResponse(status=status)

    def send(self, connector, profile):
        return self.post(
            "/api/v1/chargepoints/CP1/actions/SetChargingProfile",
            {"connectorId": connector, "csChargingProfiles": profile},
        )

    @inlineCallbacks
    def listed(self):
        answer = yield self.get("/api/v1/chargepoints/CP1/chargingprofiles")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.json["chargePoint"], "CP1")
        return [
            (item["connectorId"], item["chargingProfileId"], item["chargingProfile"]["chargingSchedule"]
             ["chargingSchedulePeriod"][0]["limit"])
            for item in answer.json["items"]
        ]

    @inlineCallbacks
    def test_accepted_profile_listed(self):
        """
        A profile the charge point accepted is listed with its fields and
        the profile as sent.
        """
        cp = yield self.booted()
        self.set_answer(cp, ChargingProfileStatus.ACCEPTED)
        answer = yield self.send(0, profile_json(profile_id=3, purpose="ChargePointMaxProfile", limit=32))
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        listing = yield self.get("/api/v1/chargepoints/CP1/chargingprofiles")
        (item,) = listing.json["items"]
        self.assertEqual(item["connectorId"], 0)
        self.assertEqual(item["chargingProfileId"], 3)
        self.assertEqual(item["chargingProfilePurpose"], "ChargePointMaxProfile")
        self.assertEqual(item["stackLevel"], 0)
        self.assertIsNone(item["transactionId"])
        self.assertEqual(item["chargingProfile"], profile_json(profile_id=3, purpose="ChargePointMaxProfile", limit=32))
        self.assertTrue(item["acceptedAt"])

    @inlineCallbacks
    def test_rejected_profile_not_listed(self):
        cp = yield self.booted()
        self.set_answer(cp, ChargingProfileStatus.REJECTED)
        answer = yield self.send(1, profile_json())
        self.assertEqual(answer.json, {"status": "Rejected"})
        self.assertEqual((yield self.listed()), [])

    @inlineCallbacks
    def test_replaced_as_the_charge_point_replaces(self):
        """
        The same id replaces a profile; so does the same stackLevel and
        purpose on the same connector; on another connector both stay.
        """
        cp = yield self.booted()
        self.set_answer(cp, ChargingProfileStatus.ACCEPTED)
        yield self.send(1, profile_json(profile_id=1, stack_level=1, limit=10))
        yield self.send(1, profile_json(profile_id=2, stack_level=2, limit=11))
        yield self.send(2, profile_json(profile_id=1, stack_level=1, limit=12))
        yield self.send(1, profile_json(profile_id=4, stack_level=2, limit=13))
        yield self.send(2, profile_json(profile_id=5, stack_level=2, limit=14))
        self.assertEqual((yield self.listed()), [(1, 4, 13), (2, 1, 12), (2, 5, 14)])

    @inlineCallbacks
    def test_cleared_when_the_charge_point_accepts(self):
        """
        An Accepted ClearChargingProfile removes what it matches (by id, or
        every field given); an Unknown answer removes nothing.
        """
        cp = yield self.booted()
        self.set_answer(cp, ChargingProfileStatus.ACCEPTED)
        yield self.send(0, profile_json(profile_id=1, purpose="ChargePointMaxProfile"))
        yield self.send(0, profile_json(profile_id=2))
        yield self.send(1, profile_json(profile_id=3, stack_level=1))
        cp.answers["ClearChargingProfile"] = core.ClearChargingProfileResponse(
            status=ClearChargingProfileStatus.UNKNOWN
        )
        yield self.post("/api/v1/chargepoints/CP1/actions/ClearChargingProfile", {"id": 2})
        self.assertEqual(len((yield self.listed())), 3)
        cp.answers["ClearChargingProfile"] = core.ClearChargingProfileResponse(
            status=ClearChargingProfileStatus.ACCEPTED
        )
        yield self.post("/api/v1/chargepoints/CP1/actions/ClearChargingProfile", {"id": 2})
        self.assertEqual([i[1] for i in (yield self.listed())], [1, 3])
        yield self.post(
            "/api/v1/chargepoints/CP1/actions/ClearChargingProfile",
            {"connectorId": 0, "chargingProfilePurpose": "TxDefaultProfile"},
        )
        self.assertEqual([i[1] for i in (yield self.listed())], [1, 3])
        yield self.post("/api/v1/chargepoints/CP1/actions/ClearChargingProfile", {})
        self.assertEqual((yield self.listed()), [])

    @inlineCallbacks
    def test_tx_profile_of_stopped_transaction_left_out(self):
        """
        A TxProfile is listed while its transaction runs, not once it
        stopped (the charge point deletes it then).
        """
        cp = yield self.booted()
        started = yield cp.call(
            core.StartTransactionRequest(connector_id=1, id_tag="TAG", meter_start=0, timestamp=NOW)
        )
        transaction_id = started.transaction_id
        self.set_answer(cp, ChargingProfileStatus.ACCEPTED)
        yield self.send(1, profile_json(profile_id=7, purpose="TxProfile", transaction_id=transaction_id))
        self.assertEqual((yield self.listed()), [(1, 7, 16)])
        yield cp.call(core.StopTransactionRequest(meter_stop=10, timestamp=NOW, transaction_id=transaction_id))
        self.assertEqual((yield self.listed()), [])

    @inlineCallbacks
    def test_tx_profile_without_transaction_id_bound_to_the_running_one(self):
        """
        A TxProfile sent without a transactionId belongs, as on the charge
        point, to the connector's running transaction: listed with its id,
        left out once it stopped.
        """
        cp = yield self.booted()
        started = yield cp.call(
            core.StartTransactionRequest(connector_id=1, id_tag="TAG", meter_start=0, timestamp=NOW)
        )
        self.set_answer(cp, ChargingProfileStatus.ACCEPTED)
        yield self.send(1, profile_json(profile_id=8, purpose="TxProfile"))
        listing = yield self.get("/api/v1/chargepoints/CP1/chargingprofiles")
        self.assertEqual([item["transactionId"] for item in listing.json["items"]], [started.transaction_id])
        yield cp.call(
            core.StopTransactionRequest(meter_stop=10, timestamp=NOW, transaction_id=started.transaction_id)
        )
        self.assertEqual((yield self.listed()), [])

    @inlineCallbacks
    def test_numbers_beyond_64_bits_answered_and_not_stored(self):
        """
        A charge point that accepts a chargingProfileId of 2**63 (the
        schema sets no maximum; SQLite holds 64 bits): the API still gives
        its answer, one warning says the profile is not kept (no
        traceback), and the profiles kept before stay; a Clear with such an
        id removes nothing.
        """
        cp = yield self.booted()
        self.set_answer(cp, ChargingProfileStatus.ACCEPTED)
        yield self.send(1, profile_json(profile_id=1))
        observer = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        answer = yield self.send(1, profile_json(profile_id=2**63, stack_level=1))
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        cp.answers["ClearChargingProfile"] = core.ClearChargingProfileResponse(
            status=ClearChargingProfileStatus.ACCEPTED
        )
        answer = yield self.post("/api/v1/chargepoints/CP1/actions/ClearChargingProfile", {"id": 2**63})
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        self.assertEqual((yield self.listed()), [(1, 1, 16)])
        warnings = [event for event in observer if "64 bits" in formatEvent(event)]
        self.assertEqual(len(warnings), 2)
        self.assertEqual([event for event in observer if event.get("log_failure") is not None], [])

    @inlineCallbacks
    def test_unknown_charge_point(self):
        answer = yield self.get("/api/v1/chargepoints/NOPE/chargingprofiles")
        self.assertError(answer, 404, "unknown_charge_point")

    @inlineCallbacks
    def test_composite_schedule_through_the_action_route(self):
        """
        GetCompositeSchedule goes through the generic action route; the
        answer is the charge point's.
        """
        cp = yield self.booted()
        cp.answers["GetCompositeSchedule"] = core.GetCompositeScheduleResponse(
            status=GetCompositeScheduleStatus.REJECTED
        )
        answer = yield self.post(
            "/api/v1/chargepoints/CP1/actions/GetCompositeSchedule", {"connectorId": 1, "duration": 3600}
        )
        self.assertEqual((answer.status, answer.json), (200, {"status": "Rejected"}))
        self.assertEqual(cp.received[-1], core.GetCompositeScheduleRequest(connector_id=1, duration=3600))


class PostgreSQLChargingProfileListTests(PostgreSQLCentralSystemMixin, ChargingProfileListTests):
    """
    The same, with the central system on the PostgreSQL store.
    """
