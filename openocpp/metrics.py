"""
Prometheus metrics of one role (C{prometheus_client}, in a registry of the
role's own: never the library's global one), in the text format C{/metrics}
answers:

  - C{openocpp_connected_charge_points}: charge points connected (a charge
    point: 1 while connected to its central system);
  - C{openocpp_calls_total{action,direction,outcome}}: CALLs answered,
    C{direction} C{out} for our own, C{in} for the peer's, C{outcome}
    C{result}, C{error} (a CALLERROR) or C{unanswered} (our next CALL went
    out first: it timed out);
  - C{openocpp_call_errors_total{code,direction}}: CALLERRORs by error code;
  - C{openocpp_call_duration_seconds{action,direction}}: a histogram of the
    time from a CALL to its answer;
  - C{openocpp_store_commit_seconds}: a histogram of the store's commits
    (the central system's group commit);
  - C{openocpp_queue_depth{queue}}: the central system's calls waiting for
    an answer or their turn (C{pending_calls}), the charge point's
    persistent message queue (C{transactions});
  - C{openocpp_connections_total}, C{openocpp_reconnects_total}: connections
    made, and those of a charge point connected before since the start;
  - C{openocpp_authentication_failures_total{code}}: charge point
    authentications refused, by HTTP status.

The calls are counted by a frame observer per session
(L{Metrics.observer}), which reads only the frames' first members: those the
session parsed already (L{IParsedFrameObserver}), the text only of the
frames the session could not parse.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import partial
from typing import Any, Callable

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.values import MutexValue
from zope.interface import implementer

from openocpp.rpc.interfaces import IParsedFrameObserver

#: The C{Content-Type} of L{Metrics.exposition}.
CONTENT_TYPE = CONTENT_TYPE_LATEST

#: Answer latency buckets, in seconds: a loopback answer is a millisecond,
#: a charge point on a mobile network a second or more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
#: Commit latency buckets, in seconds.
COMMIT_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)

#: The most CALLs a session tracks awaiting their answer (a peer that
#: never answers cannot grow it without bound).
_MAX_PENDING = 1000


class ReactorValue:
    """
    A metric's value changed and read on the reactor thread only (the
    counts of calls and commits, C{/metrics} answered there too): what
    C{prometheus_client}'s C{MutexValue} does, without taking a lock at
    every change (three or four a call).
    """

    __slots__ = ("_value", "_exemplar")

    def __init__(self, value: float = 0.0) -> None:
        self._value = value
        self._exemplar = None

    def inc(self, amount: float) -> None:
        """
        Add C{amount}.
        """
        self._value += amount

    def set(self, value: float, timestamp: Any = None) -> None:
        """
        Make it C{value}.
        """
        self._value = value

    def set_exemplar(self, exemplar: Any) -> None:
        """
        Keep an exemplar.
        """
        self._exemplar = exemplar

    def get(self) -> float:
        """
        @return: the value.
        """
        return self._value

    def get_exemplar(self) -> Any:
        """
        @return: the exemplar kept, or C{None}.
        """
        return self._exemplar


def _unlocked(value: Any) -> Any:
    # A MutexValue (prometheus_client's default) made a ReactorValue with
    # its value; any other kind (the multiprocess mode's) is kept.
    if type(value) is MutexValue:
        return ReactorValue(value.get())
    return value


def _counting(counter: Any) -> Callable[[], None]:
    """
    @return: what adds one to a Counter (or its child), as C{inc()} does.
    """
    value = getattr(counter, "_value", None)
    if type(value) is not MutexValue:  # another prometheus_client, or mode
        return counter.inc
    value = counter._value = ReactorValue(value.get())
    return partial(value.inc, 1)


def _observing(histogram: Any) -> Callable[[float], None]:
    """
    @return: what observes an amount in a Histogram (or its child), as its
        C{observe()} does (without exemplars).
    """
    try:
        histogram._sum = _unlocked(histogram._sum)
        histogram._buckets = [_unlocked(bucket) for bucket in histogram._buckets]
        bounds = list(histogram._upper_bounds)
    except AttributeError:  # another prometheus_client: its own observe
        return histogram.observe
    total = histogram._sum
    buckets = histogram._buckets
    if type(total) is not ReactorValue or any(type(bucket) is not ReactorValue for bucket in buckets):
        return histogram.observe
    last = len(bounds)

    def observe(amount: float) -> None:
        total._value += amount
        # The first bound at least the amount (the last is +Inf), as the
        # histogram's own loop finds it; none for NaN.
        index = bisect_left(bounds, amount)
        if index < last and amount <= bounds[index]:
            buckets[index]._value += 1

    return observe


class Metrics:
    """
    The metrics of one role, in their own C{CollectorRegistry}.

    @ivar registry: the C{prometheus_client.CollectorRegistry}.
    """

    def __init__(self, clock: Any) -> None:
        """
        @param clock: the C{IReactorTime} the answer latencies are timed on.
        """
        self._clock = clock
        self.registry = registry = CollectorRegistry()
        self.connected = Gauge(
            "openocpp_connected_charge_points", "Charge points connected.", registry=registry
        )
        self.calls = Counter(
            "openocpp_calls", "OCPP CALLs answered, by action, direction and outcome.",
            ["action", "direction", "outcome"], registry=registry,
        )
        self.call_errors = Counter(
            "openocpp_call_errors", "CALLERRORs, by error code and direction of the CALL.",
            ["code", "direction"], registry=registry,
        )
        self.latency = Histogram(
            "openocpp_call_duration_seconds", "Seconds from a CALL to its answer.",
            ["action", "direction"], buckets=LATENCY_BUCKETS, registry=registry,
        )
        self.commits = Histogram(
            "openocpp_store_commit_seconds", "Seconds a store commit takes.",
            buckets=COMMIT_BUCKETS, registry=registry,
        )
        self.queue = Gauge(
            "openocpp_queue_depth", "Messages waiting, by queue.", ["queue"], registry=registry
        )
        self.connections = Counter(
            "openocpp_connections", "OCPP connections opened.", registry=registry
        )
        self.reconnects = Counter(
            "openocpp_reconnects",
            "Connections of a charge point that was connected before since the start.",
            registry=registry,
        )
        self.authentication_failures = Counter(
            "openocpp_authentication_failures", "Charge point authentications refused, by HTTP status.",
            ["code"], registry=registry,
        )
        # What counts or observes for the labelled children, by labels:
        # labels() costs a lock and a dict look-up per call, and the
        # children's own inc and observe a lock per value changed.
        self._counted: dict[tuple, Callable[[], None]] = {}
        self._timed: dict[tuple, Callable[[float], None]] = {}
        self._errors: dict[tuple, Any] = {}
        self._commit_observe = _observing(self.commits)

    def observer(self) -> "CallMetrics":
        """
        @return: a new L{CallMetrics} for one session.
        """
        return CallMetrics(self, self._clock)

    def count_call(self, action: str, direction: str, outcome: str, seconds: float | None) -> None:
        """
        Count one answered CALL.

        @param seconds: the time it took, or C{None} (unanswered).
        """
        key = (action, direction, outcome)
        count = self._counted.get(key)
        if count is None:
            count = self._counted[key] = _counting(self.calls.labels(action, direction, outcome))
        count()
        if seconds is not None:
            observe = self._timed.get((action, direction))
            if observe is None:
                observe = self._timed[(action, direction)] = _observing(self.latency.labels(action, direction))
            observe(seconds)

    def count_error(self, code: Any, direction: str) -> None:
        """
        Count one CALLERROR.
        """
        key = (str(code), direction)
        counter = self._errors.get(key)
        if counter is None:
            counter = self._errors[key] = self.call_errors.labels(*key)
        counter.inc()

    def commit_timer(self) -> Callable[[float], None]:
        """
        @return: what a store calls with each commit's seconds.
        """
        return self._commit_observe

    def gauge(self, gauge: Any, function: Callable[[], float]) -> None:
        """
        Make C{gauge} (one of ours, or a child of it) read C{function()} at
        each scrape: nothing to keep up to date on the hot path.
        """
        gauge.set_function(function)

    def exposition(self) -> bytes:
        """
        @return: every metric, in Prometheus' text format.
        """
        return generate_latest(self.registry)


@implementer(IParsedFrameObserver)
class CallMetrics:
    """
    Counts the CALLs of one session and times their answers, from the
    frames it is shown.
    """

    __slots__ = ("_metrics", "_clock", "_pending")

    def __init__(self, metrics: Metrics, clock: Any) -> None:
        self._metrics = metrics
        self._clock = clock
        # (who called: "out" us, "in" the peer; unique id) -> (action, time)
        self._pending: dict[tuple[str, Any], tuple[str, float]] = {}

    def __call__(self, direction: str, text: str, session: Any) -> None:
        """
        Count a frame from its text (one the session could not parse).
        """
        try:
            frame = orjson.loads(text)
            kind = frame[0]
            unique_id = frame[1]
        except (ValueError, TypeError, IndexError, KeyError):
            return  # not a frame: the session answers it, nothing to count
        if kind == 2:
            try:
                name = str(frame[2])
            except (IndexError, TypeError):
                name = None
        elif kind == 4:
            name = frame[2] if len(frame) > 2 else ""
        else:
            name = None
        self.parsed(direction, kind, unique_id, name, session)

    def parsed(self, direction: str, kind: Any, unique_id: Any, name: Any, session: Any) -> None:
        """
        Count a frame from its first members: a CALL is timed from now, a
        CALLRESULT or CALLERROR answering one is counted.

        @param name: a CALL's action (C{None}: it has none, it is not
            timed), a CALLERROR's code.
        """
        pending = self._pending
        if kind == 2:
            if direction == "out":
                # One outstanding CALL of ours at a time: one still pending
                # was never answered.
                for key in [key for key in pending if key[0] == "out"]:
                    action, _ = pending.pop(key)
                    self._metrics.count_call(action, "out", "unanswered", None)
            if len(pending) >= _MAX_PENDING:
                pending.clear()
            if name is not None:
                try:
                    pending[(direction, unique_id)] = (name, self._clock.seconds())
                except TypeError:
                    pass  # an id that is no dictionary key
            return
        if kind != 3 and kind != 4:
            return
        caller = "in" if direction == "out" else "out"
        try:
            called = pending.pop((caller, unique_id), None)
        except TypeError:
            return
        if called is None:
            return
        action, started = called
        seconds = self._clock.seconds() - started
        if kind == 3:
            self._metrics.count_call(action, caller, "result", seconds)
        else:
            self._metrics.count_call(action, caller, "error", seconds)
            self._metrics.count_error(name, caller)
