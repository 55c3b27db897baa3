"""
Tests for C{GET /api/v1/cluster} (L{openocpp.web.cluster}): the live nodes
of a cluster, and a central system of its own.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from tests.chargepoint.loopback import wait_for
from tests.cluster.nodes import ClusterMixin
from tests.web.api_client import ApiMixin


class AloneTests(ApiMixin, TestCase):
    """
    A central system without C{--bus}.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_no_cluster(self):
        """
        No cluster: an unnamed node and no nodes.
        """
        answer = yield self.get("/api/v1/cluster")
        self.assertEqual((answer.status, answer.json), (200, {"node": None, "nodes": []}))


class ClusterViewTests(ClusterMixin, TestCase):
    """
    Two nodes.
    """

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.a = yield self.start_node("node-a")
        self.b = yield self.start_node("node-b")

    @inlineCallbacks
    def test_nodes(self):
        """
        Either node lists both, with their charge point counts as of their
        last refresh.
        """
        yield self.connect(self.b, "CP1")
        yield wait_for(self, lambda: self.held_by(self.a, "CP1"), "node-a sees CP1")
        yield self.b.central.cluster.presence.refresh()
        answer = yield self.http(self.a, "GET", "/api/v1/cluster")
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.json["node"], "node-a")
        nodes = answer.json["nodes"]
        self.assertEqual([(n["node"], n["chargePoints"]) for n in nodes], [("node-a", 0), ("node-b", 1)])
        self.assertGreaterEqual(nodes[1]["refreshedAt"], nodes[1]["startedAt"])
