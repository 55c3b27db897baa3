"""
Tests for the mirror of L{openocpp.cluster.presence.Presence} on an
in-memory bus: what the pub/sub connection delivers while a load reads
Redis on the command connection is not lost when the reading lands.
"""

import json

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import TestCase

from openocpp.cluster.presence import Presence


class MemoryBus:
    """
    A bus whose commands wait in L{sent} as (arguments, Deferred) until the
    test answers them.
    """

    connected = True
    subscribed = True

    def __init__(self):
        self.sent = []
        self.channels = {}

    def subscribe(self, channel, handler):
        self.channels[channel] = handler

    def on_connected(self, observer):
        pass

    def on_subscribed(self, observer):
        pass

    def execute(self, *arguments):
        waiting = Deferred()
        self.sent.append((arguments, waiting))
        return waiting

    def evalsha(self, script, keys=(), arguments=()):
        return self.execute("EVALSHA", script.sha, *keys, *arguments)

    def answer(self, command, reply):
        for index, (arguments, waiting) in enumerate(self.sent):
            if arguments[0] == command:
                del self.sent[index]
                waiting.callback(reply)
                return
        raise AssertionError(f"no {command} waiting in {self.sent!r}")


def published(op, node, identity=None, seq=1):
    message = {"op": op, "node": node, "seq": seq}
    if identity is not None:
        message["identity"] = identity
        message["info"] = {"peer": "127.0.0.1"}
    return json.dumps(message).encode()


class LoadTests(TestCase):
    """
    L{Presence._load}, the reading of the other nodes' hashes.
    """

    def setUp(self):
        self.bus = MemoryBus()
        self.presence = Presence(self.bus, Clock(), "node-a", close_local=lambda identity: None,
                                 local_identities=dict)
        self.deliver = self.bus.channels["openocpp:presence"]

    def read(self, hashes):
        """
        Answer the load's SMEMBERS, MGET and HGETALL with C{hashes}: node ->
        {identity: info}.
        """
        names = sorted(hashes)
        self.bus.answer("SMEMBERS", [name.encode() for name in names])
        if not names:
            return
        self.bus.answer("MGET", [json.dumps({"node": name}).encode() for name in names])
        for name in names:
            flat = []
            for identity, info in hashes[name].items():
                flat += [identity.encode(), json.dumps(info).encode()]
            self.bus.answer("HGETALL", flat)

    def test_claim_delivered_before_the_reading(self):
        """
        A claim that reaches the pub/sub connection before the reading of
        the hashes, which Redis made before the claim, is in the mirror
        once the reading lands.
        """
        loading = self.presence._load()
        self.deliver(b"openocpp:presence", published("claim", "node-b", "CP1", seq=7))
        self.read({"node-b": {"CP0": {}}})
        self.successResultOf(loading)
        self.assertEqual(sorted(self.presence.elsewhere()), ["CP0", "CP1"])
        self.assertEqual(self.presence.where("CP1"), ("node-b", {"peer": "127.0.0.1"}))

    def test_release_delivered_before_the_reading(self):
        """
        A release delivered while the reading still held the charge point
        leaves it out of the mirror.
        """
        loading = self.presence._load()
        self.deliver(b"openocpp:presence", published("release", "node-b", "CP0"))
        self.read({"node-b": {"CP0": {}, "CP2": {}}})
        self.successResultOf(loading)
        self.assertEqual(sorted(self.presence.elsewhere()), ["CP2"])

    def test_node_down_delivered_before_the_reading(self):
        """
        A node reported down while the reading listed it: none of its
        charge points stay in the mirror.
        """
        loading = self.presence._load()
        self.deliver(b"openocpp:presence", published("down", "node-b"))
        self.read({"node-b": {"CP0": {}}, "node-c": {"CP3": {}}})
        self.successResultOf(loading)
        self.assertEqual(sorted(self.presence.elsewhere()), ["CP3"])

    def test_connected_here_meanwhile(self):
        """
        A charge point that connected here while the reading listed it on
        another node is not mirrored as that node's.
        """
        loading = self.presence._load()
        self.presence.claim("CP0", {})
        self.read({"node-b": {"CP0": {}}})
        self.successResultOf(loading)
        self.assertIsNone(self.presence.where("CP0"))

    def test_journal_dropped_after_the_load(self):
        """
        Changes are kept only while a load reads.
        """
        loading = self.presence._load()
        self.deliver(b"openocpp:presence", published("claim", "node-b", "CP1"))
        self.read({})
        self.successResultOf(loading)
        self.deliver(b"openocpp:presence", published("claim", "node-b", "CP2"))
        self.assertEqual(self.presence._journal, [])
        self.assertEqual(sorted(self.presence.elsewhere()), ["CP1", "CP2"])


class LocateTests(TestCase):
    """
    L{Presence.locate}: a miss of the mirror asked of Redis.
    """

    def setUp(self):
        self.bus = MemoryBus()
        self.presence = Presence(self.bus, Clock(), "node-a", close_local=lambda identity: None,
                                 local_identities=dict)
        self.deliver = self.bus.channels["openocpp:presence"]

    def test_found_on_another_node(self):
        """
        Redis says node B holds it: the answer, and the mirror knows it.
        """
        locating = self.presence.locate("CP1")
        self.bus.answer("GET", b"node-b")
        self.bus.answer("HGET", json.dumps({"peer": "127.0.0.1"}).encode())
        self.assertEqual(self.successResultOf(locating), ("node-b", {"peer": "127.0.0.1"}))
        self.assertEqual(self.presence.where("CP1"), ("node-b", {"peer": "127.0.0.1"}))

    def test_held_nowhere(self):
        """
        No node holds it: None, one round trip, nothing mirrored.
        """
        locating = self.presence.locate("CP1")
        self.bus.answer("GET", None)
        self.assertIsNone(self.successResultOf(locating))
        self.assertEqual(self.bus.sent, [])
        self.assertEqual(self.presence.elsewhere(), {})

    def test_known_asks_nothing(self):
        """
        A charge point the mirror knows, or one connected here, costs no
        round trip.
        """
        self.deliver(b"openocpp:presence", published("claim", "node-b", "CP1"))
        self.assertEqual(self.successResultOf(self.presence.locate("CP1"))[0], "node-b")
        self.presence.claim("CP2", {})
        self.bus.sent.clear()
        self.assertIsNone(self.successResultOf(self.presence.locate("CP2")))
        self.assertEqual(self.bus.sent, [])

    def test_released_while_asking(self):
        """
        A release delivered before Redis's (older) answer that node B held
        it: not mirrored.
        """
        locating = self.presence.locate("CP1")
        self.bus.answer("GET", b"node-b")
        self.deliver(b"openocpp:presence", published("release", "node-b", "CP1"))
        self.bus.answer("HGET", b"{}")
        self.assertIsNone(self.successResultOf(locating))
        self.assertIsNone(self.presence.where("CP1"))
        self.assertEqual(self.presence._journal, [])

    def test_redis_fails(self):
        """
        Redis failing the question is a miss, not an error.
        """
        from openocpp.cluster.resp import BusConnectionLost

        locating = self.presence.locate("CP1")
        self.bus.sent.pop()[1].errback(BusConnectionLost("lost"))
        self.assertIsNone(self.successResultOf(locating))
