"""
The default charge point behaviour, as a plugin registered first (so every
installed plugin overrides it): a simulated charger and meter. With it alone
the charge point accepts every request it can carry out, charges at 7.4 kW
(32 A on one 230 V phase) while a transaction runs, or what Smart Charging
limits a connector to, and restarts its service on Reset.

It "installs" a firmware by taking its version (L{simulated_firmware_version})
and asking for a reboot: the next BootNotification.req reports that
firmwareVersion.
"""

import os
from typing import Any

from twisted.logger import Logger

from openocpp.chargepoint.firmware import InstallResult
from openocpp.hookspecs import hookimpl
from openocpp.messages.enums import (
    AuthorizationStatus,
    ChargePointStatus,
    ChargingRateUnitType,
    Measurand,
    UnlockStatus,
)

#: What the simulated meter measures.
SIMULATED_MEASURANDS = frozenset(
    {
        Measurand.ENERGY_ACTIVE_IMPORT_REGISTER.value,
        Measurand.POWER_ACTIVE_IMPORT.value,
        Measurand.POWER_OFFERED.value,
        Measurand.CURRENT_IMPORT.value,
        Measurand.CURRENT_OFFERED.value,
        Measurand.VOLTAGE.value,
        Measurand.FREQUENCY.value,
        Measurand.TEMPERATURE.value,
        Measurand.SOC.value,
    }
)


def simulated_firmware_version(path: str) -> str:
    """
    The version of a firmware file for the simulated charger: the rest of
    its first line when that reads C{version=...} (up to 50 characters),
    else the file's name without its extension (C{charger-2.1.bin} is
    C{charger-2.1}).
    """
    try:
        with open(path, "rb") as firmware:
            first = firmware.read(128).split(b"\n", 1)[0].strip()
    except OSError:
        first = b""
    if first.startswith(b"version="):
        version = first[len(b"version="):].decode("utf-8", "replace").strip()
        if version:
            return version[:50]
    return os.path.splitext(os.path.basename(path))[0][:50] or "unknown"


class SimulatedMeter:
    """
    A meter per connector whose energy register grows at C{power} watts
    while a transaction runs on it, or at the connector's charging limit
    or less once Smart Charging limits it (L{set_limit}); connector 0 is
    their sum.
    The registers are kept in the charge point's SQLite file, so they never
    go back.

    @param power: watts drawn while charging with no limit.
    @param voltage: volts of the single phase.
    @ivar phases: the phases it charges on (one: C{power} is 32 A on one
        230 V phase).
    """

    phases = 1

    def __init__(self, power: float = 7360.0, voltage: float = 230.0) -> None:
        self.power = power
        self.voltage = voltage
        self._read_at: dict[int, float] = {}
        self._limits: dict[int, float] = {}

    def set_limit(self, charge_point: Any, connector: int, watts: float | None) -> None:
        """
        From now on a connector draws C{watts} while charging (C{None}: the
        meter's own C{power}); the energy up to now counts at the old power.
        """
        self.energy(charge_point, connector)
        if watts is None:
            self._limits.pop(connector, None)
        else:
            self._limits[connector] = max(0.0, float(watts))

    def power_of(self, connector: int) -> float:
        """
        @return: the watts a connector draws while charging: its own
            C{power}, or less when the limit is lower. A limit is a maximum
            (7.14: "Charging rate limit during the schedule period"): one
            above what the charger draws does not make it draw more.
        """
        limit = self._limits.get(connector)
        if limit is None or limit > self.power:
            return self.power
        return limit

    def _charging(self, charge_point: Any, connector: int) -> bool:
        return charge_point.transaction_record(connector) is not None

    def energy(self, charge_point: Any, connector: int) -> float:
        """
        The energy register of a connector in Wh (0: all of them).
        """
        if connector == 0:
            return sum(
                self.energy(charge_point, n) for n in range(1, charge_point.connector_count + 1)
            )
        store = charge_point.store
        key = f"simulated_meter_{connector}"
        energy = store.get_meta(key, 0.0)
        now = charge_point.clock.seconds()
        last = self._read_at.get(connector, now)
        self._read_at[connector] = now
        if self._charging(charge_point, connector) and now > last:
            energy += self.power_of(connector) * (now - last) / 3600.0
            store.set_meta(key, energy)
        return energy

    def read(self, charge_point: Any, connector: int, measurand: Measurand) -> Any:
        if measurand is Measurand.ENERGY_ACTIVE_IMPORT_REGISTER:
            return int(self.energy(charge_point, connector))
        if connector == 0:
            outlets = range(1, charge_point.connector_count + 1)
            power = sum(self.power_of(n) for n in outlets if self._charging(charge_point, n))
            offered = sum(self.power_of(n) for n in outlets)
        else:
            charging = self._charging(charge_point, connector)
            self.energy(charge_point, connector)
            offered = self.power_of(connector)
            power = offered if charging else 0.0
        if measurand is Measurand.POWER_ACTIVE_IMPORT:
            return power
        if measurand is Measurand.POWER_OFFERED:
            return offered
        if measurand is Measurand.CURRENT_IMPORT:
            return round(power / self.voltage, 1)
        if measurand is Measurand.CURRENT_OFFERED:
            return round(offered / self.voltage, 1)
        if measurand is Measurand.VOLTAGE:
            return self.voltage
        if measurand is Measurand.FREQUENCY:
            return 50
        if measurand is Measurand.TEMPERATURE:
            return 25
        if measurand is Measurand.SOC and connector:
            return min(100, 20 + int(self.energy(charge_point, connector) / 500) % 80)
        return None


