"""
Reservations (OCPP 1.6 sections 3.11, 5.1 CancelReservation, 5.13
ReserveNow): a connector, or any connector (connector 0, when
ReserveConnectorZeroSupported), kept for an idTag until an expiry date.

A reservation of a connector makes it Reserved (the status reporter shows a
reserved connector set Available as Reserved) and refuses every other idTag
there: only the reserved idTag, its parentIdTag, or an idTag whose own
parent (from the local list, the cache or an Authorize.req) is one of them
may start. A reservation of connector 0 reserves no connector: it keeps as
many connectors free as there are such reservations, so that the last free
one stays for its idTag. A reservation ends when its idTag starts a
transaction (the StartTransaction.req carries its reservationId), when it is
cancelled, when it expires (a timer on the charge point's clock), or when
its connector (or the charge point) goes Faulted or Unavailable; its
connector goes back to Available (section 5.13, transitions G1, G2, G8,
G9), and plugins are told (C{openocpp_cp_reservation_changed}).

Reservations are kept in the charge point's SQLite file: after a restart
they go on, and those that expired meanwhile end at once.
"""

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger

from openocpp.chargepoint.errors import TransactionError
from openocpp.chargepoint.locallist import fold
from openocpp.messages import CancelReservationResponse, ReserveNowResponse, codec
from openocpp.messages.enums import CancelReservationStatus, ChargePointStatus, ReservationStatus
from openocpp.messages.validation import parse_datetime
from openocpp.store.sqlite import transaction

#: The profile SupportedFeatureProfiles must list for ReserveNow to be
#: accepted.
PROFILE = "Reservation"

#: The longest an expiry timer waits before looking at the time again (an
#: expiryDate years away would overflow a poller's timeout).
LONGEST_WAIT = 86400.0


class ReservationState(enum.StrEnum):
    """
    What happened to a reservation (the C{state} of
    C{openocpp_cp_reservation_changed}).
    """

    RESERVED = "reserved"  # made, or replaced by a ReserveNow of its id
    CANCELLED = "cancelled"  # CancelReservation, or its connector Faulted or Unavailable
    EXPIRED = "expired"  # its expiryDate was reached
    USED = "used"  # its idTag started a transaction


@dataclass(frozen=True, slots=True)
class Reservation:
    """
    A reservation the charge point holds.

    @ivar reservation_id: the central system's id for it.
    @ivar connector_id: the connector reserved; 0 for any connector.
    @ivar id_tag: the idTag it is for.
    @ivar parent_id_tag: the group idTag it is also for, or C{None}.
    @ivar expiry_date: when it ends (an aware C{datetime}).
    @ivar made_at: when the charge point accepted it (its time, an aware
        C{datetime}).
    """

    reservation_id: int
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    expiry_date: datetime
    made_at: datetime

    def names(self, id_tag: str | None) -> bool:
        """
        Whether C{id_tag} is this reservation's idTag or parentIdTag (in any
        case: IdTokens are case insensitive, errata 3.73), folded as the
        local list, the cache and the reservations table fold them
        (L{openocpp.chargepoint.locallist.fold}: SQLite's NOCASE), so that
        an idTag is one idTag everywhere.
        """
        if id_tag is None:
            return False
        folded = fold(id_tag)
        return folded == fold(self.id_tag) or (
            self.parent_id_tag is not None and folded == fold(self.parent_id_tag)
        )


