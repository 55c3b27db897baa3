"""
Tests for the Reservation profile of the charge point (OCPP 1.6 sections
3.11, 5.1, 5.13): every ReserveNow status, replacement by id, connector 0,
cancellation, expiry (also across a restart), use by the reserved idTag or
one of its group, refusal of other idTags, and the reservation hook: the
collaborator alone and the charge point against the scripted central system,
on a L{Clock}; over a real WebSocket on loopback, against the scripted central
system and against the project's own.
"""

import json
from datetime import timedelta

from twisted.internet import reactor
from twisted.internet.defer import succeed
from twisted.internet.testing import EventLoggingObserver
from twisted.internet.task import Clock
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.errors import TransactionError
from openocpp.chargepoint.reservations import (
    LONGEST_WAIT,
    Reservation,
    Reservations,
    ReservationState,
    ReservationStore,
)
from openocpp.chargepoint.status import StatusReporter
from openocpp.hookspecs import hookimpl
from openocpp.messages import (
    AuthorizeResponse,
    BootNotificationResponse,
    CancelReservationRequest,
    ChangeAvailabilityRequest,
    HeartbeatResponse,
    GetConfigurationRequest,
    IdTagInfo,
    RemoteStartTransactionRequest,
    ReserveNowRequest,
    codec,
)
from openocpp.messages.enums import (
    AuthorizationStatus,
    AvailabilityType,
    CancelReservationStatus,
    ChargePointStatus,
    RegistrationStatus,
    RemoteStartStopStatus,
    ReservationStatus,
)
from tests.centralsystem.fake_chargepoint import CentralSystemMixin
from tests.chargepoint.test_collaborators import Parts
from tests.chargepoint.loopback import loopback_charge_point, start_charge_point, wait_for
from tests.chargepoint.fake_centralsystem import (
    BASE_TIME,
    ChargePointTestCase,
    LoopbackCentralSystem,
    ScriptedCentralSystem,
    assert_no_timers,
    make_charge_point,
)


class CollaboratorTests(SynchronousTestCase):
    """
    L{Reservations} alone, with the connectors and the status reporter it
    works with, on a L{Clock}: no charge point.
    """

    def setUp(self):
        self.parts = parts = Parts(self)
        self.status = StatusReporter(
            parts.connectors, parts.config, parts.clock, now=self.time, send=parts.send,
            online=lambda: True, running=lambda: True, notify=parts.notify,
        )
        self.addCleanup(self.status.stop)
        self.asked = []
        self.reservations = Reservations(
            parts.connectors, parts.store, parts.config, parts.clock, now=self.time,
            status=self.status, authorize=self.authorize, notify=parts.notify,
        )
        self.status.shown = self.reservations.shown
        self.status.changed = self.reservations.status_changed
        parts.connectors.add_start_rule(self.reservations.allows)
        self.reservations.start()
        self.addCleanup(lambda: self.assertEqual(parts.clock.getDelayedCalls(), []))
        self.addCleanup(self.reservations.stop)

    def time(self):
        return BASE_TIME + timedelta(seconds=self.parts.clock.seconds())

    def authorize(self, connector, id_tag):
        self.asked.append(id_tag)
        return succeed((AuthorizationStatus.ACCEPTED, "FLEET"))

    def reserve(self, connector, id_tag, reservation_id, seconds=60, parent=None):
        return self.reservations.reserve_now(ReserveNowRequest(
            connector_id=connector, expiry_date=self.time() + timedelta(seconds=seconds),
            id_tag=id_tag, reservation_id=reservation_id, parent_id_tag=parent,
        )).status

    def test_reserved_then_expired_on_the_clock(self):
        """
        Accepted: Reserved is reported; at the expiry date, Available, and
        plugins are told each time; no timer is left.
        """
        self.assertEqual(self.reserve(1, "TAG-A", 1), ReservationStatus.ACCEPTED)
        self.parts.clock.advance(59)
        self.assertFalse(self.parts.connectors.startable(1, "TAG-B"))
        self.parts.clock.advance(1)
        self.assertEqual(
            [(r.connector_id, r.status) for r in self.parts.sent],
            [(1, "Reserved"), (1, "Available")],
        )
        self.assertEqual(
            [kwargs["state"] for name, kwargs in self.parts.notified
             if name == "openocpp_cp_reservation_changed"],
            ["reserved", "expired"],
        )
        self.assertTrue(self.parts.connectors.startable(1, "TAG-B"))

    def test_no_timer_once_stopped(self):
        """
        Stopped, it cancels its timers, and the time being told then times
        nothing (the next start does).
        """
        self.reserve(1, "TAG-A", 1)
        self.reservations.stop()
        self.reservations.reschedule()
        self.assertEqual(self.parts.clock.getDelayedCalls(), [])
        self.reservations.start()
        self.assertEqual(len(self.parts.clock.getDelayedCalls()), 1)

    def test_parent_asked_only_when_a_reservation_has_one(self):
        """
        The reserved idTag is admitted without asking anything; another is
        looked up (authorize) only when the reservation names a parent.
        """
        self.reserve(1, "TAG-A", 1)
        self.reserve(2, "TAG-B", 2, parent="FLEET")
        self.assertEqual(self.successResultOf(self.reservations.admit(1, "TAG-A")).reservation_id, 1)
        self.failureResultOf(self.reservations.admit(1, "TAG-C"), TransactionError)
        self.assertEqual(self.asked, [])
        self.assertEqual(self.successResultOf(self.reservations.admit(2, "TAG-C")).reservation_id, 2)
        self.assertEqual(self.asked, ["TAG-C"])

    def test_id_tags_matched_as_the_local_list_matches_them(self):
        """
        A reservation's idTag and parentIdTag match in any case of the ASCII
        letters, as the local list, the cache and the reservations table
        (SQLite's NOCASE) match them, and not by Unicode case folding: the
        Kelvin sign is not a C{k}, C{ß} is not C{SS}.
        """
        reservation = Reservation(
            reservation_id=1, connector_id=1, id_tag="Tag-\u212a", parent_id_tag="stra\u00dfe",
            expiry_date=BASE_TIME, made_at=BASE_TIME,
        )
        self.assertTrue(reservation.names("TAG-\u212a"))
        self.assertTrue(reservation.names("STRA\u00dfE"))
        self.assertFalse(reservation.names("tag-k"))
        self.assertFalse(reservation.names("STRASSE"))

    def test_available_set_on_a_reserved_connector_stays_reserved(self):
        """
        The firmware setting a reserved connector Available (a cable pulled
        out) leaves it Reserved; Faulted ends the reservation.
        """
        self.reserve(1, "TAG-A", 1)
        self.status.set(1, ChargePointStatus.PREPARING)
        self.status.set(1, ChargePointStatus.AVAILABLE)
        self.assertEqual(self.parts.connectors.status(1), ChargePointStatus.RESERVED)
        self.status.set(1, ChargePointStatus.FAULTED)
        self.assertIsNone(self.reservations.reservation(1))
        self.status.set(1, ChargePointStatus.AVAILABLE)
        self.assertEqual(self.parts.connectors.status(1), ChargePointStatus.AVAILABLE)


