"""
The simulator's meter: an electric vehicle on each connector, charged by a
charger wired with the configured supply (volts per phase, one or three
phases, amperes per phase), at most what Smart Charging's composite limit
allows (the C{openocpp_cp_charging_limit_changed} hook), and at most what
the vehicle accepts: its full power up to L{SimulatedEV.taper_from} % state
of charge, then less and less down to nothing at 100 %.

It reads every measurand OCPP 1.6 asks of such a meter (section 7.31,
Measurand) with its unit (7.46, UnitOfMeasure), its phase (7.33) and
location (7.30): energy (Wh, the register never goes back: it is kept in
the charge point's SQLite file), active power (W), current per phase
(C{L1}, C{L2}, C{L3}, A), voltage per phase (C{L1-N}, ..., V), offered
power and current, frequency, temperature, and the vehicle's state of
charge (C{SoC}, Percent, location C{EV}). Readings may carry a small noise,
from a seeded generator so that a run can be replayed.
"""

import random
from dataclasses import dataclass
from typing import Any

from openocpp.messages.datatypes import SampledValue
from openocpp.messages.enums import Location, Measurand, Phase, UnitOfMeasure

#: What the simulator's meter measures.
MEASURANDS = frozenset(
    m.value
    for m in (
        Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
        Measurand.POWER_ACTIVE_IMPORT,
        Measurand.POWER_OFFERED,
        Measurand.CURRENT_IMPORT,
        Measurand.CURRENT_OFFERED,
        Measurand.VOLTAGE,
        Measurand.FREQUENCY,
        Measurand.TEMPERATURE,
        Measurand.SOC,
    )
)

_PHASES = (Phase.L1, Phase.L2, Phase.L3)
_TO_NEUTRAL = {Phase.L1: Phase.L1_N, Phase.L2: Phase.L2_N, Phase.L3: Phase.L3_N}
#: Simulated seconds integrated in one step: the taper is followed closely.
_STEP = 30.0


@dataclass
class SimulatedEV:
    """
    The vehicle plugged into a connector.

    @ivar capacity: its battery, Wh.
    @ivar soc: its state of charge, percent.
    @ivar max_power: the most it draws, W.
    @ivar taper_from: the state of charge above which it draws less, down
        to nothing at 100 %.
    """

    capacity: float = 60000.0
    soc: float = 20.0
    max_power: float = 22000.0
    taper_from: float = 80.0

    def accepts(self) -> float:
        """
        @return: the watts it draws now (its battery management's limit).
        """
        if self.soc >= 100.0:
            return 0.0
        if self.soc <= self.taper_from:
            return self.max_power
        # Linear down from max_power to a trickle, as a CC-CV charge does.
        share = (100.0 - self.soc) / (100.0 - self.taper_from)
        return max(self.max_power * share, 0.02 * self.max_power)


