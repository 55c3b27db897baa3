"""
Many simulated charge points in one process (C{twistd openocpp chargepoint
--simulate --count N}): each its own L{openocpp.chargepoint.service.ChargePoint}
stack with its own identity and its own SQLite file, started spread over
time so that a thousand of them do not all connect in the same second.

One SQLite file per charge point, in a folder, rather than one shared file
keyed by identity: the charge point's store and every collaborator keep
their one-file, commit-before-return promise unchanged, and a charge point
costs three file descriptors (the file, its write-ahead log and its shared
memory index), which L{raise_file_limit} makes room for.
"""

import os
from typing import Any, Callable

from twisted.application.service import MultiService, Service
from twisted.internet.defer import CancelledError, gatherResults, maybeDeferred
from twisted.logger import Logger

#: File descriptors one simulated charge point holds: its SQLite file, the
#: write-ahead log and its index, and the connection's socket.
FILES_PER_CHARGE_POINT = 4


def identities(template: str, count: int) -> list[str]:
    """
    The identities of C{count} charge points: C{template} formatted with
    C{n} from 1 (C{"SIM{n:04d}"} gives C{SIM0001}, C{SIM0002}, ...).

    @raise ValueError: C{count} is above 1 and the template has no C{{n}},
        or it does not format, or one of the identities is no charge point
        identity (L{openocpp.transport.identity.check_identity}: too long, a
        path separator, ...), or two charge points would share an identity;
        the message names C{--identity}.
    """
    from openocpp.transport.identity import InvalidIdentity, check_identity

    if count < 1:
        raise ValueError(f"--count must be 1 or more, not {count}")
    if count > 1 and "{n" not in template:
        raise ValueError(
            f"--identity {template!r} must hold {{n}} (e.g. 'SIM{{n:04d}}') with --count {count}"
        )
    names = []
    for n in range(1, count + 1):
        try:
            names.append(template.format(n=n))
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"--identity {template!r} is not a template of {{n}}: {error}"
            ) from None
        try:
            check_identity(names[-1])
        except InvalidIdentity as error:
            # Said here, naming the option: the charge point's config would
            # say it too, but not which option (nor, with --count, which n).
            made = f" gives {names[-1]!r}" if names[-1] != template else ""
            raise ValueError(f"--identity {template!r}{made}: {error}") from None
    if len(set(names)) != len(names):
        raise ValueError(f"--identity {template!r} gives two charge points the same identity")
    return names


def per_charge_point(path: str, identity: str, n: int, count: int, suffix: str = "") -> str:
    """
    The path of one charge point's file or folder: C{path} formatted with
    C{identity} and C{n} when it holds a C{{...}}; else, with more than one
    charge point, C{path} (without C{suffix}) becomes a folder holding one
    per identity (C{openocpp-chargepoint.sqlite} gives
    C{openocpp-chargepoint/SIM0001.sqlite}); else C{path} itself.
    """
    if "{" in path:
        return path.format(identity=identity, n=n)
    if count == 1 or path == ":memory:":
        return path
    folder = path[: -len(suffix)] if suffix and path.endswith(suffix) else path
    return os.path.join(folder, identity + suffix)


