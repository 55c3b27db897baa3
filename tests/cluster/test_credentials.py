"""
Tests for a C{--bus} with credentials (C{redis://:PASSWORD@...},
C{redis://USER:PASSWORD@...}): the nodes log in on both their
connections, work as without, and the password shows in no log line and
no answer of the API.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from tests.centralsystem.fake_chargepoint import BOOT
from tests.chargepoint.loopback import wait_for
from tests.cluster.nodes import ClusterMixin
from tests.engines import redis as redis_engine

PASSWORD = "s3cret-bus-pass"


class CredentialsMixin(ClusterMixin):
    """
    Two nodes on a Redis of their own that wants a password (of an ACL
    user when L{user} is set), every log line kept.
    """

    user = None

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.redis = redis_engine.RedisServer(password=PASSWORD, user=self.user)
        self.addCleanup(self.redis.remove)
        self.redis.start()
        self.logged = []

        def observer(event):
            self.logged.append(formatEvent(event) + " " + repr(event))

        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        self.a = yield self.start_node("node-a", call_timeout=2)
        self.b = yield self.start_node("node-b", call_timeout=2)

    def assertNoPassword(self, text=None):
        """
        The password is in no log line so far (nor in C{text}).
        """
        leaked = [line for line in self.logged if PASSWORD in line]
        self.assertEqual(leaked[:3], [])
        if text is not None:
            self.assertNotIn(PASSWORD, text)

    @inlineCallbacks
    def test_routed_call(self):
        """
        A charge point on node B answers a call through node A's API: both
        nodes logged in on their command and pub/sub connections.
        """
        self.assertIn(PASSWORD, self.redis.url)
        cp = yield self.connect(self.b, "CP1")
        yield cp.call(BOOT)
        yield wait_for(self, lambda: self.held_by(self.a, "CP1"), "node-a sees CP1 on node-b")
        answer = yield self.http(
            self.a, "POST", "/api/v1/chargepoints/CP1/actions/DataTransfer", {"vendorId": "x"}
        )
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual([type(request) for request in cp.received], [core.DataTransferRequest])
        self.assertNoPassword()

    @inlineCallbacks
    def test_cluster_view(self):
        """
        C{GET /api/v1/cluster} lists both nodes, and no password.
        """
        answer = yield self.http(self.a, "GET", "/api/v1/cluster")
        self.assertEqual(answer.status, 200)
        self.assertEqual(sorted(node["node"] for node in answer.json["nodes"]), ["node-a", "node-b"])
        self.assertNoPassword(answer.body.decode("utf-8"))

    @inlineCallbacks
    def test_lost_and_back(self):
        """
        Redis lost and back: the lines saying so show the bus's URL with
        C{***} for the password.
        """
        self.redis.stop()
        yield wait_for(self, lambda: not self.a.central.cluster.bus.connected, "the bus lost")
        self.redis.start()
        yield wait_for(self, lambda: self.a.central.cluster.bus.connected, "the bus back", timeout=20)
        lost = [line for line in self.logged if "Lost the bus" in line]
        self.assertTrue(lost)
        self.assertIn(":***@127.0.0.1", lost[0])
        self.assertNoPassword()

    def set_password(self, password):
        if self.user is None:
            self.redis.command("CONFIG", "SET", "requirepass", password)
        else:
            self.redis.command("ACL", "SETUSER", self.user, "resetpass", f">{password}")
        self.redis.password = password

    @inlineCallbacks
    def test_password_changed_while_running(self):
        """
        Redis's password changed under running nodes: one error line per
        node saying Redis refused its credentials (none of them in it), no
        traceback, and once the password is back the nodes are back on the
        bus.
        """
        self.set_password("another-pass")
        self.redis.command("CLIENT", "KILL", "TYPE", "normal")
        self.redis.command("CLIENT", "KILL", "TYPE", "pubsub")

        def refused():
            return [line for line in self.logged if "refused this node's credentials" in line]

        yield wait_for(self, lambda: len(refused()) >= 2, "both nodes say Redis refused them", timeout=20)
        self.assertEqual(len(refused()), 2, refused())
        self.assertNoPassword()
        self.assertNotIn("another-pass", " ".join(self.logged))
        self.set_password(PASSWORD)
        for node in (self.a, self.b):
            yield wait_for(self, lambda: node.central.cluster.bus.connected and node.central.cluster.bus.subscribed,
                           f"{node.name} back on the bus", timeout=20)
        self.assertEqual(len(refused()), 2, refused())
        self.assertEqual(self.flushLoggedErrors(), [])


class PasswordTests(CredentialsMixin, TestCase):
    """
    C{redis://:PASSWORD@HOST:PORT/0} (C{requirepass}).
    """


class UserTests(CredentialsMixin, TestCase):
    """
    C{redis://USER:PASSWORD@HOST:PORT/0} (an ACL user; the default user
    disabled).
    """

    user = "openocpp"
