"""
What C{twistd openocpp chargepoint --count N} and C{--scenario FILE} build
(from L{openocpp.chargepoint.tap}): the simulated charge points, each with
its own identity, SQLite file, download folder and simulated meter, their
scenario runners, and the report.
"""

import dataclasses
import importlib.metadata
import os
import shutil
import tempfile
from typing import Any

from twisted.logger import LogPublisher

from openocpp.chargepoint.fleet import (
    Fleet,
    ScaledClock,
    Simulation,
    identities,
    per_charge_point,
    raise_file_limit,
)
from openocpp.chargepoint.scenario import load_scenario
from openocpp.chargepoint.service import ChargePoint
from openocpp.chargepoint.store import MIGRATIONS, ChargePointStore
from openocpp.preflight import check_role_database
from openocpp.chargepoint.simmeter import SimulatedMeter
from openocpp.chargepoint.simreport import SimulationReport, SimulatorStats
from openocpp.chargepoint.simulator import ChargingSimulator, ScenarioRunner, SimulatorBehaviour
from openocpp.plugins import ENTRY_POINT_GROUP, load_plugin_module, make_plugin_manager


def simulator_meter(options: Any, clock: Any, n: int = 1) -> SimulatedMeter:
    """
    The simulated meter of charge point C{n}: the supply options, and
    noise seeded by C{--seed} and C{n}.
    """
    config = options.config
    return SimulatedMeter(
        clock,
        voltage=config.supply_voltage,
        phases=config.supply_phases,
        max_current=config.max_current,
        noise=options["noise"],
        seed=options["seed"] * 1_000_003 + n,  # each charge point its own noise
    )


def simulator_plugins(meter_of: Any, plugins: Any, load_entrypoints: bool) -> Any:
    """
    The plugin manager of simulated charge points: the
    L{SimulatorBehaviour} with their meters (C{meter_of(charge_point)}),
    then the installed plugins (with C{load_entrypoints}) and C{plugins}.
    """
    return make_plugin_manager(
        builtins=[SimulatorBehaviour(meter_of)], plugins=plugins, load_entrypoints=load_entrypoints
    )


def _installed_plugins() -> list:
    # Loaded once: a thousand charge points must not each scan the
    # installed packages.
    return [entry.load() for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)]


def make_simulation(options: Any, reactor: Any) -> Simulation:
    """
    The L{Simulation} of C{--count} charge points (and their C{--scenario}).

    @raise ValueError: an option is wrong (the scenario file, the file
        limit); the message names it.
    """
    count = options["count"]
    names = identities(options["identity"], count)
    scenario = load_scenario(options["scenario"]) if options["scenario"] else None
    if scenario is not None:
        if scenario.connector > options["connectors"]:
            raise ValueError(
                f"--scenario {options['scenario']!r}: connector {scenario.connector} is more "
                f"than --connectors {options['connectors']}"
            )
        unknown = sorted(set(scenario.charge_points) - set(names))
        if unknown:
            raise ValueError(
                f"--scenario {options['scenario']!r}: charge point {unknown[0]!r} is not one of "
                f"--identity {options['identity']!r} with --count {count}"
            )
    raise_file_limit(count)
    clock = ScaledClock(reactor, options["speed"]) if options["speed"] != 1 else reactor
    config = options.config
    meters: dict[str, SimulatedMeter] = {}
    plugins = simulator_plugins(
        lambda charge_point: meters[charge_point.config.identity],
        _installed_plugins() + [load_plugin_module(name) for name in config.plugins],
        load_entrypoints=False,
    )
    template = _Template()
    # Each charge point keeps the log events of the global publisher for
    # its diagnostics file: a thousand observers of every event of the
    # process (the others' too) would make logging cost N times N. The
    # simulated charge points observe a publisher of their own, which no
    # one publishes to: their diagnostics files hold no log lines.
    quiet = LogPublisher()

    def make(n):
        identity = names[n - 1]
        database = per_charge_point(config.database, identity, n, count, ".sqlite")
        folder = per_charge_point(config.download_folder, identity, n, count)
        template.copy_to(database)
        ini = config.ocpp_ini
        if ini:
            # The given file is each charge point's first configuration;
            # what the central system changes is its own.
            ini = per_charge_point(config.ocpp_ini, identity, n, count, ".ini")
            if ini != config.ocpp_ini and not os.path.exists(ini):
                os.makedirs(os.path.dirname(ini) or ".", exist_ok=True)
                if os.path.exists(config.ocpp_ini):
                    shutil.copyfile(config.ocpp_ini, ini)
        own = dataclasses.replace(
            config, identity=identity, database=database, download_folder=folder, ocpp_ini=ini
        )
        meters[identity] = simulator_meter(options, clock, n)
        charge_point = ChargePoint(
            own,
            reactor=reactor,
            plugins=plugins,
            log_frames=bool(options["log-frames"]),
            log_publisher=quiet if count > 1 else None,
        )
        if scenario is None and options["simulate"]:
            simulator = ChargingSimulator(
                charge_point, id_tag=options["id-tag"], charge_time=options["charge-time"]
            )
            simulator.setName("simulator")
            simulator.setServiceParent(charge_point)
        return charge_point

    for n, identity in enumerate(names, 1):  # every existing file is a charge point's
        database = per_charge_point(config.database, identity, n, count, ".sqlite")
        if database != ":memory:" and os.path.dirname(database):
            try:
                os.makedirs(os.path.dirname(database), exist_ok=True)
            except OSError as error:
                raise ValueError(f"--db {database!r}: {error.strerror}") from None
        check_role_database("--db", database, MIGRATIONS, "charge point")
    stats = SimulatorStats(seed=options["seed"])
    fleet = Fleet(count, make, reactor, ramp=options["ramp"])
    report = SimulationReport(stats, lambda: fleet.charge_points, reactor, interval=options["progress"])
    make_runner = None
    if scenario is not None:

        def make_runner(charge_point):
            identity = charge_point.config.identity
            return ScenarioRunner(
                charge_point,
                scenario.steps_of(identity),
                meters[identity],
                stats,
                clock,
                connector=scenario.connector,
                id_tag=options["id-tag"],
                loop=bool(options["loop"]),
            )

    def finished():
        if getattr(reactor, "running", False):
            reactor.stop()

    return Simulation(fleet, report, make_runner, finished=finished)


class _Template:
    """
    A new charge point's SQLite file starts as a copy of an empty one
    made (migrated) once: copying a file costs a fifth of migrating each.
    """

    def __init__(self) -> None:
        self._path: str | None = None

    def copy_to(self, path: str) -> None:
        if path == ":memory:" or os.path.exists(path):
            return
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        if self._path is None:
            self._folder = tempfile.TemporaryDirectory(prefix="openocpp-simulator-")
            self._path = os.path.join(self._folder.name, "empty.sqlite")
            ChargePointStore(self._path).close()
        shutil.copyfile(self._path, path)
