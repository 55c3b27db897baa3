"""
Meter values (OCPP 1.6 section 3.16 and errata 3.13): readings from the
C{openocpp_cp_meter_value} hook, sampled every MeterValueSampleInterval
during a transaction (MeterValuesSampledData, StopTxnSampledData),
clock-aligned every ClockAlignedDataInterval (MeterValuesAlignedData,
StopTxnAlignedData), at the start and end of transactions, and on trigger.
"""

from typing import Any, Callable

from twisted.internet.defer import inlineCallbacks
from twisted.logger import Logger

from openocpp.chargepoint.keys import measurand_item
from openocpp.messages import MeterValuesRequest, codec
from openocpp.messages.datatypes import MeterValue, SampledValue
from openocpp.messages.enums import Location, Measurand, Phase, ReadingContext, UnitOfMeasure

ENERGY = Measurand.ENERGY_ACTIVE_IMPORT_REGISTER

#: The unit a bare number from the meter hook is in, per measurand.
DEFAULT_UNITS = {
    Measurand.ENERGY_ACTIVE_EXPORT_REGISTER: UnitOfMeasure.WH,
    Measurand.ENERGY_ACTIVE_IMPORT_REGISTER: UnitOfMeasure.WH,
    Measurand.ENERGY_REACTIVE_EXPORT_REGISTER: UnitOfMeasure.VARH,
    Measurand.ENERGY_REACTIVE_IMPORT_REGISTER: UnitOfMeasure.VARH,
    Measurand.ENERGY_ACTIVE_EXPORT_INTERVAL: UnitOfMeasure.WH,
    Measurand.ENERGY_ACTIVE_IMPORT_INTERVAL: UnitOfMeasure.WH,
    Measurand.ENERGY_REACTIVE_EXPORT_INTERVAL: UnitOfMeasure.VARH,
    Measurand.ENERGY_REACTIVE_IMPORT_INTERVAL: UnitOfMeasure.VARH,
    Measurand.POWER_ACTIVE_EXPORT: UnitOfMeasure.W,
    Measurand.POWER_ACTIVE_IMPORT: UnitOfMeasure.W,
    Measurand.POWER_OFFERED: UnitOfMeasure.W,
    Measurand.POWER_REACTIVE_EXPORT: UnitOfMeasure.VAR,
    Measurand.POWER_REACTIVE_IMPORT: UnitOfMeasure.VAR,
    Measurand.CURRENT_IMPORT: UnitOfMeasure.A,
    Measurand.CURRENT_EXPORT: UnitOfMeasure.A,
    Measurand.CURRENT_OFFERED: UnitOfMeasure.A,
    Measurand.VOLTAGE: UnitOfMeasure.V,
    Measurand.TEMPERATURE: UnitOfMeasure.CELSIUS,
    Measurand.SOC: UnitOfMeasure.PERCENT,
}

_DAY = 86400


