"""
The connectors of a charge point as the SQLite file keeps them: their
status, their availability (OCPP 1.6 section 5.2: a connector is operative
only while it and the charge point, connector 0, are), which transaction
holds which connector, and which connectors have a transaction starting or
stopping right now.

A model, with no timers and nothing sent: the status reporter, the
transactions and the request handlers read it instead of asking the charge
point, and feature collaborators add their own rules to L{Connectors.startable}
(L{Connectors.add_start_rule}: the reservations keep reserved connectors for
their idTags).
"""

from typing import Any, Callable, Iterator

from openocpp.chargepoint.store import ConnectorRecord, TransactionRecord
from openocpp.messages.enums import AvailabilityType, ChargePointStatus

_OPERATIVE = AvailabilityType.OPERATIVE.value


class Connectors:
    """
    Connectors 0 (the charge point as a whole) to C{count}.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore}.
    @param count: NumberOfConnectors (1 or more).
    @ivar count: NumberOfConnectors.
    """

    def __init__(self, store: Any, count: int) -> None:
        self._store = store
        self.count = count
        #: Connectors whose transaction is starting or stopping (the meter
        #: being read): no other start or stop may begin there meanwhile.
        self._busy: set[int] = set()
        #: Further rules of L{startable}: C{rule(connector, id_tag)}.
        self._start_rules: list[Callable[[int, str | None], bool | None]] = []

    def ensure(self) -> None:
        """
        Make sure every connector has its record (new ones Available).
        """
        self._store.ensure_connectors(self.count)

    def check(self, connector: Any) -> None:
        """
        @raise ValueError: C{connector} is not 0 to C{count}.
        """
        if type(connector) is not int or not 0 <= connector <= self.count:
            raise ValueError(f"no connector {connector!r} (0 to {self.count})")

    def is_outlet(self, connector: Any) -> bool:
        """
        Whether C{connector} is one an EV charges on (1 to C{count}).
        """
        return type(connector) is int and 1 <= connector <= self.count

    def outlets(self) -> range:
        """
        @return: connectors 1 to C{count}.
        """
        return range(1, self.count + 1)

    def all(self) -> range:
        """
        @return: connectors 0 to C{count}.
        """
        return range(self.count + 1)

    # -- state -------------------------------------------------------------------

    def record(self, connector: int) -> ConnectorRecord | None:
        """
        @return: the persisted state of a connector, or C{None}.
        """
        return self._store.connector(connector)

    def records(self) -> list[ConnectorRecord]:
        return self._store.connectors()

    def status(self, connector: int) -> ChargePointStatus:
        return ChargePointStatus(self._store.connector(connector).status)

    def set_status(self, connector: int, current: tuple, changed_at: float) -> None:
        """
        Persist a connector's status.

        @param current: (status, error code, info, vendor id, vendor error
            code), as strings or C{None}.
        @param changed_at: when it changed (the clock's seconds).
        """
        self._store.set_status(connector, *current, changed_at=changed_at)

    def set_reported(self, connector: int, reported: tuple | None) -> None:
        """
        Remember what was last reported of a connector (C{None}: nothing,
        so its status is reported again).
        """
        self._store.set_reported(connector, reported)

    def operative(self, connector: int) -> bool:
        """
        Whether a connector and the charge point are both Operative.
        """
        own = self._store.connector(connector)
        whole = self._store.connector(0)
        return (own is None or own.availability == _OPERATIVE) and (
            whole is None or whole.availability == _OPERATIVE
        )

    def set_availability(self, connector: int, kind: AvailabilityType) -> bool:
        """
        Make a connector Operative or Inoperative now (and forget any
        change scheduled for it).

        @return: whether that changed its availability.
        """
        record = self._store.connector(connector)
        self._store.set_availability(connector, kind.value, None)
        return record is None or record.availability != kind.value

    def schedule_availability(self, connector: int, kind: AvailabilityType | None) -> None:
        """
        Keep an availability change for when the connector's transaction
        ends (C{None}: none).
        """
        self._store.set_scheduled_availability(connector, None if kind is None else kind.value)

    def scheduled_availability(self, connector: int) -> AvailabilityType | None:
        record = self._store.connector(connector)
        value = None if record is None else record.scheduled_availability
        return None if value is None else AvailabilityType(value)

    # -- transactions ------------------------------------------------------------------

    def running(self) -> list[TransactionRecord]:
        """
        @return: the transactions running, on any connector.
        """
        return self._store.running_transactions()

    def transaction(self, connector: int) -> TransactionRecord | None:
        """
        @return: the transaction running on a connector, or C{None}.
        """
        for record in self._store.running_transactions():
            if record.connector_id == connector:
                return record
        return None

    def connector_of(self, transaction_id: int) -> int | None:
        """
        @return: the connector of the running transaction with the central
            system's id C{transaction_id}, or C{None}.
        """
        for record in self._store.running_transactions():
            if record.transaction_id is not None and record.transaction_id == transaction_id:
                return record.connector_id
        return None

    def busy(self, connector: int) -> bool:
        """
        Whether a transaction is starting or stopping on a connector.
        """
        return connector in self._busy

    def occupy(self, connector: int) -> "_Occupied":
        """
        Mark a connector busy for the time of a C{with} block (a start or a
        stop reading the meter).
        """
        return _Occupied(self._busy, connector)

    def add_start_rule(self, rule: Callable[[int, str | None], bool | None]) -> None:
        """
        Add a rule to L{startable}: C{rule(connector, id_tag)} returns
        whether that idTag (C{None}: any idTag) may start there: C{True},
        C{False}, or C{None} when its owner cannot tell before the start
        (which decides).
        """
        self._start_rules.append(rule)

    def _ruled(self, connector: int, id_tag: str | None) -> bool | None:
        # False if a rule refuses, None if one cannot tell, else True.
        answers = [rule(connector, id_tag) for rule in self._start_rules]
        if False in answers:
            return False
        return None if None in answers else True

    def idle(self, connector: int) -> bool:
        """
        Whether a connector could take a transaction: operative, free (no
        transaction, none starting) and neither Faulted nor Unavailable;
        whatever the rules of L{add_start_rule} say.
        """
        record = self._store.connector(connector)
        return (
            self.operative(connector)
            and self.transaction(connector) is None
            and connector not in self._busy
            and record.status not in (ChargePointStatus.FAULTED, ChargePointStatus.UNAVAILABLE)
        )

    def startable(self, connector: int, id_tag: str | None = None) -> bool:
        """
        Whether a transaction may start on a connector: L{idle}, and
        refused by no rule added with L{add_start_rule} (a reserved
        connector only for its idTag).

        @param id_tag: the idTag that would start it; C{None}: any idTag.
        """
        return self.idle(connector) and self._ruled(connector, id_tag) is not False

    def free(self, id_tag: str | None = None) -> int | None:
        """
        @return: the connector a remote start without connectorId uses:
            the first one Reserved for C{id_tag}, else the first one
            startable for it and Available or Preparing, else one Reserved
            that C{id_tag} may turn out to be allowed on; or C{None}.
        """
        ruled = {c: self._ruled(c, id_tag) for c in self.outlets() if self.idle(c)}
        for wanted, answer in (
            ((ChargePointStatus.RESERVED,), True),
            ((ChargePointStatus.AVAILABLE, ChargePointStatus.PREPARING), True),
            ((ChargePointStatus.AVAILABLE, ChargePointStatus.PREPARING), None),
            ((ChargePointStatus.RESERVED,), None),
        ):
            for connector, ruling in ruled.items():
                if ruling is answer and self.status(connector) in wanted:
                    return connector
        return None

    def __iter__(self) -> Iterator[int]:
        return iter(self.all())


class _Occupied:
    def __init__(self, busy: set[int], connector: int) -> None:
        self._busy = busy
        self._connector = connector

    def __enter__(self) -> None:
        self._busy.add(self._connector)

    def __exit__(self, *exc_info: Any) -> None:
        self._busy.discard(self._connector)
