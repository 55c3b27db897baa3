"""
Tests for the simulator's scenario runner (L{openocpp.chargepoint.simulator.ScenarioRunner})
on a scripted central system and a L{task.Clock}, and for the example
scenarios of C{examples/scenarios} run by C{twistd openocpp chargepoint
--count 2 --scenario FILE} against an openocpp central system on loopback.
"""

import glob
import os
import sqlite3

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.centralsystem.tap import CentralSystemOptions
from openocpp.centralsystem.tap import make_service as make_central_system
from openocpp.chargepoint.scenario import parse_scenario
from openocpp.chargepoint.simmeter import SimulatedMeter
from openocpp.chargepoint.simreport import SimulatorStats
from openocpp.chargepoint.simulator import ScenarioRunner, SimulatorBehaviour
from openocpp.chargepoint.tap import ChargePointOptions, make_service
from openocpp.messages import AuthorizeResponse, IdTagInfo, ResetRequest
from openocpp.messages.enums import ResetType
from tests.chargepoint.fake_centralsystem import ScriptedCentralSystem, make_charge_point
from tests.chargepoint.test_scenario import EXAMPLES


def assert_near(test, first, second, delta):
    test.assertTrue(abs(first - second) <= delta, f"{first} is not within {delta} of {second}")


class RunnerTests(SynchronousTestCase):
    """
    Each step does what the format says, against a scripted central system.
    """

    def setUp(self):
        self.clock = Clock()
        self.cs = ScriptedCentralSystem(self, self.clock)
        self.meter = SimulatedMeter(self.clock, voltage=230, phases=3, max_current=32)
        self.cp = make_charge_point(
            self, self.clock, plugins=[SimulatorBehaviour(lambda charge_point: self.meter)]
        )
        self.stats = SimulatorStats()
        self.cp.startService()
        self.addCleanup(self.cp.stopService)
        self.cs.connect(self.cp)
        self.cs.clear()

    def run_steps(self, steps, seconds):
        runner = ScenarioRunner(self.cp, parse_scenario(steps).steps, self.meter, self.stats, self.clock)
        done = runner.start()
        finished = []
        done.addCallback(finished.append)
        self.cs.advance(seconds, step=5)
        return finished

    def statuses(self):
        return [r.status.value for r in self.cs.requests("StatusNotification")]

    def test_session(self):
        """
        plug_in, authorize, charge and unplug: Preparing, Authorize,
        StartTransaction, Charging, the kWh at the kW asked (in the time
        it takes), StopTransaction, Finishing, Available; counted in the
        stats with the calls' latency.
        """
        finished = self.run_steps(
            ["plug_in", {"authorize": "TAG-1"}, {"charge": {"kwh": 5.5, "kw": 11}}, "unplug"], 1900
        )
        self.assertEqual(finished, [None])
        self.assertEqual(self.cs.requests("Authorize")[0].id_tag, "TAG-1")
        start, stop = self.cs.requests("StartTransaction")[0], self.cs.requests("StopTransaction")[0]
        self.assertEqual(start.id_tag, "TAG-1")
        assert_near(self, stop.meter_stop - start.meter_start, 5500, 1)
        assert_near(self, (stop.timestamp - start.timestamp).total_seconds(), 1800, 5)
        self.assertEqual(self.statuses(), ["Preparing", "Charging", "Finishing", "Available"])
        self.assertEqual((self.stats.sessions_started, self.stats.sessions_completed), (1, 1))
        assert_near(self, self.stats.energy_wh, 5500, 1)
        self.assertEqual(sorted(self.stats.latencies), ["Authorize", "StartTransaction"])
        self.assertEqual(dict(self.stats.errors), {})

    def test_refused_tag_is_an_error(self):
        """
        An idTag the central system refuses counts as an error of its kind.
        """
        self.cs.answers["Authorize"] = lambda r: AuthorizeResponse(id_tag_info=IdTagInfo(status="Blocked"))
        self.run_steps([{"authorize": "BAD"}], 10)
        self.assertEqual(dict(self.stats.errors), {"Authorize Blocked": 1})

    def test_fault(self):
        """
        fault reports Faulted with its errorCode and info, then Available
        after its seconds.
        """
        self.run_steps([{"fault": {"errorCode": "GroundFailure", "info": "RCD", "seconds": 30}}], 40)
        faulted, available = self.cs.requests("StatusNotification")
        self.assertEqual((faulted.status.value, faulted.error_code.value, faulted.info),
                         ("Faulted", "GroundFailure", "RCD"))
        self.assertEqual((available.status.value, available.error_code.value), ("Available", "NoError"))

    def test_answer(self):
        """
        answer makes the charge point answer a request with the status
        chosen (here Reset Rejected: no reboot follows), until an answer
        step without a status gives its own answers back.
        """
        self.run_steps([{"answer": {"action": "Reset", "status": "Rejected"}}], 1)
        answered = []
        self.cs.call(ResetRequest(type=ResetType.HARD)).addCallback(answered.append)
        self.cs.advance(5)
        self.assertEqual(answered[0].status.value, "Rejected")
        self.assertEqual(self.cs.requests("BootNotification"), [])
        self.run_steps([{"answer": {"action": "Reset"}}], 1)
        self.cs.call(ResetRequest(type=ResetType.SOFT)).addCallback(answered.append)
        self.assertEqual(answered[1].status.value, "Accepted")

    def test_wait_and_repeat(self):
        """
        repeat runs its steps the times given; wait lets the seconds pass.
        """
        finished = self.run_steps(
            [{"repeat": {"times": 3, "steps": ["plug_in", {"wait": 10}, "unplug", {"wait": 10}]}}], 55
        )
        self.assertEqual(finished, [])
        self.cs.advance(10)
        self.assertEqual(finished, [None])
        self.assertEqual(self.statuses(), ["Preparing", "Available"] * 3)

    def test_charge_ends_when_the_ev_is_full(self):
        """
        An EV that is full before the energy asked ends the session: the
        energy is what it took.
        """
        self.meter.plug_in(1).soc = 95
        self.run_steps([{"charge": {"kwh": 50, "kw": 22}}], 4 * 3600)
        self.assertEqual(self.stats.sessions_completed, 1)
        assert_near(self, self.stats.energy_wh, 3000, 5)
        self.assertEqual(self.meter.ev(1).soc, 100.0)

    def counting_answers(self, most):
        """
        Count the runner's writes to the charge point's answers; past
        C{most}, end it (a C{CancelledError}, which the steps pass on), so
        that steps holding the reactor fail the test instead of hanging it.
        """
        from twisted.internet.defer import CancelledError

        written = []

        class Answers(dict):
            def __setitem__(self, key, value):
                written.append(key)
                if len(written) > most:
                    raise CancelledError("steps held the reactor")
                super().__setitem__(key, value)

        self.cp.answers = Answers(self.cp.answers)
        return written

    def one_turn(self):
        """
        What one iteration of a reactor runs: the calls due when it starts
        (C{Clock.advance(0)} would also run those they schedule for now).
        """
        due = [call for call in self.clock.calls if call.getTime() <= self.clock.seconds()]
        for call in due:
            self.clock.calls.remove(call)
            call.func(*call.args, **call.kw)

    def test_repeat_of_steps_that_do_not_wait_gives_the_reactor_turns(self):
        """
        A repeat of steps that wait for nothing (answer) runs one round a
        reactor turn, not all of them in the turn it starts: a huge C{times}
        cannot hold the reactor (no I/O, no SIGTERM handled).
        """
        written = self.counting_answers(most=50)
        steps = [{"repeat": {"times": 40, "steps": [{"answer": {"action": "Reset", "status": "Rejected"}}]}}]
        runner = ScenarioRunner(self.cp, parse_scenario(steps).steps, self.meter, self.stats, self.clock)
        done = runner.start()
        self.assertEqual(len(written), 1)
        self.assertFalse(done.called)
        self.one_turn()
        self.assertEqual(len(written), 2)
        for _ in range(39):
            self.one_turn()
        self.assertEqual(len(written), 40)
        self.assertIsNone(self.successResultOf(done))

    def test_loop_of_steps_that_do_not_wait_gives_the_reactor_turns(self):
        """
        With C{loop}, steps that wait for nothing run one round a reactor
        turn, again and again, until stopped.
        """
        written = self.counting_answers(most=50)
        steps = [{"answer": {"action": "Reset", "status": "Rejected"}}]
        runner = ScenarioRunner(self.cp, parse_scenario(steps).steps, self.meter, self.stats, self.clock,
                                loop=True)
        done = runner.start()
        self.assertEqual(len(written), 1)
        for _ in range(3):
            self.one_turn()
        self.assertEqual(len(written), 4)
        runner.stop()
        self.one_turn()
        self.assertEqual(len(written), 4)
        self.assertTrue(done.called)

    def test_stop_cancels(self):
        """
        Stopping the runner ends its scenario where it is.
        """
        runner = ScenarioRunner(self.cp, parse_scenario([{"wait": 100}]).steps, self.meter,
                                self.stats, self.clock)
        done = runner.start()
        self.cs.advance(5)
        runner.stop()
        self.assertIsInstance(done, Deferred)
        self.assertEqual([c for c in self.clock.getDelayedCalls() if c.getTime() == 100], [])


