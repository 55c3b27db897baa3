"""
What a simulation run counts, and the lines it reports: a progress line
every few seconds on long runs (charge points connected, sessions, energy,
errors) and a summary at the end (sessions started and completed, energy,
errors by kind, call latency percentiles measured by the simulator).
"""

import math
import random
from collections import Counter
from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

#: Latencies kept per action: beyond, a uniform sample of them (reservoir).
_KEPT = 100_000


def percentile(values: list[float], share: float) -> float | None:
    """
    The C{share} (0 to 1) percentile of C{values} (nearest rank), or
    C{None} when there are none.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered) - 1e-9) - 1))
    return ordered[rank]


class SimulatorStats:
    """
    The counters of a simulation run.

    @ivar sessions_started: transactions the central system accepted.
    @ivar sessions_completed: transactions stopped by their scenario.
    @ivar energy_wh: energy charged in completed sessions, Wh.
    @ivar errors: error kind -> count.
    @ivar latencies: action -> call round trips, seconds.
    """

    def __init__(self, seed: int = 0) -> None:
        self.sessions_started = 0
        self.sessions_completed = 0
        self.energy_wh = 0.0
        self.errors: Counter = Counter()
        self.latencies: dict[str, list[float]] = {}
        self._seen: Counter = Counter()
        self._random = random.Random(seed)

    def latency(self, action: str, seconds: float) -> None:
        """
        Count one call's round trip.
        """
        kept = self.latencies.setdefault(action, [])
        self._seen[action] += 1
        if len(kept) < _KEPT:
            kept.append(seconds)
        else:
            index = self._random.randrange(self._seen[action])
            if index < _KEPT:
                kept[index] = seconds

    def error(self, kind: str) -> None:
        """
        Count one error of a kind (C{"Authorize Invalid"}, C{"timeout"}).
        """
        self.errors[kind] += 1

    def all_latencies(self) -> list[float]:
        """
        @return: the latencies kept, of every action.
        """
        return [value for values in self.latencies.values() for value in values]

    def progress(self, connected: int, total: int, running: int) -> str:
        """
        @return: the progress line.
        """
        return (
            f"Simulator: {connected}/{total} charge points connected, {running} sessions "
            f"charging, {self.sessions_completed} completed, {self.energy_wh / 1000:.1f} kWh, "
            f"{sum(self.errors.values())} errors"
        )

    def summary(self) -> list[str]:
        """
        @return: the summary lines.
        """
        lines = [
            f"Simulator summary: {self.sessions_started} sessions started, "
            f"{self.sessions_completed} completed, {self.energy_wh / 1000:.3f} kWh",
        ]
        if self.errors:
            kinds = ", ".join(f"{kind}: {count}" for kind, count in sorted(self.errors.items()))
            lines.append(f"Simulator summary: {sum(self.errors.values())} errors ({kinds})")
        else:
            lines.append("Simulator summary: no errors")
        values = self.all_latencies()
        if values:
            lines.append(
                "Simulator summary: call latency p50 "
                f"{_ms(percentile(values, 0.5))}, p99 {_ms(percentile(values, 0.99))} "
                f"({sum(self._seen.values())} calls: "
                + ", ".join(
                    f"{action} p50 {_ms(percentile(kept, 0.5))}"
                    for action, kept in sorted(self.latencies.items())
                )
                + ")"
            )
        return lines


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


class SimulationReport(Service):
    """
    Logs the progress line every C{interval} seconds while it runs, and
    the summary when L{finish} is called or it stops.

    @param stats: the L{SimulatorStats}.
    @param charge_points: returns the charge points.
    @param clock: the C{IReactorTime} of the progress lines.
    @param interval: seconds between progress lines (0: none).
    """

    log = Logger()

    def __init__(self, stats: SimulatorStats, charge_points: Callable[[], list], clock: Any,
                 interval: float = 10.0) -> None:
        self.stats = stats
        self._charge_points = charge_points
        self._clock = clock
        self.interval = interval
        self._loop: LoopingCall | None = None
        self._summarized = False

    def startService(self) -> None:
        super().startService()
        if self.interval > 0:
            self._loop = LoopingCall(self.progress)
            self._loop.clock = self._clock
            self._loop.start(self.interval, now=False)

    def progress(self) -> str:
        """
        Log the progress line.

        @return: it.
        """
        charge_points = self._charge_points()
        connected = sum(1 for cp in charge_points if cp.connected)
        running = sum(len(cp.store.running_transactions()) for cp in charge_points if cp.running)
        line = self.stats.progress(connected, len(charge_points), running)
        self.log.info("{line}", line=line)
        return line

    def finish(self) -> list[str]:
        """
        Log the summary (once).

        @return: its lines.
        """
        lines = self.stats.summary()
        if not self._summarized:
            self._summarized = True
            for line in lines:
                self.log.info("{line}", line=line)
        return lines

    def stopService(self) -> None:
        super().stopService()
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.finish()
