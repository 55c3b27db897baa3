"""
Tests for presence (L{openocpp.cluster.presence}) with two central systems
in this process sharing a redis-server: what is recorded in Redis, the
takeover of a charge point moving between nodes, a node that stops or dies,
and Redis lost while running.
"""

import json

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase
from zope.interface.verify import verifyObject

from openocpp.cluster.interfaces import IBus, IPresence
from tests.chargepoint.loopback import wait_for
from tests.cluster.nodes import ClusterMixin


class PresenceTests(ClusterMixin, TestCase):
    """
    Two nodes, A and B.
    """

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.a = yield self.start_node("node-a", api=False)
        self.b = yield self.start_node("node-b", api=False)

    def holder(self, identity):
        value = self.redis.command("GET", f"openocpp:cp:{identity}")
        return None if value is None else value.decode()

    def test_interfaces(self):
        """
        The bus and the presence provide their interfaces.
        """
        self.assertTrue(verifyObject(IBus, self.a.central.cluster.bus))
        self.assertTrue(verifyObject(IPresence, self.a.central.cluster.presence))

    @inlineCallbacks
    def test_claim_recorded(self):
        """
        A charge point connected to A is recorded C{cp:ID -> node-a}, in
        A's hash with its connection's info, and B's mirror shows it.
        """
        yield self.connect(self.a, "CP1")
        yield wait_for(self, lambda: self.held_by(self.b, "CP1"), "node-b sees CP1")
        self.assertEqual(self.holder("CP1"), "node-a")
        info = json.loads(self.redis.command("HGET", "openocpp:node:node-a:cps", "CP1"))
        self.assertEqual(info, {"peer": "127.0.0.1", "securityProfile": 0})
        self.assertEqual(self.b.central.cluster.presence.where("CP1"), ("node-a", info))
        self.assertIsNone(self.a.central.cluster.presence.where("CP1"), "its own are not mirrored")

    @inlineCallbacks
    def test_liveness(self):
        """
        Each node's liveness key has a TTL, and C{nodes()} lists both.
        """
        self.assertGreater(self.redis.command("PTTL", "openocpp:node:node-a"), 0)
        yield self.connect(self.a, "CP1")
        yield self.a.central.cluster.presence.refresh()
        nodes = yield self.b.central.cluster.presence.nodes()
        self.assertEqual([(n["node"], n["chargePoints"]) for n in nodes], [("node-a", 1), ("node-b", 0)])

    @inlineCallbacks
    def test_takeover(self):
        """
        A charge point connecting to B while A holds it: B takes the
        identity over and A closes its stale connection, so it has one live
        session in the cluster; A's release after closing does not delete
        B's mapping (compare-and-delete).
        """
        on_a = yield self.connect(self.a, "CP1")
        yield wait_for(self, lambda: self.held_by(self.b, "CP1"), "node-b sees CP1")
        lost = on_a.when_lost()
        on_b = yield self.connect(self.b, "CP1")
        yield lost
        yield wait_for(self, lambda: "CP1" not in self.a.central._connected, "node-a forgets CP1")
        yield wait_for(self, lambda: self.held_by(self.a, "CP1"), "node-a sees CP1 on node-b")
        self.assertTrue(on_b.connection.open)
        self.assertEqual(self.holder("CP1"), "node-b")
        self.assertIsNone(self.redis.command("HGET", "openocpp:node:node-a:cps", "CP1"))
        self.assertEqual(self.a.central.charge_point("CP1").node, "node-b")

    @inlineCallbacks
    def test_disconnect_releases(self):
        """
        A charge point that disconnects is forgotten in Redis and by the
        other node.
        """
        cp = yield self.connect(self.a, "CP1")
        yield wait_for(self, lambda: self.held_by(self.b, "CP1"), "node-b sees CP1")
        yield cp.close()
        yield wait_for(self, lambda: not self.held_by(self.b, "CP1"), "node-b forgets CP1")
        self.assertIsNone(self.holder("CP1"))
        self.assertRaises(KeyError, self.b.central.charge_point, "CP1")

    @inlineCallbacks
    def test_stopped_node_releases(self):
        """
        A node that stops releases every identity it held, its liveness
        and its hash; the other node forgets its charge points.
        """
        yield self.connect(self.b, "CP1")
        yield self.connect(self.b, "CP2")
        yield wait_for(self, lambda: self.held_by(self.a, "CP2"), "node-a sees CP2")
        yield self.b.central.stopService()
        self.assertEqual((self.holder("CP1"), self.holder("CP2")), (None, None))
        self.assertEqual(self.redis.command("EXISTS", "openocpp:node:node-b", "openocpp:node:node-b:cps"), 0)
        self.assertEqual(self.redis.command("SMEMBERS", "openocpp:nodes"), [b"node-a"])
        yield wait_for(self, lambda: not self.a.central.cluster.presence.elsewhere(), "node-a forgets node-b's")

    @inlineCallbacks
    def test_dead_node_reaped(self):
        """
        A node that died (its liveness expired, its mappings left behind) is
        reaped by the next refresh of a live node: its mappings deleted
        (only those still its own), its charge points forgotten.
        """
        self.redis.command("SADD", "openocpp:nodes", "node-x")
        self.redis.command("SET", "openocpp:cp:GHOST", "node-x")
        self.redis.command("SET", "openocpp:cp:MOVED", "node-b")
        self.redis.command("HSET", "openocpp:node:node-x:cps", "GHOST", "{}", "MOVED", "{}")
        yield self.a.central.cluster.presence.refresh()
        self.assertEqual((self.holder("GHOST"), self.holder("MOVED")), (None, "node-b"))
        self.assertEqual(self.redis.command("EXISTS", "openocpp:node:node-x:cps"), 0)
        self.assertNotIn(b"node-x", self.redis.command("SMEMBERS", "openocpp:nodes"))