class ReservationRecorder:
    """
    A plugin recording C{openocpp_cp_reservation_changed} (as a charger
    lighting an LED would be told).
    """

    def __init__(self):
        self.changes = []

    @hookimpl
    def openocpp_cp_reservation_changed(self, charge_point, connector, reservation_id, id_tag, state):
        self.changes.append((connector, reservation_id, id_tag, str(state)))


class ReservationTestCase(ChargePointTestCase):
    """
    A booted charge point with two connectors, its reservation changes
    recorded.
    """

    def make_plugins(self):
        self.recorder = ReservationRecorder()
        return [self.recorder]

    def setUp(self):
        super().setUp()
        self.boot_and_clear()

    def reserve(self, connector=1, id_tag="TAG-A", reservation_id=1, minutes=30, parent=None):
        """
        Send a ReserveNow; return its answer's status.
        """
        request = ReserveNowRequest(
            connector_id=connector,
            expiry_date=self.cp.now() + timedelta(minutes=minutes),
            id_tag=id_tag,
            reservation_id=reservation_id,
            parent_id_tag=parent,
        )
        return self.successResultOf(self.cs.call(request)).status

    def cancel(self, reservation_id):
        request = CancelReservationRequest(reservation_id=reservation_id)
        return self.successResultOf(self.cs.call(request)).status

    def statuses(self):
        return [(r.connector_id, r.status) for r in self.cs.requests("StatusNotification")]

    def support_connector_zero(self):
        # Read-only for the central system: the charger's own setting.
        self.cp.ocpp_config.set("ReserveConnectorZeroSupported", "true")

    def started(self):
        return self.cs.requests("StartTransaction")

    def begin(self, connector, id_tag):
        """
        Start a transaction and let the central system answer what it sends.
        """
        d = self.cp.start_transaction(connector, id_tag)
        self.cs.settle()
        return d


