"""
Tests for L{openocpp.stalls}: slow reactor turns found and named.
"""

import functools

from twisted.internet.base import ReactorBase
from twisted.internet.task import Clock, LoopingCall
from twisted.logger import Logger, formatEvent
from twisted.trial.unittest import SynchronousTestCase

from openocpp.stalls import SUMMARY_INTERVAL, StallDetector, describe, describe_selectable


class FakeTimer:
    """
    The detector's monotonic clock, advanced by the work a test pretends
    to do.
    """

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class TurnReactor(ReactorBase):
    """
    Twisted's own reactor base (its C{runUntilCurrent}, C{callLater},
    C{callFromThread}) with no waker, no threads and no I/O of its own: a
    test runs its turns by hand with L{turn}.
    """

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__()

    def installWaker(self) -> None:
        pass

    def _initThreads(self) -> None:
        pass

    def wakeUp(self) -> None:
        pass

    def seconds(self) -> float:
        return self.now

    def _doReadOrWrite(self, selectable, fd, event) -> None:
        selectable.doRead()

    def turn(self, *selectables) -> None:
        """
        One turn as the reactor's loop makes it: the I/O events of a poll,
        then the due timed calls.
        """
        for selectable in selectables:
            self._doReadOrWrite(selectable, 0, 1)
        self.runUntilCurrent()


class Busy:
    """
    A protocol's transport: reading takes C{seconds}.
    """

    def __init__(self, timer: FakeTimer, seconds: float, protocol=None) -> None:
        self.timer = timer
        self.seconds = seconds
        self.protocol = protocol

    def doRead(self) -> None:
        self.timer.advance(self.seconds)


class Store:
    """
    Something a timed call runs.
    """

    def __init__(self, timer: FakeTimer, seconds: float) -> None:
        self.timer = timer
        self.seconds = seconds

    def write_last_seen(self) -> None:
        self.timer.advance(self.seconds)


class ChargePointProtocol:
    pass


