"""
The metrics of every node, on any node: C{GET /metrics?scope=cluster}.

Each node's C{/metrics} stays its own (what Prometheus scrapes, one target
per node: summing nodes that each summed the others would count every call
twice). For a look at the whole cluster from one place (an operator's
C{curl}, a dashboard's one request), a node asks every node for its
exposition over the bus and merges them: every sample of a node gets a
C{node} label naming it, the samples of one metric stay together under one
C{HELP} and C{TYPE}, as the text format wants.

The asking node publishes one request on C{openocpp:metrics} (every node
subscribes: C{PUBLISH} answers how many heard it, so the asker knows how
many answers to wait for) and each node answers on the asker's
C{openocpp:metrics:reply:NODE}, with the request's id. Answers that do not
come within L{GATHER_TIMEOUT} seconds are left out, named in a comment.
"""

import json
import re
import uuid
from typing import Any, Callable

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

#: Seconds the asking node waits for the other nodes' expositions.
GATHER_TIMEOUT = 2.0

_FAMILY_LINE = re.compile(r"^# (HELP|TYPE) (\S+)")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*?\})?( .*)$")


def _label_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def merge_expositions(expositions: dict[str, str], notes: list[str] = ()) -> str:
    """
    Merge the Prometheus text expositions of several nodes into one.

    @param expositions: node name -> its exposition.
    @param notes: lines of comment put first (who did not answer).
    @return: one exposition: each metric family once, with every node's
        samples, each labelled C{node="NAME"} (a sample that already has a
        C{node} label, C{openocpp_node_info}'s, keeps it).
    """
    families: dict[str, list[str]] = {}
    samples: dict[str, list[str]] = {}
    for node in sorted(expositions):
        family = None
        label = f'node="{_label_value(node)}"'
        for line in expositions[node].splitlines():
            if not line:
                continue
            heading = _FAMILY_LINE.match(line)
            if heading is not None:
                family = heading.group(2)
                lines = families.setdefault(family, [])
                if not any(seen.startswith(f"# {heading.group(1)} ") for seen in lines):
                    lines.append(line)
                samples.setdefault(family, [])
                continue
            if line.startswith("#"):
                continue
            sample = _SAMPLE.match(line)
            if sample is None or family is None:
                continue
            name, labels, rest = sample.groups()
            if labels is None:
                labels = "{" + label + "}"
            elif not re.search(r'(^\{|,)node="', labels):
                labels = "{" + label + ("," + labels[1:] if labels != "{}" else "}")
            samples[family].append(name + labels + rest)
    out = [f"# {note}" for note in notes]
    for family, lines in families.items():
        out.extend(lines)
        out.extend(samples[family])
    return "\n".join(out) + "\n"


class MetricsFanIn:
    """
    This node's part in L{gather}ing the cluster's metrics: it answers the
    other nodes' requests with its exposition, and asks them for theirs.

    @param bus: the L{openocpp.cluster.interfaces.IBus}.
    @param clock: the C{IReactorTime} timing the wait.
    @param node_id: this node's name.
    @param exposition: returns this node's metrics in Prometheus' text
        format (bytes).
    @param prefix: the prefix of the channels.
    """

    log = Logger()

    def __init__(
        self, bus: Any, clock: Any, node_id: str, exposition: Callable[[], bytes], prefix: str = "openocpp:",
    ) -> None:
        self._bus = bus
        self._clock = clock
        self._node_id = node_id
        self._exposition = exposition
        self._channel = prefix + "metrics"
        self._reply_prefix = prefix + "metrics:reply:"
        self._gathering: dict[str, _Gathering] = {}
        bus.subscribe(self._channel, self._asked)
        bus.subscribe(self._reply_prefix + node_id, self._answered)

    def gather(self) -> Deferred:
        """
        Every node's metrics, merged (L{merge_expositions}).

        @return: a Deferred firing with the merged exposition (str); this
            node's alone, saying so, while the bus is down.
        """
        own = self._exposition().decode("utf-8")
        if not self._bus.connected:
            return succeed(merge_expositions(
                {self._node_id: own}, [f"node {self._node_id} alone: it is off the bus, the others were not asked"]
            ))
        request_id = uuid.uuid4().hex
        gathering = _Gathering({self._node_id: own}, self._clock.callLater(GATHER_TIMEOUT, self._finish, request_id))
        self._gathering[request_id] = gathering

        def published(receivers: int) -> None:
            # Every node hears it, this one too (which answers nothing).
            gathering.expected = receivers
            self._check(request_id)

        def unpublished(failure: Any) -> None:
            gathering.notes.append(f"the other nodes were not asked: {failure.getErrorMessage()}")
            self._finish(request_id)

        message = json.dumps({"id": request_id, "from": self._node_id})
        self._bus.publish(self._channel, message).addCallbacks(published, unpublished)
        return gathering.done

    def _asked(self, channel: bytes, data: bytes) -> None:
        message = json.loads(data)
        asker, request_id = message.get("from"), message.get("id")
        if not isinstance(asker, str) or not isinstance(request_id, str):
            raise ValueError(f"a metrics request without its node or id: {message!r}"[:200])
        if asker == self._node_id:
            return
        answer = json.dumps({"id": request_id, "node": self._node_id,
                             "metrics": self._exposition().decode("utf-8")})
        self._bus.publish(self._reply_prefix + asker, answer).addErrback(
            lambda failure: self.log.warn("Could not send node {node} this node's metrics: {error}",
                                          node=asker, error=failure.getErrorMessage()))

    def _answered(self, channel: bytes, data: bytes) -> None:
        message = json.loads(data)
        gathering = self._gathering.get(message.get("id"))
        if gathering is None or not isinstance(message.get("node"), str):
            return
        gathering.answers[message["node"]] = str(message.get("metrics", ""))
        self._check(message["id"])

    def _check(self, request_id: str) -> None:
        gathering = self._gathering.get(request_id)
        if gathering is not None and gathering.expected is not None and len(gathering.answers) >= gathering.expected:
            self._finish(request_id)

    def _finish(self, request_id: str) -> None:
        gathering = self._gathering.pop(request_id, None)
        if gathering is None:
            return
        if gathering.timer.active():
            gathering.timer.cancel()
        answers, expected, notes = gathering.answers, gathering.expected, gathering.notes
        if expected is None and not notes:
            notes.append(f"Redis did not say within {GATHER_TIMEOUT:g} s how many nodes heard the request: "
                         "only the answers in time are here")
        elif expected is not None and len(answers) < expected:
            notes.append(f"{expected - len(answers)} of the {expected - 1} other nodes did not answer within "
                         f"{GATHER_TIMEOUT:g} s")
        gathering.done.callback(merge_expositions(answers, notes))


class _Gathering:
    """
    One L{MetricsFanIn.gather} under way: the answers so far (node ->
    exposition), how many are expected (None until Redis said how many
    nodes heard the request), the comment lines, the Deferred, the timer.
    """

    __slots__ = ("answers", "expected", "notes", "done", "timer")

    def __init__(self, answers: dict[str, str], timer: Any) -> None:
        self.answers = answers
        self.expected: int | None = None
        self.notes: list[str] = []
        self.done = Deferred()
        self.timer = timer
