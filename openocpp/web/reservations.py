"""
C{/api/v1/chargepoints/{identity}/reservations}: a charge point's
reservations (C{GET}), reserving a connector (C{POST}: ReserveNow.req) and
cancelling a reservation (C{DELETE .../{reservationId}}:
CancelReservation.req); see L{openocpp.centralsystem.reservations}.
"""

from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from openocpp.centralsystem.idtags import is_printable_ascii
from openocpp.centralsystem.reads import RESERVATION_STATES
from openocpp.messages import codec, core
from openocpp.messages.errors import ValidationError
from openocpp.web.api import Answer, ApiError, Call, _stored
from openocpp.web.locallist import known_charge_point
from openocpp.web.queries import Page

#: Reservation ids the API takes: those of a 32-bit signed integer, which
#: every charge point stores.
MAX_RESERVATION_ID = 2**31 - 1


class ReservationRoutes:
    """
    The handlers of the reservations' routes.

    @param central: the L{openocpp.centralsystem.interfaces.ICentralSystem}.
    @param connected: the API's C{connected(identity)}: a connected charge
        point's proxy, or raises the API's 404 saying why not.
    @param call_failed: the API's errback turning a call's failure into
        its answer.
    """

    log = Logger()

    def __init__(self, central: Any, connected: Callable, call_failed: Callable) -> None:
        self._central = central
        self._connected = connected
        self._call_failed = call_failed

    def list(self, call: Call, identity: str) -> Deferred:
        """
        C{GET}: the charge point's reservations, newest first, optionally
        of one C{state}.
        """
        limit, offset = call.page()
        state = call.arg("state")
        if state is not None and state not in RESERVATION_STATES:
            raise ApiError(400, "bad_query", f"state must be one of {', '.join(RESERVATION_STATES)}")
        known_charge_point(self._central, identity)
        return self._central.store.reservations_page(identity, limit, offset, state=state).addCallback(
            lambda found: Page([reservation_json(r) for r in found.records], found.total, limit, offset).to_json()
        )

    def post(self, call: Call, identity: str) -> Deferred:
        """
        C{POST {connectorId, idTag, expiryDate, parentIdTag?,
        reservationId?}}: send ReserveNow.req; 201 with the reservation
        when Accepted, else 200 with the status the charge point answered.
        """
        body = call.json_object(("connectorId", "idTag", "expiryDate", "parentIdTag", "reservationId"))
        given = body.get("reservationId")
        if given is not None and (type(given) is not int or not 0 <= given <= MAX_RESERVATION_ID):
            raise ApiError(400, "bad_body", f"reservationId must be an integer from 0 to {MAX_RESERVATION_ID}")
        connector = body.get("connectorId")
        if type(connector) is not int or connector < 0:
            raise ApiError(400, "bad_body", "connectorId must be an integer, 0 or more (0: any connector)")
        for name in ("idTag", "parentIdTag"):
            value = body.get(name)
            if isinstance(value, str) and not (value and is_printable_ascii(value)):
                raise ApiError(
                    400, "bad_body", f"{name} is 1 to 20 printable ASCII characters (OCPP IdToken)"
                )
        # The schema checks the rest (the id is allocated after).
        payload = {**body, "reservationId": 0 if given is None else given}
        if body.get("parentIdTag") is None:
            payload.pop("parentIdTag", None)
        try:
            request = codec.decode(core.ReserveNowRequest, payload)
        except ValidationError as error:
            raise ApiError(400, "invalid_payload", error.description, code=str(error.code)) from None
        if request.expiry_date <= self._central.store.now():
            raise ApiError(400, "bad_body", "expiryDate is past: a reservation must end in the future")
        self._connected(identity)
        self.log.info(
            "{who} reserves connector {connector_id} of {identity} for {id_tag}",
            who=call.who,
            connector_id=request.connector_id,
            identity=identity,
            id_tag=request.id_tag,
        )
        reserving = _stored(
            self._central.reserve_now(
                identity,
                request.connector_id,
                request.id_tag,
                request.expiry_date,
                parent_id_tag=request.parent_id_tag,
                reservation_id=given,
            )
        )
        reserving.addErrback(self._call_failed, identity, "ReserveNow")
        return reserving.addCallback(
            lambda outcome: Answer(201 if outcome.accepted else 200, outcome_json(outcome))
        )

    def delete(self, call: Call, identity: str, reservationId: str) -> Deferred:
        """
        C{DELETE .../{reservationId}}: send CancelReservation.req; 200 with
        the status answered (and the reservation, marked cancelled when
        Accepted).
        """
        if not reservationId.isdigit() or int(reservationId) > MAX_RESERVATION_ID:
            raise ApiError(
                404, "unknown_reservation",
                f"{reservationId!r} is not a reservation id (an integer from 0 to {MAX_RESERVATION_ID})",
            )
        reservation_id = int(reservationId)
        self._connected(identity)
        self.log.info(
            "{who} cancels reservation {reservation_id} at {identity}",
            who=call.who,
            reservation_id=reservation_id,
            identity=identity,
        )
        cancelling = _stored(self._central.cancel_reservation(identity, reservation_id))
        cancelling.addErrback(self._call_failed, identity, "CancelReservation")
        return cancelling.addCallback(outcome_json)


def reservation_json(row: dict) -> dict:
    """
    A reservation record's JSON.
    """
    return {
        "reservationId": row["reservation_id"],
        "connectorId": row["connector_id"],
        "idTag": row["id_tag"],
        "parentIdTag": row["parent_id_tag"],
        "expiryDate": row["expiry_date"],
        "state": row["state"],
        "reservedAt": row["reserved_at"],
        "endedAt": row["ended_at"],
        "transactionId": row["transaction_id"],
    }


def outcome_json(outcome: Any) -> dict:
    """
    The JSON of a L{openocpp.centralsystem.reservations.ReservationOutcome}.
    """
    return {
        "chargePoint": outcome.identity,
        "reservationId": outcome.reservation_id,
        "status": outcome.status,
        "reservation": None if outcome.record is None else reservation_json(outcome.record),
    }
