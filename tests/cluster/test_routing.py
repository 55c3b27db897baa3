"""
Tests for command routing (L{openocpp.cluster.routing}) with two central
systems in this process sharing a redis-server: an operator call on node A
reaches a charge point on node B through the unchanged API, and what B's
charge point answers (or fails with) comes back as it is.
"""

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.trial.unittest import SynchronousTestCase, TestCase
from zope.interface.verify import verifyObject

from openocpp.centralsystem.interfaces import IChargePointProxy
from openocpp.centralsystem.policy import ForbiddenRequest, NotAllowedNow
from openocpp.cluster.interfaces import ICommandRouter
from openocpp.cluster.remote import RemoteChargePointProxy
from openocpp.cluster.routing import CommandRouter, RemoteCallFailed, decode_failure, encode_failure
from openocpp.messages import core
from openocpp.messages.errors import ErrorCode, ValidationError
from openocpp.rpc.errors import CallError, CallTimeout, ConnectionLost, InvalidResponse
from tests.centralsystem.fake_chargepoint import BOOT
from tests.chargepoint.loopback import wait_for
from tests.cluster.nodes import ClusterMixin


class FailureCodingTests(SynchronousTestCase):
    """
    A routed call's error crosses the bus as JSON and is the same error on
    the asking node.
    """

    def roundtrip(self, error):
        return decode_failure(encode_failure(error), "Reset")

    def test_call_error(self):
        """
        A CALLERROR keeps its code, description and details.
        """
        error = self.roundtrip(CallError(ErrorCode.NOT_SUPPORTED, "no", {"a": 1}))
        self.assertIsInstance(error, CallError)
        self.assertEqual((error.code, error.description, error.details), (ErrorCode.NOT_SUPPORTED, "no", {"a": 1}))

    def test_call_error_unknown_code(self):
        """
        A code outside table 7 stays the string received.
        """
        self.assertEqual(self.roundtrip(CallError("Weird")).code, "Weird")

    def test_timeout(self):
        """
        A timeout keeps its action, unique id and seconds.
        """
        error = self.roundtrip(CallTimeout("Reset", "u1", 30.0))
        self.assertEqual((type(error), error.action, error.unique_id, error.timeout), (CallTimeout, "Reset", "u1", 30.0))

    def test_refusals(self):
        """
        What OCPP forbids keeps its kind, reason and registration status.
        """
        refused = self.roundtrip(NotAllowedNow("Reset", "rejected", "Rejected"))
        self.assertEqual((type(refused), refused.reason, refused.registration_status), (NotAllowedNow, "rejected", "Rejected"))
        forbidden = self.roundtrip(ForbiddenRequest("RemoteStartTransaction", "TxProfile"))
        self.assertEqual((type(forbidden), forbidden.reason), (ForbiddenRequest, "TxProfile"))

    def test_connection_lost_and_invalid(self):
        """
        A lost connection and an invalid answer stay what they were.
        """
        self.assertIsInstance(self.roundtrip(ConnectionLost("Reset")), ConnectionLost)
        invalid = self.roundtrip(InvalidResponse("Reset", "u1", ValidationError(ErrorCode.FORMATION_VIOLATION, "bad")))
        self.assertEqual((type(invalid), invalid.error.code, invalid.error.description),
                         (InvalidResponse, ErrorCode.FORMATION_VIOLATION, "bad"))

    def test_other(self):
        """
        Any other error is a L{RemoteCallFailed} naming it.
        """
        error = self.roundtrip(ZeroDivisionError("oops"))
        self.assertIsInstance(error, RemoteCallFailed)
        self.assertIn("ZeroDivisionError: oops", str(error))


