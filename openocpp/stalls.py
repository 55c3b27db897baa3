"""
Finding what holds the reactor up: slow reactor turns, with what ran in them.

A charge point's answer waits for every callback the reactor runs before
it, so one slow turn (a big batch of writes, a garbage collection, a timer
that does too much) is a late answer for every message that arrived
meanwhile: the latency's tail. L{StallDetector} times each turn of the
reactor's loop (from the first I/O event it handles to the end of the timed
calls that follow) and, for a turn longer than its threshold, logs what ran
in it: the timed calls and the calls from other threads, each with its
duration, the I/O events (their number, the slowest and whose it was) and
the garbage collector's pauses. Once a minute it logs a summary: the turns
over the threshold, the longest, and their causes (and once more when it
stops).

C{twistd openocpp --debug-stalls MS ...} turns it on. It costs a few
microseconds a turn (two clock readings per I/O event), so it is a
debugging aid, off by default.

It instruments the reactor it is given by wrapping, on that instance, its
C{runUntilCurrent} and (on the select, poll and epoll reactors) its
C{_doReadOrWrite}; a timed call due in a turn has its function wrapped for
that turn only. Stopping the service restores them.
"""

import gc
import time
from collections import Counter
from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

#: Seconds between two summaries.
SUMMARY_INTERVAL = 60.0

#: The most items (timed calls, calls from threads) a stall line names.
NAMED_ITEMS = 3


def describe(function: Any) -> str:
    """
    A short name for what a timed call or a thread's call runs: a bound
    method as C{Class.method}, a function by its qualified name, a
    C{LoopingCall} and a C{functools.partial} by what they call, a
    Deferred's C{callback} with its first callback.
    """
    inner = getattr(function, "f", None)
    if isinstance(function, LoopingCall) and inner is not None:
        return describe(inner)
    inner = getattr(function, "func", None)
    if inner is not None and hasattr(function, "args") and hasattr(function, "keywords"):
        return describe(inner)
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", None)
    if isinstance(owner, Deferred) and owner.callbacks:
        # A thread's result (deferToThread): what it calls back is what runs.
        return f"{type(owner).__qualname__}.{name}({describe(owner.callbacks[0][0][0])})"
    if owner is not None and name is not None and not isinstance(owner, type(gc)):
        return f"{type(owner).__qualname__}.{name}"
    qualified = getattr(function, "__qualname__", None)
    if qualified is not None:
        return qualified
    return type(function).__qualname__


def describe_selectable(selectable: Any) -> str:
    """
    Whose I/O event it was: the class of the protocol behind a transport
    (through protocol wrappers, TLS), or the selectable's own class (a
    listening port, the reactor's waker).
    """
    protocol = getattr(selectable, "protocol", None)
    if protocol is None:
        return type(selectable).__qualname__
    for _ in range(5):
        wrapped = getattr(protocol, "wrappedProtocol", None)
        if wrapped is None:
            break
        protocol = wrapped
    return type(protocol).__qualname__


class _Turn:
    """
    What one reactor turn ran, while it runs.

    @ivar start: the timer's reading at its first event.
    @ivar cpu_start: the CPU timer's reading then.
    @ivar io_count: the I/O events handled.
    @ivar io_time: their seconds, garbage collections excepted.
    @ivar io_slowest: the longest one's seconds.
    @ivar io_slowest_name: whose it was (L{describe_selectable}).
    @ivar items: C{(seconds, name, CPU seconds)} of each timed call and
        thread's call, garbage collections excepted.
    @ivar gc_time: seconds in garbage collections.
    @ivar gc_generations: the generations collected.
    """

    __slots__ = ("start", "cpu_start", "io_count", "io_time", "io_slowest", "io_slowest_name", "items", "gc_time", "gc_generations")

    def __init__(self, start: float, cpu_start: float) -> None:
        self.start = start
        self.cpu_start = cpu_start
        self.io_count = 0
        self.io_time = 0.0
        self.io_slowest = 0.0
        self.io_slowest_name = ""
        self.items: list[tuple[float, str, float]] = []
        self.gc_time = 0.0
        self.gc_generations: list[int] = []