class StallDetectorTests(SynchronousTestCase):
    """
    L{StallDetector} logs the reactor turns over its threshold with what ran.
    """

    def setUp(self) -> None:
        self.timer = FakeTimer()
        self.reactor = TurnReactor()
        self.clock = Clock()
        self.collector = []
        self.events = []
        self.detector = StallDetector(
            self.reactor,
            0.001,
            clock=self.clock,
            timer=self.timer,
            cpu_timer=self.timer,
            collector_callbacks=self.collector,
        )
        self.detector.log = Logger(observer=self.events.append)
        self.detector.startService()
        self.addCleanup(self._stop)
        del self.events[:]  # the start-up line

    def _stop(self) -> None:
        if self.detector.running:
            self.detector.stopService()

    def warnings(self) -> list[str]:
        return [formatEvent(event) for event in self.events if event["log_level"].name == "warn"]

    def test_slow_timed_call_named(self):
        """
        A turn whose timed call takes longer than the threshold is logged
        once, naming the call and its duration; it counts as a stall whose
        cause is that call.
        """
        store = Store(self.timer, 0.005)
        self.reactor.callLater(0, store.write_last_seen)
        self.reactor.turn()
        [line] = self.warnings()
        self.assertIn("Reactor turn of 5.0 ms (over 1.0, on CPU 5.0)", line)
        self.assertIn("Store.write_last_seen 5.0 ms (CPU 5.0)", line)
        self.assertEqual(self.detector.stalls, 1)
        self.assertEqual(dict(self.detector.causes), {"Store.write_last_seen": 1})

    def test_fast_turn_not_logged(self):
        """
        A turn within the threshold logs nothing and is counted as a turn,
        not a stall.
        """
        store = Store(self.timer, 0.0005)
        self.reactor.callLater(0, store.write_last_seen)
        self.reactor.turn(Busy(self.timer, 0.0004))
        self.assertEqual(self.warnings(), [])
        self.assertEqual((self.detector.turns, self.detector.stalls), (1, 0))

    def test_turn_spans_io_and_timed_calls(self):
        """
        A turn is timed from its first I/O event to the end of its timed
        calls: two halves under the threshold make a stall together, whose
        cause is the I/O; the slowest event is named by its protocol.
        """
        store = Store(self.timer, 0.0003)
        self.reactor.callLater(0, store.write_last_seen)
        self.reactor.turn(
            Busy(self.timer, 0.0002, object()), Busy(self.timer, 0.0006, ChargePointProtocol())
        )
        [line] = self.warnings()
        self.assertIn("Reactor turn of 1.1 ms (over 1.0, on CPU 1.1)", line)
        self.assertIn("mostly io: 2 I/O event(s) 0.8 ms (slowest 0.6 ms, ChargePointProtocol)", line)
        self.assertEqual(dict(self.detector.causes), {"io": 1})

    def test_garbage_collection_attributed(self):
        """
        A collection during a timed call is the garbage collector's time,
        with its generation, not the call's.
        """

        def collecting() -> None:
            self.timer.advance(0.0002)
            for callback in list(self.collector):
                callback("start", {"generation": 2})
            self.timer.advance(0.004)
            for callback in list(self.collector):
                callback("stop", {"generation": 2, "collected": 0})

        self.reactor.callLater(0, collecting)
        self.reactor.turn()
        [line] = self.warnings()
        self.assertIn("mostly gc", line)
        self.assertIn("collecting 0.2 ms", line)
        self.assertIn("garbage collection 4.0 ms (generations [2])", line)
        self.assertEqual(self.detector.collections, 1)
        self.assertAlmostEqual(self.detector.longest_collection, 0.004)

    def test_waiting_turn_shows_little_cpu(self):
        """
        A turn that waited (its CPU time far below its duration: the disk, a
        lock, a core taken by other processes) says so: its CPU time and
        its call's.
        """
        cpu = FakeTimer()
        self.detector._cpu_timer = cpu
        store = Store(self.timer, 0.008)
        self.reactor.callLater(0, store.write_last_seen)
        self.reactor.turn()
        [line] = self.warnings()
        self.assertIn("Reactor turn of 8.0 ms (over 1.0, on CPU 0.0)", line)
        self.assertIn("Store.write_last_seen 8.0 ms (CPU 0.0)", line)

    def test_call_from_thread_named(self):
        """
        A call a thread handed to the reactor (C{callFromThread}) is timed
        and named like a timed call.
        """
        store = Store(self.timer, 0.003)
        self.reactor.callFromThread(store.write_last_seen)
        self.reactor.turn()
        [line] = self.warnings()
        self.assertIn("Store.write_last_seen 3.0 ms", line)

    def test_thread_result_named_by_its_callback(self):
        """
        A thread's result handed back with C{callFromThread(d.callback,
        result)} is named by the Deferred's callback, known before it fires.
        """
        from twisted.internet.defer import Deferred

        store = Store(self.timer, 0.003)
        result = Deferred()
        result.addCallback(lambda _: store.write_last_seen())
        self.reactor.callFromThread(result.callback, None)
        self.reactor.turn()
        [line] = self.warnings()
        self.assertIn("Deferred.callback(StallDetectorTests.test_thread_result_named_by_its_callback.<locals>.<lambda>) 3.0 ms", line)

    def test_call_not_run_keeps_its_function(self):
        """
        A due call cancelled by an earlier one of the same turn keeps its
        own function (the wrapper is for the turn only); one that ran is
        left as it ran.
        """
        later = []

        def cancel() -> None:
            second.cancel()

        self.reactor.callLater(0, cancel)
        second = self.reactor.callLater(0, later.append, 1)
        self.reactor.turn()
        self.assertEqual(second.func, later.append)  # (a new bound method each time)
        self.assertEqual(later, [])

    def test_summary_every_interval(self):
        """
        Every L{SUMMARY_INTERVAL} seconds one line gives the stalls, the
        turns, the longest and the causes, and the counts start again.
        """
        store = Store(self.timer, 0.002)
        for _ in range(2):
            self.reactor.callLater(0, store.write_last_seen)
            self.reactor.turn()
        self.reactor.turn()
        del self.events[:]
        self.clock.advance(SUMMARY_INTERVAL)
        [event] = self.events
        self.assertEqual(
            formatEvent(event),
            "Reactor stalls: 2 of 3 turns over 1.0 ms, longest 2.0 ms; causes: "
            "Store.write_last_seen 2 (longest 2.0 ms); 0 garbage collection(s), longest 0.0 ms",
        )
        self.assertEqual((self.detector.stalls, self.detector.turns), (0, 0))

    def test_stop_restores_the_reactor(self):
        """
        Stopping uninstalls every wrapper and the collector's callback and
        stops the summaries.
        """
        self.detector.stopService()
        self.assertNotIn("runUntilCurrent", vars(self.reactor))
        self.assertNotIn("_doReadOrWrite", vars(self.reactor))
        self.assertEqual(self.collector, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])
        store = Store(self.timer, 0.005)
        self.reactor.callLater(0, store.write_last_seen)
        self.reactor.turn()
        self.assertEqual(self.warnings(), [])


class DescribeTests(SynchronousTestCase):
    """
    L{describe} and L{describe_selectable} name what ran.
    """

    def test_bound_method(self):
        """
        A bound method is its class's name and its own.
        """
        self.assertEqual(describe(Store(FakeTimer(), 0).write_last_seen), "Store.write_last_seen")

    def test_looping_call_and_partial(self):
        """
        A C{LoopingCall} and a C{functools.partial} are named by what they
        call.
        """
        method = Store(FakeTimer(), 0).write_last_seen
        self.assertEqual(describe(LoopingCall(method)), "Store.write_last_seen")
        self.assertEqual(describe(functools.partial(method)), "Store.write_last_seen")

    def test_deferred_callback(self):
        """
        A Deferred's C{callback} (how a thread's result comes back) is named
        with its first callback.
        """
        from twisted.internet.defer import Deferred

        waiting = Deferred()
        waiting.addCallback(Store(FakeTimer(), 0).write_last_seen)
        self.assertEqual(describe(waiting.callback), "Deferred.callback(Store.write_last_seen)")

    def test_function(self):
        """
        A function is its qualified name.
        """
        self.assertEqual(describe(describe), "describe")

    def test_selectable_through_wrappers(self):
        """
        A transport is named by its protocol, under any protocol wrappers; a
        selectable without one by its own class.
        """

        class Wrapper:
            wrappedProtocol = ChargePointProtocol()

        self.assertEqual(describe_selectable(Busy(FakeTimer(), 0, Wrapper())), "ChargePointProtocol")
        self.assertEqual(describe_selectable(Busy(FakeTimer(), 0)), "Busy")
