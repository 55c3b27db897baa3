"""
What C{twistd openocpp chargepoint --count N} and C{--scenario FILE} build
(from L{openocpp.chargepoint.tap}): the simulated charge points, each with
its own identity, SQLite file, download folder and simulated meter, their
scenario runners, and the report.
"""

import dataclasses
import importlib.metadata
import os
from typing import Any

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


def simulator_plugins(meter: SimulatedMeter, plugins: Any, load_entrypoints: bool) -> Any:
    """
    The plugin manager of one simulated charge point: the
    L{SimulatorBehaviour} with its meter, then the installed plugins (with
    C{load_entrypoints}) and C{plugins}.
    """
    return make_plugin_manager(
        builtins=[SimulatorBehaviour(meter)], plugins=plugins, load_entrypoints=load_entrypoints
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
    plugins = _installed_plugins() + [load_plugin_module(name) for name in config.plugins]
    charge_points, meters = [], {}
    for n, identity in enumerate(names, 1):
        database = per_charge_point(config.database, identity, n, count, ".sqlite")
        folder = per_charge_point(config.download_folder, identity, n, count)
        if database != ":memory:" and os.path.dirname(database):
            os.makedirs(os.path.dirname(database), exist_ok=True)
        own = dataclasses.replace(config, identity=identity, database=database, download_folder=folder)
        meters[identity] = meter = simulator_meter(options, clock, n)
        charge_point = ChargePoint(
            own,
            reactor=reactor,
            plugins=simulator_plugins(meter, plugins, load_entrypoints=False),
            log_frames=bool(options["log-frames"]),
        )
        if scenario is None and options["simulate"]:
            simulator = ChargingSimulator(
                charge_point, id_tag=options["id-tag"], charge_time=options["charge-time"]
            )
            simulator.setName("simulator")
            simulator.setServiceParent(charge_point)
        charge_points.append(charge_point)
    stats = SimulatorStats(seed=options["seed"])
    report = SimulationReport(stats, lambda: charge_points, reactor, interval=options["progress"])
    fleet = Fleet(charge_points, reactor, ramp=options["ramp"])
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
