"""
Tests for C{/metrics} (L{openocpp.web.metrics}, L{openocpp.metrics}): a
central system's Prometheus metrics, scraped over loopback with the API
token; and the Grafana dashboard of C{docs/} queries only metrics a scrape
has.
"""

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from openocpp.transport.errors import HandshakeFailed
from tests.web.api_client import TOKEN, ApiMixin

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


def samples(text):
    """
    The scrape's samples: (name, labels as a sorted tuple) -> value.
    """
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


class MetricsTests(ApiMixin, TestCase):
    """
    C{GET /metrics} with the API token.
    """

    token = TOKEN

    def setUp(self):
        return self.start(security_profile=1)

    @inlineCallbacks
    def scrape(self):
        answer = yield self.get("/metrics")
        self.assertEqual(answer.status, 200, answer)
        self.assertTrue(answer.header("content-type").startswith(b"text/plain; version="))
        return samples(answer.body.decode("utf-8"))

    @inlineCallbacks
    def test_scrape(self):
        """
        After a boot and a heartbeat: one charge point connected, its calls
        counted by action, direction and outcome and timed, a CALLERROR
        counted by its code, the store's commits timed, the queue of
        pending calls empty, one connection and no reconnect.
        """
        key = "0123456789abcdef"
        self.central.store.register_charge_point("CP1", password=key)
        cp = yield self.connect("CP1", password=key, security_profile=1)
        yield cp.call(core.BootNotificationRequest(charge_point_vendor="v", charge_point_model="m"))
        yield cp.call(core.HeartbeatRequest())
        cp.answers["UnlockConnector"] = CallError(ErrorCode.NOT_SUPPORTED, "no such connector")
        proxy = self.central.charge_point("CP1")
        yield self.assertFailure(proxy.call(core.UnlockConnectorRequest(connector_id=99)), CallError)
        found = yield self.scrape()
        self.assertEqual(found[("openocpp_connected_charge_points", ())], 1)
        self.assertEqual(
            found[("openocpp_calls_total", (("action", "Heartbeat"), ("direction", "in"), ("outcome", "result")))], 1
        )
        self.assertEqual(
            found[("openocpp_calls_total", (("action", "BootNotification"), ("direction", "in"), ("outcome", "result")))], 1
        )
        self.assertEqual(
            found[("openocpp_call_duration_seconds_count", (("action", "Heartbeat"), ("direction", "in")))], 1
        )
        errors = {labels: value for (name, labels), value in found.items() if name == "openocpp_call_errors_total"}
        self.assertEqual(sum(errors.values()), 1, errors)
        self.assertEqual(dict(next(iter(errors))), {"code": "NotSupported", "direction": "out"})
        self.assertEqual(
            found[("openocpp_calls_total", (("action", "UnlockConnector"), ("direction", "out"), ("outcome", "error")))], 1
        )
        self.assertGreater(found[("openocpp_store_commit_seconds_count", ())], 0)
        self.assertEqual(found[("openocpp_queue_depth", (("queue", "pending_calls"),))], 0)
        self.assertEqual(found[("openocpp_connections_total", ())], 1)
        self.assertEqual(found[("openocpp_reconnects_total", ())], 0)

    @inlineCallbacks
    def test_authentication_failures(self):
        """
        A refused password is counted under its HTTP status.
        """
        self.central.store.register_charge_point("CP1", password="0123456789abcdef")
        yield self.assertFailure(
            self.connect("CP1", password="wrong-password-0000", security_profile=1), HandshakeFailed
        )
        found = yield self.scrape()
        self.assertEqual(found[("openocpp_authentication_failures_total", (("code", "401"),))], 1)

    @inlineCallbacks
    def test_token_required(self):
        """
        Without the API token the metrics are refused, 401.
        """
        answer = yield self.get("/metrics", auth=False)
        self.assertEqual(answer.status, 401)
        self.assertEqual(answer.json["error"], "unauthorized")

    @inlineCallbacks
    def test_cluster_scope_without_a_cluster(self):
        """
        C{scope=cluster} on a central system that is no node of a cluster:
        400 saying it needs C{--bus}; C{scope=node} is the default's
        answer.
        """
        answer = yield self.get("/metrics?scope=cluster")
        self.assertEqual(answer.status, 400)
        self.assertEqual(answer.json["error"], "not_a_cluster")
        self.assertIn("--bus", answer.json["description"])
        answer = yield self.get("/metrics?scope=node")
        self.assertEqual(answer.status, 200)

    @inlineCallbacks
    def test_dashboard_queries_existing_metrics(self):
        """
        Every metric the Grafana dashboard queries is in a scrape; the
        dashboard is valid JSON with a datasource variable.
        """
        key = "0123456789abcdef"
        self.central.store.register_charge_point("CP1", password=key)
        cp = yield self.connect("CP1", password=key, security_profile=1)
        yield cp.call(core.HeartbeatRequest())
        answer = yield self.get("/metrics")
        # Every family, those with no sample yet too (no failure so far).
        names = {family.name for family in text_string_to_metric_families(answer.body.decode("utf-8"))}
        dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
        variables = dashboard["templating"]["list"]
        self.assertIn("datasource", [variable["type"] for variable in variables])
        queried = set()
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                for name in re.findall(r"\bopenocpp_[a-z_]+", target["expr"]):
                    queried.add(re.sub(r"_(total|bucket|count|sum)$", "", name))
        self.assertTrue(queried)
        self.assertEqual(queried - names, set())


class NoMetricsTests(ApiMixin, TestCase):
    """
    C{/metrics} of a central system keeping none (C{--no-metrics}).
    """

    def setUp(self):
        return self.start(metrics=False)

    @inlineCallbacks
    def test_not_found(self):
        """
        It answers 404 saying why.
        """
        answer = yield self.get("/metrics")
        self.assertEqual(answer.status, 404)
        self.assertIn("--no-metrics", answer.json["description"])

    @inlineCallbacks
    def test_nothing_observes_frames(self):
        """
        With neither metrics nor a trace, no frame observer is added to a
        session: their cost when off is nothing.
        """
        self.assertIsNone(self.central.metrics)
        self.assertIsNone(self.central.trace)
        yield self.booted("CP1", statuses=[])
        session = self.central.charge_point("CP1")._session
        self.assertEqual(session._observers, ())
