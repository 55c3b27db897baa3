"""
Tests for many simulated charge points in one process
(L{openocpp.chargepoint.fleet}, L{openocpp.chargepoint.simtap}) and their
options of C{twistd openocpp chargepoint}.
"""

import os

from twisted.application.service import Service
from twisted.internet.task import Clock
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.fleet import Fleet, ScaledClock, Simulation, identities, per_charge_point
from openocpp.chargepoint.service import ChargePoint
from openocpp.chargepoint.simreport import SimulationReport, SimulatorStats, percentile
from openocpp.chargepoint.tap import ChargePointOptions, make_service


def parse(*arguments):
    options = ChargePointOptions()
    options.parseOptions(list(arguments))
    return options


class IdentityTests(SynchronousTestCase):
    def test_template(self):
        """
        The identity template is formatted with C{n} from 1.
        """
        self.assertEqual(identities("SIM{n:04d}", 3), ["SIM0001", "SIM0002", "SIM0003"])
        self.assertEqual(identities("CP001", 1), ["CP001"])

    def test_template_errors(self):
        """
        Without C{{n}} and more than one charge point, a template that does
        not format, one giving an identity that is none (too long, a path
        separator: which one is named), or one giving two the same
        identity: one error naming C{--identity}.
        """
        for template, count, message in [
            ("SIM", 2, "--identity 'SIM' must hold {n} (e.g. 'SIM{n:04d}') with --count 2"),
            ("SIM{m}", 1, "--identity 'SIM{m}' is not a template of {n}: 'm'"),
            ("SIM{n:.0}", 2, "--identity 'SIM{n:.0}' is not a template of {n}: "
                             "Precision not allowed in integer format specifier"),
            ("SIM{n:.0e}", 11, "--identity 'SIM{n:.0e}' gives two charge points the same identity"),
            ("SIM{n:099d}", 2, f"--identity 'SIM{{n:099d}}' gives 'SIM{1:099d}': "
                               "charge point identity is 102 characters long, more than 48"),
            ("A/{n}", 2, "--identity 'A/{n}' gives 'A/1': charge point identity contains a '/' (a path separator)"),
            ("A/B", 1, "--identity 'A/B': charge point identity contains a '/' (a path separator)"),
        ]:
            with self.assertRaises(ValueError) as caught:
                identities(template, count)
            self.assertEqual(str(caught.exception), message)

    def test_options(self):
        """
        On the command line the mistakes are usage errors naming the option.
        """
        for arguments, message in [
            (["--count", "3", "--identity", "CP1"], "--identity 'CP1' must hold {n}"),
            (["--count", "0"], "--count must be 1 or more, not 0"),
            (["--ramp", "-1"], "--ramp must be 0 or more, not -1.0"),
            (["--speed", "0"], "--speed must be a positive number, not 0.0"),
            (["--loop"], "--loop runs a --scenario again: give one"),
        ]:
            with self.assertRaises(usage.UsageError) as caught:
                parse(*arguments)
            self.assertIn(message, str(caught.exception))
            self.assertNotIn("\n", str(caught.exception))

    def test_scenario_errors_at_start(self):
        """
        A bad scenario file is refused when the service is made: one line
        naming C{--scenario}, the step and the field.
        """
        folder = self.mktemp()
        os.makedirs(folder)
        path = os.path.join(folder, "bad.yaml")
        with open(path, "w") as file:
            file.write("- plug_in\n- charge: {kwh: 10}\n")
        options = parse("--scenario", path, "--db", os.path.join(folder, "cp.sqlite"))
        with self.assertRaises(usage.UsageError) as caught:
            make_service(options, Clock())
        self.assertEqual(
            str(caught.exception),
            f"--scenario {path!r}: step 2 (charge): kw must be a positive number, not None",
        )


class PathTests(SynchronousTestCase):
    def test_per_charge_point(self):
        """
        A path with C{{identity}} or C{{n}} is a template; else, with more
        than one charge point, it becomes a folder of one file each.
        """
        self.assertEqual(per_charge_point("x/{identity}.db", "A", 1, 2), "x/A.db")
        self.assertEqual(per_charge_point("x/{n}/cp.db", "A", 7, 9), "x/7/cp.db")
        self.assertEqual(per_charge_point("cp.sqlite", "A", 1, 1, ".sqlite"), "cp.sqlite")
        self.assertEqual(per_charge_point("cp.sqlite", "A", 1, 2, ".sqlite"), os.path.join("cp", "A.sqlite"))
        self.assertEqual(per_charge_point("downloads", "A", 1, 2), os.path.join("downloads", "A"))
        self.assertEqual(per_charge_point(":memory:", "A", 1, 2, ".sqlite"), ":memory:")