class ReserveNowTests(ReservationTestCase):
    """
    ReserveNow answers as section 5.13 says.
    """

    def test_accepted_connector_reserved(self):
        """
        A free connector is reserved: Accepted, its status Reserved, the
        reservation kept, plugins told.
        """
        self.assertEqual(self.reserve(1, "TAG-A", 7), ReservationStatus.ACCEPTED)
        self.assertEqual(self.statuses(), [(1, ChargePointStatus.RESERVED)])
        self.assertEqual(self.successResultOf(self.cp.connector_status(1)), ChargePointStatus.RESERVED)
        reservation = self.cp.reservation(1)
        self.assertIsInstance(reservation, Reservation)
        self.assertEqual((reservation.reservation_id, reservation.id_tag), (7, "TAG-A"))
        self.assertIsNone(self.cp.reservation(2))
        self.assertEqual(self.recorder.changes, [(1, 7, "TAG-A", "reserved")])

    def test_faulted_connector(self):
        """
        A Faulted connector, or a Faulted charge point: Faulted.
        """
        self.cp.status_notification(1, ChargePointStatus.FAULTED)
        self.assertEqual(self.reserve(1), ReservationStatus.FAULTED)
        self.assertEqual(self.reserve(2), ReservationStatus.ACCEPTED)
        self.cp.status_notification(0, ChargePointStatus.FAULTED)
        # The Faulted charge point also ended the reservation of connector 2.
        self.assertIsNone(self.cp.reservation(2))
        self.assertEqual(self.reserve(2, reservation_id=2), ReservationStatus.FAULTED)

    def test_unavailable_connector(self):
        """
        An Unavailable (inoperative) connector or charge point: Unavailable.
        """
        self.cs.call(ChangeAvailabilityRequest(connector_id=1, type=AvailabilityType.INOPERATIVE))
        self.assertEqual(self.reserve(1), ReservationStatus.UNAVAILABLE)
        self.assertEqual(self.reserve(2), ReservationStatus.ACCEPTED)
        self.cs.call(ChangeAvailabilityRequest(connector_id=0, type=AvailabilityType.INOPERATIVE))
        self.assertIsNone(self.cp.reservation(2))
        self.assertEqual(self.reserve(2, reservation_id=2), ReservationStatus.UNAVAILABLE)

    def test_occupied_by_transaction(self):
        """
        A connector with a transaction, or in use (Preparing): Occupied.
        """
        self.successResultOf(self.begin(1, "SOMEONE"))
        self.assertEqual(self.reserve(1), ReservationStatus.OCCUPIED)
        self.cp.status_notification(2, ChargePointStatus.PREPARING)
        self.assertEqual(self.reserve(2), ReservationStatus.OCCUPIED)
        self.assertEqual(self.recorder.changes, [])

    def test_occupied_by_another_reservation(self):
        """
        A connector reserved by another reservation, for the same or
        another idTag: Occupied; the first reservation stays.
        """
        self.assertEqual(self.reserve(1, "TAG-A", 1), ReservationStatus.ACCEPTED)
        self.assertEqual(self.reserve(1, "TAG-A", 2), ReservationStatus.OCCUPIED)
        self.assertEqual(self.reserve(1, "TAG-B", 3), ReservationStatus.OCCUPIED)
        self.assertEqual(self.cp.reservation(1).reservation_id, 1)

    def test_rejected_without_the_profile(self):
        """
        A charge point configured not to accept reservations (no
        Reservation in SupportedFeatureProfiles): Rejected.
        """
        self.cp.ocpp_config.set("SupportedFeatureProfiles", "Core,RemoteTrigger")
        self.assertEqual(self.reserve(1), ReservationStatus.REJECTED)
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.statuses(), [])

    def test_rejected_unknown_connector_or_past_expiry(self):
        """
        A connector the charge point does not have, or an expiryDate
        already passed: Rejected.
        """
        self.assertEqual(self.reserve(3), ReservationStatus.REJECTED)
        self.assertEqual(self.reserve(1, minutes=-1), ReservationStatus.REJECTED)
        self.assertIsNone(self.cp.reservation(1))

    def test_profile_supported_by_default(self):
        """
        SupportedFeatureProfiles lists Reservation.
        """
        answer = self.successResultOf(
            self.cs.call(GetConfigurationRequest(key=["SupportedFeatureProfiles"]))
        )
        self.assertIn("Reservation", answer.configuration_key[0].value.split(","))

    def test_same_id_replaces(self):
        """
        A ReserveNow with the id of a reservation held replaces it: on the
        same connector, or moving to another (the first goes Available).
        """
        self.assertEqual(self.reserve(1, "TAG-A", 5), ReservationStatus.ACCEPTED)
        self.assertEqual(self.reserve(1, "TAG-B", 5, minutes=60), ReservationStatus.ACCEPTED)
        self.assertEqual(self.cp.reservation(1).id_tag, "TAG-B")
        self.assertEqual(self.reserve(2, "TAG-C", 5), ReservationStatus.ACCEPTED)
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.cp.reservation(2).id_tag, "TAG-C")
        self.assertEqual(
            self.statuses(),
            [(1, "Reserved"), (1, "Available"), (2, "Reserved")],
        )
        self.assertEqual(
            self.recorder.changes,
            [
                (1, 5, "TAG-A", "reserved"),
                (1, 5, "TAG-B", "reserved"),
                (1, 5, "TAG-B", "cancelled"),
                (2, 5, "TAG-C", "reserved"),
            ],
        )

    def test_replaced_while_its_driver_prepares(self):
        """
        A replacement on its own connector is Accepted while the reserved
        idTag's driver has begun using it (Preparing): the status stays.
        """
        self.assertEqual(self.reserve(1, "TAG-A", 5), ReservationStatus.ACCEPTED)
        self.cp.status_notification(1, ChargePointStatus.PREPARING)
        self.assertEqual(self.reserve(1, "TAG-A", 5, minutes=90), ReservationStatus.ACCEPTED)
        self.assertEqual(self.successResultOf(self.cp.connector_status(1)), ChargePointStatus.PREPARING)
        self.assertEqual(self.reserve(1, "TAG-A", 6), ReservationStatus.OCCUPIED)

    def test_replacement_refused_keeps_the_reservation(self):
        """
        A replacement moving to a connector that is not free is answered
        its status, and the reservation stays where it was.
        """
        self.assertEqual(self.reserve(1, "TAG-A", 5), ReservationStatus.ACCEPTED)
        self.cp.status_notification(2, ChargePointStatus.FAULTED)
        self.assertEqual(self.reserve(2, "TAG-A", 5), ReservationStatus.FAULTED)
        self.assertEqual(self.cp.reservation(1).reservation_id, 5)

    def test_connector_zero_rejected_without_the_key(self):
        """
        Connector 0 while ReserveConnectorZeroSupported is false (its
        default): Rejected.
        """
        self.assertEqual(self.reserve(0), ReservationStatus.REJECTED)
        self.assertIsNone(self.cp.reservation(0))

    def test_connector_zero_with_the_key(self):
        """
        Connector 0 with ReserveConnectorZeroSupported: Accepted; no
        connector is reserved (none goes Reserved).
        """
        self.support_connector_zero()
        self.assertEqual(self.reserve(0, "TAG-A", 9), ReservationStatus.ACCEPTED)
        self.assertEqual(self.cp.reservation(0).reservation_id, 9)
        self.assertEqual(self.statuses(), [])
        self.assertTrue(self.cp.startable(1, "OTHER"))
        self.assertEqual(self.recorder.changes, [(0, 9, "TAG-A", "reserved")])

    def test_connector_zero_occupied_when_nothing_is_free(self):
        """
        Connector 0 when no connector is free, or when each free one is
        kept for another reservation of connector 0: Occupied; when every
        connector is Faulted: Faulted.
        """
        self.support_connector_zero()
        self.successResultOf(self.begin(1, "SOMEONE"))
        self.assertEqual(self.reserve(0, "TAG-A", 1), ReservationStatus.ACCEPTED)
        self.assertEqual(self.reserve(0, "TAG-B", 2), ReservationStatus.OCCUPIED)
        # Nor may connector 2 be reserved: it is kept for reservation 1.
        self.assertEqual(self.reserve(2, "TAG-B", 3), ReservationStatus.OCCUPIED)
        self.assertEqual(self.cancel(1), CancelReservationStatus.ACCEPTED)
        self.cp.status_notification(1, ChargePointStatus.FAULTED)
        self.cp.status_notification(2, ChargePointStatus.FAULTED)
        self.assertEqual(self.reserve(0, "TAG-B", 2), ReservationStatus.FAULTED)


