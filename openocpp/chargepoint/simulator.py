"""
The simulator: L{ChargingSimulator}, a session loop like the Open OCPP
quick start (on one connector, again and again, a driver plugs in
(Preparing), badges (authorize), charges (StartTransaction, Charging),
stops (StopTransaction, Finishing) and unplugs (Available));
L{ScenarioRunner}, which runs a scenario file's steps instead; and
L{SimulatorBehaviour}, the simulated charger with the simulator's meter.
"""

from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import CancelledError, inlineCallbacks
from twisted.internet.task import deferLater
from twisted.logger import Logger

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.errors import TransactionError
from openocpp.chargepoint.simmeter import MEASURANDS
from openocpp.hookspecs import hookimpl
from openocpp.messages.enums import AuthorizationStatus, ChargePointErrorCode, ChargePointStatus


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


class SimulatorBehaviour(DefaultChargePointBehaviour):
    """
    The default simulated charger with the simulator's meter
    (L{openocpp.chargepoint.simmeter.SimulatedMeter}): measurands per
    phase, a vehicle whose state of charge rises and whose power tapers,
    and Smart Charging's limit obeyed on the configured supply.

    One serves every charge point of a simulation (one plugin manager for
    all: building one per charge point costs more than the charge point).

    @param meter_of: C{meter_of(charge_point)} returns the charge point's
        meter.
    """

    def __init__(self, meter_of: Callable[[Any], Any], unplug_delay: float = 5.0) -> None:
        super().__init__(unplug_delay=unplug_delay)
        self.meter_of = meter_of

    @hookimpl
    def openocpp_cp_supported_measurands(self, charge_point):
        return MEASURANDS

    @hookimpl
    def openocpp_cp_meter_value(self, charge_point, connector, measurand, phase, context):
        return self.meter_of(charge_point).read(charge_point, connector, measurand, phase)

    @hookimpl
    def openocpp_cp_charging_limit_changed(self, charge_point, connector_id, limit, unit, number_phases):
        """
        The meter's power follows the composite limit, in W, or in A per
        phase times the supply voltage and the phases charged on.
        """
        meter = self.meter_of(charge_point)
        watts = meter.limit_watts(limit, unit, number_phases)
        self.log.debug(
            "Simulated charger on connector {connector} limited to {watts} W",
            connector=connector_id,
            watts="no limit" if watts is None else round(watts, 1),
        )
        meter.set_limit(charge_point, connector_id, watts)


