"""
The charge point's own Prometheus metrics (C{--metrics-listen}), scraped
over loopback while it talks to the central system.
"""

import os

from prometheus_client.parser import text_string_to_metric_families
from twisted.internet import reactor
from twisted.python import usage
from twisted.trial.unittest import TestCase
from twisted.web.client import Agent, readBody

from openocpp.chargepoint.tap import ChargePointOptions, make_service
from tests.centralsystem.fake_chargepoint import CentralSystemMixin
from tests.chargepoint.loopback import wait_for


class ChargePointMetricsTests(CentralSystemMixin, TestCase):
    """
    C{--metrics-listen}: the charge point serves its metrics.
    """

    timeout = 20

    def setUp(self):
        return self.start_central_system()

    async def test_scrape(self):
        """
        Once booted: connected (1), its BootNotification counted as an
        outgoing call answered, its persistent queue's depth, one
        connection and no reconnect.
        """
        options = ChargePointOptions()
        options.parseOptions([
            "--url", self.url, "--identity", "CP1", "--db", os.path.abspath(self.mktemp()),
            "--download-folder", os.path.abspath(self.mktemp()),
            "--metrics-listen", "tcp:0:interface=127.0.0.1",
        ])
        cp = make_service(options, reactor=reactor)
        cp.startService()
        self.addCleanup(cp.stopService)
        port = await cp.getServiceNamed("metrics").when_listening()
        await wait_for(self, lambda: cp.online, "the boot")
        response = await Agent(reactor).request(
            b"GET", f"http://127.0.0.1:{port.getHost().port}/metrics".encode()
        )
        self.assertEqual(response.code, 200)
        body = (await readBody(response)).decode("utf-8")
        found = {}
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        self.assertEqual(found[("openocpp_connected_charge_points", ())], 1)
        self.assertEqual(
            found[("openocpp_calls_total", (("action", "BootNotification"), ("direction", "out"), ("outcome", "result")))], 1
        )
        self.assertIn(("openocpp_queue_depth", (("queue", "transactions"),)), found)
        self.assertEqual(found[("openocpp_connections_total", ())], 1)
        self.assertEqual(found[("openocpp_reconnects_total", ())], 0)

    def test_not_loopback_needs_a_token(self):
        """
        Without C{--metrics-token}, an endpoint that is not loopback-only is
        refused naming the options; a token without an endpoint too.
        """
        for arguments in (["--metrics-listen", "tcp:0"], ["--metrics-token", "t"]):
            options = ChargePointOptions()
            options.parseOptions(["--db", os.path.abspath(self.mktemp()), *arguments])
            error = self.assertRaises(usage.UsageError, make_service, options, reactor=reactor)
            self.assertIn("--metrics-", str(error))