class ExampleScenarioTests(TestCase):
    """
    The example scenarios run to their end, time compressed with C{--speed},
    against an openocpp central system on loopback, two charge points each.
    """

    timeout = 120

    async def run_example(self, path):
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        database = os.path.join(folder, "cs.sqlite")
        options = CentralSystemOptions()
        options.parseOptions(["--db", database, "--listen", "tcp:0:interface=127.0.0.1",
                              "--accept-any-idtag"])
        central = make_central_system(options, reactor)
        central.startService()
        self.addCleanup(central.stopService)
        port = (await central.when_listening()).getHost().port
        cp_options = ChargePointOptions()
        cp_options.parseOptions([
            "--url", f"ws://127.0.0.1:{port}/openocpp", "--count", "2", "--identity", "EX{n}",
            "--db", os.path.join(folder, "cps", "{identity}.sqlite"), "--scenario", path,
            "--speed", "2000", "--ramp", "0", "--progress", "0",
            "--download-folder", os.path.join(folder, "downloads"),
        ])
        simulation = make_service(cp_options, reactor)
        finished = Deferred()
        simulation._finished = lambda: finished.callback(None)
        simulation.startService()
        self.addCleanup(simulation.stopService)
        for cp in simulation.fleet.charge_points:
            cp.config.reconnect_initial_delay = 0.05
        await finished
        return simulation, database

    async def test_examples(self):
        paths = sorted(glob.glob(os.path.join(EXAMPLES, "*")))
        self.assertGreaterEqual(len(paths), 2)
        for path in paths:
            simulation, database = await self.run_example(path)
            stats = simulation.report.stats
            self.assertEqual(dict(stats.errors), {}, path)
            self.assertGreater(stats.sessions_completed, 0, path)
            self.assertEqual(stats.sessions_completed, stats.sessions_started, path)
            connection = sqlite3.connect(database)
            try:
                rows = connection.execute(
                    "SELECT identity, meter_stop - meter_start FROM transactions ORDER BY identity"
                ).fetchall()
            finally:
                connection.close()
            self.assertEqual(sorted({row[0] for row in rows}), ["EX1", "EX2"], path)
            # The registers are whole Wh: each transaction rounds by less
            # than 1 Wh. Nothing more, however long the stop takes: the
            # vehicle draws nothing once its energy is delivered (it drew
            # at its maximum until the StopTransaction's reading, kWh at
            # --speed 2000 on a busy machine).
            assert_near(self, sum(row[1] for row in rows), stats.energy_wh, len(rows))
            await simulation.stopService()
