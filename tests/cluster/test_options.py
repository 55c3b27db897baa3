"""
Tests for C{--node-id} and C{--bus} on C{twistd openocpp centralsystem}:
each mistake is one line naming the option and a non-zero exit; a good
pair builds a central system with its cluster parts, none without.
"""

import os
import socket
import sys

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.tap import CentralSystemOptions, make_service
from openocpp.cluster.address import BusAddress, parse_bus_url
from openocpp.cluster.node import ClusterNode, default_node_id
from tests.cli.test_errors import CommandLineMistakeMixin
from tests.engines import redis as redis_engine


def _closed_port() -> int:
    # A loopback port nothing listens on (bound, then released).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BusUrlTests(SynchronousTestCase):
    """
    L{parse_bus_url}.
    """

    def test_forms(self):
        """
        Host, port and database; port 6379 and database 0 by default.
        """
        self.assertEqual(parse_bus_url("redis://127.0.0.1:7000/3"), BusAddress("127.0.0.1", 7000, 3))
        self.assertEqual(parse_bus_url("redis://localhost"), BusAddress("localhost", 6379, 0))
        self.assertEqual(parse_bus_url("redis://[::1]:7000"), BusAddress("::1", 7000, 0))

    def test_refused(self):
        """
        Another scheme, a bad port or database, credentials: ValueError.
        """
        for url in ("http://h:1", "redis://", "redis://h:x", "redis://h:1/db", "redis://u:p@h:1", "redis://h?a=1"):
            self.assertRaises(ValueError, parse_bus_url, url)


class MistakeTests(CommandLineMistakeMixin, SynchronousTestCase):
    """
    The cluster options' mistakes.
    """

    def central(self, *arguments):
        return self.refused(
            "centralsystem", "--db", self.path("cs.sqlite"), "--listen", "tcp:0:interface=127.0.0.1", *arguments
        )

    def test_bad_url(self):
        """
        A C{--bus} that is not a redis:// URL names C{--bus}.
        """
        line = self.central("--bus", "http://127.0.0.1:1")
        self.assertIn("--bus", line)
        self.assertIn("redis://host:port[/db]", line)

    def test_node_id_alone(self):
        """
        C{--node-id} without C{--bus} says both.
        """
        line = self.central("--node-id", "n1")
        self.assertIn("--node-id", line)
        self.assertIn("--bus", line)

    def test_bad_node_id(self):
        """
        A node id with a character keys cannot hold is refused.
        """
        self.assertIn("--node-id", self.central("--node-id", "a:b", "--bus", "redis://127.0.0.1:1"))

    def test_unreachable(self):
        """
        Redis not answering at start: one line naming C{--bus} and the URL.
        """
        url = f"redis://127.0.0.1:{_closed_port()}/0"
        line = self.central("--node-id", "n1", "--bus", url)
        self.assertIn("--bus", line)
        self.assertIn("not reachable", line)


class BuildTests(SynchronousTestCase):
    """
    The service C{make_service} builds.
    """

    def options(self, *arguments):
        options = CentralSystemOptions()
        options.parseOptions(["--db", ":memory:", "--listen", "tcp:0:interface=127.0.0.1", *arguments])
        return options

    def test_cluster(self):
        """
        With C{--bus} and C{--node-id}, the central system has a
        L{ClusterNode} of that name among its services.
        """
        server = redis_engine.shared()
        central = make_service(self.options("--node-id", "n1", "--bus", server.url), reactor)
        self.addCleanup(central.store.close)
        self.assertIsInstance(central.cluster, ClusterNode)
        self.assertEqual(central.cluster.node_id, "n1")
        self.assertIn(central.cluster, list(central))

    def test_default_node_id(self):
        """
        C{--bus} alone: the node is named after the host and process.
        """
        server = redis_engine.shared()
        central = make_service(self.options("--bus", server.url), reactor)
        self.addCleanup(central.store.close)
        self.assertEqual(central.cluster.node_id, default_node_id())
        self.assertIn(socket.gethostname(), default_node_id())

    def test_no_bus(self):
        """
        Without C{--bus}, no cluster: lookups stay local.
        """
        central = make_service(self.options(), reactor)
        self.addCleanup(central.store.close)
        self.assertIsNone(central.cluster)
        self.assertRaises(KeyError, central.charge_point, "CP1")

    def test_config_checks(self):
        """
        The settings refuse a node id without a bus, and a bad bus URL.
        """
        self.assertRaises(ValueError, CentralSystemConfig, node_id="n1")
        self.assertRaises(ValueError, CentralSystemConfig, bus="redis://h:x")


class NotImportedTests(TestCase):
    """
    Without C{--bus}, nothing of L{openocpp.cluster} is loaded.
    """

    @inlineCallbacks
    def test_central_system_alone(self):
        """
        A central system built and started without a bus, in a fresh
        process, has not imported C{openocpp.cluster}.
        """
        script = (
            "import sys\n"
            "from twisted.internet import reactor\n"
            "from openocpp.centralsystem.config import CentralSystemConfig\n"
            "from openocpp.centralsystem.service import CentralSystem\n"
            "central = CentralSystem(CentralSystemConfig(listen='tcp:0:interface=127.0.0.1', "
            "database=':memory:'), reactor=reactor, load_entrypoints=False)\n"
            "central.startService()\n"
            "central.stopService()\n"
            "print(sorted(m for m in sys.modules if m.startswith('openocpp.cluster')))\n"
        )
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        out, err, code = yield getProcessOutputAndValue(
            sys.executable, ["-c", script], env={**os.environ, "PYTHONPATH": root}, path=root
        )
        self.assertEqual(code, 0, err)
        self.assertEqual(out.decode().strip().splitlines()[-1], "[]")
