"""
Tests for L{tests.engines.haproxy} and the template it runs,
C{deploy/haproxy.cfg}: the configuration HAProxy accepts, and HAProxy in
front of three central systems (in this process, each with its own SQLite
file) balancing charge points by their identity.
"""

import os
import re
import subprocess

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.service import CentralSystem
from tests.centralsystem.fake_chargepoint import BOOT, TestChargePoint, when_disconnected
from tests.engines.haproxy import TEMPLATE, HAProxy, executable, render_config

_NODES = [("node1", "127.0.0.1", 9001), ("node2", "127.0.0.1", 9002)]


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", text).groups()
    return int(number) * {"ms": 0.001, None: 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


class TemplateTests(TestCase):
    """
    C{deploy/haproxy.cfg} made into a loopback configuration.
    """

    def setUp(self):
        with open(TEMPLATE, encoding="utf-8") as template:
            self.template = template.read()
        self.text = render_config(self.template, "127.0.0.1:8999", _NODES, "/tmp/x/haproxy.sock")

    def test_nodes_and_bind(self):
        """
        One server line per node between the NODES lines (the template's
        examples replaced), the frontend bound where asked.
        """
        self.assertEqual(
            re.findall(r"^\s+server (\S+) (\S+)$", self.text, re.M),
            [("node1", "127.0.0.1:9001"), ("node2", "127.0.0.1:9002")],
        )
        self.assertEqual(re.findall(r"^\s+bind (.*)$", self.text, re.M), ["127.0.0.1:8999"])

    def test_system_lines_left_out(self):
        """
        The lines for the system service (chroot, user, daemon, ...) are
        not in a loopback configuration, which has its stats socket.
        """
        self.assertIn("# system", self.template)
        self.assertNotIn("# system", self.text)
        self.assertNotIn("daemon", self.text)
        self.assertIn("stats socket /tmp/x/haproxy.sock", self.text)

    def test_consistent_hash_on_identity(self):
        """
        The backend hashes the last path segment, consistently.
        """
        self.assertRegex(self.text, r"(?m)^\s+balance hash path,field\(-1,/\)$")
        self.assertRegex(self.text, r"(?m)^\s+hash-type consistent$")

    def test_tunnel_timeout_above_intervals(self):
        """
        A WebSocket may stay idle longer than the node's default ping
        interval and the default heartbeat interval.
        """
        from openocpp.centralsystem.tap import CentralSystemOptions

        defaults = {name: default for name, _, default, *_ in CentralSystemOptions.optParameters}
        tunnel = _seconds(re.search(r"(?m)^\s+timeout tunnel (\S+)$", self.text).group(1))
        self.assertGreater(tunnel, float(defaults["ping-interval"]))
        self.assertGreater(tunnel, float(defaults["heartbeat-interval"]))

    def test_missing_markers(self):
        """
        A template without its NODES lines is refused, naming them.
        """
        error = self.assertRaises(ValueError, render_config, "global\n", "127.0.0.1:1", _NODES, "s")
        self.assertIn("# BEGIN NODES", str(error))

    def test_haproxy_accepts_both(self):
        """
        HAProxy 2.6 accepts the template as operators install it and the
        loopback configuration made of it.
        """
        haproxy = executable()
        if haproxy is None:
            self.skipTest("haproxy is not installed (.ci/engines installs it)")
        folder = self.mktemp()
        os.makedirs(folder)
        made = os.path.join(folder, "haproxy.cfg")
        with open(made, "w", encoding="utf-8") as config:
            config.write(render_config(self.template, "127.0.0.1:8999", _NODES, "abns@openocpp-test"))
        for path in (TEMPLATE, made):
            check = subprocess.run([haproxy, "-c", "-f", path], capture_output=True, text=True)
            self.assertEqual(check.returncode, 0, check.stderr)


class BalancingTests(TestCase):
    """
    HAProxy in front of three central systems: a charge point lands on the
    same node each time it connects, and on another when its node is down.
    """

    if executable() is None:
        skip = "haproxy is not installed (.ci/engines installs it)"

    @inlineCallbacks
    def setUp(self):
        self.centrals = []
        nodes = []
        for number in range(1, 4):
            config = CentralSystemConfig(
                listen="tcp:0:interface=127.0.0.1",
                database=os.path.abspath(self.mktemp() + ".sqlite"),
                ping_interval=0,
                max_connections_per_address=0,
            )
            central = CentralSystem(config, reactor=reactor, load_entrypoints=False)
            central.startService()
            self.addCleanup(central.stopService)
            port = yield central.when_listening()
            self.centrals.append(central)
            nodes.append((f"node{number}", "127.0.0.1", port.getHost().port))
        self.haproxy = HAProxy(os.path.abspath(self.mktemp()), nodes)
        self.addCleanup(self.haproxy.stop)
        self.haproxy.start()
        yield self.until(lambda: set(self.haproxy.server_states().values()) == {"UP"})

    @inlineCallbacks
    def until(self, predicate, step=0.1):
        # Polled: HAProxy's state is in another process.
        while not predicate():
            yield deferLater(reactor, step, lambda: None)

    @inlineCallbacks
    def node_of(self, identity):
        """
        Connect C{identity} through HAProxy, boot it, close it; the index
        of the central system that held it.
        """
        charge_point = TestChargePoint(self, identity)
        yield charge_point.connect(self.haproxy.url + "ocpp")
        yield charge_point.call(BOOT)
        held = [index for index, central in enumerate(self.centrals)
                if identity in {proxy.identity for proxy in central.charge_points()}]
        yield charge_point.close()
        for index in held:
            yield when_disconnected(self.centrals[index], identity)
        self.assertEqual(len(held), 1, held)
        return held[0]

    @inlineCallbacks
    def test_same_node_at_each_connection(self):
        """
        Each identity is sent to one node, the same at every connection,
        and identities are spread over the nodes.
        """
        identities = [f"CP-{number}" for number in range(12)]
        first = {}
        for identity in identities:
            first[identity] = yield self.node_of(identity)
        for identity in identities:
            again = yield self.node_of(identity)
            self.assertEqual(again, first[identity], identity)
        self.assertGreater(len(set(first.values())), 1, first)

    @inlineCallbacks
    def test_sessions(self):
        """
        L{HAProxy.sessions} counts the connections held to each node.
        """
        charge_point = TestChargePoint(self, "CP-held")
        yield charge_point.connect(self.haproxy.url + "ocpp")
        self.addCleanup(charge_point.close)
        yield charge_point.call(BOOT)
        held = self.haproxy.sessions()
        self.assertEqual(sorted(held), ["node1", "node2", "node3"])
        self.assertEqual(sum(held.values()), 1)

    @inlineCallbacks
    def test_node_down(self):
        """
        A node stopped is marked down; its charge points are sent to the
        others, and the others' stay where they were (consistent hashing).
        """
        identities = [f"CP-{number}" for number in range(12)]
        before = {}
        for identity in identities:
            before[identity] = yield self.node_of(identity)
        down = before[identities[0]]
        yield self.centrals[down].stopService()
        yield self.until(lambda: self.haproxy.server_states()[f"node{down + 1}"] == "DOWN")
        for identity in identities:
            now = yield self.node_of(identity)
            if before[identity] == down:
                self.assertNotEqual(now, down, identity)
            else:
                self.assertEqual(now, before[identity], identity)
