"""
A charging session simulator, like the Open OCPP quick start: on one
connector, again and again, a driver plugs in (Preparing), badges
(authorize), charges (StartTransaction, Charging), stops (StopTransaction,
Finishing) and unplugs (Available).
"""

from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import CancelledError, inlineCallbacks
from twisted.internet.task import deferLater
from twisted.logger import Logger

from openocpp.chargepoint.errors import TransactionError
from openocpp.messages.enums import AuthorizationStatus, ChargePointStatus


class ChargingSimulator(Service):
    """
    Runs charging sessions on a connector of a charge point while started.

    @param charge_point: the L{openocpp.chargepoint.interfaces.IChargePoint}.
    @param connector: the connector to charge on.
    @param id_tag: the idTag the simulated driver badges with.
    @param idle_time: seconds between sessions.
    @param plug_time: seconds between plugging in and badging, and between
        stopping and unplugging.
    @param charge_time: seconds of charging.
    """

    log = Logger()

    def __init__(
        self,
        charge_point: Any,
        connector: int = 1,
        id_tag: str = "SIM-0001",
        idle_time: float = 30.0,
        plug_time: float = 5.0,
        charge_time: float = 60.0,
    ) -> None:
        self.charge_point = charge_point
        self.connector = connector
        self.id_tag = id_tag
        self.idle_time = idle_time
        self.plug_time = plug_time
        self.charge_time = charge_time
        self.sessions = 0
        self._running = None

    def startService(self) -> None:
        super().startService()
        self._running = self._loop()
        self._running.addErrback(lambda failure: failure.trap(CancelledError))

    def stopService(self) -> None:
        super().stopService()
        running, self._running = self._running, None
        if running is not None:
            running.cancel()

    def _sleep(self, seconds: float):
        return deferLater(self.charge_point.clock, seconds, lambda: None)

    @inlineCallbacks
    def _loop(self):
        cp, connector = self.charge_point, self.connector
        # The first driver arrives soon after start (so one sees a session
        # without waiting), the next ones idle_time after each other.
        yield self._sleep(self.plug_time)
        while True:
            if not cp.startable(connector):
                yield self._sleep(self.idle_time)
                continue
            self.log.info("Simulator: EV plugged in on connector {connector}", connector=connector)
            yield cp.status_notification(connector, ChargePointStatus.PREPARING)
            yield self._sleep(self.plug_time)
            status, _ = yield cp.authorize(connector, self.id_tag)
            if status is AuthorizationStatus.ACCEPTED:
                yield self._charge()
            else:
                # The usual first-run surprise: a central system knows no
                # tag by default; say how to make it know this one.
                self.log.info(
                    "Simulator: {id_tag} refused ({status}); the central system must "
                    "accept it, e.g. twistd openocpp centralsystem --accept-idtag {id_tag}",
                    id_tag=self.id_tag,
                    status=status.value,
                )
            yield cp.status_notification(connector, ChargePointStatus.FINISHING)
            yield self._sleep(self.plug_time)
            self.log.info("Simulator: EV unplugged from connector {connector}", connector=connector)
            yield cp.status_notification(connector, ChargePointStatus.AVAILABLE)
            yield self._sleep(self.idle_time)

    @inlineCallbacks
    def _charge(self):
        cp, connector = self.charge_point, self.connector
        try:
            yield cp.start_transaction(connector, self.id_tag)
        except TransactionError as error:
            self.log.info("Simulator: cannot start: {error}", error=error)
            return
        if cp.transaction_record(connector) is None:
            return  # stopped at once (idTag refused by the central system)
        self.sessions += 1
        yield cp.status_notification(connector, ChargePointStatus.CHARGING)
        yield self._sleep(self.charge_time)
        yield cp.stop_transaction(connector, self.id_tag)
