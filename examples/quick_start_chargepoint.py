"""
Quick start: an OCPP 1.6-J charge point embedded in a Twisted program, like
the Open OCPP quick start. It connects to a central system, registers, and
runs charging sessions on connector 1 in a loop: the driver plugs in
(Preparing), badges (Authorize), charges (StartTransaction, Charging),
stops (StopTransaction, Finishing) and unplugs (Available).

The site's behaviour is a plugin: here it reads a (pretend) three-phase
meter and logs what the central system asks. Its OCPP configuration keys
live in an INI file (copied from examples/chargepoint.ini on first run),
its state in an SQLite file.

    python examples/quick_start_chargepoint.py [URL] [IDENTITY]
    python examples/quick_start_chargepoint.py ws://127.0.0.1:8080/openocpp CP001

Start a central system first, e.g. ``twistd -n openocpp centralsystem``.
"""

import os
import shutil
import sys

from twisted.internet import task
from twisted.internet.defer import inlineCallbacks
from twisted.logger import Logger, globalLogBeginner, textFileLogObserver

from openocpp import hookimpl
from openocpp.chargepoint import ChargePoint, ChargePointConfig
from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.messages.datatypes import SampledValue
from openocpp.messages.enums import (
    AuthorizationStatus,
    ChargePointStatus,
    Measurand,
    Phase,
    RegistrationStatus,
)
from openocpp.plugins import make_plugin_manager

log = Logger()

HERE = os.path.dirname(os.path.abspath(__file__))


class QuickStartSite:
    """
    The site plugin: a three-phase meter, and a log of the central system's
    requests. Hooks it does not implement keep the built-in simulated
    behaviour (accept remote starts, restart on reset, ...).
    """

    def __init__(self, clock):
        self.clock = clock
        self.energy = {1: 0.0, 2: 0.0}
        self.power = 11000.0  # 3 x 16 A x 230 V
        self.read_at = {}

    def _energy(self, charge_point, connector):
        now = self.clock.seconds()
        last = self.read_at.get(connector, now)
        self.read_at[connector] = now
        if charge_point.transaction_record(connector) is not None:
            self.energy[connector] += self.power * (now - last) / 3600
        return self.energy[connector]

    @hookimpl
    def openocpp_cp_supported_measurands(self, charge_point):
        return {Measurand.ENERGY_ACTIVE_IMPORT_REGISTER, Measurand.CURRENT_IMPORT,
                Measurand.VOLTAGE, Measurand.POWER_ACTIVE_IMPORT}

    @hookimpl
    def openocpp_cp_meter_value(self, charge_point, connector, measurand, phase, context):
        if connector == 0:
            if measurand == Measurand.ENERGY_ACTIVE_IMPORT_REGISTER:
                return int(sum(self._energy(charge_point, n) for n in self.energy))
            return None
        charging = charge_point.transaction_record(connector) is not None
        if measurand == Measurand.ENERGY_ACTIVE_IMPORT_REGISTER:
            return int(self._energy(charge_point, connector))
        if measurand == Measurand.POWER_ACTIVE_IMPORT:
            return self.power if charging else 0
        phases = [phase] if phase else [Phase.L1, Phase.L2, Phase.L3]
        if measurand == Measurand.VOLTAGE:
            return [SampledValue(value="230", phase=p, unit="V") for p in phases]
        if measurand == Measurand.CURRENT_IMPORT:
            amps = "16" if charging else "0"
            return [SampledValue(value=amps, phase=p, unit="A") for p in phases]
        return None

    @hookimpl
    def openocpp_cp_registration_changed(self, charge_point, status):
        log.info("Quick start: registration {status}", status=status.value)

    @hookimpl
    def openocpp_cp_configuration_changed(self, charge_point, key, value):
        log.info("Quick start: {key} is now {value}", key=key, value=value)

    @hookimpl
    def openocpp_cp_reset(self, charge_point, type):
        log.info("Quick start: {type} reset asked: restarting the stack", type=type.value)
        return None  # the built-in behaviour restarts the service


def make_charge_point(reactor, url, identity, directory="."):
    """
    The quick start's charge point (not started).
    """
    ini = os.path.join(directory, "quick_start_chargepoint.ini")
    if not os.path.exists(ini):
        shutil.copy(os.path.join(HERE, "chargepoint.ini"), ini)
    config = ChargePointConfig(
        url=url,
        identity=identity,
        database=os.path.join(directory, "quick_start_chargepoint.sqlite"),
        ocpp_ini=ini,
        vendor="openocpp",
        model="Quick start",
        firmware_version="1.0",
    )
    plugins = make_plugin_manager(
        builtins=[DefaultChargePointBehaviour()], plugins=[QuickStartSite(reactor)]
    )
    return ChargePoint(config, reactor=reactor, plugins=plugins)


@inlineCallbacks
def charging_sessions(
    reactor, charge_point, sessions=None, id_tag="QS-0001", charge_time=30.0, pause=2.0, idle=5.0
):
    """
    Run charging sessions on connector 1 (C{sessions} of them, or forever):
    C{charge_time} seconds of charging, C{pause} seconds to unplug, C{idle}
    seconds between sessions.
    """
    sleep = lambda seconds: task.deferLater(reactor, seconds, lambda: None)  # noqa: E731
    done = 0
    while sessions is None or done < sessions:
        registration = yield charge_point.registration_status()
        if registration is not RegistrationStatus.ACCEPTED:
            yield sleep(1)
            continue
        yield charge_point.status_notification(1, ChargePointStatus.PREPARING)
        status, parent = yield charge_point.authorize(1, id_tag)
        log.info("Quick start: {id_tag} is {status}", id_tag=id_tag, status=status.value)
        if status is AuthorizationStatus.ACCEPTED:
            yield charge_point.start_transaction(1, id_tag)
            yield charge_point.status_notification(1, ChargePointStatus.CHARGING)
            yield sleep(charge_time)
            yield charge_point.stop_transaction(1, id_tag)
        yield charge_point.status_notification(1, ChargePointStatus.FINISHING)
        yield sleep(pause)
        yield charge_point.status_notification(1, ChargePointStatus.AVAILABLE)
        done += 1
        yield sleep(idle)


def main(reactor, url="ws://127.0.0.1:8080/openocpp", identity="CP001"):
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)])
    charge_point = make_charge_point(reactor, url, identity)
    charge_point.startService()
    reactor.addSystemEventTrigger("before", "shutdown", charge_point.stopService)
    return charging_sessions(reactor, charge_point)


if __name__ == "__main__":
    task.react(main, sys.argv[1:])