class CancelReservationTests(ReservationTestCase):
    """
    CancelReservation (section 5.1).
    """

    def test_known_accepted(self):
        """
        The id of a reservation held: Accepted, the connector Available
        again, plugins told.
        """
        self.reserve(1, "TAG-A", 4)
        self.assertEqual(self.cancel(4), CancelReservationStatus.ACCEPTED)
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.statuses(), [(1, "Reserved"), (1, "Available")])
        self.assertEqual(self.recorder.changes[-1], (1, 4, "TAG-A", "cancelled"))
        self.assertTrue(self.cp.startable(1, "OTHER"))

    def test_unknown_rejected(self):
        """
        An id no reservation has (or one already cancelled): Rejected.
        """
        self.assertEqual(self.cancel(4), CancelReservationStatus.REJECTED)
        self.reserve(1, "TAG-A", 4)
        self.assertEqual(self.cancel(5), CancelReservationStatus.REJECTED)
        self.assertEqual(self.cancel(4), CancelReservationStatus.ACCEPTED)
        self.assertEqual(self.cancel(4), CancelReservationStatus.REJECTED)

    def test_faulted_connector_ends_it(self):
        """
        A reserved connector set Faulted ends its reservation (5.13 (3)).
        """
        self.reserve(1, "TAG-A", 4)
        self.cp.status_notification(1, ChargePointStatus.FAULTED)
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.recorder.changes[-1], (1, 4, "TAG-A", "cancelled"))
        self.assertEqual(self.cancel(4), CancelReservationStatus.REJECTED)


class ExpiryTests(ReservationTestCase):
    """
    A reservation ends at its expiryDate, on the charge point's clock.
    """

    def test_expires(self):
        """
        At its expiryDate the reservation ends, its connector Available
        (reported), plugins told; not a second before.
        """
        self.reserve(1, "TAG-A", 3, minutes=2)
        self.cs.advance(119, step=10)
        self.assertIsNotNone(self.cp.reservation(1))
        self.cs.advance(1)
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.statuses(), [(1, "Reserved"), (1, "Available")])
        self.assertEqual(self.recorder.changes[-1], (1, 3, "TAG-A", "expired"))
        self.assertEqual(self.cancel(3), CancelReservationStatus.REJECTED)

    def test_far_expiry_looked_at_daily(self):
        """
        An expiryDate years away is timed a day at a time (no timer
        overflows a poller's timeout); the reservation lasts.
        """
        self.reserve(1, "TAG-A", 3, minutes=60 * 24 * 365 * 50)
        (timer,) = [
            c for c in self.clock.getDelayedCalls()
            if getattr(c.func, "__qualname__", "") == "Reservations._expire"
        ]
        self.assertEqual(timer.getTime() - self.clock.seconds(), LONGEST_WAIT)
        self.clock.advance(LONGEST_WAIT)
        self.assertEqual(self.cp.reservation(1).reservation_id, 3)

    def test_expired_while_stopped(self):
        """
        A reservation that expired while the charge point was stopped is
        gone when it starts again, and its connector's status is reported
        Available after the boot.
        """
        self.reserve(1, "TAG-A", 3, minutes=2)
        self.cp.stopService()
        self.cs.disconnect()
        self.clock.advance(300)
        self.cs.clear()
        self.cp.startService()
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.recorder.changes[-1], (1, 3, "TAG-A", "expired"))
        self.cs.connect(self.cp)
        self.assertIn((1, "Available"), self.statuses())

    def test_kept_while_stopped(self):
        """
        A reservation still valid after a restart goes on (its connector
        Reserved), and expires when due.
        """
        self.reserve(1, "TAG-A", 3, minutes=10)
        self.cp.stopService()
        self.cs.disconnect()
        self.clock.advance(60)
        self.cs.clear()
        self.cp.startService()
        self.cs.connect(self.cp)
        self.assertEqual(self.cp.reservation(1).reservation_id, 3)
        self.assertIn((1, "Reserved"), self.statuses())
        self.cs.advance(540, step=60)
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.statuses()[-1], (1, "Available"))