class RedisLostTests(ClusterMixin, TestCase):
    """
    Redis lost while the nodes run, then back (empty: nothing is saved).
    """

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.a = yield self.start_node("node-a", api=False)

    @inlineCallbacks
    def test_serves_and_claims_again(self):
        """
        Without Redis the node keeps its charge points and accepts new ones;
        once Redis is back it claims them all again.
        """
        yield self.connect(self.a, "CP1")
        yield wait_for(self, lambda: self.redis.command("GET", "openocpp:cp:CP1") is not None, "CP1 claimed")
        self.redis.stop()
        self.addCleanup(lambda: self.redis.start() if self.redis._process is None else None)
        yield wait_for(self, lambda: not self.a.central.cluster.bus.connected, "the bus lost")
        cp2 = yield self.connect(self.a, "CP2")
        self.assertTrue(cp2.connection.open)
        self.redis.start()
        yield wait_for(
            self,
            lambda: self.redis.command("GET", "openocpp:cp:CP2") == b"node-a"
            and self.redis.command("GET", "openocpp:cp:CP1") == b"node-a",
            "CP1 and CP2 claimed again",
            timeout=20,
        )
        self.assertEqual(sorted(self.a.central._connected), ["CP1", "CP2"])
        lost = [e for e in self.flushLoggedErrors()]  # nothing failed loudly
        self.assertEqual(lost, [])


class StalledNodeTests(ClusterMixin, TestCase):
    """
    A node whose liveness expired while it ran (its process stalled) and
    was reaped by another.
    """

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.a = yield self.start_node("node-a", api=False)
        self.b = yield self.start_node("node-b", api=False)

    @inlineCallbacks
    def test_claims_again(self):
        """
        Node B reaps A (its liveness gone); A's next refresh sees its
        liveness had expired and claims its charge points again, and B
        sees them on A again.
        """
        yield self.connect(self.a, "CP1")
        yield wait_for(self, lambda: self.held_by(self.b, "CP1"), "node-b sees CP1")
        self.redis.command("DEL", "openocpp:node:node-a")
        yield self.b.central.cluster.presence.refresh()
        self.assertIsNone(self.redis.command("GET", "openocpp:cp:CP1"))
        yield wait_for(self, lambda: not self.held_by(self.b, "CP1"), "node-b forgets CP1")
        yield self.a.central.cluster.presence.refresh()
        yield wait_for(self, lambda: self.redis.command("GET", "openocpp:cp:CP1") == b"node-a", "CP1 claimed again")
        yield wait_for(self, lambda: self.held_by(self.b, "CP1"), "node-b sees CP1 again")
