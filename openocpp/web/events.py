"""
Live events for dashboards: what the central system hears from its charge
points, numbered and kept for a while, told to every subscriber (the
C{/api/v1/stream} resource).
"""

from collections import deque
from typing import Any, Callable

from twisted.logger import Logger
from zope.interface import implementer

from openocpp.hookspecs import hookimpl
from openocpp.messages import codec
from openocpp.web.interfaces import ILiveEvents
from openocpp.web.queries import id_tag_json

#: The event each request a charge point sends becomes; those not named
#: here become C{"notification"}. Heartbeats are left out: they say nothing
#: a dashboard shows, and come from every charge point all the time.
EVENT_OF_ACTION = {
    "Authorize": "authorize",
    "BootNotification": "boot",
    "MeterValues": "meterValues",
    "SecurityEventNotification": "securityEvent",
    "StartTransaction": "transactionStarted",
    "StatusNotification": "status",
    "StopTransaction": "transactionStopped",
}
_SILENT = frozenset({"Heartbeat"})
#: The operator changes told as events of their own name.
_OPERATIONS = frozenset({"localListSent", "reservationMade", "reservationCancelled"})

Listener = Callable[[int, str, dict], None]


@implementer(ILiveEvents)
class LiveEvents:
    """
    The event hub: numbers events, keeps the last C{keep} of them, and
    tells subscribers. See L{ILiveEvents}.

    @param keep: how many events are kept for clients catching up.
    """

    log = Logger()

    def __init__(self, keep: int = 1000) -> None:
        self._kept: deque[tuple[int, str, dict]] = deque(maxlen=keep)
        self._listeners: list[Listener] = []
        self._last = 0

    @property
    def last(self) -> int:
        """
        The number of the latest event (0 before the first).
        """
        return self._last

    def publish(self, kind: str, data: dict, keep: bool = True) -> int:
        self._last += 1
        event = (self._last, kind, data)
        if keep:
            self._kept.append(event)
        for listener in list(self._listeners):
            try:
                listener(*event)
            except Exception:
                self.log.failure("A live-event listener failed on {kind}", kind=kind)
        return self._last

    def subscribe(self, listener: Listener, after: int | None = None) -> Callable[[], None]:
        if after is not None:
            for event in list(self._kept):
                if event[0] > after:
                    listener(*event)
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe


def _payload(message: Any) -> dict | None:
    try:
        return codec.encode(message)
    except Exception:
        return None


def _id_tag_json(record: Any) -> dict | None:
    # The id tag as the API shows it (GET /api/v1/idtags/{idTag}).
    if record is None:
        return None
    expiry = record.expiry_date
    return id_tag_json(
        {
            "id_tag": record.id_tag,
            "status": record.status,
            "expiry_date": None if expiry is None else codec.format_datetime(expiry),
            "parent_id_tag": record.parent_id_tag,
        }
    )


class LiveEventsPlugin:
    """
    The observer plugin feeding an L{ILiveEvents} from the central system's
    hooks: C{connected} and C{disconnected}, C{chargePointChanged} and
    C{idTagChanged} for what an operator changed, and one event per request a
    charge point sent (see L{EVENT_OF_ACTION}), with its data
    C{{"chargePoint", "action", "request", "response"}} (the payloads as
    on the wire). Registered on the central system's plugin manager by
    L{openocpp.web.service.WebService} while it runs.

    @param events: the L{ILiveEvents} to publish on.
    """

    log = Logger()

    def __init__(self, events: ILiveEvents) -> None:
        self._events = events

    def _connection(self, kind: str, charge_point: Any) -> None:
        # A hook called with call_hook: raising would keep the answer of the
        # other plugins from the central system, so nothing may escape.
        try:
            peer = getattr(charge_point, "peer", None)
            self._events.publish(
                kind,
                {
                    "chargePoint": charge_point.identity,
                    "peer": None if peer is None else str(getattr(peer, "host", peer)),
                },
            )
        except Exception:
            self.log.failure("Publishing {kind} failed", kind=kind)

    @hookimpl
    def openocpp_cs_charge_point_connected(self, charge_point):
        self._connection("connected", charge_point)

    @hookimpl
    def openocpp_cs_charge_point_disconnected(self, charge_point):
        self._connection("disconnected", charge_point)

    @hookimpl
    def openocpp_cs_operator_change(self, change):
        # What an operator changed, once committed: the console updates its
        # lists from these.
        if change.kind.startswith("chargePoint"):
            self._events.publish(
                "chargePointChanged",
                {"chargePoint": change.key, "registered": change.kind == "chargePointRegistered"},
            )
        elif change.kind.startswith("idTag"):
            self._events.publish(
                "idTagChanged",
                {"idTag": change.key, "record": _id_tag_json(change.record)},
            )
        elif change.kind in _OPERATIONS:
            # A local list or reservation a charge point accepted: the
            # console of another operator redraws that charge point's.
            self._events.publish(
                change.kind,
                {"chargePoint": change.key, "status": change.record.status},
            )

    @hookimpl
    def openocpp_cs_request_handled(self, charge_point, request, response):
        action = type(request).action
        if action in _SILENT:
            return
        self._events.publish(
            EVENT_OF_ACTION.get(action, "notification"),
            {
                "chargePoint": charge_point.identity,
                "action": action,
                "request": _payload(request),
                "response": _payload(response),
            },
        )