class UseTests(ReservationTestCase):
    """
    Only the reserved idTag, or one of its group, starts on a reserved
    connector; its start ends the reservation and carries its id.
    """

    def test_used_by_its_id_tag(self):
        """
        The reserved idTag (in any case) starts: StartTransaction.req
        carries the reservationId, the reservation ends (used).
        """
        self.reserve(1, "TAG-A", 11)
        status = self.successResultOf(self.begin(1, "tag-a"))
        self.assertEqual(status, AuthorizationStatus.ACCEPTED)
        self.assertEqual(self.started()[0].reservation_id, 11)
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.recorder.changes[-1], (1, 11, "TAG-A", "used"))
        self.assertEqual(self.successResultOf(self.cp.connector_status(1)), ChargePointStatus.PREPARING)
        self.assertEqual(self.cancel(11), CancelReservationStatus.REJECTED)

    def test_used_by_a_tag_of_its_group(self):
        """
        An idTag whose parent (here from the Authorize.conf) is the
        reservation's parentIdTag starts, with the reservationId.
        """
        self.reserve(1, "TAG-A", 12, parent="FLEET")
        self.cs.answers["Authorize"] = lambda r: AuthorizeResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.ACCEPTED, parent_id_tag="FLEET")
        )
        self.successResultOf(self.begin(1, "TAG-B"))
        self.assertEqual([r.id_tag for r in self.cs.requests("Authorize")], ["TAG-B"])
        self.assertEqual(self.started()[0].reservation_id, 12)
        self.assertIsNone(self.cp.reservation(1))

    def test_parent_known_locally_not_asked_again(self):
        """
        An idTag whose parent the Authorization Cache knows (its Authorize
        just now) is admitted on a group's reservation from the cache: "the
        Charge Point MAY look it up in its Local Authorization List or
        Authorization Cache. If it is not found [...] SHALL send an
        Authorize.req" (5.13), so one presentation makes one Authorize.req.
        """
        self.reserve(1, "TAG-A", 12, parent="FLEET")
        self.cs.answers["Authorize"] = lambda r: AuthorizeResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.ACCEPTED, parent_id_tag="FLEET")
        )
        authorized = self.cp.authorize(1, "TAG-B")
        self.cs.settle()
        self.assertEqual(self.successResultOf(authorized), (AuthorizationStatus.ACCEPTED, "FLEET"))
        self.successResultOf(self.begin(1, "tag-b"))
        self.assertEqual([r.id_tag for r in self.cs.requests("Authorize")], ["TAG-B"])
        self.assertEqual(self.started()[0].reservation_id, 12)

    def test_tag_of_another_group_refused(self):
        """
        An idTag whose parent is not the reservation's may not start.
        """
        self.reserve(1, "TAG-A", 12, parent="FLEET")
        self.cs.answers["Authorize"] = lambda r: AuthorizeResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.ACCEPTED, parent_id_tag="OTHERS")
        )
        self.failureResultOf(self.begin(1, "TAG-B"), TransactionError)
        self.assertEqual(self.started(), [])
        self.assertEqual(self.cp.reservation(1).reservation_id, 12)

    def test_other_tag_refused(self):
        """
        Another idTag may not start on a reserved connector (nothing is
        queued), nor be started there remotely; other connectors are free.
        """
        self.reserve(1, "TAG-A", 13)
        self.assertFalse(self.cp.startable(1))
        self.assertFalse(self.cp.startable(1, "TAG-B"))
        self.assertTrue(self.cp.startable(1, "TAG-A"))
        self.failureResultOf(self.begin(1, "TAG-B"), TransactionError)
        self.assertEqual(self.cp.store.queued(), [])
        answer = self.successResultOf(
            self.cs.call(RemoteStartTransactionRequest(id_tag="TAG-B", connector_id=1))
        )
        self.assertEqual(answer.status, RemoteStartStopStatus.REJECTED)
        self.successResultOf(self.begin(2, "TAG-B"))
        self.assertIsNone(self.started()[0].reservation_id)
        self.assertEqual(self.cp.reservation(1).reservation_id, 13)

    def test_remote_start_by_its_tag(self):
        """
        A RemoteStartTransaction of the reserved idTag (with or without the
        connector) starts on the reserved connector, with the
        reservationId.
        """
        self.reserve(2, "TAG-A", 14)
        answer = self.successResultOf(self.cs.call(RemoteStartTransactionRequest(id_tag="TAG-A")))
        self.assertEqual(answer.status, RemoteStartStopStatus.ACCEPTED)
        self.cs.settle()
        started = self.started()
        self.assertEqual([(r.connector_id, r.reservation_id) for r in started], [(2, 14)])
        self.assertIsNone(self.cp.reservation(2))
        self.assertEqual(self.successResultOf(self.cp.connector_status(2)), ChargePointStatus.CHARGING)

    def test_remote_start_of_an_unknown_group_avoids_the_reservation(self):
        """
        A RemoteStartTransaction without connector of an idTag that is not
        the reservation's (whose parent is not known yet) takes a free
        connector rather than the one reserved for a group.
        """
        self.reserve(1, "TAG-A", 14, parent="FLEET")
        self.assertTrue(self.cp.startable(1, "TAG-X"))
        answer = self.successResultOf(self.cs.call(RemoteStartTransactionRequest(id_tag="TAG-X")))
        self.assertEqual(answer.status, RemoteStartStopStatus.ACCEPTED)
        self.cs.settle()
        self.assertEqual([(r.connector_id, r.reservation_id) for r in self.started()], [(2, None)])
        self.assertEqual(self.cp.reservation(1).reservation_id, 14)

    def test_last_free_connector_kept(self):
        """
        With a reservation of connector 0, other idTags may take connectors
        as long as one stays free: the last free one is kept for the
        reserved idTag, whose start there ends the reservation.
        """
        self.support_connector_zero()
        self.reserve(0, "TAG-A", 15)
        self.successResultOf(self.begin(1, "TAG-B"))
        self.assertFalse(self.cp.startable(2, "TAG-C"))
        self.assertTrue(self.cp.startable(2, "TAG-A"))
        self.failureResultOf(self.begin(2, "TAG-C"), TransactionError)
        self.successResultOf(self.begin(2, "TAG-A"))
        self.assertEqual([r.reservation_id for r in self.started()], [None, 15])
        self.assertIsNone(self.cp.reservation(0))
        self.assertEqual(self.recorder.changes[-1], (0, 15, "TAG-A", "used"))

    def test_zero_reservation_used_on_any_connector(self):
        """
        The idTag of a reservation of connector 0 starting on any connector
        ends it, with the reservationId.
        """
        self.support_connector_zero()
        self.reserve(0, "TAG-A", 16)
        self.successResultOf(self.begin(1, "TAG-A"))
        self.assertEqual(self.started()[0].reservation_id, 16)
        self.assertTrue(self.cp.startable(2, "TAG-C"))