class ScenarioRunner:
    """
    Runs a scenario's steps on one charge point (see
    L{openocpp.chargepoint.scenario}), counting into the run's
    L{openocpp.chargepoint.simreport.SimulatorStats}.

    @param charge_point: the L{openocpp.chargepoint.service.ChargePoint}.
    @param steps: its L{openocpp.chargepoint.scenario.Step}s.
    @param meter: its L{openocpp.chargepoint.simmeter.SimulatedMeter}.
    @param stats: the run's L{openocpp.chargepoint.simreport.SimulatorStats}.
    @param clock: the scenario's C{IReactorTime} (waits, charging time: a
        faster one compresses time); the calls' latency is measured on the
        charge point's own clock.
    @param connector: the connector the steps use.
    @param id_tag: the idTag charged with when no authorize step gave one.
    @param loop: run the steps again and again.
    """

    log = Logger()

    #: Seconds between looks at whether the charge point is online.
    poll = 0.5

    def __init__(
        self,
        charge_point: Any,
        steps: Any,
        meter: Any,
        stats: Any,
        clock: Any,
        connector: int = 1,
        id_tag: str = "SIM-0001",
        loop: bool = False,
    ) -> None:
        self.charge_point = charge_point
        self.steps = tuple(steps)
        self.meter = meter
        self.stats = stats
        self.clock = clock
        self.connector = connector
        self.id_tag = id_tag
        self.loop = loop
        self._running = None

    def start(self):
        """
        Run the steps (again and again with C{loop}).

        @return: a Deferred firing when they are done (or failing with
            C{CancelledError} once L{stop} is called).
        """
        self._running = self._run()
        return self._running

    def stop(self) -> None:
        """
        End the steps where they are.
        """
        running, self._running = self._running, None
        if running is not None:
            running.addErrback(lambda failure: failure.trap(CancelledError))
            running.cancel()

    def _sleep(self, seconds: float, clock: Any = None):
        return deferLater(clock or self.clock, seconds, lambda: None)

    @inlineCallbacks
    def _online(self):
        cp = self.charge_point
        while not cp.online:
            yield self._sleep(self.poll, cp.clock)

    @inlineCallbacks
    def _run(self):
        while True:
            yield self._online()
            yield self._steps(self.steps)
            if not self.loop:
                return
            yield self._turn()

    @inlineCallbacks
    def _steps(self, steps):
        for step in steps:
            try:
                yield getattr(self, "_" + step.kind)(**step.args)
            except CancelledError:
                raise
            except Exception as error:
                self.stats.error(f"{step.kind}: {type(error).__name__}")
                self.log.info(
                    "Simulator {identity}: {where} failed: {error}",
                    identity=self.charge_point.config.identity,
                    where=step.where,
                    error=error,
                )

    @inlineCallbacks
    def _timed(self, action: str, call):
        clock = self.charge_point.clock
        began = clock.seconds()
        result = yield call
        self.stats.latency(action, clock.seconds() - began)
        return result

    # -- the steps ----------------------------------------------------------------------

    def _plug_in(self):
        self.meter.plug_in(self.connector)
        return self.charge_point.status_notification(self.connector, ChargePointStatus.PREPARING)

    def _unplug(self):
        self.meter.unplug(self.connector)
        return self.charge_point.status_notification(self.connector, ChargePointStatus.AVAILABLE)

    @inlineCallbacks
    def _authorize(self, idTag):
        status, _ = yield self._timed("Authorize", self.charge_point.authorize(self.connector, idTag))
        if status is AuthorizationStatus.ACCEPTED:
            self.id_tag = idTag
        else:
            self.stats.error(f"Authorize {status.value}")

    @inlineCallbacks
    def _charge(self, kwh, kw, idTag=None):
        cp, connector, meter = self.charge_point, self.connector, self.meter
        id_tag = idTag or self.id_tag
        if meter.ev(connector) is None:
            yield self._plug_in()
        meter.request_power(cp, connector, kw * 1000)
        status = yield self._timed("StartTransaction", cp.start_transaction(connector, id_tag))
        record = cp.transaction_record(connector)
        if record is None:
            meter.request_power(cp, connector, None)
            self.stats.error(f"StartTransaction {getattr(status, 'value', status)}")
            return
        self.stats.sessions_started += 1
        yield cp.status_notification(connector, ChargePointStatus.CHARGING)
        begin = record.meter_start  # charging began then, before the answer came
        wanted = kwh * 1000
        try:
            while cp.transaction_record(connector) is not None:
                delivered = meter.energy(cp, connector) - begin
                if delivered >= wanted - 0.5:
                    break
                power = meter.power_of(connector)
                ev = meter.ev(connector)
                if ev is not None and ev.soc >= 100:
                    break  # full before the energy asked: the EV ends the session
                # Not past the end, and a look at least every 5 minutes
                # (the limit or the taper changes the power meanwhile).
                step = 300.0 if power <= 0 else min(300.0, (wanted - delivered) / power * 3600)
                yield self._sleep(max(step, 1.0))
        finally:
            # The vehicle stops drawing now: the energy asked is delivered,
            # and StopTransaction's meterStop is this reading (back to "its
            # maximum" only once the transaction is over: it drew at full
            # power while the stop was on its way).
            meter.request_power(cp, connector, 0.0)
        delivered = meter.energy(cp, connector) - begin
        try:
            if cp.transaction_record(connector) is not None:
                yield cp.stop_transaction(connector, id_tag)
                yield cp.status_notification(connector, ChargePointStatus.FINISHING)
        finally:
            meter.request_power(cp, connector, None)
        self.stats.sessions_completed += 1
        self.stats.energy_wh += delivered

    @inlineCallbacks
    def _fault(self, errorCode, info=None, seconds=None):
        cp = self.charge_point
        yield cp.status_notification(
            self.connector, ChargePointStatus.FAULTED, ChargePointErrorCode(errorCode), info
        )
        if seconds:
            yield self._sleep(seconds)
            status = (
                ChargePointStatus.PREPARING
                if self.meter.ev(self.connector) is not None
                else ChargePointStatus.AVAILABLE
            )
            yield cp.status_notification(self.connector, status)

    @inlineCallbacks
    def _offline(self, seconds):
        connection = self.charge_point.getServiceNamed("connection")
        yield connection.stopService()
        try:
            yield self._sleep(seconds)
        finally:
            if self.charge_point.running and not connection.running:
                connection.startService()
        yield self._online()

    @inlineCallbacks
    def _reboot(self):
        yield self.charge_point.restart()
        yield self._online()

    def _answer(self, action, status=None, response=None):
        answers = self.charge_point.answers
        if response is None:
            answers.pop(action, None)
        else:
            answers[action] = response

    def _wait(self, seconds):
        return self._sleep(seconds)

    def _turn(self):
        # A turn of the reactor between two rounds of steps: steps that do
        # not wait (answer, plug_in with an EV already in) repeated many
        # times, or again and again with --loop, would otherwise hold the
        # reactor for good: no I/O, no SIGTERM handled.
        return self._sleep(0, self.charge_point.clock)

    @inlineCallbacks
    def _repeat(self, times, steps):
        for _ in range(times):
            yield self._steps(steps)
            yield self._turn()
