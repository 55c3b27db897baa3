"""
Tests for C{/api/v1/chargepoints/{identity}/reservations}
(L{openocpp.web.reservations}, L{openocpp.centralsystem.reservations}) and
C{/firmware} (L{openocpp.web.firmware}): reserving, cancelling, a
StartTransaction using a reservation, and the firmware and diagnostics
state, against a scripted charge point on loopback.
"""

from datetime import timedelta

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.messages import codec, core
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from tests.centralsystem.fake_chargepoint import NOW
from tests.web.api_client import ApiMixin
from tests.centralsystem.stores import PostgreSQLCentralSystemMixin


def later(**delta):
    return codec.format_datetime(NOW + timedelta(days=3650, **delta))


class ReservationTests(ApiMixin, TestCase):
    """
    Reserve, list, cancel, and the states a reservation goes through.
    """

    def setUp(self):
        return self.start()

    def reserve(self, **body):
        body = {"connectorId": 1, "idTag": "TAG1", "expiryDate": later(), **body}
        return self.post("/api/v1/chargepoints/CP1/reservations", body)

    def sent(self, cp, kind):
        return [r for r in cp.received if isinstance(r, kind)]

    @inlineCallbacks
    def test_reserve_allocates_ids(self):
        """
        Without a reservationId the central system allocates one, 1 then
        one more than the highest recorded for that charge point; the
        ReserveNow.req carries it with the id tag, parent and expiry; an
        Accepted reservation is 201 and listed as active.
        """
        cp = yield self.booted()
        first = yield self.reserve(parentIdTag="GROUP")
        self.assertEqual(first.status, 201, first)
        self.assertEqual((first.json["status"], first.json["reservationId"]), ("Accepted", 1))
        self.assertEqual(first.json["reservation"]["state"], "active")
        self.assertEqual(first.json["reservation"]["parentIdTag"], "GROUP")
        given = yield self.reserve(reservationId=41)
        self.assertEqual(given.json["reservationId"], 41)
        second = yield self.reserve(connectorId=2)
        self.assertEqual(second.json["reservationId"], 42)
        requests = self.sent(cp, core.ReserveNowRequest)
        self.assertEqual([r.reservation_id for r in requests], [1, 41, 42])
        self.assertEqual(
            (requests[0].connector_id, requests[0].id_tag, requests[0].parent_id_tag, codec.format_datetime(requests[0].expiry_date)),
            (1, "TAG1", "GROUP", later()),
        )
        listed = yield self.get("/api/v1/chargepoints/CP1/reservations")
        self.assertEqual(listed.json["total"], 3)
        self.assertEqual(
            sorted((r["reservationId"], r["connectorId"], r["state"]) for r in listed.json["items"]),
            [(1, 1, "active"), (41, 1, "active"), (42, 2, "active")],
        )

    @inlineCallbacks
    def test_live_events(self):
        """
        The live events tell what a charge point accepted: a reservation,
        its cancellation, a local list; a refused one is not told.
        """
        cp = yield self.booted()
        events = []
        self.addCleanup(self.web.events.subscribe(lambda number, kind, data: events.append((kind, data))))
        yield self.reserve()
        yield self.delete("/api/v1/chargepoints/CP1/reservations/1")
        yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        cp.answers["ReserveNow"] = core.ReserveNowResponse(status="Occupied")
        yield self.reserve()
        operations = [(kind, data) for kind, data in events if kind in ("reservationMade", "reservationCancelled", "localListSent")]
        self.assertEqual(
            operations,
            [
                ("reservationMade", {"chargePoint": "CP1", "status": "Accepted"}),
                ("reservationCancelled", {"chargePoint": "CP1", "status": "Accepted"}),
                ("localListSent", {"chargePoint": "CP1", "status": "Accepted"}),
            ],
        )

    @inlineCallbacks
    def test_not_accepted(self):
        """
        Faulted, Occupied, Rejected and Unavailable are answered 200 with
        the status, and nothing is recorded.
        """
        cp = yield self.booted()
        for status in ("Faulted", "Occupied", "Rejected", "Unavailable"):
            cp.answers["ReserveNow"] = core.ReserveNowResponse(status=status)
            answer = yield self.reserve()
            self.assertEqual(answer.status, 200, answer)
            self.assertEqual((answer.json["status"], answer.json["reservation"]), (status, None))
        listed = yield self.get("/api/v1/chargepoints/CP1/reservations")
        self.assertEqual(listed.json["total"], 0)

    @inlineCallbacks
    def test_replace_same_id(self):
        """
        A reservation with the id of a recorded one replaces it (OCPP 1.6
        section 5.13): one record, the new connector and tag.
        """
        yield self.booted()
        yield self.reserve(reservationId=7)
        yield self.reserve(reservationId=7, connectorId=2, idTag="TAG2")
        listed = yield self.get("/api/v1/chargepoints/CP1/reservations")
        self.assertEqual(
            [(r["reservationId"], r["connectorId"], r["idTag"]) for r in listed.json["items"]],
            [(7, 2, "TAG2")],
        )

    @inlineCallbacks
    def test_cancel(self):
        """
        DELETE sends CancelReservation.req; Accepted marks it cancelled;
        Rejected is reported, the record untouched.
        """
        cp = yield self.booted()
        yield self.reserve()
        yield self.reserve()
        cancelled = yield self.delete("/api/v1/chargepoints/CP1/reservations/1")
        self.assertEqual(cancelled.status, 200, cancelled)
        self.assertEqual((cancelled.json["status"], cancelled.json["reservation"]["state"]), ("Accepted", "cancelled"))
        self.assertIsNotNone(cancelled.json["reservation"]["endedAt"])
        self.assertEqual(self.sent(cp, core.CancelReservationRequest)[0].reservation_id, 1)
        cp.answers["CancelReservation"] = core.CancelReservationResponse(status="Rejected")
        rejected = yield self.delete("/api/v1/chargepoints/CP1/reservations/2")
        self.assertEqual((rejected.json["status"], rejected.json["reservation"]["state"]), ("Rejected", "active"))
        # One the central system never made is still asked of the charge point.
        unknown = yield self.delete("/api/v1/chargepoints/CP1/reservations/99")
        self.assertEqual((unknown.json["status"], unknown.json["reservation"]), ("Rejected", None))
        states = yield self.get("/api/v1/chargepoints/CP1/reservations?state=cancelled")
        self.assertEqual([r["reservationId"] for r in states.json["items"]], [1])
        bad = yield self.delete("/api/v1/chargepoints/CP1/reservations/abc")
        self.assertError(bad, 404, "unknown_reservation")

    @inlineCallbacks
    def test_used_by_start_transaction(self):
        """
        A StartTransaction.req with the reservationId marks the reservation
        used by that transaction; one without leaves it active.
        """
        cp = yield self.booted()
        yield self.reserve()
        yield self.reserve(connectorId=2)
        started = yield cp.call(
            core.StartTransactionRequest(
                connector_id=1, id_tag="TAG1", meter_start=0, timestamp=NOW, reservation_id=1
            )
        )
        yield cp.call(core.StartTransactionRequest(connector_id=2, id_tag="OTHER", meter_start=0, timestamp=NOW))
        used = yield self.get("/api/v1/chargepoints/CP1/reservations?state=used")
        (record,) = used.json["items"]
        self.assertEqual((record["reservationId"], record["transactionId"]), (1, started.transaction_id))
        active = yield self.get("/api/v1/chargepoints/CP1/reservations?state=active")
        self.assertEqual([r["reservationId"] for r in active.json["items"]], [2])

    @inlineCallbacks
    def test_expired(self):
        """
        An active reservation past its expiry date is listed as expired.
        """
        yield self.booted()
        yield self.reserve()
        self.central.store.record_reservation("CP1", 5, 1, "OLD", NOW - timedelta(hours=1))
        expired = yield self.get("/api/v1/chargepoints/CP1/reservations?state=expired")
        self.assertEqual([r["reservationId"] for r in expired.json["items"]], [5])
        bad = yield self.get("/api/v1/chargepoints/CP1/reservations?state=gone")
        self.assertError(bad, 400, "bad_query")

    @inlineCallbacks
    def test_bad_bodies(self):
        """
        A body breaking the rules is 400, nothing sent: a connector id that
        is not an integer of 0 or more, an id tag of more than 20
        characters or not ASCII, an expiry date not a date or past, a
        reservation id out of range, an unknown member, a missing one.
        """
        cp = yield self.booted()
        for body, error in (
            ({"connectorId": -1}, "bad_body"),
            ({"connectorId": "1"}, "bad_body"),
            ({"idTag": "X" * 21}, "invalid_payload"),
            ({"idTag": "ÄB"}, "bad_body"),
            ({"idTag": ""}, "bad_body"),
            ({"expiryDate": "tomorrow"}, "invalid_payload"),
            ({"expiryDate": "2020-01-01T00:00:00Z"}, "bad_body"),
            ({"reservationId": -1}, "bad_body"),
            ({"reservationId": 2**31}, "bad_body"),
            ({"colour": "red"}, "bad_body"),
        ):
            answer = yield self.reserve(**body)
            self.assertEqual((answer.status, answer.json["error"]), (400, error), (body, answer))
        missing = yield self.post("/api/v1/chargepoints/CP1/reservations", {"connectorId": 1, "idTag": "T"})
        self.assertError(missing, 400, "invalid_payload", code="OccurenceConstraintViolation")  # (sic: OCPP-J 1.6)
        self.assertEqual(self.sent(cp, core.ReserveNowRequest), [])

    @inlineCallbacks
    def test_not_connected_and_call_errors(self):
        """
        A known charge point offline is 404 not_connected (its list is
        still read), an unknown one 404 unknown_charge_point; a CALLERROR
        is 502.
        """
        cp = yield self.booted()
        self.central.store.register_charge_point("OFF")
        body = {"connectorId": 1, "idTag": "T", "expiryDate": later()}
        offline = yield self.post("/api/v1/chargepoints/OFF/reservations", body)
        self.assertError(offline, 404, "not_connected")
        cancel = yield self.delete("/api/v1/chargepoints/OFF/reservations/1")
        self.assertError(cancel, 404, "not_connected")
        listed = yield self.get("/api/v1/chargepoints/OFF/reservations")
        self.assertEqual(listed.json["total"], 0)
        unknown = yield self.get("/api/v1/chargepoints/NOPE/reservations")
        self.assertError(unknown, 404, "unknown_charge_point")
        cp.answers["ReserveNow"] = CallError(ErrorCode.NOT_SUPPORTED, "no reservations")
        refused = yield self.reserve()
        self.assertError(refused, 502, "call_error", code="NotSupported")