class DefaultChargePointBehaviour:
    """
    The built-in answers of C{twistd openocpp chargepoint}: a simulated
    charger.

    @param meter: the L{SimulatedMeter}.
    @param unplug_delay: seconds a connector stays Finishing after the
        charge point stopped its transaction (the driver unplugging).
    """

    log = Logger()

    def __init__(self, meter: SimulatedMeter | None = None, unplug_delay: float = 5.0) -> None:
        self.meter = meter if meter is not None else SimulatedMeter()
        self.unplug_delay = unplug_delay

    @hookimpl
    def openocpp_cp_supported_measurands(self, charge_point):
        return SIMULATED_MEASURANDS

    @hookimpl
    def openocpp_cp_meter_value(self, charge_point, connector, measurand, phase, context):
        return self.meter.read(charge_point, connector, Measurand(measurand))

    @hookimpl
    def openocpp_cp_change_availability(self, charge_point, connector, operative):
        return True

    @hookimpl
    def openocpp_cp_remote_start(self, charge_point, connector, id_tag, charging_profile):
        return True

    @hookimpl
    def openocpp_cp_remote_stop(self, charge_point, connector, transaction_id):
        return True

    @hookimpl
    def openocpp_cp_reset_allowed(self, charge_point, type):
        return True

    @hookimpl
    def openocpp_cp_validate_configuration(self, charge_point, key, value):
        return True

    @hookimpl
    def openocpp_cp_unlock_connector(self, charge_point, connector):
        return UnlockStatus.UNLOCKED

    @hookimpl
    def openocpp_cp_start_charging(self, charge_point, connector, id_tag, charging_profile):
        """
        The simulated EV is plugged in at once: Preparing, the transaction
        starts, Charging.
        """

        def started(status):
            if charge_point.transaction_record(connector) is not None:
                if status is AuthorizationStatus.ACCEPTED:
                    return charge_point.status_notification(connector, ChargePointStatus.CHARGING)
                return charge_point.status_notification(connector, ChargePointStatus.SUSPENDED_EVSE)

        def failed(failure):
            self.log.failure("Simulated start on connector {connector} failed", failure,
                             connector=connector)
            return charge_point.status_notification(connector, ChargePointStatus.AVAILABLE)

        charge_point.status_notification(connector, ChargePointStatus.PREPARING)
        return (
            charge_point.start_transaction(connector, id_tag)
            .addCallbacks(started, failed)
            .addCallback(lambda _: True)
        )

    @hookimpl
    def openocpp_cp_stop_charging(self, charge_point, connector, reason):
        """
        Finishing, then Available once the simulated driver unplugs.
        """
        charge_point.status_notification(connector, ChargePointStatus.FINISHING)

        def unplugged():
            if charge_point.running and charge_point.transaction_record(connector) is None:
                charge_point.status_notification(connector, ChargePointStatus.AVAILABLE)

        charge_point.call_later(self.unplug_delay, unplugged)

    @hookimpl
    def openocpp_cp_charging_limit_changed(self, charge_point, connector_id, limit, unit, number_phases):
        """
        The simulated charger obeys Smart Charging: its meter's power
        follows the limit (watts, or amperes per phase * volts * the phases
        it charges on).

        The simulated charger charges on one phase: an A limit is the
        current of that phase, whatever numberPhases says (errata 3.34:
        with more phases than are used "The Charge Point SHALL use the
        'limit' as is given, for the amount of phases that are/can be used
        for charging"), so that Current.Import never exceeds the limit.
        """
        if limit is None:
            watts = None
        elif unit == ChargingRateUnitType.W:
            watts = limit
        else:
            watts = limit * self.meter.voltage * min(number_phases or 3, self.meter.phases)
        self.log.info(
            "Simulated charger on connector {connector} draws {watts} W",
            connector=connector_id,
            watts="its maximum" if watts is None else round(watts, 1),
        )
        self.meter.set_limit(charge_point, connector_id, watts)

    @hookimpl
    def openocpp_cp_connection_timeout(self, charge_point, connector):
        charge_point.status_notification(connector, ChargePointStatus.AVAILABLE)

    @hookimpl
    def openocpp_cp_transaction_deauthorized(self, charge_point, connector, status):
        charge_point.status_notification(connector, ChargePointStatus.SUSPENDED_EVSE)

    @hookimpl
    def openocpp_cp_reservation_changed(self, charge_point, connector, reservation_id, id_tag, state):
        """
        The simulated charger has no LED to light: it logs the change.
        """
        self.log.info(
            "Simulated charger: reservation {reservation_id} of connector {connector} for "
            "{id_tag} {state}",
            reservation_id=reservation_id,
            connector=connector,
            id_tag=id_tag,
            state=str(state),
        )

    @hookimpl
    def openocpp_cp_reset(self, charge_point, type):
        return charge_point.restart().addCallback(lambda _: True)

    @hookimpl
    def openocpp_cp_install_firmware(self, charge_point, path, location):
        """
        Record the firmware's version and reboot (the charge point reports
        Installed once booted again, with that firmwareVersion).
        """
        version = simulated_firmware_version(path)
        self.log.info("Simulated firmware {version} installed: rebooting", version=version)
        return InstallResult.reboot(version)

    @hookimpl
    def openocpp_cp_connection_changed(self, charge_point, connected):
        pass

    @hookimpl
    def openocpp_cp_registration_changed(self, charge_point, status):
        pass