class StallDetector(Service):
    """
    While running: logs every reactor turn longer than C{threshold}
    seconds with what ran in it, and a summary every L{SUMMARY_INTERVAL}
    seconds (see the module's docstring).

    @param reactor: the reactor to instrument (its C{runUntilCurrent},
        its C{_doReadOrWrite} where it has one, its C{_pendingTimedCalls},
        C{_newTimedCalls}, C{threadCallQueue} and C{seconds()}).
    @param threshold: the seconds past which a turn is a stall.
    @param clock: the C{IReactorTime} scheduling the summaries (default:
        C{reactor}).
    @param timer: the monotonic clock timing turns, in seconds (default:
        C{time.perf_counter}).
    @param cpu_timer: the reactor thread's CPU time, in seconds (default:
        C{time.thread_time}): a turn much longer than its CPU time was
        waiting (for the disk, a lock, the GIL, or a core other processes
        had).
    @param collector_callbacks: the list the garbage collector calls back
        (default: C{gc.callbacks}).

    @ivar stalls: the turns over the threshold since the last summary.
    @ivar longest: the longest turn's seconds since the last summary.
    @ivar turns: the turns timed since the last summary.
    @ivar causes: for the stalls since the last summary, the name of the
        largest item of each (C{"gc"}, C{"io"}, a timed call's name, or
        C{"other"}) -> how many.
    """

    log = Logger()

    def __init__(
        self,
        reactor: Any,
        threshold: float,
        clock: Any = None,
        timer: Callable[[], float] = time.perf_counter,
        cpu_timer: Callable[[], float] = time.thread_time,
        collector_callbacks: list | None = None,
    ) -> None:
        self._reactor = reactor
        self.threshold = threshold
        self._clock = clock if clock is not None else reactor
        self._timer = timer
        self._cpu_timer = cpu_timer
        self._collector_callbacks = gc.callbacks if collector_callbacks is None else collector_callbacks
        self._turn: _Turn | None = None
        self._gc_start: float | None = None
        self._gc_total = 0.0
        self._summaries: LoopingCall | None = None
        self._instrumented: list[str] = []
        self._reset_counts()

    def _reset_counts(self) -> None:
        self.stalls = 0
        self.longest = 0.0
        self.turns = 0
        self.causes: Counter = Counter()
        self._cause_longest: dict[str, float] = {}
        self.collections = 0
        self.longest_collection = 0.0

    # -- the service --------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        reactor = self._reactor
        self._runUntilCurrent = reactor.runUntilCurrent
        reactor.runUntilCurrent = self._run_until_current
        self._instrumented = ["runUntilCurrent"]
        handle = getattr(reactor, "_doReadOrWrite", None)
        if handle is not None:
            self._doReadOrWrite = handle
            reactor._doReadOrWrite = self._do_read_or_write
            self._instrumented.append("_doReadOrWrite")
        self._collector_callbacks.append(self._collected)
        self._summaries = LoopingCall(self.summarize)
        self._summaries.clock = self._clock
        self._summaries.start(SUMMARY_INTERVAL, now=False)
        self.log.info(
            "Logging reactor turns longer than {threshold_ms} ms (--debug-stalls)",
            threshold_ms=round(self.threshold * 1000, 3),
        )

    def stopService(self) -> None:
        super().stopService()
        if self.turns:
            # What the last, partial interval saw.
            self.summarize()
        for name in self._instrumented:
            # The wrappers are attributes of the instance: removing them
            # uncovers the class's methods again.
            self._reactor.__dict__.pop(name, None)
        self._instrumented = []
        if self._collected in self._collector_callbacks:
            self._collector_callbacks.remove(self._collected)
        if self._summaries is not None and self._summaries.running:
            self._summaries.stop()
        self._summaries = None

    # -- timing -------------------------------------------------------------

    def _collected(self, phase: str, info: dict) -> None:
        # gc.callbacks: "start" and "stop" around every collection.
        if phase == "start":
            self._gc_start = self._timer()
            return
        if self._gc_start is None:
            return
        duration = self._timer() - self._gc_start
        self._gc_start = None
        self._gc_total += duration
        self.collections += 1
        self.longest_collection = max(self.longest_collection, duration)
        turn = self._turn
        if turn is not None:
            turn.gc_time += duration
            turn.gc_generations.append(info.get("generation", -1))

    def _do_read_or_write(self, selectable: Any, *arguments: Any) -> Any:
        timer = self._timer
        start = timer()
        turn = self._turn
        if turn is None:
            turn = self._turn = _Turn(start, self._cpu_timer())
        collected = self._gc_total
        try:
            return self._doReadOrWrite(selectable, *arguments)
        finally:
            duration = timer() - start - (self._gc_total - collected)
            turn.io_count += 1
            turn.io_time += duration
            if duration > turn.io_slowest:
                turn.io_slowest = duration
                turn.io_slowest_name = describe_selectable(selectable)

    def _timed(self, function: Callable, turn: _Turn) -> Callable:
        # Named now: a Deferred's callbacks are gone once it has fired.
        name = describe(function)

        def timed(*arguments: Any, **keywords: Any) -> Any:
            start = self._timer()
            cpu = self._cpu_timer()
            collected = self._gc_total
            try:
                return function(*arguments, **keywords)
            finally:
                duration = self._timer() - start - (self._gc_total - collected)
                turn.items.append((duration, name, self._cpu_timer() - cpu))

        timed.original = function  # type: ignore[attr-defined]
        return timed

    def _run_until_current(self) -> None:
        start = self._timer()
        turn = self._turn
        if turn is None:
            turn = self._turn = _Turn(start, self._cpu_timer())
        reactor = self._reactor
        queue = reactor.threadCallQueue
        for index in range(len(queue)):
            f, a, kw = queue[index]
            queue[index] = (self._timed(f, turn), a, kw)
        wrapped = []
        now = reactor.seconds()
        for call in self._due(reactor, now):
            if not getattr(call.func, "original", None):
                original = call.func
                call.func = self._timed(original, turn)
                wrapped.append((call, original))
        try:
            self._runUntilCurrent()
        finally:
            for call, original in wrapped:
                if not call.called:
                    # Not run (cancelled, or delayed): as it was.
                    call.func = original
            self._turn = None
            self._ended(turn, self._timer() - turn.start, self._cpu_timer() - turn.cpu_start)

    @staticmethod
    def _due(reactor: Any, now: float) -> list:
        # The timed calls runUntilCurrent will run: the heap's entries due
        # by now (a subtree at its top) and the calls added since.
        due = [call for call in reactor._newTimedCalls if call.time <= now and not call.cancelled]
        heap = reactor._pendingTimedCalls
        stack = [0] if heap else []
        while stack:
            index = stack.pop()
            call = heap[index]
            if call.time > now:
                continue
            if not call.cancelled:
                due.append(call)
            for child in (2 * index + 1, 2 * index + 2):
                if child < len(heap):
                    stack.append(child)
        return due

    # -- reporting ----------------------------------------------------------

    def _ended(self, turn: _Turn, duration: float, cpu: float) -> None:
        self.turns += 1
        if duration <= self.threshold:
            return
        self.stalls += 1
        self.longest = max(self.longest, duration)
        parts = [(turn.gc_time, "gc"), (turn.io_time, "io")] + [item[:2] for item in turn.items]
        accounted = sum(seconds for seconds, _ in parts)
        parts.append((duration - accounted, "other"))
        cause = max(parts)[1]
        self.causes[cause] += 1
        self._cause_longest[cause] = max(self._cause_longest.get(cause, 0.0), duration)
        named = sorted(turn.items, reverse=True)[:NAMED_ITEMS]
        self.log.warn(
            "Reactor turn of {duration_ms} ms (over {threshold_ms}, on CPU {cpu_ms}), mostly {cause}: "
            "{io_count} I/O event(s) {io_ms} ms (slowest {io_slowest_ms} ms, {io_slowest}); "
            "{calls} call(s) {calls_ms} ms{named}; garbage collection {gc_ms} ms{generations}",
            duration_ms=_ms(duration),
            threshold_ms=_ms(self.threshold),
            cpu_ms=_ms(cpu),
            cause=cause,
            io_count=turn.io_count,
            io_ms=_ms(turn.io_time),
            io_slowest_ms=_ms(turn.io_slowest),
            io_slowest=turn.io_slowest_name or "-",
            calls=len(turn.items),
            calls_ms=_ms(sum(item[0] for item in turn.items)),
            named="".join(f", {name} {_ms(seconds)} ms (CPU {_ms(on_cpu)})" for seconds, name, on_cpu in named),
            gc_ms=_ms(turn.gc_time),
            generations=f" (generations {turn.gc_generations})" if turn.gc_generations else "",
        )

    def summarize(self) -> None:
        """
        Log the stalls since the last summary (how many, the longest, their
        causes) and start counting again; every L{SUMMARY_INTERVAL} seconds
        while running.
        """
        causes = ", ".join(
            f"{cause} {count} (longest {_ms(self._cause_longest[cause])} ms)"
            for cause, count in self.causes.most_common(8)
        )
        self.log.info(
            "Reactor stalls: {stalls} of {turns} turns over {threshold_ms} ms, longest "
            "{longest_ms} ms; causes: {causes}; {collections} garbage collection(s), "
            "longest {longest_collection_ms} ms",
            stalls=self.stalls,
            turns=self.turns,
            threshold_ms=_ms(self.threshold),
            longest_ms=_ms(self.longest),
            causes=causes or "-",
            collections=self.collections,
            longest_collection_ms=_ms(self.longest_collection),
        )
        self._reset_counts()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
