"""
Connector statuses: persisted as they change, reported to the central
system once they have lasted MinimumStatusDuration (section 4.9), all of
them after every accepted BootNotification (errata 3.22), and those that
changed while offline after a reconnection.

A connector's status waits while a StopTransaction.req of its transaction
(of any, for connector 0) is queued and not sent yet: what follows the end
of a transaction (Finishing, Unavailable once a Scheduled ChangeAvailability
applies, Available) reaches the central system after its StopTransaction.req,
in that one order (see L{openocpp.chargepoint.queue}).
"""

from datetime import timedelta
from typing import Any, Callable

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from openocpp.messages import StatusNotificationRequest
from openocpp.messages.enums import ChargePointErrorCode, ChargePointStatus
from openocpp.rpc.errors import ConnectionLost

#: The statuses connector 0 (the charge point itself) may take.
CHARGE_POINT_STATUSES = frozenset(
    {ChargePointStatus.AVAILABLE, ChargePointStatus.UNAVAILABLE, ChargePointStatus.FAULTED}
)


class StatusReporter:
    """
    Keeps and reports the status of connectors 0 to NumberOfConnectors.

    @param connectors: the L{openocpp.chargepoint.connectors.Connectors}.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}
        (MinimumStatusDuration, ConnectionTimeOut).
    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param now: returns the charge point's time (an aware C{datetime}).
    @param send: C{send(request, triggered=False)} sends a request to the
        central system; returns a Deferred of its answer.
    @param online: returns whether requests may be sent now.
    @param running: returns whether the charge point's service runs.
    @param notify: C{notify(hook, **kwargs)} tells plugins (the
        C{openocpp_cp_connection_timeout} hook).
    @ivar stop_waiting: returns whether a StopTransaction.req of a
        connector waits in the queue (see the module docstring); set by
        whoever builds the queue.
    @ivar shown: C{shown(connector, status)} returns the status a connector
        set to C{status} takes (a reserved connector set Available is
        Reserved); set by whoever builds the reservations.
    @ivar changed: C{changed(connector, status)} is told of every status
        persisted (a reservation ends when its connector goes Faulted or
        Unavailable); set by whoever builds the reservations.
    """

    log = Logger()

    def __init__(
        self,
        connectors: Any,
        ocpp_config: Any,
        clock: Any,
        now: Callable[[], Any],
        send: Callable[..., Deferred],
        online: Callable[[], bool],
        running: Callable[[], bool],
        notify: Callable[..., None],
    ) -> None:
        self._connectors = connectors
        self._config = ocpp_config
        self._clock = clock
        self._now = now
        self._send = send
        self._online = online
        self._running = running
        self._notify = notify
        self.stop_waiting: Callable[[int], bool] = lambda connector: False
        self.shown: Callable[[int, ChargePointStatus], ChargePointStatus] = (
            lambda connector, status: status
        )
        self.changed: Callable[[int, ChargePointStatus], None] = lambda connector, status: None
        self._timers: dict[int, Any] = {}
        self._sending: set[int] = set()
        self._preparing: dict[int, Any] = {}
        ocpp_config.observe("MinimumStatusDuration", lambda key, value: self.consider_all())

    def set(
        self,
        connector: int,
        status: Any,
        error_code: Any = ChargePointErrorCode.NO_ERROR,
        info: str | None = None,
        vendor_id: str | None = None,
        vendor_error: str | None = None,
    ) -> None:
        """
        Record a connector's status and report it when due.

        @raise ValueError: an unknown connector or status, or a status
            connector 0 may not take.
        """
        connectors = self._connectors
        connectors.check(connector)
        status = ChargePointStatus(status)
        error_code = ChargePointErrorCode(error_code)
        if connector == 0 and status not in CHARGE_POINT_STATUSES:
            raise ValueError(f"connector 0 cannot be {status.value}")
        for name, value, limit in (
            ("info", info, 50), ("vendor_id", vendor_id, 255), ("vendor_error", vendor_error, 50)
        ):
            if value is not None and len(value) > limit:
                # No StatusNotification.req could report it (section 6.47).
                raise ValueError(f"{name} is at most {limit} characters")
        if (
            status is not ChargePointStatus.FAULTED
            and not connectors.operative(connector)
            and status is not ChargePointStatus.UNAVAILABLE
        ):
            # An inoperative connector is Unavailable whatever happens on it
            # (section 5.2), unless it is Faulted.
            status = ChargePointStatus.UNAVAILABLE
        status = self.shown(connector, status)
        record = connectors.record(connector)
        new = (status.value, error_code.value, info, vendor_id, vendor_error)
        if record is not None and record.current == new:
            return
        connectors.set_status(connector, new, self._clock.seconds())
        self.log.info(
            "Connector {connector} is {status} ({error_code})",
            connector=connector,
            status=status.value,
            error_code=error_code.value,
        )
        self._watch_preparing(connector, status)
        self.consider(connector)
        self.changed(connector, status)

    def _watch_preparing(self, connector: int, status: ChargePointStatus) -> None:
        """
        ConnectionTimeOut: a connector Preparing for that long without a
        transaction has its usage cancelled (C{openocpp_cp_connection_timeout}).
        """
        timer = self._preparing.pop(connector, None)
        if timer is not None and timer.active():
            timer.cancel()
        clock = self._clock
        timeout = self._config.integer("ConnectionTimeOut")
        if status is ChargePointStatus.PREPARING and connector and timeout > 0 and self._running():
            since = self._connectors.record(connector).changed_at
            elapsed = 0.0 if since is None else max(clock.seconds() - since, 0.0)
            self._preparing[connector] = clock.callLater(
                max(timeout - elapsed, 0.0), self._preparing_timed_out, connector
            )

    def start(self) -> None:
        """
        The service starts: connectors Preparing when it stopped time out
        ConnectionTimeOut after they became so.
        """
        for record in self._connectors.records():
            if record.status == ChargePointStatus.PREPARING:
                self._watch_preparing(record.connector_id, ChargePointStatus.PREPARING)

    def _preparing_timed_out(self, connector: int) -> None:
        self._preparing.pop(connector, None)
        if (
            self.status(connector) is ChargePointStatus.PREPARING
            and self._connectors.transaction(connector) is None
        ):
            self.log.info(
                "Connector {connector}: no transaction within ConnectionTimeOut", connector=connector
            )
            self._notify("openocpp_cp_connection_timeout", connector=connector)

    def status(self, connector: int) -> ChargePointStatus:
        return self._connectors.status(connector)

    def consider(self, connector: int) -> None:
        """
        Report a connector's status if it differs from the one reported
        last and has lasted MinimumStatusDuration; or wait until it has.
        """
        timer = self._timers.pop(connector, None)
        if timer is not None and timer.active():
            timer.cancel()
        if not self._online() or connector in self._sending:
            return
        record = self._connectors.record(connector)
        if record.current == record.reported:
            return
        if self.stop_waiting(connector):
            # The queue considers it again once that StopTransaction is sent.
            return
        duration = self._config.integer("MinimumStatusDuration")
        elapsed = self._clock.seconds() - (record.changed_at or 0.0)
        if duration > 0 and elapsed < duration:
            self._timers[connector] = self._clock.callLater(
                duration - elapsed, self.consider, connector
            )
            return
        self.send(connector)

    def consider_all(self) -> None:
        """
        Consider every connector, those that changed first first: statuses
        changed while offline go in the order they changed (section 4.9).
        """
        records = sorted(
            self._connectors.records(),
            key=lambda record: (record.changed_at or 0.0, record.connector_id),
        )
        for record in records:
            self.consider(record.connector_id)

    def report_all(self) -> Deferred:
        """
        Report every connector's current status (after an accepted boot).
        """
        return self._all(triggered=False)

    def _all(self, triggered: bool) -> Deferred:
        sent = []
        for record in self._connectors.records():
            connector = record.connector_id
            if not triggered and self.stop_waiting(connector):
                # After a boot too, the status follows the StopTransaction
                # still queued (a hard reset's): reported once it is sent.
                self._connectors.set_reported(connector, None)
                continue
            sent.append(self.send(connector, triggered))
        return sent[-1] if sent else succeed(None)

    def send(self, connector: int, triggered: bool = False) -> Deferred:
        """
        Send a connector's current status now (what it was reported or not).
        """
        timer = self._timers.pop(connector, None)
        if timer is not None and timer.active():
            timer.cancel()
        clock = self._clock
        record = self._connectors.record(connector)
        current = record.current
        age = clock.seconds() - (record.changed_at or clock.seconds())
        request = StatusNotificationRequest(
            connector_id=connector,
            status=ChargePointStatus(record.status),
            error_code=ChargePointErrorCode(record.error_code),
            info=record.info,
            vendor_id=record.vendor_id,
            vendor_error_code=record.vendor_error_code,
            timestamp=self._now() - timedelta(seconds=max(age, 0.0)),
        )
        self._sending.add(connector)

        def sent(response):
            self._connectors.set_reported(connector, current)
            self._sending.discard(connector)
            # It may have changed meanwhile.
            self.consider(connector)

        def failed(failure):
            # Reported again when the charge point is next online.
            self._sending.discard(connector)
            self.log.info(
                "Status of connector {connector} not reported: {error}",
                connector=connector,
                error=failure.getErrorMessage(),
            )
            if failure.check(ConnectionLost):
                # A newer connection may be open already (the old one was
                # slow to close), and skipped this connector meanwhile.
                self.consider(connector)

        return self._send(request, triggered=triggered).addCallbacks(sent, failed)

    def report_error(self, connector: int, error_code: ChargePointErrorCode) -> Deferred:
        """
        Report an error that is an event rather than a state (a
        LocalListConflict): one StatusNotification with the connector's
        current status and C{error_code}; what is kept does not change.
        """
        request = StatusNotificationRequest(
            connector_id=connector,
            status=self._connectors.status(connector),
            error_code=error_code,
            timestamp=self._now(),
        )
        return self._send(request).addErrback(
            lambda failure: self.log.info(
                "{error_code} of connector {connector} not reported: {error}",
                error_code=error_code.value,
                connector=connector,
                error=failure.getErrorMessage(),
            )
        )

    def trigger(self, connector: int | None) -> None:
        """
        TriggerMessage(StatusNotification): send the status of a connector,
        or of all of them.
        """
        if connector is None:
            self._all(triggered=True)
        else:
            self.send(connector, triggered=True)

    def stop(self) -> None:
        for timer in list(self._timers.values()) + list(self._preparing.values()):
            if timer.active():
                timer.cancel()
        self._timers.clear()
        self._preparing.clear()
        self._sending.clear()
