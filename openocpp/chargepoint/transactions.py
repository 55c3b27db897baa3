"""
Transactions (OCPP 1.6 sections 4.8, 4.10, 5.11, 5.12, 5.13): started and
stopped by the firmware or on the charge point's own initiative (a remote
stop, a reset, an unlock, an idTag the central system refused), their
StartTransaction.req and StopTransaction.req written to the persistent
queue with the meter readings, remote starts carried out, resets.
"""

from typing import Any, Callable

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger

from openocpp.chargepoint.errors import TransactionError
from openocpp.messages import StartTransactionRequest, StopTransactionRequest, codec
from openocpp.messages.enums import AuthorizationStatus, ReadingContext, Reason, ResetType


class Transactions:
    """
    Runs the transactions of a charge point.

    @param connectors: the L{openocpp.chargepoint.connectors.Connectors}.
    @param store: the L{openocpp.chargepoint.store.ChargePointStore}.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}.
    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param now: returns the charge point's time (an aware C{datetime}).
    @param metering: the L{openocpp.chargepoint.metering.Metering}.
    @param queue: the L{openocpp.chargepoint.queue.TransactionQueue}.
    @param authorize: C{authorize(connector, id_tag)} (remote starts when
        AuthorizeRemoteTxRequests).
    @param hook: C{hook(name, **kwargs)} asks the plugins.
    @param notify: C{notify(name, **kwargs)} tells the plugins.
    @param online: returns whether requests may be sent now.
    @param running: returns whether the charge point's service runs.
    @param apply_scheduled: C{apply_scheduled(connector)}: an availability
        change waiting for the transaction's end takes effect
        (L{openocpp.chargepoint.availability.Availability}).
    @param reservations: the L{openocpp.chargepoint.reservations.Reservations}
        a start is admitted by (its C{admit} and C{used}), or C{None} for a
        charge point without reservations.
    @param transaction_changed: C{transaction_changed(connector)}: a
        transaction started or stopped on a connector (its charging limit
        may change: L{openocpp.chargepoint.smartcharging}).
    """

    log = Logger()

    def __init__(
        self,
        connectors: Any,
        store: Any,
        ocpp_config: Any,
        clock: Any,
        now: Callable[[], Any],
        metering: Any,
        queue: Any,
        authorize: Callable[..., Deferred],
        hook: Callable[..., Deferred],
        notify: Callable[..., None],
        online: Callable[[], bool],
        running: Callable[[], bool],
        apply_scheduled: Callable[[int], None],
        reservations: Any = None,
        transaction_changed: Callable[[int], None] = lambda connector: None,
    ) -> None:
        self._connectors = connectors
        self._store = store
        self._config = ocpp_config
        self._clock = clock
        self._now = now
        self._metering = metering
        self._queue = queue
        self._authorize = authorize
        self._hook = hook
        self._notify = notify
        self._online = online
        self._running = running
        self._apply_scheduled = apply_scheduled
        self._reservations = reservations
        self._transaction_changed = transaction_changed

    @inlineCallbacks
    def start_transaction(self, connector: int, id_tag: str, reservation_id: int | None = None):
        connectors = self._connectors
        if not connectors.is_outlet(connector):
            raise TransactionError(f"no connector {connector!r} to charge on")
        if connectors.transaction(connector) is not None or connectors.busy(connector):
            raise TransactionError(f"a transaction already runs on connector {connector}")
        if not connectors.operative(connector):
            raise TransactionError(f"connector {connector} is inoperative")
        # What could never be sent is refused before anything is persisted.
        codec.validate(
            StartTransactionRequest,
            codec.encode(StartTransactionRequest(
                connector_id=connector, id_tag=id_tag, meter_start=0,
                timestamp=self._now(), reservation_id=reservation_id,
            )),
        )
        reservation = None
        if self._reservations is not None:
            # A reserved connector only takes its idTag (section 5.13); the
            # start that ends a reservation carries its id.
            reservation = yield self._reservations.admit(connector, id_tag)
            if connectors.transaction(connector) is not None or connectors.busy(connector):
                raise TransactionError(f"a transaction already runs on connector {connector}")
            if reservation is not None:
                reservation_id = reservation.reservation_id
        with connectors.occupy(connector):
            meter_start = yield self._metering.energy(connector, ReadingContext.TRANSACTION_BEGIN)
            started = self._now()
            request = StartTransactionRequest(
                connector_id=connector,
                id_tag=id_tag,
                meter_start=meter_start,
                timestamp=started,
                reservation_id=reservation_id,
            )
            local_id = self._store.start_transaction(
                connector, id_tag, meter_start, codec.format_datetime(started),
                reservation_id, codec.encode(request),
            )
        if reservation is not None:
            self._reservations.used(reservation, connector)
        self.log.info(
            "Transaction {local_id} started on connector {connector} for {id_tag} "
            "(meter {meter_start} Wh)",
            local_id=local_id,
            connector=connector,
            id_tag=id_tag,
            meter_start=meter_start,
        )
        self._transaction_changed(connector)
        waiting = self._queue.wait_start(local_id) if self._online() else None
        yield self._metering.transaction_begin(local_id, connector)
        self._queue.pump()
        if waiting is None:
            return AuthorizationStatus.ACCEPTED
        # The firmware is not kept waiting behind a queue that retries: past
        # MessageTimeout the transaction goes on as if offline.
        waiting.addTimeout(
            self._config.integer("MessageTimeout"),
            self._clock,
            onTimeoutCancel=lambda result, timeout: AuthorizationStatus.ACCEPTED,
        )
        status = yield waiting
        return status

    @inlineCallbacks
    def stop_transaction(self, connector: int, id_tag: str | None = None, reason: Any = None):
        record = self._connectors.transaction(connector)
        if record is None or self._connectors.busy(connector):
            return False
        reason = None if reason is None else Reason(reason)
        codec.validate(
            StopTransactionRequest,
            codec.encode(StopTransactionRequest(
                meter_stop=0, timestamp=self._now(), transaction_id=0, id_tag=id_tag, reason=reason,
            )),
        )
        with self._connectors.occupy(connector):
            yield self._metering.transaction_end(record.local_id, connector)
            meter_stop = yield self._metering.energy(connector, ReadingContext.TRANSACTION_END)
            stopped = self._now()
            request = StopTransactionRequest(
                meter_stop=meter_stop,
                timestamp=stopped,
                transaction_id=0,  # filled in when sent
                id_tag=id_tag,
                reason=reason,
            )
            self._store.stop_transaction(
                record.local_id,
                codec.format_datetime(stopped),
                None if reason is None else reason.value,
                codec.encode(request),
            )
        self.log.info(
            "Transaction {local_id} on connector {connector} stopped ({reason}, meter "
            "{meter_stop} Wh)",
            local_id=record.local_id,
            connector=connector,
            reason=(reason or Reason.LOCAL).value,
            meter_stop=meter_stop,
        )
        self._transaction_changed(connector)
        self._apply_scheduled(connector)
        self._queue.pump()
        return True

    @inlineCallbacks
    def stop_by_charge_point(self, connector: int, reason: Reason):
        """
        Stop a connector's transaction on the charge point's own initiative,
        and tell the site to stop charging.
        """
        stopped = yield self.stop_transaction(connector, None, reason)
        if stopped:
            self._notify("openocpp_cp_stop_charging", connector=connector, reason=reason)
        return stopped

    def deauthorized(self, local_id: int, status: AuthorizationStatus) -> None:
        """
        The StartTransaction.conf of a transaction did not accept its idTag.
        """
        record = self._store.transaction(local_id)
        if record is None or not record.running:
            return
        if self._config.boolean("StopTransactionOnInvalidId"):
            self.stop_by_charge_point(record.connector_id, Reason.DE_AUTHORIZED)
        else:
            self._notify(
                "openocpp_cp_transaction_deauthorized",
                connector=record.connector_id,
                status=status,
            )

    @inlineCallbacks
    def remote_start(self, connector: int, id_tag: str, charging_profile: Any):
        """
        Carry out an accepted RemoteStartTransaction.
        """
        if self._config.boolean("AuthorizeRemoteTxRequests"):
            status, _ = yield self._authorize(connector, id_tag)
            if status is not AuthorizationStatus.ACCEPTED:
                self.log.info(
                    "Remote start for {id_tag} not authorized ({status})",
                    id_tag=id_tag,
                    status=status.value,
                )
                return
        yield self._hook(
            "openocpp_cp_start_charging",
            connector=connector,
            id_tag=id_tag,
            charging_profile=charging_profile,
        )

    def perform_reset(self, kind: ResetType) -> Deferred:
        """
        Carry out an accepted Reset: stop every transaction (reason
        SoftReset or HardReset), then reset.

        A soft reset sends the StopTransactions first, waiting (up to
        MessageTimeout) for the queue to be delivered. A hard reset does
        not wait: it holds the queue, so that the StopTransactions stay on
        disk and go out "after having restarted and having been accepted by
        the Central System via a BootNotification.conf" (errata 3.36), once.
        Sent just before the reset, a StopTransaction whose answer the
        reboot lost would be sent again after it.
        """
        if kind is not ResetType.HARD:
            return self._reset(kind, Reason.SOFT_RESET)
        self._queue.hold()

        def release(result):
            # A reset the site carried out without restarting us: what was
            # held goes now. (Not in a finally clause of _reset: a reset hook
            # that never answers, because the hardware reboots, must not
            # release the queue when its generator is garbage collected.)
            self._queue.release()
            return result

        return self._reset(kind, Reason.HARD_RESET).addBoth(release)

    @inlineCallbacks
    def _reset(self, kind: ResetType, reason: Reason):
        for record in self._store.running_transactions():
            yield self.stop_by_charge_point(record.connector_id, reason)
        if kind is ResetType.SOFT and self._online():
            try:
                yield self._queue.when_drained().addTimeout(
                    self._config.integer("MessageTimeout"), self._clock
                )
            except Exception:
                self.log.info("Resetting with transaction messages still queued")
        if not self._running():
            self.log.info("Not resetting: the charge point was stopped meanwhile")
            return
        yield self._hook("openocpp_cp_reset", type=kind)
