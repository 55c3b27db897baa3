"""
The operator's reservations (OCPP 1.6 sections 3.11, 5.13 and 5.2): a
ReserveNow.req sent to a charge point and recorded when it is Accepted, a
CancelReservation.req marking it cancelled when Accepted.

The central system allocates a reservation id when the operator gives
none: one more than the highest it recorded for that charge point or is
sending now, so that ids stay unique per charge point. A StartTransaction.req
naming the reservation marks it used (the default behaviour, L{openocpp.
centralsystem.behaviour}); an active one past its expiry date reads as
expired (L{openocpp.centralsystem.reads}).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger

_ACCEPTED = "Accepted"


@dataclass(frozen=True)
class ReservationOutcome:
    """
    A charge point's answer to ReserveNow.req or CancelReservation.req.

    @ivar identity: the charge point.
    @ivar reservation_id: the reservation's id.
    @ivar status: the status it answered (a C{ReservationStatus} or
        C{CancelReservationStatus}).
    @ivar record: the reservation's record now stored (a dict of its
        columns), or C{None} when none is.
    """

    identity: str
    reservation_id: int
    status: str
    record: dict | None = None

    @property
    def accepted(self) -> bool:
        """
        Whether the charge point answered C{Accepted}.
        """
        return self.status == _ACCEPTED


class ReservationBook:
    """
    Sends reservations and their cancellations, and records the accepted
    ones.

    @param store: the central system's
        L{openocpp.centralsystem.interfaces.ICentralSystemStore}.
    """

    log = Logger()

    def __init__(self, store: Any) -> None:
        self._store = store
        # identity -> reservation ids allocated and not yet answered: two
        # operators reserving at once get two ids.
        self._allocating: dict[str, set[int]] = {}

    def reserve(
        self,
        proxy: Any,
        connector_id: int,
        id_tag: str,
        expiry_date: datetime,
        parent_id_tag: str | None = None,
        reservation_id: int | None = None,
    ) -> Deferred:
        """
        Send ReserveNow.req and record the reservation when Accepted (a
        recorded one with the same id is replaced, as the charge point
        replaces it: section 5.13).

        @return: a Deferred firing with a L{ReservationOutcome} once
            recorded and committed, or failing with the call's error or
            L{openocpp.centralsystem.store.StorageFailed}.
        """
        identity = proxy.identity
        allocating = self._allocating.setdefault(identity, set())
        if reservation_id is None:
            reservation_id = max([self._store.last_reservation_id(identity), *allocating]) + 1
        allocating.add(reservation_id)
        sending = self._reserve(proxy, connector_id, id_tag, expiry_date, parent_id_tag, reservation_id)

        def done(result: Any) -> Any:
            allocating.discard(reservation_id)
            if not allocating:
                self._allocating.pop(identity, None)
            return result

        return sending.addBoth(done)

    @inlineCallbacks
    def _reserve(self, proxy, connector_id, id_tag, expiry_date, parent_id_tag, reservation_id):
        identity = proxy.identity
        response = yield proxy.reserve_now(
            connector_id, expiry_date, id_tag, reservation_id, parent_id_tag=parent_id_tag
        )
        status = str(response.status)
        self.log.info(
            "ReserveNow {reservation_id} of connector {connector_id} at {identity} for "
            "{id_tag}: {status}",
            reservation_id=reservation_id,
            connector_id=connector_id,
            identity=identity,
            id_tag=id_tag,
            status=status,
        )
        if status == _ACCEPTED:
            self._store.record_reservation(
                identity, reservation_id, connector_id, id_tag, expiry_date, parent_id_tag
            )
        outcome = ReservationOutcome(
            identity, reservation_id, status, self._store.reservation(identity, reservation_id)
        )
        result = yield self._store.when_committed(outcome)
        return result

    @inlineCallbacks
    def cancel(self, proxy: Any, reservation_id: int):
        """
        Send CancelReservation.req and mark the reservation cancelled when
        Accepted.

        @return: a Deferred firing with a L{ReservationOutcome} once
            recorded and committed, or failing with the call's error or
            L{openocpp.centralsystem.store.StorageFailed}.
        """
        identity = proxy.identity
        response = yield proxy.cancel_reservation(reservation_id)
        status = str(response.status)
        self.log.info(
            "CancelReservation {reservation_id} at {identity}: {status}",
            reservation_id=reservation_id,
            identity=identity,
            status=status,
        )
        if status == _ACCEPTED:
            self._store.cancel_reservation(identity, reservation_id)
        outcome = ReservationOutcome(
            identity, reservation_id, status, self._store.reservation(identity, reservation_id)
        )
        result = yield self._store.when_committed(outcome)
        return result