class PersistenceTests(ReservationTestCase):
    """
    Reservations are kept in the SQLite file.
    """

    def test_table_round_trip(self):
        """
        What the ReservationStore keeps it gives back, the same id
        replacing; removed, it is gone; reset_data forgets it.
        """
        table = ReservationStore(self.cp.store)
        now = self.cp.now()
        first = Reservation(
            reservation_id=1, connector_id=2, id_tag="TAG-A", parent_id_tag="FLEET",
            expiry_date=now + timedelta(seconds=90, microseconds=5), made_at=now,
        )
        table.put(first)
        self.assertEqual(table.all(), [first])
        second = Reservation(
            reservation_id=1, connector_id=0, id_tag="TAG-B", parent_id_tag=None,
            expiry_date=now + timedelta(hours=2), made_at=now,
        )
        table.put(second)
        self.assertEqual(table.all(), [second])
        table.remove(1)
        self.assertEqual(table.all(), [])
        table.put(first)
        self.cp.stopService()
        self.cs.disconnect()
        self.successResultOf(self.cp.reset_data())
        self.assertEqual(table.all(), [])

    def test_used_before_a_crash(self):
        """
        A transaction that carried the reservation's id started, and the
        process stopped before the reservation's end was written: the
        reservation is gone at the next start (used), not kept until
        expiry.
        """
        self.reserve(1, "TAG-A", 8)
        self.cs.crash()
        self.cp.stopService()
        # What the start had written before the crash.
        self.cp.store.start_transaction(
            1, "TAG-A", 0, codec.format_datetime(self.cp.now()), 8, {"connectorId": 1},
        )
        self.cp.startService()
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.recorder.changes[-1], (1, 8, "TAG-A", "used"))
        self.cp.stopService()
        self.cs.disconnect()


    def test_reserved_status_without_reservation_repaired(self):
        """
        A connector left Reserved without a reservation (the process
        stopped between the two writes) is Available at the next start.
        """
        self.cp.stopService()
        self.cs.disconnect()
        self.cp.store.set_status(2, "Reserved", "NoError", None, None, None, changed_at=0.0)
        self.cp.startService()
        self.assertEqual(self.successResultOf(self.cp.connector_status(2)), ChargePointStatus.AVAILABLE)
        self.cp.stopService()


class BehaviourTests(SynchronousTestCase):
    """
    The built-in simulated charger is told of reservation changes.
    """

    def test_logs_reservation_changes(self):
        """
        It logs each change: which reservation, connector, idTag, state.
        """
        events = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        behaviour = DefaultChargePointBehaviour()
        behaviour.openocpp_cp_reservation_changed(
            charge_point=None, connector=2, reservation_id=5, id_tag="TAG-A",
            state=ReservationState.EXPIRED,
        )
        logged = [e for e in events if e.get("reservation_id") == 5]
        self.assertEqual(len(logged), 1)
        self.assertEqual(
            (logged[0]["connector"], logged[0]["id_tag"], logged[0]["state"]), (2, "TAG-A", "expired")
        )


class TimeTests(SynchronousTestCase):
    """
    Expiry follows the charge point's time, which the central system sets.
    """

    def test_time_told_at_boot_expires(self):
        """
        Kept in the file, a reservation is read by a new charge point (a
        reboot) whose clock is not set yet; the time the BootNotification.conf
        tells ends it, and its connector is reported Available.
        """
        clock = Clock()
        database = self.mktemp()
        cs = ScriptedCentralSystem(self, clock)
        first = make_charge_point(self, clock, database=database)
        first.startService()
        cs.connect(first)
        request = ReserveNowRequest(
            connector_id=1, expiry_date=first.now() + timedelta(minutes=5), id_tag="TAG-A",
            reservation_id=21,
        )
        self.assertEqual(self.successResultOf(cs.call(request)).status, ReservationStatus.ACCEPTED)
        self.successResultOf(first.stopService())
        cs.disconnect()
        clock.advance(600)
        cs.clear()
        second = make_charge_point(self, clock, database=database)
        second.startService()
        self.addCleanup(second.stopService)
        # Its clock says 1970 until told: the reservation goes on for now.
        self.assertEqual(second.reservation(1).reservation_id, 21)
        cs.connect(second)
        self.assertIsNone(second.reservation(1))
        self.assertIn((1, "Available"), [(r.connector_id, r.status) for r in cs.requests("StatusNotification")])
        self.successResultOf(second.stopService())
        cs.disconnect()
        assert_no_timers(self, clock)


class LoopbackReservationTests(TestCase):
    """
    Reservations over a real WebSocket connection on loopback.
    """

    timeout = 20

    def wait_for(self, condition, what):
        return wait_for(self, condition, what)

    async def test_reserve_and_use(self):
        """
        ReserveNow Accepted, Reserved reported; another idTag refused; the
        reserved one starts with the reservationId; CancelReservation of it
        afterwards Rejected.
        """
        cs = LoopbackCentralSystem(self, reactor)
        port = await cs.listen()
        self.addCleanup(cs.stop)
        cp = loopback_charge_point(self, f"ws://127.0.0.1:{port}/openocpp")
        start_charge_point(self, cp)
        await self.wait_for(lambda: len(cs.requests("StatusNotification")) == 3, "the statuses")
        answer = await cs.session.call(ReserveNowRequest(
            connector_id=1, expiry_date=cp.now() + timedelta(hours=1), id_tag="TAG-A",
            reservation_id=31,
        ))
        self.assertEqual(answer.status, ReservationStatus.ACCEPTED)
        await self.wait_for(
            lambda: (1, "Reserved") in [(r.connector_id, r.status) for r in cs.requests("StatusNotification")],
            "the Reserved status",
        )
        with self.assertRaises(TransactionError):
            await cp.start_transaction(1, "TAG-B")
        self.assertEqual(await cp.start_transaction(1, "TAG-A"), AuthorizationStatus.ACCEPTED)
        self.assertEqual(cs.requests("StartTransaction")[0].reservation_id, 31)
        answer = await cs.session.call(CancelReservationRequest(reservation_id=31))
        self.assertEqual(answer.status, CancelReservationStatus.REJECTED)