class SimulatedMeter:
    """
    A meter per connector (connector 0 is the sum of the outlets) of a
    charger wired with C{phases} phases of C{voltage} volts, C{max_current}
    amperes each.

    @param clock: the C{IReactorTime} its energy grows on (the simulator's
        clock: a faster one compresses time).
    @param voltage: volts per phase (C{--supply-voltage}).
    @param phases: 1 or 3 (C{--supply-phases}).
    @param max_current: amperes per phase the charger gives at most
        (C{--max-current}; default 32 A).
    @param noise: the relative spread of readings (0.01: 1 %; 0: exact).
    @param seed: the seed of the noise.
    @param ev: makes the L{SimulatedEV} of a new session.
    """

    def __init__(
        self,
        clock: Any,
        voltage: float = 230.0,
        phases: int = 3,
        max_current: float | None = None,
        noise: float = 0.0,
        seed: int | None = None,
        ev: Any = SimulatedEV,
    ) -> None:
        self.clock = clock
        self.voltage = float(voltage)
        self.phases = phases
        self.max_current = 32.0 if max_current is None else float(max_current)
        self.noise = noise
        self._random = random.Random(seed)
        self._ev_factory = ev
        self._evs: dict[int, SimulatedEV] = {}
        self._limits: dict[int, float] = {}
        self._requested: dict[int, float] = {}
        self._read_at: dict[int, float] = {}
        #: Connectors whose vehicle came with a transaction no plug_in
        #: announced (a remote start, C{--simulate}'s loop): it leaves with
        #: the transaction.
        self._arrived: set[int] = set()

    # -- what the simulator sets -----------------------------------------------------------

    def plug_in(self, connector: int, ev: SimulatedEV | None = None) -> SimulatedEV:
        """
        A vehicle is plugged into a connector (a new one unless given).
        """
        self._evs[connector] = ev if ev is not None else self._ev_factory()
        self._read_at.setdefault(connector, self.clock.seconds())
        return self._evs[connector]

    def unplug(self, connector: int) -> None:
        """
        The vehicle leaves.
        """
        self._evs.pop(connector, None)
        self._requested.pop(connector, None)
        self._arrived.discard(connector)

    def ev(self, connector: int) -> SimulatedEV | None:
        """
        @return: the vehicle on a connector, if any.
        """
        return self._evs.get(connector)

    def request_power(self, charge_point: Any, connector: int, watts: float | None) -> None:
        """
        The vehicle asks for at most C{watts} from now on (C{None}: its
        maximum); the energy up to now counts at the old power.
        """
        self.advance(charge_point, connector)
        if watts is None:
            self._requested.pop(connector, None)
        else:
            self._requested[connector] = max(0.0, float(watts))

    def set_limit(self, charge_point: Any, connector: int, watts: float | None) -> None:
        """
        Smart Charging limits a connector to C{watts} from now on (C{None}:
        no limit).
        """
        self.advance(charge_point, connector)
        if watts is None:
            self._limits.pop(connector, None)
        else:
            self._limits[connector] = max(0.0, float(watts))

    def limit_watts(self, limit: float | None, unit: str, number_phases: int | None) -> float | None:
        """
        A charging limit in watts: W as is, A per phase times the volts
        and the phases charged on (errata 3.34: with more phases than are
        used, the limit is used as is for the phases that are).
        """
        if limit is None:
            return None
        if str(unit) == "W":
            return float(limit)
        return float(limit) * self.voltage * min(number_phases or 3, self.phases)

    # -- the physics ------------------------------------------------------------------------

    def offered(self, connector: int) -> float:
        """
        @return: the watts the charger offers a connector: its wiring, or
            the limit when lower.
        """
        wired = self.max_current * self.voltage * self.phases
        limit = self._limits.get(connector)
        return wired if limit is None else min(wired, limit)

    def power_of(self, connector: int, charging: bool = True) -> float:
        """
        @return: the watts a connector draws now: what is offered, what the
            vehicle asks for and what it accepts, the least of them.
        """
        if not charging:
            return 0.0
        power = self.offered(connector)
        requested = self._requested.get(connector)
        if requested is not None:
            power = min(power, requested)
        ev = self._evs.get(connector)
        if ev is not None:
            power = min(power, ev.accepts())
        return power

    def _is_charging(self, charge_point: Any, connector: int) -> bool:
        return charge_point.transaction_record(connector) is not None

    def advance(self, charge_point: Any, connector: int) -> float:
        """
        Bring a connector's register (and its vehicle's state of charge) up
        to now.

        @return: the register, Wh.
        """
        store = charge_point.store
        key = f"simulated_meter_{connector}"
        energy = store.get_meta(key, 0.0)
        now = self.clock.seconds()
        last = self._read_at.get(connector, now)
        self._read_at[connector] = now
        charging = self._is_charging(charge_point, connector)
        if charging and connector not in self._evs:
            self.plug_in(connector)
            self._arrived.add(connector)
        elif not charging and connector in self._arrived:
            self.unplug(connector)
        if now <= last or not charging:
            return energy
        added = 0.0
        ev = self._evs.get(connector)
        elapsed = now - last
        while elapsed > 0:
            step = min(elapsed, _STEP)
            wh = self.power_of(connector) * step / 3600.0
            added += wh
            if ev is not None:
                ev.soc = min(100.0, ev.soc + 100.0 * wh / ev.capacity)
            elapsed -= step
        if added:
            energy += added
            store.set_meta(key, energy)
        return energy

    def energy(self, charge_point: Any, connector: int) -> float:
        """
        @return: the energy register of a connector in Wh (0: all of them).
        """
        if connector == 0:
            return sum(self.energy(charge_point, n) for n in _outlets(charge_point))
        return self.advance(charge_point, connector)

    # -- readings ---------------------------------------------------------------------------

    def _jitter(self, value: float) -> float:
        if not self.noise or not value:
            return value
        return value * (1.0 + self._random.uniform(-self.noise, self.noise))

    def read(self, charge_point: Any, connector: int, measurand: Any, phase: Any = None) -> Any:
        """
        One reading: a L{SampledValue}, a list of them (one per phase when
        no phase is asked of a per-phase measurand), or C{None} when the
        meter does not measure it there.
        """
        measurand = Measurand(measurand)
        phase = Phase(phase) if phase else None
        if measurand is Measurand.ENERGY_ACTIVE_IMPORT_REGISTER:
            if phase is not None:
                return None  # one register for all phases
            return _value(int(self.energy(charge_point, connector)), measurand, UnitOfMeasure.WH)
        if connector == 0:
            outlets = _outlets(charge_point)
            for n in outlets:
                self.advance(charge_point, n)
            power = sum(self.power_of(n, self._is_charging(charge_point, n)) for n in outlets)
            offered = sum(self.offered(n) for n in outlets)
        else:
            self.advance(charge_point, connector)
            power = self.power_of(connector, self._is_charging(charge_point, connector))
            offered = self.offered(connector)
        if measurand is Measurand.POWER_ACTIVE_IMPORT:
            return self._per_phase(power, measurand, UnitOfMeasure.W, phase, total=True)
        if measurand is Measurand.POWER_OFFERED:
            return _value(round(offered, 1), measurand, UnitOfMeasure.W) if phase is None else None
        if measurand is Measurand.CURRENT_IMPORT:
            return self._per_phase(
                power / (self.voltage * self.phases), measurand, UnitOfMeasure.A, phase
            )
        if measurand is Measurand.CURRENT_OFFERED:
            amperes = offered / (self.voltage * self.phases)
            return _value(round(amperes, 1), measurand, UnitOfMeasure.A) if phase is None else None
        if measurand is Measurand.VOLTAGE:
            return self._voltages(phase)
        if measurand is Measurand.FREQUENCY:
            return _value(round(self._jitter(50.0), 2), measurand, None) if phase is None else None
        if measurand is Measurand.TEMPERATURE:
            return _value(25, measurand, UnitOfMeasure.CELSIUS) if phase is None else None
        if measurand is Measurand.SOC:
            ev = self._evs.get(connector) if connector else None
            if ev is None or phase is not None:
                return None
            return SampledValue(
                value=str(int(ev.soc)),
                measurand=measurand,
                location=Location.EV,
                unit=UnitOfMeasure.PERCENT,
            )
        return None

    def _per_phase(self, value, measurand, unit, phase, total=False):
        # Each phase carries an equal share: the total's share for a
        # quantity summed over phases (power), the same for one per phase
        # (current).
        share = value / self.phases if total else value
        if phase is None:
            if total:
                return _value(round(self._jitter(value), 1), measurand, unit)
            return [
                _value(round(self._jitter(share), 1), measurand, unit, each)
                for each in _PHASES[: self.phases]
            ]
        if phase not in _PHASES:
            return None
        used = phase in _PHASES[: self.phases]
        return _value(round(self._jitter(share), 1) if used else 0.0, measurand, unit, phase)

    def _voltages(self, phase):
        if phase is None:
            wanted = [_TO_NEUTRAL[each] for each in _PHASES[: self.phases]]
        elif phase in _TO_NEUTRAL:
            wanted = [_TO_NEUTRAL[phase]]
        elif phase in _TO_NEUTRAL.values():
            wanted = [phase]
        else:
            return None
        return [
            _value(round(self._jitter(self.voltage), 1), Measurand.VOLTAGE, UnitOfMeasure.V, each)
            for each in wanted
        ]


def _outlets(charge_point: Any) -> range:
    return range(1, charge_point.connector_count + 1)


def _value(number, measurand, unit, phase=None) -> SampledValue:
    return SampledValue(
        value=str(number),
        measurand=None if measurand is Measurand.ENERGY_ACTIVE_IMPORT_REGISTER else measurand,
        unit=unit,
        phase=phase,
    )
