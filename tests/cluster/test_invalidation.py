"""
Tests for cache invalidation (L{openocpp.cluster.invalidation}) and the
fan-in of live events (L{openocpp.cluster.node.EventFanIn}) with two
central systems sharing one SQLite file and a redis-server.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.web.events import LiveEvents
from tests.chargepoint.loopback import wait_for
from tests.cluster.nodes import ClusterMixin
from tests.web.api_client import SseReader


class RecordingStore:
    """
    Wraps a store, recording its C{forget_cached} calls.
    """

    def __init__(self, store):
        self._store = store
        self.forgotten = []

    def forget_cached(self, identity=None, id_tag=None):
        self.forgotten.append((identity, id_tag))
        self._store.forget_cached(identity=identity, id_tag=id_tag)


class InvalidationTests(ClusterMixin, TestCase):
    """
    An operator's change on node A, and node B's cache.
    """

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.a = yield self.start_node("node-a", api=False)
        self.b = yield self.start_node("node-b", api=False)
        self.recorded = RecordingStore(self.b.central.store)
        self.b.central.cluster.invalidation._store = self.recorded

    @inlineCallbacks
    def test_id_tag_change_reaches_other_node(self):
        """
        An id tag B read (and cached) and A then blocked is read again by B:
        B's decision is the new status.
        """
        yield self.a.central.set_id_tag("TAG1", status="Accepted")
        yield wait_for(self, lambda: self.recorded.forgotten, "node-b told of TAG1")
        self.recorded.forgotten.clear()
        self.assertEqual(self.b.central.store.id_tag("tag1").status, "Accepted")
        yield self.a.central.set_id_tag("TAG1", status="Blocked")
        yield wait_for(self, lambda: self.recorded.forgotten, "node-b told")
        self.assertEqual(self.recorded.forgotten, [(None, "TAG1")])
        self.assertEqual(self.b.central.store.id_tag("TAG1").status, "Blocked")

    @inlineCallbacks
    def test_id_tag_removed(self):
        """
        An id tag removed on A is unknown to B at once after the message.
        """
        yield self.a.central.set_id_tag("TAG2")
        self.assertIsNotNone(self.b.central.store.id_tag("TAG2"))
        yield self.a.central.remove_id_tag("TAG2")
        yield wait_for(self, lambda: (None, "TAG2") in self.recorded.forgotten, "node-b told")
        self.assertIsNone(self.b.central.store.id_tag("TAG2"))

    @inlineCallbacks
    def test_registration_change(self):
        """
        A charge point (un)registered on A: B forgets its cached
        registration.
        """
        yield self.a.central.register_charge_point("CP9")
        yield wait_for(self, lambda: ("CP9", None) in self.recorded.forgotten, "node-b told of CP9")
        self.recorded.forgotten.clear()
        yield self.a.central.unregister_charge_point("CP9")
        yield wait_for(self, lambda: ("CP9", None) in self.recorded.forgotten, "node-b told again")

    @inlineCallbacks
    def test_own_changes_not_forgotten(self):
        """
        A node ignores its own messages (its cache is already right).
        """
        own = RecordingStore(self.a.central.store)
        self.a.central.cluster.invalidation._store = own
        yield self.a.central.set_id_tag("TAG3")
        yield wait_for(self, lambda: self.recorded.forgotten, "node-b told")
        self.assertEqual(own.forgotten, [])


class FanInTests(ClusterMixin, TestCase):
    """
    The live events of every node in each node's hub and stream.
    """

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.a = yield self.start_node("node-a")
        self.b = yield self.start_node("node-b")

    @inlineCallbacks
    def test_other_node_events_with_node(self):
        """
        A charge point connecting to B is a C{connected} event in A's hub,
        with C{node: node-b}; B's own hub has it once, without.
        """
        seen_a, seen_b = [], []
        self.addCleanup(self.a.web.events.subscribe(lambda *event: seen_a.append(event)))
        self.addCleanup(self.b.web.events.subscribe(lambda *event: seen_b.append(event)))
        yield self.connect(self.b, "CP1")
        yield wait_for(self, lambda: any(kind == "connected" for _, kind, _ in seen_a), "node-a hears it")
        [(_, kind, data)] = [event for event in seen_a if event[1] == "connected"]
        self.assertEqual((data["chargePoint"], data["node"]), ("CP1", "node-b"))
        connected_b = [data for _, kind, data in seen_b if kind == "connected"]
        self.assertEqual(len(connected_b), 1)
        self.assertNotIn("node", connected_b[0])

    @inlineCallbacks
    def test_stream_of_other_node(self):
        """
        A's C{/api/v1/stream} carries what B's charge point sent.
        """
        reader = SseReader()
        answer = yield self.agent.request(b"GET", (self.a.base + "/api/v1/stream").encode())
        answer.deliverBody(reader)
        yield reader.wait(lambda: reader.comments)
        self.addCleanup(lambda: reader.transport.stopProducing())
        yield self.connect(self.b, "CP7")
        yield reader.wait(lambda: any(data.get("chargePoint") == "CP7" and data.get("node") == "node-b"
                                      for _, _, data in reader.events))

    def test_detach(self):
        """
        A hub detached hears no more events of other nodes.
        """
        hub = LiveEvents()
        detach = self.a.central.cluster.events.attach(hub)
        detach()
        self.a.central.cluster.events._message(b"openocpp:events", b'{"node":"x","kind":"status","data":{}}')
        self.assertEqual(hub.last, 0)


class MalformedMessageTests(ClusterMixin, TestCase):
    """
    Messages on the cluster's channels that are not ours.
    """

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.a = yield self.start_node("node-a", api=False)

    @inlineCallbacks
    def test_ignored_with_one_line(self):
        """
        Garbage published on each channel is one warning each, no error
        logged, and the node goes on hearing good messages.
        """
        from twisted.logger import globalLogPublisher

        lines = []
        observer = lambda event: lines.append(event)  # noqa: E731
        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        for channel in ("presence", "invalidate", "events", "calls:node-a", "reply:node-a:x"):
            self.redis.command("PUBLISH", f"openocpp:{channel}", "not json")
        self.redis.command("PUBLISH", "openocpp:presence", '{"op":"claim","seq":1}')
        yield wait_for(self, lambda: sum("malformed" in e.get("log_format", "") for e in lines) >= 6,
                       "six warnings")
        self.assertEqual(self.flushLoggedErrors(), [])
        yield self.a.central.set_id_tag("TAG1")
        self.assertTrue(self.a.central.cluster.bus.subscribed)
