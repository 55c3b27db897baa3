"""
Tests for L{openocpp.metrics}' counting without a lock per change: the
exposition is what C{prometheus_client}'s own C{inc} and C{observe} give.
"""

import re

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.metrics import COMMIT_BUCKETS, LATENCY_BUCKETS, Metrics, ReactorValue

# The creation times differ from one Metrics to the other.
_CREATED = re.compile(rb"^(\S+_created\S*) \S+$", re.MULTILINE)


def _exposition(metrics: Metrics) -> bytes:
    return _CREATED.sub(rb"\1 T", metrics.exposition())


class UnlockedCountsTests(SynchronousTestCase):
    """
    L{Metrics.count_call} and L{Metrics.commit_timer} count in
    L{ReactorValue}s, with the same figures as C{prometheus_client}.
    """

    # Every bound (an amount equal to a bound goes in its bucket), between
    # them, below the first, beyond the last, negative.
    AMOUNTS = sorted(set(LATENCY_BUCKETS + COMMIT_BUCKETS)) + [0.0, -1.0, 0.00005, 0.0007, 0.3, 7, 31, 1e9]

    def test_same_exposition(self):
        """
        Calls counted and timed, and commits timed, read the same as when
        the library's children count them.
        """
        fast, reference = Metrics(Clock()), Metrics(Clock())
        observe_commit = fast.commit_timer()
        for index, amount in enumerate(self.AMOUNTS):
            action = ("Heartbeat", "MeterValues")[index % 2]
            fast.count_call(action, "in", "result", amount)
            reference.calls.labels(action, "in", "result").inc()
            reference.latency.labels(action, "in").observe(amount)
            observe_commit(amount)
            reference.commits.observe(amount)
        fast.count_call("Reset", "out", "unanswered", None)
        reference.calls.labels("Reset", "out", "unanswered").inc()
        self.assertEqual(_exposition(fast), _exposition(reference))
        self.assertIn(
            b'openocpp_calls_total{action="Heartbeat",direction="in",outcome="result"} %d.0'
            % len(self.AMOUNTS[::2]),
            fast.exposition(),
        )

    def test_values_unlocked(self):
        """
        The children counted, and the commits histogram, hold
        L{ReactorValue}s.
        """
        metrics = Metrics(Clock())
        metrics.count_call("Heartbeat", "in", "result", 0.002)
        self.assertIs(type(metrics.calls.labels("Heartbeat", "in", "result")._value), ReactorValue)
        child = metrics.latency.labels("Heartbeat", "in")
        self.assertEqual({type(value) for value in child._buckets + [child._sum]}, {ReactorValue})
        self.assertIs(type(metrics.commits._sum), ReactorValue)

    def test_reactor_value(self):
        """
        A L{ReactorValue} adds, is set, and keeps an exemplar.
        """
        value = ReactorValue()
        value.inc(2)
        value.inc(0.5)
        self.assertEqual(value.get(), 2.5)
        value.set(7)
        self.assertEqual(value.get(), 7)
        self.assertIsNone(value.get_exemplar())
        value.set_exemplar("e")
        self.assertEqual(value.get_exemplar(), "e")