def raise_file_limit(count: int, log: Any = None) -> int:
    """
    Raise the soft limit of open files to what C{count} charge points need
    (L{FILES_PER_CHARGE_POINT} each and some room), up to the hard limit,
    where the platform allows it.

    @return: the soft limit now.
    @raise ValueError: the hard limit is too low (names C{--count}).
    """
    try:
        import resource
    except ImportError:  # not on this platform: nothing to raise
        return -1
    wanted = count * FILES_PER_CHARGE_POINT + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            raise ValueError(
                f"--count {count} needs {wanted} open files; the hard limit is {hard} "
                f"(raise it with ulimit -Hn, or run fewer)"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft


class Fleet(Service):
    """
    Builds and starts charge points spread over time, and stops them all.

    Each is built when its turn comes (its SQLite file opened then), so
    that the first ones connect at once and the cost of building the
    others is spread over the ramp.

    @param count: how many.
    @param make: C{make(n)} builds charge point C{n} (from 1), a service.
    @param clock: the C{IReactorTime} the starts are spread on.
    @param ramp: charge points started per second (0: all at once).
    @param started: called with each charge point once started (e.g. to
        start its scenario).
    @ivar charge_points: those built so far, in start order.
    """

    log = Logger()

    def __init__(
        self,
        count: int,
        make: Callable[[int], Any],
        clock: Any,
        ramp: float = 10.0,
        started: Callable[[Any], None] | None = None,
    ) -> None:
        self.count = count
        self.make = make
        self.clock = clock
        self.ramp = ramp
        self.started = started
        self.charge_points: list[Any] = []
        self._pending: list[Any] = []

    def startService(self) -> None:
        super().startService()
        self.log.info(
            "Simulating {count} charge points, {ramp} started a second",
            count=self.count,
            ramp=self.ramp or "all",
        )
        for index in range(self.count):
            delay = index / self.ramp if self.ramp else 0
            self._pending.append(self.clock.callLater(delay, self._start, index + 1))

    def _start(self, n: int) -> None:
        if not self.running:
            return
        if len(self.charge_points) >= n:
            charge_point = self.charge_points[n - 1]  # built by an earlier start
        else:
            try:
                charge_point = self.make(n)
            except Exception as error:
                self.log.error("Simulated charge point {n} not started: {error}", n=n, error=error)
                return
            self.charge_points.append(charge_point)
        charge_point.startService()
        if self.started is not None:
            self.started(charge_point)

    def stopService(self):
        super().stopService()
        pending, self._pending = self._pending, []
        for delayed in pending:
            if delayed.active():
                delayed.cancel()
        return gatherResults(
            [maybeDeferred(cp.stopService) for cp in self.charge_points if cp.running],
            consumeErrors=True,
        )


class ScaledClock:
    """
    A C{twisted.internet.interfaces.IReactorTime} whose time runs
    C{speed} times as fast as C{clock}'s (C{--speed}): the scenario's waits
    and the simulated meter's energy, compressed.

    @param clock: the real clock.
    @param speed: how many of its seconds go by in one of the real ones.
    """

    def __init__(self, clock: Any, speed: float) -> None:
        if not speed > 0:
            raise ValueError(f"--speed must be a positive number, not {speed}")
        self._clock = clock
        self.speed = speed
        self._origin = clock.seconds()

    def seconds(self) -> float:
        """
        @return: the scaled time, seconds.
        """
        return self._origin + (self._clock.seconds() - self._origin) * self.speed

    def callLater(self, delay: float, function: Any, *args: Any, **kwargs: Any) -> Any:
        """
        Call C{function} after C{delay} scaled seconds.

        @return: the real clock's C{IDelayedCall}.
        """
        return self._clock.callLater(delay / self.speed, function, *args, **kwargs)

    def getDelayedCalls(self) -> list:
        """
        @return: the real clock's delayed calls.
        """
        return self._clock.getDelayedCalls()


class Simulation(MultiService):
    """
    A simulation run: the L{Fleet}, a scenario runner per charge point once
    it started (when there is a scenario), and the report; once every
    runner is done (scenarios not looping) it logs the summary and calls
    C{finished} (the command exits).

    @param fleet: the L{Fleet}.
    @param report: the L{openocpp.chargepoint.simreport.SimulationReport}.
    @param make_runner: C{make_runner(charge_point)} returns its
        L{openocpp.chargepoint.simulator.ScenarioRunner}, or C{None}: no
        scenario.
    @param finished: called once the scenarios are done.
    """

    log = Logger()

    #: Seconds the queued messages have to go out once the scenarios are done.
    drain_timeout = 30.0

    def __init__(self, fleet: Fleet, report: Any, make_runner: Callable[[Any], Any] | None = None,
                 finished: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.fleet = fleet
        self.report = report
        self.runners: list[Any] = []
        self._make_runner = make_runner
        self._finished = finished
        self._done = 0
        self._draining = None
        fleet.started = self._started
        report.setServiceParent(self)
        fleet.setServiceParent(self)

    def _started(self, charge_point: Any) -> None:
        if self._make_runner is None:
            return
        runner = self._make_runner(charge_point)
        self.runners.append(runner)
        runner.start().addCallbacks(self._runner_done, self._runner_failed)

    def _runner_failed(self, failure: Any) -> None:
        if failure.check(CancelledError):
            return
        self.log.failure("A scenario runner failed", failure)
        self._runner_done(None)

    def _runner_done(self, _: Any) -> None:
        self._done += 1
        if self._done == self.fleet.count:
            self.log.info("Simulator: every scenario is done; sending what is queued")
            self._drain(self.fleet.clock.seconds() + self.drain_timeout)

    def _drain(self, deadline: float) -> None:
        # The transaction messages still queued (a StopTransaction.req just
        # made) go out before the command exits; they stay in each charge
        # point's file if the central system does not take them in time.
        queued = sum(cp.store.queue_length() for cp in self.fleet.charge_points if cp.running)
        if queued and self.fleet.clock.seconds() < deadline and self.running:
            self._draining = self.fleet.clock.callLater(0.1, self._drain, deadline)
            return
        self._draining = None
        if queued:
            self.log.warn(
                "Simulator: {queued} messages still queued; they are sent at the next run",
                queued=queued,
            )
        self.report.finish()
        if self._finished is not None:
            self._finished()

    def stopService(self):
        for runner in self.runners:
            runner.stop()
        if self._draining is not None and self._draining.active():
            self._draining.cancel()
        return super().stopService()
