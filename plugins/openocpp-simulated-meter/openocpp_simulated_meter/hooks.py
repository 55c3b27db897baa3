"""
The hooks of the simulated three-phase meter. Registered under the
C{openocpp} entry-point group, so an installed copy overrides the built-in
single-phase simulated meter.
"""

from openocpp import hookimpl
from openocpp.chargepoint.keys import KeyDefinition, KeyType
from openocpp.messages.datatypes import SampledValue
from openocpp.messages.enums import Location, Measurand, Phase, UnitOfMeasure

VOLTAGE = 230.0
PHASES = (Phase.L1, Phase.L2, Phase.L3)

MEASURANDS = frozenset(
    {
        Measurand.ENERGY_ACTIVE_IMPORT_REGISTER.value,
        Measurand.POWER_ACTIVE_IMPORT.value,
        Measurand.CURRENT_IMPORT.value,
        Measurand.CURRENT_OFFERED.value,
        Measurand.VOLTAGE.value,
    }
)


def _current(charge_point) -> float:
    return float(charge_point.ocpp_config.integer("SimulatedMeterMaxCurrent"))


def _charging(charge_point, connector: int) -> bool:
    if connector == 0:
        return any(
            charge_point.transaction_record(n) is not None
            for n in range(1, charge_point.connector_count + 1)
        )
    return charge_point.transaction_record(connector) is not None


def _energy(charge_point, connector: int) -> float:
    if connector == 0:
        return sum(_energy(charge_point, n) for n in range(1, charge_point.connector_count + 1))
    # The register (Wh) and when it was read last are kept in the charge
    # point's own file: the plugin holds no state.
    store = charge_point.store
    key = f"simulated_3phase_meter_{connector}"
    energy, last = store.get_meta(key, [0.0, None])
    now = charge_point.clock.seconds()
    if last is not None and _charging(charge_point, connector):
        energy += 3 * VOLTAGE * _current(charge_point) * (now - last) / 3600.0
    store.set_meta(key, [energy, now])
    return energy


@hookimpl
def openocpp_cp_configuration_keys(charge_point):
    return [
        KeyDefinition(
            name="SimulatedMeterMaxCurrent", type=KeyType.INTEGER, readonly=False,
            default="16", minimum=6, maximum=63, unit="A", profile="SimulatedMeter",
            description="Amperes per phase the simulated EV draws.",
        )
    ]


@hookimpl
def openocpp_cp_supported_measurands(charge_point):
    return MEASURANDS


@hookimpl
def openocpp_cp_meter_value(charge_point, connector, measurand, phase, context):
    location = Location.OUTLET if connector else Location.INLET
    if measurand == Measurand.ENERGY_ACTIVE_IMPORT_REGISTER:
        return SampledValue(value=str(int(_energy(charge_point, connector))),
                            measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                            location=location, unit=UnitOfMeasure.WH)
    charging = _charging(charge_point, connector)
    current = _current(charge_point) if charging else 0.0
    if measurand == Measurand.POWER_ACTIVE_IMPORT:
        return SampledValue(value=str(round(3 * VOLTAGE * current)), location=location,
                            unit=UnitOfMeasure.W)
    per_phase = {
        Measurand.VOLTAGE: (VOLTAGE, UnitOfMeasure.V),
        Measurand.CURRENT_IMPORT: (current, UnitOfMeasure.A),
        Measurand.CURRENT_OFFERED: (_current(charge_point), UnitOfMeasure.A),
    }.get(Measurand(measurand))
    if per_phase is None:
        return None
    value, unit = per_phase
    return [
        SampledValue(value=str(value), phase=p, location=location, unit=unit)
        for p in ([Phase(phase)] if phase else PHASES)
    ]