class RoutingTests(ClusterMixin, TestCase):
    """
    The API of node A, for a charge point connected to node B.
    """

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.a = yield self.start_node("node-a", call_timeout=0.5)
        self.b = yield self.start_node("node-b", call_timeout=0.5)

    @inlineCallbacks
    def booted_on_b(self, identity="CP1", answers=None):
        cp = yield self.connect(self.b, identity, answers)
        yield cp.call(BOOT)
        yield wait_for(self, lambda: self.held_by(self.a, identity), f"node-a sees {identity} on node-b")
        return cp

    def test_interfaces(self):
        """
        The router and the remote proxy provide their interfaces.
        """
        router = self.a.central.cluster.router
        self.assertTrue(verifyObject(ICommandRouter, router))
        self.assertIsInstance(router, CommandRouter)
        proxy = RemoteChargePointProxy("CP1", "node-b", {"peer": "127.0.0.1", "securityProfile": 0}, router)
        self.assertTrue(verifyObject(IChargePointProxy, proxy))

    @inlineCallbacks
    def test_call_reaches_other_node(self):
        """
        POST .../actions/Reset on node A reaches the charge point on node B,
        and its answer comes back as A's API answer.
        """
        cp = yield self.booted_on_b()
        answer = yield self.http(self.a, "POST", "/api/v1/chargepoints/CP1/actions/Reset", {"type": "Soft"})
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        self.assertEqual([type(request).action for request in cp.received], ["Reset"])

    @inlineCallbacks
    def test_call_before_the_view_knows(self):
        """
        A charge point that connected to node B a moment ago, before node
        A's view of the others heard of it (its presence channel lagging):
        A's API asks Redis, and the call reaches it.
        """
        cp = yield self.booted_on_b()
        # As if the claim's message had not reached node A yet.
        del self.a.central.cluster.presence._mirror["CP1"]
        answer = yield self.http(self.a, "POST", "/api/v1/chargepoints/CP1/actions/Reset", {"type": "Soft"})
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        self.assertEqual([type(request).action for request in cp.received], ["Reset"])
        record = yield self.http(self.a, "GET", "/api/v1/chargepoints/CP1")
        self.assertTrue(record.json["connected"], record.json)

    @inlineCallbacks
    def test_call_error_comes_back(self):
        """
        The charge point's CALLERROR comes back as A's 502 with its code.
        """
        yield self.booted_on_b(answers={"Reset": CallError(ErrorCode.NOT_SUPPORTED, "not here")})
        answer = yield self.http(self.a, "POST", "/api/v1/chargepoints/CP1/actions/Reset", {"type": "Soft"})
        self.assertEqual(answer.status, 502)
        self.assertEqual((answer.json["error"], answer.json["code"]), ("call_error", "NotSupported"))

    @inlineCallbacks
    def test_timeout_is_504(self):
        """
        No answer within the call timeout (on node B) is A's 504, as for a
        local charge point.
        """
        cp = yield self.booted_on_b()
        cp.answers["Reset"] = lambda request: Deferred()
        answer = yield self.http(self.a, "POST", "/api/v1/chargepoints/CP1/actions/Reset", {"type": "Soft"})
        self.assertEqual((answer.status, answer.json["error"]), (504, "timeout"))
        self.assertIn("0.5", answer.json["description"])

    @inlineCallbacks
    def test_policy_of_holding_node(self):
        """
        What OCPP forbids is refused by the holding node (it knows the
        registration): a TriggerMessage BootNotification to an accepted
        charge point is A's 409, nothing sent.
        """
        cp = yield self.booted_on_b()
        answer = yield self.http(
            self.a, "POST", "/api/v1/chargepoints/CP1/actions/TriggerMessage",
            {"requestedMessage": "BootNotification"},
        )
        self.assertEqual((answer.status, answer.json["error"]), (409, "not_allowed_now"))
        self.assertEqual(cp.received, [])

    @inlineCallbacks
    def test_connected_list_is_the_cluster(self):
        """
        C{GET /api/v1/chargepoints?connected=true} on either node lists the
        charge points of both.
        """
        yield self.connect(self.a, "CPA")
        yield self.booted_on_b("CPB")
        yield wait_for(self, lambda: self.held_by(self.b, "CPA"), "node-b sees CPA")
        for node in (self.a, self.b):
            answer = yield self.http(node, "GET", "/api/v1/chargepoints?connected=true")
            self.assertEqual([item["identity"] for item in answer.json["items"]], ["CPA", "CPB"], node.name)
        one = yield self.http(self.a, "GET", "/api/v1/chargepoints/CPB")
        self.assertEqual((one.json["connected"], one.json["connection"]["peer"]), (True, "127.0.0.1"))

    @inlineCallbacks
    def test_connected_nowhere_is_404(self):
        """
        A charge point connected to no node is the same 404 as without a
        cluster; once it leaves node B, node A's answer is 404 too.
        """
        missing = yield self.http(self.a, "POST", "/api/v1/chargepoints/NOPE/actions/Reset", {"type": "Soft"})
        self.assertEqual((missing.status, missing.json["error"]), (404, "unknown_charge_point"))
        cp = yield self.booted_on_b()
        yield cp.close()
        yield wait_for(self, lambda: not self.held_by(self.a, "CP1"), "node-a sees CP1 gone")
        gone = yield self.http(self.a, "POST", "/api/v1/chargepoints/CP1/actions/Reset", {"type": "Soft"})
        self.assertEqual((gone.status, gone.json["error"]), (404, "not_connected"))

    @inlineCallbacks
    def test_node_gone_is_connection_lost(self):
        """
        A call routed to a node no longer listening on the bus fails with
        L{ConnectionLost} (the API's 502), at once.
        """
        router = self.a.central.cluster.router
        failure = yield self.assertFailure(
            router.call("node-z", "CP1", core.ResetRequest(type="Soft")), ConnectionLost
        )
        self.assertEqual(failure.action, "Reset")
        self.assertEqual(router.pending("CP1"), 0)

    @inlineCallbacks
    def test_disconnect_remote(self):
        """
        C{disconnect()} on node A's proxy of a charge point on node B closes
        its connection there.
        """
        cp = yield self.booted_on_b()
        lost = cp.when_lost()
        self.a.central.charge_point("CP1").disconnect()
        yield lost
        yield wait_for(self, lambda: not self.held_by(self.a, "CP1"), "node-a sees CP1 gone")

    @inlineCallbacks
    def test_scripts_flushed(self):
        """
        After Redis forgot its scripts (SCRIPT FLUSH, a restart), claims are
        sent again with EVAL and work.
        """
        self.redis.command("SCRIPT", "FLUSH")
        yield self.booted_on_b("CP2")
        self.assertEqual(self.redis.command("GET", "openocpp:cp:CP2"), b"node-b")

    @inlineCallbacks
    def test_operator_command_through_facade(self):
        """
        The central system's operator commands (send_local_list) work on a
        charge point of another node.
        """
        cp = yield self.booted_on_b()
        self.a.central.store.set_id_tag("TAG1")
        outcome = yield self.a.central.send_local_list("CP1", "Full")
        self.assertEqual(outcome.status, "Accepted")
        self.assertIn("SendLocalList", [type(request).action for request in cp.received])