class FirmwareTests(ApiMixin, TestCase):
    """
    C{POST .../firmware} and the firmware and diagnostics state in the
    charge point's JSON.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_update_firmware(self):
        """
        UpdateFirmware.req carries the location, retries and interval, and
        retrieveDate now when none is given.
        """
        cp = yield self.booted()
        answer = yield self.post(
            "/api/v1/chargepoints/CP1/firmware",
            {"location": "https://example.com/fw.bin", "retries": 3, "retryInterval": 60},
        )
        self.assertEqual(answer.status, 200, answer)
        (request,) = [r for r in cp.received if isinstance(r, core.UpdateFirmwareRequest)]
        self.assertEqual(
            (request.location, request.retries, request.retry_interval),
            ("https://example.com/fw.bin", 3, 60),
        )
        self.assertLess(abs(request.retrieve_date - self.central.store.now()), timedelta(minutes=1))
        self.assertEqual(answer.json["request"]["location"], "https://example.com/fw.bin")
        dated = yield self.post(
            "/api/v1/chargepoints/CP1/firmware",
            {"location": "ftp://example.com/fw.bin", "retrieveDate": later()},
        )
        self.assertEqual(dated.json["request"]["retrieveDate"], later())

    @inlineCallbacks
    def test_the_password_of_the_location_is_not_logged(self):
        """
        The log line of an UpdateFirmware sent names its location with the
        password hidden; the request carries it whole.
        """
        from twisted.logger import formatEvent, globalLogPublisher

        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        cp = yield self.booted()
        answer = yield self.post(
            "/api/v1/chargepoints/CP1/firmware", {"location": "ftp://fw:secret@example.com/fw.bin"}
        )
        self.assertEqual(answer.status, 200, answer)
        (request,) = [r for r in cp.received if isinstance(r, core.UpdateFirmwareRequest)]
        self.assertEqual(request.location, "ftp://fw:secret@example.com/fw.bin")
        lines = [formatEvent(event) for event in events]
        self.assertTrue(any("ftp://fw:***@example.com/fw.bin" in line for line in lines), lines)
        self.assertEqual([line for line in lines if "secret" in line], [])

    @inlineCallbacks
    def test_bad_bodies(self):
        """
        A missing or bad location, a bad date, negative retries are 400;
        an offline charge point 404.
        """
        cp = yield self.booted()
        for body in ({}, {"location": "not a uri"}, {"location": "http://x/f", "retrieveDate": "soon"},
                     {"location": "http://x/f", "retries": -1}, {"location": "http://x/f", "colour": 1}):
            answer = yield self.post("/api/v1/chargepoints/CP1/firmware", body)
            self.assertEqual(answer.status, 400, (body, answer))
        self.assertEqual([r for r in cp.received if isinstance(r, core.UpdateFirmwareRequest)], [])
        self.central.store.register_charge_point("OFF")
        offline = yield self.post("/api/v1/chargepoints/OFF/firmware", {"location": "http://x/f"})
        self.assertError(offline, 404, "not_connected")

    @inlineCallbacks
    def test_status_shown(self):
        """
        The charge point's JSON shows its last FirmwareStatusNotification
        and DiagnosticsStatusNotification, null before any.
        """
        cp = yield self.booted()
        before = yield self.get("/api/v1/chargepoints/CP1")
        self.assertEqual((before.json["firmware"], before.json["diagnostics"]), (None, None))
        for status in ("Downloading", "Downloaded", "Installing"):
            yield cp.call(core.FirmwareStatusNotificationRequest(status=status))
        yield cp.call(core.DiagnosticsStatusNotificationRequest(status="Uploaded"))
        after = yield self.get("/api/v1/chargepoints/CP1")
        self.assertEqual(after.json["firmware"]["status"], "Installing")
        self.assertEqual(after.json["diagnostics"]["status"], "Uploaded")
        self.assertIsNotNone(after.json["firmware"]["receivedAt"])
        listed = yield self.get("/api/v1/chargepoints")
        self.assertEqual(listed.json["items"][0]["firmware"]["status"], "Installing")


class PostgreSQLReservationTests(PostgreSQLCentralSystemMixin, ReservationTests):
    """
    The same, with the central system on the PostgreSQL store.
    """