class FleetTests(SynchronousTestCase):
    def test_ramp(self):
        """
        Charge points are built and started C{ramp} a second, in order, and
        all stopped together.
        """
        clock = Clock()
        made = []

        def make(n):
            service = Service()
            service.n = n
            made.append(n)
            return service

        started = []
        fleet = Fleet(5, make, clock, ramp=2, started=lambda s: started.append(s.n))
        fleet.startService()
        clock.advance(0)
        self.assertEqual(started, [1])
        clock.advance(0.5)
        self.assertEqual(started, [1, 2])
        clock.advance(1.5)
        self.assertEqual(started, [1, 2, 3, 4, 5])
        self.assertTrue(all(s.running for s in fleet.charge_points))
        fleet.stopService()
        self.assertFalse(any(s.running for s in fleet.charge_points))
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_stopped_before_all_started(self):
        clock = Clock()
        fleet = Fleet(10, lambda n: Service(), clock, ramp=1)
        fleet.startService()
        clock.advance(2)
        fleet.stopService()
        self.assertEqual(len(fleet.charge_points), 3)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_scaled_clock(self):
        clock = Clock()
        clock.advance(100)
        fast = ScaledClock(clock, 60)
        fired = []
        fast.callLater(120, fired.append, True)
        clock.advance(2)
        self.assertEqual(fired, [True])
        self.assertEqual(fast.seconds(), 100 + 120)


class SimulationTests(SynchronousTestCase):
    def test_count_builds_charge_points_with_their_own_files(self):
        """
        C{--count 3 --identity SIM{n:04d}} builds a simulation whose charge
        points, started along the ramp, each have their identity, SQLite file
        in the folder of C{--db} and download folder.
        """
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        clock = Clock()
        options = parse(
            "--count", "3", "--identity", "SIM{n:04d}", "--simulate", "--ramp", "10",
            "--db", os.path.join(folder, "cps.sqlite"), "--download-folder", os.path.join(folder, "dl"),
        )
        simulation = make_service(options, clock)
        self.assertIsInstance(simulation, Simulation)
        simulation.fleet._start = lambda n: simulation.fleet.charge_points.append(simulation.fleet.make(n))
        simulation.startService()
        clock.advance(1)
        cps = simulation.fleet.charge_points
        self.addCleanup(lambda: [cp.store.close() for cp in cps])
        self.assertEqual([cp.config.identity for cp in cps], ["SIM0001", "SIM0002", "SIM0003"])
        self.assertTrue(all(isinstance(cp, ChargePoint) for cp in cps))
        self.assertEqual(
            [cp.config.database for cp in cps],
            [os.path.join(folder, "cps", f"SIM000{n}.sqlite") for n in (1, 2, 3)],
        )
        self.assertTrue(all(os.path.exists(cp.config.database) for cp in cps))
        self.assertEqual(cps[2].config.download_folder, os.path.join(folder, "dl", "SIM0003"))
        self.assertEqual(cps[0].getServiceNamed("simulator").charge_point, cps[0])
        self.assertIs(cps[0].plugins, cps[1].plugins)  # one plugin manager for all
        simulation.stopService()


class ReportTests(SynchronousTestCase):
    def test_percentile(self):
        values = [i / 1000 for i in range(1, 101)]
        self.assertEqual(percentile(values, 0.5), 0.05)
        self.assertEqual(percentile(values, 0.99), 0.099)
        self.assertIsNone(percentile([], 0.5))

    def test_lines(self):
        """
        The progress line counts connected charge points, sessions, energy
        and errors; the summary adds errors by kind and latency percentiles.
        """
        stats = SimulatorStats()
        stats.sessions_started, stats.sessions_completed, stats.energy_wh = 3, 2, 21500
        stats.error("Authorize Blocked")
        stats.error("Authorize Blocked")
        for ms in range(1, 101):
            stats.latency("Authorize", ms / 1000)
        self.assertEqual(
            stats.progress(998, 1000, 1),
            "Simulator: 998/1000 charge points connected, 1 sessions charging, 2 completed, "
            "21.5 kWh, 2 errors",
        )
        self.assertEqual(stats.summary(), [
            "Simulator summary: 3 sessions started, 2 completed, 21.500 kWh",
            "Simulator summary: 2 errors (Authorize Blocked: 2)",
            "Simulator summary: call latency p50 50.0 ms, p99 99.0 ms (100 calls: Authorize p50 50.0 ms)",
        ])

    def test_progress_every_interval(self):
        clock = Clock()
        report = SimulationReport(SimulatorStats(), lambda: [], clock, interval=10)
        lines = []
        report.progress = lambda: lines.append(clock.seconds())
        report.startService()
        clock.pump([5] * 7)
        report.stopService()
        self.assertEqual(lines, [10, 20, 30])
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_progress_counts_the_charge_points(self):
        """
        The progress line counts the connected charge points and the
        transactions running on those that run.
        """
        class Store:
            def __init__(self, running):
                self.running = running

            def running_transactions(self):
                return [object()] * self.running

        class CP:
            def __init__(self, connected, running, transactions):
                self.connected, self.running, self.store = connected, running, Store(transactions)

        cps = [CP(True, True, 2), CP(False, True, 1), CP(False, False, 1)]
        report = SimulationReport(SimulatorStats(), lambda: cps, Clock(), interval=0)
        self.assertEqual(
            report.progress(),
            "Simulator: 1/3 charge points connected, 3 sessions charging, 0 completed, 0.0 kWh, 0 errors",
        )