class ProjectCentralSystemTests(CentralSystemMixin, TestCase):
    """
    Reservations end to end against the project's own central system, over
    loopback: its proxy reserves and cancels, it records the Reserved
    status and the reservationId of the transaction that used it.
    """

    timeout = 20

    def setUp(self):
        return self.start_central_system()

    def wait_for(self, condition, what):
        return wait_for(self, condition, what)

    def connector_status(self, connector):
        return [
            row["status"]
            for row in self.rows(
                "SELECT status FROM connectors WHERE identity = 'CP1' AND connector_id = ?", connector
            )
        ]

    async def test_reserve_cancel_and_remote_start(self):
        """
        ReserveNow Accepted and Reserved recorded; a second reservation
        cancelled (Accepted, then Rejected); a RemoteStartTransaction of the
        reserved idTag without connector starts on the reserved connector,
        and the central system records the transaction's reservationId.
        """
        self.central.store.set_id_tag("TAG-A")
        cp = loopback_charge_point(self, self.url, identity="CP1")
        start_charge_point(self, cp)
        await self.wait_for(lambda: cp.online and self.connector_status(2) == ["Available"], "the boot")
        proxy = self.central.charge_point("CP1")
        expiry = cp.now() + timedelta(hours=1)
        answer = await proxy.reserve_now(2, expiry, "TAG-A", 41)
        self.assertEqual(answer.status, ReservationStatus.ACCEPTED)
        await self.wait_for(lambda: self.connector_status(2) == ["Reserved"], "Reserved recorded")
        answer = await proxy.reserve_now(1, expiry, "TAG-B", 42)
        self.assertEqual(answer.status, ReservationStatus.ACCEPTED)
        answer = await proxy.cancel_reservation(42)
        self.assertEqual(answer.status, CancelReservationStatus.ACCEPTED)
        answer = await proxy.cancel_reservation(42)
        self.assertEqual(answer.status, CancelReservationStatus.REJECTED)
        answer = await proxy.remote_start_transaction("TAG-A")
        self.assertEqual(answer.status, RemoteStartStopStatus.ACCEPTED)
        await self.wait_for(
            lambda: self.rows("SELECT connector_id, reservation_id FROM transactions"),
            "the transaction",
        )
        self.assertEqual(
            self.rows("SELECT connector_id, reservation_id FROM transactions"),
            [{"connector_id": 2, "reservation_id": 41}],
        )
        self.assertIsNone(cp.reservation(2))


class HostileReserveNowTests(ReservationTestCase):
    """
    What a hostile or broken central system may send as ReserveNow and
    CancelReservation, as raw frames: each is answered (a status, or a
    CALLERROR for a payload its schema refuses) with one log line of the
    charge point, and no reservation is made or lost by it.
    """

    def setUp(self):
        super().setUp()
        self.assertEqual(self.reserve(2, "KEEP", 1), ReservationStatus.ACCEPTED)
        self.events = EventLoggingObserver()
        globalLogPublisher.addObserver(self.events)
        self.addCleanup(globalLogPublisher.removeObserver, self.events)

    def raw(self, action, payload):
        """
        Send a request frame as given; return the charge point's answer
        frame and the log events the charge point made meanwhile.
        """
        unique_id = f"hostile-{len(self.cs.frames)}"
        before = len(self.events)
        self.cs.link.cs_end.send_text(json.dumps([2, unique_id, action, payload]))
        self.cs.settle()
        answer = [frame for frame in self.cs.frames if frame[1] == unique_id]
        self.assertEqual(len(answer), 1, answer)
        # The scripted central system's session logs the answer to a call
        # it did not make: only the charge point's lines count.
        events = [self.events[i] for i in range(before, len(self.events))]
        return answer[0], [e for e in events if e.get("log_source") is not self.cs.session]

    def test_refused_payloads_and_values(self):
        """
        An expiryDate that is no date or has no offset, a connectorId that
        is not an integer: CALLERRORs; connector -1 or beyond the last, an
        expiryDate in the past, connector 0 without
        ReserveConnectorZeroSupported: Rejected; another id on a reserved
        connector: Occupied; CancelReservation of an unknown id: Rejected.
        One log line each; the reservation held stays.
        """
        future = codec.format_datetime(self.cp.now() + timedelta(hours=1))
        past = codec.format_datetime(self.cp.now() - timedelta(seconds=1))

        def reserve(**fields):
            return {"connectorId": 1, "expiryDate": future, "idTag": "T", "reservationId": 9, **fields}

        for action, payload, answer in (
            ("ReserveNow", reserve(expiryDate="not a date"), "TypeConstraintViolation"),
            ("ReserveNow", reserve(expiryDate="2099-01-01T00:00:00"), "TypeConstraintViolation"),
            ("ReserveNow", reserve(connectorId="1"), "TypeConstraintViolation"),
            ("ReserveNow", reserve(idTag="X" * 21), "PropertyConstraintViolation"),
            ("ReserveNow", reserve(connectorId=-1), {"status": "Rejected"}),
            ("ReserveNow", reserve(connectorId=3), {"status": "Rejected"}),
            ("ReserveNow", reserve(expiryDate=past), {"status": "Rejected"}),
            ("ReserveNow", reserve(connectorId=0), {"status": "Rejected"}),
            ("ReserveNow", reserve(connectorId=2), {"status": "Occupied"}),
            ("ReserveNow", reserve(connectorId=2, idTag="KEEP"), {"status": "Occupied"}),
            ("CancelReservation", {"reservationId": 424242}, {"status": "Rejected"}),
            ("CancelReservation", {"reservationId": "1"}, "TypeConstraintViolation"),
        ):
            frame, events = self.raw(action, payload)
            # A status is the answer's payload, a CALLERROR's code its third item.
            self.assertEqual(frame[2], answer, payload)
            # One line for the refusal, and for a CALLERROR the security event
            # InvalidMessages (Security Whitepaper chapter 8) the stack raises.
            self.assertEqual(
                [e.get("kind") for e in events if "kind" in e],
                ["InvalidMessages"] if isinstance(answer, str) else [],
                payload,
            )
            rest = [e for e in events if "kind" not in e]
            self.assertEqual(len(rest), 1, (payload, [e.get("log_format") for e in rest]))
            self.assertNotIn("log_failure", rest[0])
        self.assertIsNone(self.cp.reservation(1))
        self.assertEqual(self.cp.reservation(2).id_tag, "KEEP")
        self.assertEqual(self.cp.store.queued(), [])

    def test_extreme_ids_and_dates(self):
        """
        A reservationId beyond 32 bits and an expiryDate of 9999-12-31 are
        taken as sent; the far expiry is looked at daily, not timed once.
        """
        frame, _ = self.raw("ReserveNow", {
            "connectorId": 1, "expiryDate": "9999-12-31T23:59:59Z", "idTag": "T",
            "reservationId": 2**31,
        })
        self.assertEqual(frame[2], {"status": "Accepted"})
        self.assertEqual(self.cp.reservation(1).reservation_id, 2**31)
        self.assertTrue(all(
            call.getTime() - self.clock.seconds() <= LONGEST_WAIT for call in self.clock.getDelayedCalls()
        ))
        self.assertEqual(self.cancel(2**31), CancelReservationStatus.ACCEPTED)

    def test_connector_zero_with_the_key(self):
        """
        With ReserveConnectorZeroSupported, connector 0 is Accepted while a
        connector is free, Occupied once the last free one is kept.
        """
        self.support_connector_zero()
        self.assertEqual(self.reserve(0, "ZERO", 2), ReservationStatus.ACCEPTED)
        self.assertEqual(self.reserve(0, "ZERO-2", 3), ReservationStatus.OCCUPIED)
        self.assertEqual(self.reserve(1, "ONE", 4), ReservationStatus.OCCUPIED)