class Metering:
    """
    Reads the meter and produces meter values.

    @param connectors: the L{openocpp.chargepoint.connectors.Connectors}.
    @param store: the L{openocpp.chargepoint.store.ChargePointStore} (the
        StopTxn*Data values kept for StopTransaction.req).
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}.
    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param now: returns the charge point's time (an aware C{datetime}).
    @param read_meter: C{read_meter(connector=, measurand=, phase=,
        context=)} returns a Deferred of the meter's answer (the
        C{openocpp_cp_meter_value} hook).
    @param queue: the L{openocpp.chargepoint.queue.TransactionQueue} sampled
        and clock-aligned values go through.
    @param send: C{send(request, triggered=False)} sends a request to the
        central system (triggered values, which skip the queue).
    @param running: returns whether the charge point's service runs.
    """

    log = Logger()

    def __init__(
        self,
        connectors: Any,
        store: Any,
        ocpp_config: Any,
        clock: Any,
        now: Callable[[], Any],
        read_meter: Callable[..., Any],
        queue: Any,
        send: Callable[..., Any],
        running: Callable[[], bool],
    ) -> None:
        self._connectors = connectors
        self._store = store
        self._config = ocpp_config
        self._clock = clock
        self._now = now
        self._read_meter = read_meter
        self._queue = queue
        self._send = send
        self._running = running
        self._samplers: dict[int, Any] = {}  # local transaction id -> delayed call
        self._aligned = None
        config = ocpp_config
        config.observe("MeterValueSampleInterval", lambda key, value: self.restart_sampling())
        config.observe("ClockAlignedDataInterval", lambda key, value: self.start_aligned())

    # -- reading ----------------------------------------------------------------

    @inlineCallbacks
    def read(self, connector: int, items: list[str], context: ReadingContext):
        """
        Read configured measurands.

        @param items: MeterValues*Data items (C{"Voltage.L1"}).
        @return: a Deferred firing with a list of L{SampledValue} (empty
            when the meter measures none of them there).
        """
        sampled: list[SampledValue] = []
        for item in items:
            parsed = measurand_item(item)
            if parsed is None:
                continue
            measurand, phase = Measurand(parsed[0]), parsed[1] and Phase(parsed[1])
            try:
                result = yield self._read_meter(
                    connector=connector,
                    measurand=measurand,
                    phase=phase,
                    context=context,
                )
            except Exception:
                self.log.failure(
                    "Reading {measurand} of connector {connector} failed",
                    measurand=measurand.value,
                    connector=connector,
                )
                continue
            sampled.extend(_sampled_values(result, connector, measurand, phase, context))
        return sampled

    @inlineCallbacks
    def meter_value(self, connector: int, items: list[str], context: ReadingContext):
        """
        @return: a Deferred firing with a L{MeterValue} of the items, or
            C{None} when none could be read.
        """
        values = yield self.read(connector, items, context)
        if not values:
            return None
        return MeterValue(timestamp=self._now(), sampled_value=values)

    @inlineCallbacks
    def energy(self, connector: int, context: ReadingContext):
        """
        @return: a Deferred firing with the connector's active import energy
            register in Wh (an int; 0 when the meter gives none).
        """
        values = yield self.read(connector, [ENERGY.value], context)
        for value in values:
            try:
                number = float(value.value)
            except ValueError:
                continue
            if value.unit == UnitOfMeasure.KWH:
                number *= 1000
            return int(round(number))
        return 0

    # -- transactions ---------------------------------------------------------------

    def stop_txn_items(self) -> list[str]:
        config = self._config
        items = config.items("StopTxnSampledData")
        for item in config.items("StopTxnAlignedData"):
            if item not in items:
                items.append(item)
        return items

    @inlineCallbacks
    def transaction_begin(self, local_id: int, connector: int):
        """
        Keep the Transaction.Begin values of StopTxn*Data for the
        StopTransaction.req, and start sampling.
        """
        yield self._keep(local_id, connector, self.stop_txn_items(), ReadingContext.TRANSACTION_BEGIN)
        self.start_sampling(local_id, connector)

    @inlineCallbacks
    def transaction_end(self, local_id: int, connector: int):
        """
        Stop sampling, and keep the Transaction.End values.
        """
        self.stop_sampling(local_id)
        yield self._keep(local_id, connector, self.stop_txn_items(), ReadingContext.TRANSACTION_END)

    @inlineCallbacks
    def _keep(self, local_id, connector, items, context):
        if not items:
            return
        value = yield self.meter_value(connector, items, context)
        if value is not None and self._transaction_running(local_id):
            self._store.add_transaction_data(
                local_id,
                codec.encode(value),
                self._config.integer("StopTransactionMaxMeterValues"),
            )

    def start_sampling(self, local_id: int, connector: int) -> None:
        self.stop_sampling(local_id)
        if not self._transaction_running(local_id):
            return  # stopped while its start was under way
        interval = self._config.integer("MeterValueSampleInterval")
        if interval > 0 and self._running():
            self._samplers[local_id] = self._clock.callLater(
                interval, self._sample, local_id, connector, interval
            )

    def _transaction_running(self, local_id: int) -> bool:
        record = self._store.transaction(local_id)
        return record is not None and record.running

    def stop_sampling(self, local_id: int) -> None:
        timer = self._samplers.pop(local_id, None)
        if timer is not None and timer.active():
            timer.cancel()

    def restart_sampling(self) -> None:
        """
        MeterValueSampleInterval changed: sample running transactions at the
        new interval from now on.
        """
        for record in self._connectors.running():
            self.start_sampling(record.local_id, record.connector_id)

    @inlineCallbacks
    def _sample(self, local_id: int, connector: int, interval: int):
        self._samplers[local_id] = self._clock.callLater(
            interval, self._sample, local_id, connector, interval
        )
        config = self._config
        periodic = ReadingContext.SAMPLE_PERIODIC
        value = yield self.meter_value(connector, config.items("MeterValuesSampledData"), periodic)
        if value is not None:
            self._queue.enqueue_meter_values(connector, local_id, [value])
        yield self._keep(local_id, connector, config.items("StopTxnSampledData"), periodic)

    # -- clock-aligned ----------------------------------------------------------------

    def start_aligned(self) -> None:
        """
        (Re)start clock-aligned readings at the next boundary of
        ClockAlignedDataInterval since midnight UTC (charge point time).
        """
        self.stop_aligned()
        interval = self._config.integer("ClockAlignedDataInterval")
        if interval <= 0 or not self._running():
            return
        self._aligned = self._clock.callLater(self._until_boundary(interval), self._align)

    def _until_boundary(self, interval: int) -> float:
        now = self._now().timestamp()
        midnight = now - (now % _DAY)
        since = now - midnight
        following = (int(since // interval) + 1) * interval
        if following >= _DAY:
            following = _DAY
        return max(midnight + following - now, 0.0)

    def stop_aligned(self) -> None:
        if self._aligned is not None and self._aligned.active():
            self._aligned.cancel()
        self._aligned = None

    @inlineCallbacks
    def _align(self):
        self._aligned = None
        self.start_aligned()
        config = self._config
        clock_context = ReadingContext.SAMPLE_CLOCK
        running = {r.connector_id: r for r in self._connectors.running()}
        for connector in self._connectors.all():
            record = running.get(connector)
            local_id = None if record is None else record.local_id
            value = yield self.meter_value(connector, config.items("MeterValuesAlignedData"), clock_context)
            if value is not None:
                self._queue.enqueue_meter_values(connector, local_id, [value])
            if local_id is not None:
                yield self._keep(local_id, connector, config.items("StopTxnAlignedData"), clock_context)

    # -- triggered ----------------------------------------------------------------------

    @inlineCallbacks
    def trigger_readings(self, connector: int | None):
        """
        TriggerMessage(MeterValues): read "the most recent measurements for
        all measurands configured in configuration key
        MeterValuesSampledData" (section 5.17) of a connector, or of each
        (connectorId absent: "for all allowed connectorId values"). An
        empty MeterValuesSampledData reads its default,
        Energy.Active.Import.Register, so that an accepted trigger always
        has something to send.

        @return: a Deferred firing with (connector, L{MeterValue}) pairs, for
            the connectors the meter gave a value for (an empty list when
            none).
        """
        items = self._config.items("MeterValuesSampledData") or [ENERGY.value]
        connectors = self._connectors.all() if connector is None else [connector]
        readings = []
        for number in connectors:
            value = yield self.meter_value(number, items, ReadingContext.TRIGGER)
            if value is not None:
                readings.append((number, value))
        return readings

    def send_triggered(self, readings: list) -> None:
        """
        Send the readings of L{trigger_readings}, one MeterValues.req per
        connector, at once (not through the transaction queue).
        """
        for number, value in readings:
            record = self._connectors.transaction(number) if number else None
            request = MeterValuesRequest(
                connector_id=number,
                meter_value=[value],
                transaction_id=None if record is None else record.wire_id,
            )
            self._send(request, triggered=True).addErrback(
                lambda failure: self.log.info(
                    "Triggered meter values not sent: {error}", error=failure.getErrorMessage()
                )
            )

    def stop(self) -> None:
        for local_id in list(self._samplers):
            self.stop_sampling(local_id)
        self.stop_aligned()


def _sampled_values(result, connector, measurand, phase, context) -> list[SampledValue]:
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        values: list[SampledValue] = []
        for item in result:
            values.extend(_sampled_values(item, connector, measurand, phase, context))
        return values
    if isinstance(result, SampledValue):
        if result.measurand is None and measurand is not ENERGY:
            result.measurand = measurand
        if result.context is None:
            result.context = context
        if result.phase is None and phase is not None:
            result.phase = phase
        return [result]
    if isinstance(result, float):
        text = repr(round(result, 3))
    else:
        text = str(result)
    return [
        SampledValue(
            value=text,
            context=context,
            measurand=measurand,
            phase=phase,
            location=Location.OUTLET if connector else Location.INLET,
            unit=DEFAULT_UNITS.get(measurand),
        )
    ]