class MetricsTests(ClusterMixin, TestCase):
    """
    C{/metrics} on a node of a cluster: each node's own, with what names
    the node and its bus.
    """

    @inlineCallbacks
    def setUp(self):
        ClusterMixin.setUp(self)
        self.a = yield self.start_node("node-a")
        self.b = yield self.start_node("node-b", api=False)

    @inlineCallbacks
    def scrape(self, path="/metrics"):
        answer = yield self.http(self.a, "GET", path)
        self.assertEqual(answer.status, 200)
        return answer.body.decode("utf-8").splitlines()

    @inlineCallbacks
    def test_cluster_scope(self):
        """
        C{/metrics?scope=cluster} on node A gives both nodes' metrics, each
        sample labelled with its node, each metric under one C{TYPE}; the
        charge point connected to node B counts there.
        """
        cp = yield self.connect(self.b, "CP1")
        yield cp.call(BOOT)
        lines = yield self.scrape("/metrics?scope=cluster")
        self.assertIn('openocpp_connected_charge_points{node="node-a"} 0.0', lines)
        self.assertIn('openocpp_connected_charge_points{node="node-b"} 1.0', lines)
        self.assertIn('openocpp_node_info{node="node-b"} 1.0', lines)
        self.assertEqual(lines.count("# TYPE openocpp_connected_charge_points gauge"), 1)
        self.assertEqual([line for line in lines if "did not answer" in line], [])
        from prometheus_client.parser import text_string_to_metric_families

        families = {family.name: family for family in text_string_to_metric_families("\n".join(lines) + "\n")}
        nodes = {sample.labels["node"] for sample in families["openocpp_connected_charge_points"].samples}
        self.assertEqual(nodes, {"node-a", "node-b"})

    @inlineCallbacks
    def test_cluster_scope_node_gone(self):
        """
        A node that does not answer within the wait is named in a comment,
        the others' metrics are given.
        """
        self.b.central.cluster.metrics_fan_in._exposition = lambda: (_ for _ in ()).throw(RuntimeError("stuck"))
        lines = yield self.scrape("/metrics?scope=cluster")
        self.assertIn("# 1 of the 1 other nodes did not answer within 2 s", lines)
        self.assertIn('openocpp_connected_charge_points{node="node-a"} 0.0', lines)
        self.flushLoggedErrors(RuntimeError)

    @inlineCallbacks
    def test_unknown_scope(self):
        """
        A scope that is neither node nor cluster is a 400 naming both.
        """
        answer = yield self.http(self.a, "GET", "/metrics?scope=all")
        self.assertEqual(answer.status, 400)
        self.assertIn(b"scope is node", answer.body)

    @inlineCallbacks
    def test_node_info_and_bus(self):
        """
        The node's name is C{openocpp_node_info}'s label, and the bus is
        connected; a charge point on node B counts among the remote ones,
        and only node B's own gauge counts it as connected.
        """
        cp = yield self.connect(self.b, "CP1")
        yield cp.call(BOOT)
        yield wait_for(self, lambda: self.held_by(self.a, "CP1"), "node-a sees CP1 on node-b")
        lines = yield self.scrape()
        self.assertIn('openocpp_node_info{node="node-a"} 1.0', lines)
        self.assertIn("openocpp_bus_connected 1.0", lines)
        self.assertIn("openocpp_remote_charge_points 1.0", lines)
        self.assertIn("openocpp_connected_charge_points 0.0", lines)

    @inlineCallbacks
    def test_bus_lost(self):
        """
        Redis lost: C{openocpp_bus_connected} is 0.
        """
        self.redis.stop()
        self.addCleanup(lambda: self.redis.start() if self.redis._process is None else None)
        yield wait_for(self, lambda: not self.a.central.cluster.bus.connected, "the bus lost")
        lines = yield self.scrape()
        self.assertIn("openocpp_bus_connected 0.0", lines)