class ClockAndCrashTests(SynchronousTestCase):
    """
    Reservations when the process is killed (no stop, no last write) and
    when the central system sets the charge point's time far forward or
    back (BootNotification.conf currentTime).
    """

    def boot(self, clock, database, cs, shift=timedelta(0)):
        # The central system's own clock is off by C{shift}: its Heartbeat
        # answers tell the same time as its BootNotification answer.
        cs.answers["BootNotification"] = lambda r: BootNotificationResponse(
            status=RegistrationStatus.ACCEPTED, current_time=cs.now() + shift, interval=300
        )
        cs.answers["Heartbeat"] = lambda r: HeartbeatResponse(current_time=cs.now() + shift)
        cp = make_charge_point(self, clock, database=database)
        cp.startService()
        self.addCleanup(lambda: cp.running and cp.stopService())
        cs.connect(cp)
        return cp

    def reserve(self, cs, cp, connector, reservation_id, minutes):
        request = ReserveNowRequest(
            connector_id=connector, expiry_date=cp.now() + timedelta(minutes=minutes),
            id_tag=f"TAG-{reservation_id}", reservation_id=reservation_id,
        )
        self.assertEqual(self.successResultOf(cs.call(request)).status, ReservationStatus.ACCEPTED)

    def test_killed_with_reservations_pending(self):
        """
        Killed with two reservations, one of which expires while it is
        down: after the restart that one is gone with its connector reported
        Available, the other goes on Reserved and expires when due.
        """
        clock, database = Clock(), self.mktemp()
        cs = ScriptedCentralSystem(self, clock)
        first = self.boot(clock, database, cs)
        self.reserve(cs, first, 1, 31, minutes=5)
        self.reserve(cs, first, 2, 32, minutes=60)
        cs.crash()
        first.store.close()
        clock.advance(600)
        cs.clear()
        second = self.boot(clock, database, cs)
        self.assertIsNone(second.reservation(1))
        self.assertEqual(second.reservation(2).reservation_id, 32)
        statuses = [(r.connector_id, r.status) for r in cs.requests("StatusNotification")]
        self.assertIn((1, "Available"), statuses)
        self.assertIn((2, "Reserved"), statuses)
        cs.advance(3000, step=60)
        self.assertIsNone(second.reservation(2))
        self.assertEqual(
            [(r.connector_id, r.status) for r in cs.requests("StatusNotification")][-1], (2, "Available")
        )
        second.stopService()
        cs.disconnect()
        assert_no_timers(self, clock)

    def test_time_set_far_forward_or_back(self):
        """
        The time told at boot ends a reservation it passes (set a year
        forward), and keeps one it goes back before (set a day back) until
        its expiryDate on the new time.
        """
        clock, database = Clock(), self.mktemp()
        cs = ScriptedCentralSystem(self, clock)
        first = self.boot(clock, database, cs)
        self.reserve(cs, first, 1, 41, minutes=30)
        first.stopService()
        cs.disconnect()
        cs.clear()
        back = self.boot(clock, database, cs, shift=timedelta(days=-1))
        self.assertEqual(back.reservation(1).reservation_id, 41)
        cs.advance(3600, step=600)
        self.assertEqual(back.reservation(1).reservation_id, 41)
        back.stopService()
        cs.disconnect()
        cs.clear()
        forward = self.boot(clock, database, cs, shift=timedelta(days=365))
        self.assertIsNone(forward.reservation(1))
        self.assertIn((1, "Available"), [(r.connector_id, r.status) for r in cs.requests("StatusNotification")])
        forward.stopService()
        cs.disconnect()
        assert_no_timers(self, clock)

    def test_connector_gone_after_restart(self):
        """
        Started again with fewer connectors (C{--connectors}), the charge
        point ends the reservation of a connector it no longer has ("no
        connector 2"): CancelReservation of it is Rejected, not an
        InternalError, and no expiry timer fails later.
        """
        clock, database = Clock(), self.mktemp()
        cs = ScriptedCentralSystem(self, clock)
        first = self.boot(clock, database, cs)
        self.reserve(cs, first, 2, 51, minutes=5)
        self.reserve(cs, first, 1, 52, minutes=5)
        first.stopService()
        cs.disconnect()
        first.store.close()
        cs.clear()
        cs.answers["BootNotification"] = lambda r: BootNotificationResponse(
            status=RegistrationStatus.ACCEPTED, current_time=cs.now(), interval=300
        )
        second = make_charge_point(self, clock, database=database, connectors=1)
        second.startService()
        cs.connect(second)
        self.assertIsNone(second.reservation(2))
        self.assertEqual(second.reservation(1).reservation_id, 52)
        answer = self.successResultOf(cs.call(CancelReservationRequest(reservation_id=51)))
        self.assertEqual(answer.status, CancelReservationStatus.REJECTED)
        cs.advance(600, step=60)
        self.assertIsNone(second.reservation(1))
        self.assertEqual(self.flushLoggedErrors(), [])
        second.stopService()
        cs.disconnect()
        assert_no_timers(self, clock)