class ReservationStore:
    """
    The reservations table of the charge point's SQLite file.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore} (its
        connection is read at each use: the store is reopened when the
        service starts again).
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    def all(self) -> list[Reservation]:
        """
        @return: every reservation kept, by id.
        """
        rows = self._store.connection.execute(
            "SELECT reservation_id, connector_id, id_tag, parent_id_tag, expiry_date, made_at "
            "FROM reservations ORDER BY reservation_id"
        )
        return [
            Reservation(
                reservation_id=row["reservation_id"],
                connector_id=row["connector_id"],
                id_tag=row["id_tag"],
                parent_id_tag=row["parent_id_tag"],
                expiry_date=parse_datetime(row["expiry_date"]),
                made_at=parse_datetime(row["made_at"]),
            )
            for row in rows
        ]

    def started_with(self, reservation: Reservation) -> bool:
        """
        Whether a transaction carrying the reservation's id started since
        it was made (its end was not recorded: the process stopped in
        between).
        """
        rows = self._store.connection.execute(
            "SELECT started_at FROM transactions WHERE reservation_id = ?",
            (reservation.reservation_id,),
        )
        return any(parse_datetime(row["started_at"]) >= reservation.made_at for row in rows)

    def put(self, reservation: Reservation) -> None:
        """
        Keep a reservation, replacing the one of the same id.
        """
        db = self._store.connection
        with transaction(db):
            db.execute(
                "INSERT INTO reservations (reservation_id, connector_id, id_tag, parent_id_tag, "
                "expiry_date, made_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (reservation_id) "
                "DO UPDATE SET connector_id = excluded.connector_id, id_tag = excluded.id_tag, "
                "parent_id_tag = excluded.parent_id_tag, expiry_date = excluded.expiry_date, "
                "made_at = excluded.made_at",
                (
                    reservation.reservation_id,
                    reservation.connector_id,
                    reservation.id_tag,
                    reservation.parent_id_tag,
                    codec.format_datetime(reservation.expiry_date),
                    codec.format_datetime(reservation.made_at),
                ),
            )

    def remove(self, reservation_id: int) -> None:
        db = self._store.connection
        with transaction(db):
            db.execute("DELETE FROM reservations WHERE reservation_id = ?", (reservation_id,))


class Reservations:
    """
    Holds the charge point's reservations, answers ReserveNow and
    CancelReservation, and keeps reserved connectors for their idTags.

    @param connectors: the L{openocpp.chargepoint.connectors.Connectors}.
    @param store: the L{openocpp.chargepoint.store.ChargePointStore}.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}
        (SupportedFeatureProfiles, ReserveConnectorZeroSupported).
    @param clock: the C{twisted.internet.interfaces.IReactorTime} of the
        expiry timers.
    @param now: returns the charge point's time (an aware C{datetime}).
    @param status: the L{openocpp.chargepoint.status.StatusReporter} (its
        C{set}); whoever builds both sets its C{shown} to L{shown} and its
        C{changed} to L{status_changed}.
    @param authorize: C{authorize(connector, id_tag)} returns a Deferred of
        (status, parent idTag): how the parent of an idTag presented at a
        reservation with a parentIdTag is found (section 5.13: the local
        list, the cache, else an Authorize.req).
    @param notify: C{notify(hook, **kwargs)} tells plugins
        (C{openocpp_cp_reservation_changed}).
    """

    log = Logger()

    def __init__(
        self,
        connectors: Any,
        store: Any,
        ocpp_config: Any,
        clock: Any,
        now: Callable[[], datetime],
        status: Any,
        authorize: Callable[[int, str], Deferred],
        notify: Callable[..., None],
    ) -> None:
        self._connectors = connectors
        self._table = ReservationStore(store)
        self._config = ocpp_config
        self._clock = clock
        self._now = now
        self._status = status
        self._authorize = authorize
        self._notify = notify
        #: The reservations held, by id (the table's, read at start).
        self._held: dict[int, Reservation] = {}
        self._timers: dict[int, Any] = {}
        self._running = False

    def handlers(self) -> dict[str, Callable[[Any], Any]]:
        """
        @return: this profile's request handlers, by action.
        """
        return {"ReserveNow": self.reserve_now, "CancelReservation": self.cancel_reservation}

    # -- lifetime -----------------------------------------------------------------

    def start(self) -> None:
        """
        The service starts: read the reservations kept, end those a
        transaction used (the process stopped before their end was written),
        those of connectors it no longer has (started with fewer) and those
        that expired while it was stopped, time the others, and
        make sure their connectors are Reserved (and no other connector).
        """
        self._running = True
        self._held = {r.reservation_id: r for r in self._table.all()}
        for reservation in list(self._held.values()):
            if self._table.started_with(reservation):
                self._end(reservation, ReservationState.USED, why="by a transaction started before")
            elif reservation.connector_id and not self._connectors.is_outlet(reservation.connector_id):
                # Started again with fewer connectors: a connector it no
                # longer has is not there to keep (5.13 ends a reservation
                # whose connector is Unavailable).
                self._end(
                    reservation, ReservationState.CANCELLED,
                    why=f"the charge point has no connector {reservation.connector_id} any more",
                )
        self.reschedule()
        for connector in self._connectors.outlets():
            status = self._connectors.status(connector)
            held = self._on(connector) is not None
            if held and status is ChargePointStatus.AVAILABLE:
                self._status.set(connector, ChargePointStatus.RESERVED)
            elif not held and status is ChargePointStatus.RESERVED:
                # Its reservation's end was written, not its status.
                self._status.set(connector, ChargePointStatus.AVAILABLE)

    def stop(self) -> None:
        """
        The service stops: no timer is left (the reservations stay kept).
        """
        self._running = False
        timers, self._timers = self._timers, {}
        for timer in timers.values():
            if timer.active():
                timer.cancel()

    def reschedule(self) -> None:
        """
        Time every reservation's expiry again (the charge point's time was
        set), ending at once those whose expiryDate has passed.
        """
        for reservation in list(self._held.values()):
            self._schedule(reservation)

    def _schedule(self, reservation: Reservation) -> None:
        reservation_id = reservation.reservation_id
        timer = self._timers.pop(reservation_id, None)
        if timer is not None and timer.active():
            timer.cancel()
        if not self._running:
            return  # timed again at start
        delay = (reservation.expiry_date - self._now()).total_seconds()
        if delay <= 0:
            self._end(reservation, ReservationState.EXPIRED)
            return
        self._timers[reservation_id] = self._clock.callLater(
            min(delay, LONGEST_WAIT), self._expire, reservation_id
        )

    def _expire(self, reservation_id: int) -> None:
        self._timers.pop(reservation_id, None)
        reservation = self._held.get(reservation_id)
        if reservation is not None:
            # Ends now, or later if the charge point's time moved back.
            self._schedule(reservation)

    # -- what is reserved ----------------------------------------------------------

    def reservation(self, connector: int) -> Reservation | None:
        """
        @return: the reservation of a connector (for 0: the first one of
            any connector), or C{None}.
        """
        if connector:
            return self._on(connector)
        zeros = self._zeros()
        return zeros[0] if zeros else None

    def _live(self) -> Iterable[Reservation]:
        # A reservation whose timer has not run yet is over all the same.
        now = self._now()
        return (r for r in self._held.values() if r.expiry_date > now)

    def _on(self, connector: int) -> Reservation | None:
        for reservation in self._live():
            if reservation.connector_id == connector:
                return reservation
        return None

    def _zeros(self, ignoring: int | None = None) -> list[Reservation]:
        return [
            r for r in self._live() if r.connector_id == 0 and r.reservation_id != ignoring
        ]

    def _free(self, exclude: Iterable[int] = (), ignoring: int | None = None) -> list[int]:
        """
        The connectors free for anyone: idle, Available and not reserved
        (the reservation C{ignoring}, being replaced, does not count).
        """
        connectors = self._connectors
        excluded = set(exclude)
        free = []
        for connector in connectors.outlets():
            if connector in excluded or not connectors.idle(connector):
                continue
            holder = self._on(connector)
            if holder is not None and holder.reservation_id != ignoring:
                continue
            status = connectors.status(connector)
            if status is ChargePointStatus.AVAILABLE or (
                status is ChargePointStatus.RESERVED and holder is not None
            ):
                free.append(connector)
        return free

    def shown(self, connector: int, status: ChargePointStatus) -> ChargePointStatus:
        """
        The status a connector set to C{status} takes: a reserved one set
        Available stays Reserved (C{StatusReporter.shown}).
        """
        if connector and status is ChargePointStatus.AVAILABLE and self._on(connector) is not None:
            return ChargePointStatus.RESERVED
        return status

    def status_changed(self, connector: int, status: ChargePointStatus) -> None:
        """
        A connector's status changed (C{StatusReporter.changed}): a
        reservation ends when its connector, or the charge point, is set to
        Faulted or Unavailable (section 5.13).
        """
        if status not in (ChargePointStatus.FAULTED, ChargePointStatus.UNAVAILABLE):
            return
        for reservation in list(self._held.values()):
            if connector == 0 or reservation.connector_id == connector:
                self._end(reservation, ReservationState.CANCELLED, why=f"connector {connector} "
                          f"is {status.value}")

    # -- starts ------------------------------------------------------------------------

    def allows(self, connector: int, id_tag: str | None) -> bool | None:
        """
        The rule of C{Connectors.startable}: whether C{id_tag} (C{None}:
        any idTag) may start on C{connector} as far as reservations go;
        C{None} when that depends on the parent of C{id_tag}, which
        L{admit} looks up at the start.
        """
        holder = self._on(connector)
        if holder is not None:
            if id_tag is None:
                return False
            if holder.names(id_tag):
                return True
            return None if holder.parent_id_tag is not None else False
        zeros = self._zeros()
        if not zeros:
            return True
        kept = len(zeros)
        if kept <= len(self._free(exclude=[connector])):
            return True
        if id_tag is None:
            return False
        if any(z.names(id_tag) for z in zeros):
            kept -= 1
        elif any(z.parent_id_tag is not None for z in zeros):
            return None if kept - 1 <= len(self._free(exclude=[connector])) else False
        return kept <= len(self._free(exclude=[connector]))

    @inlineCallbacks
    def admit(self, connector: int, id_tag: str):
        """
        Decide on a start of C{id_tag} on C{connector}.

        @return: a Deferred firing with the L{Reservation} the start ends
            (its id goes in the StartTransaction.req), or C{None}; failing
            with L{TransactionError} when the connector is reserved for
            another idTag, or the start would take the last free connector
            a reservation of connector 0 keeps.
        """
        holder = self._on(connector)
        zeros = self._zeros()
        candidates = ([holder] if holder is not None else []) + zeros
        if not candidates:
            return None
        match = next((r for r in candidates if r.names(id_tag)), None)
        if match is None and any(r.parent_id_tag is not None for r in candidates):
            parent = yield self._parent_of(connector, id_tag)
            match = next((r for r in candidates if r.names(parent)), None)
        if holder is not None:
            if match is not holder:
                self.log.info(
                    "{id_tag} may not start on connector {connector}: reserved "
                    "(reservation {reservation_id})",
                    id_tag=id_tag,
                    connector=connector,
                    reservation_id=holder.reservation_id,
                )
                raise TransactionError(
                    f"connector {connector} is reserved (reservation {holder.reservation_id})"
                )
            return holder
        kept = len(zeros) - (1 if match is not None else 0)
        if kept and len(self._free(exclude=[connector])) < kept:
            self.log.info(
                "{id_tag} may not start on connector {connector}: it is kept for a "
                "reservation of connector 0",
                id_tag=id_tag,
                connector=connector,
            )
            raise TransactionError(
                f"connector {connector} is the last free one, kept for a reservation"
            )
        return match

    @inlineCallbacks
    def _parent_of(self, connector: int, id_tag: str):
        try:
            _, parent = yield self._authorize(connector, id_tag)
        except Exception as error:
            self.log.info(
                "The parent idTag of {id_tag} is unknown: {error}", id_tag=id_tag, error=error
            )
            return None
        return parent

    def used(self, reservation: Reservation | None, connector: int) -> None:
        """
        A transaction L{admit}ted with C{reservation} started on
        C{connector}: the reservation ends (its connector, if still
        Reserved, goes Preparing: transition G2).
        """
        if reservation is None:
            return
        held = self._held.get(reservation.reservation_id)
        if held is None:
            self.log.info(
                "Reservation {reservation_id} ended before its transaction started",
                reservation_id=reservation.reservation_id,
            )
            return
        self._end(held, ReservationState.USED, why=f"used on connector {connector}")

    # -- requests ------------------------------------------------------------------------

    def reserve_now(self, request: Any) -> ReserveNowResponse:
        """
        ReserveNow (section 5.13).
        """
        reservation_id = request.reservation_id
        connector = request.connector_id
        refusal = self._refusal(request)
        if refusal is not None:
            status, why = refusal
            self.log.info(
                "ReserveNow {reservation_id} of connector {connector} for {id_tag} answered "
                "{status}: {why}",
                reservation_id=reservation_id,
                connector=connector,
                id_tag=request.id_tag,
                status=status.value,
                why=why,
            )
            return ReserveNowResponse(status=status)
        old = self._held.get(reservation_id)
        if old is not None and old.connector_id != connector:
            self._end(old, ReservationState.CANCELLED, why=f"moved to connector {connector}")
        reservation = Reservation(
            reservation_id=reservation_id,
            connector_id=connector,
            id_tag=request.id_tag,
            parent_id_tag=request.parent_id_tag,
            expiry_date=request.expiry_date,
            made_at=self._now(),
        )
        self._table.put(reservation)
        self._held[reservation_id] = reservation
        self._schedule(reservation)
        if connector and self._connectors.status(connector) is ChargePointStatus.AVAILABLE:
            # (A replacement leaves a connector in use by its idTag as it is.)
            self._status.set(connector, ChargePointStatus.RESERVED)
        self.log.info(
            "Reservation {reservation_id} of connector {connector} for {id_tag} until "
            "{expiry_date}{replaced}",
            reservation_id=reservation_id,
            connector=connector,
            id_tag=request.id_tag,
            expiry_date=codec.format_datetime(request.expiry_date),
            replaced=" (replacing the one of that id)" if old is not None else "",
        )
        self._tell(reservation, ReservationState.RESERVED)
        return ReserveNowResponse(status=ReservationStatus.ACCEPTED)

    def _refusal(self, request: Any) -> tuple[ReservationStatus, str] | None:
        """
        Why a ReserveNow is not accepted, as (status, reason), or C{None}.
        """
        connectors = self._connectors
        connector = request.connector_id
        reservation_id = request.reservation_id
        rejected = ReservationStatus.REJECTED
        if PROFILE not in self._config.items("SupportedFeatureProfiles"):
            return rejected, "SupportedFeatureProfiles does not list Reservation"
        if not 0 <= connector <= connectors.count:
            return rejected, f"no connector {connector} (0 to {connectors.count})"
        if connector == 0 and not self._config.boolean("ReserveConnectorZeroSupported"):
            return rejected, "ReserveConnectorZeroSupported is false"
        if request.expiry_date <= self._now():
            return rejected, "its expiryDate has passed"
        whole = connectors.status(0)
        if whole is ChargePointStatus.FAULTED:
            return ReservationStatus.FAULTED, "the charge point is Faulted"
        if whole is ChargePointStatus.UNAVAILABLE or not connectors.operative(0):
            return ReservationStatus.UNAVAILABLE, "the charge point is Unavailable"
        zeros = self._zeros(ignoring=reservation_id)
        if connector == 0:
            if len(self._free(ignoring=reservation_id)) > len(zeros):
                return None
            statuses = {connectors.status(n) for n in connectors.outlets()}
            if statuses == {ChargePointStatus.FAULTED}:
                return ReservationStatus.FAULTED, "every connector is Faulted"
            if statuses <= {ChargePointStatus.FAULTED, ChargePointStatus.UNAVAILABLE}:
                return ReservationStatus.UNAVAILABLE, "every connector is Unavailable or Faulted"
            return ReservationStatus.OCCUPIED, "no connector is free"
        status = connectors.status(connector)
        if status is ChargePointStatus.FAULTED:
            return ReservationStatus.FAULTED, f"connector {connector} is Faulted"
        if status is ChargePointStatus.UNAVAILABLE or not connectors.operative(connector):
            return ReservationStatus.UNAVAILABLE, f"connector {connector} is Unavailable"
        holder = self._on(connector)
        if holder is not None and holder.reservation_id != reservation_id:
            return ReservationStatus.OCCUPIED, (
                f"connector {connector} is reserved (reservation {holder.reservation_id})"
            )
        if holder is not None and self._connectors.idle(connector):
            # Replaced where it is: the connector stays its own, even if its
            # idTag's driver has begun using it (Preparing).
            return None
        if connector not in self._free(ignoring=reservation_id):
            return ReservationStatus.OCCUPIED, f"connector {connector} is {status.value}"
        if len(self._free(exclude=[connector], ignoring=reservation_id)) < len(zeros):
            return ReservationStatus.OCCUPIED, (
                f"connector {connector} is kept free for a reservation of connector 0"
            )
        return None

    def cancel_reservation(self, request: Any) -> CancelReservationResponse:
        """
        CancelReservation (section 5.1): Accepted for a reservation held,
        Rejected otherwise.
        """
        reservation = self._held.get(request.reservation_id)
        if reservation is None:
            self.log.info(
                "CancelReservation {reservation_id} answered Rejected: no such reservation",
                reservation_id=request.reservation_id,
            )
            return CancelReservationResponse(status=CancelReservationStatus.REJECTED)
        self._end(reservation, ReservationState.CANCELLED, why="CancelReservation")
        return CancelReservationResponse(status=CancelReservationStatus.ACCEPTED)

    # -- ending -------------------------------------------------------------------------

    def _end(self, reservation: Reservation, state: ReservationState, why: str = "") -> None:
        reservation_id = reservation.reservation_id
        if self._held.get(reservation_id) is not reservation:
            return
        del self._held[reservation_id]
        timer = self._timers.pop(reservation_id, None)
        if timer is not None and timer.active():
            timer.cancel()
        self._table.remove(reservation_id)
        connector = reservation.connector_id
        if (
            self._connectors.is_outlet(connector)
            and self._connectors.status(connector) is ChargePointStatus.RESERVED
        ):
            self._status.set(
                connector,
                ChargePointStatus.PREPARING
                if state is ReservationState.USED
                else ChargePointStatus.AVAILABLE,
            )
        self.log.info(
            "Reservation {reservation_id} of connector {connector} {state}{why}",
            reservation_id=reservation_id,
            connector=connector,
            state=state.value,
            why=f" ({why})" if why else "",
        )
        self._tell(reservation, state)

    def _tell(self, reservation: Reservation, state: ReservationState) -> None:
        self._notify(
            "openocpp_cp_reservation_changed",
            connector=reservation.connector_id,
            reservation_id=reservation.reservation_id,
            id_tag=reservation.id_tag,
            state=state,
        )
