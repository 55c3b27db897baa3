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

    def test_credentials(self):
        """
        A password alone (C{redis://:PASSWORD@}) or an ACL user and its
        password, percent-decoded; C{AUTH} gives them.
        """
        alone = parse_bus_url("redis://:s3cret@127.0.0.1:7000/2")
        self.assertEqual(alone, BusAddress("127.0.0.1", 7000, 2, None, "s3cret"))
        self.assertEqual(alone.auth(), ("AUTH", "s3cret"))
        user = parse_bus_url("redis://alice:p%40ss%3Aword@h")
        self.assertEqual((user.username, user.password), ("alice", "p@ss:word"))
        self.assertEqual(user.auth(), ("AUTH", "alice", "p@ss:word"))
        self.assertIsNone(parse_bus_url("redis://h").auth())

    def test_password_never_shown(self):
        """
        The address's C{repr} and L{BusAddress.redacted} (what log lines
        show) hide the password.
        """
        address = parse_bus_url("redis://alice:s3cret@h:1/2")
        self.assertNotIn("s3cret", repr(address))
        self.assertEqual(address.redacted(), "redis://alice:***@h:1/2")
        self.assertEqual(parse_bus_url("redis://:s3cret@h").redacted(), "redis://:***@h:6379/0")
        self.assertEqual(parse_bus_url("redis://h").redacted(), "redis://h:6379/0")
        self.assertNotIn("s3cret", repr(CentralSystemConfig(bus="redis://:s3cret@h")))

    def test_refused(self):
        """
        Another scheme, a bad port or database, a query, a user without a
        password: ValueError, whose message never holds the password.
        """
        for url in ("http://h:1", "redis://", "redis://h:x", "redis://h:1/db", "redis://u@h:1", "redis://h?a=1",
                    "redis://:s3cret@h:x", "redis://:s3cret@h:1/db", "redis://u:s3cret@h?a=1"):
            error = self.assertRaises(ValueError, parse_bus_url, url)
            self.assertNotIn("s3cret", str(error))


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
        self.assertIn("redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]", line)

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


class CredentialMistakeTests(CommandLineMistakeMixin, SynchronousTestCase):
    """
    A Redis that wants a password, and a wrong one: one line naming
    C{--bus} at start, without the password, exit status 2.
    """

    def setUp(self):
        super().setUp()
        self.redis = redis_engine.RedisServer(password="s3cret-pass")
        self.addCleanup(self.redis.remove)
        self.redis.start()

    def central(self, url):
        return self.refused(
            "centralsystem", "--db", self.path("cs.sqlite"), "--listen", "tcp:0:interface=127.0.0.1",
            "--node-id", "n1", "--bus", url,
        )

    def test_wrong_password(self):
        """
        A wrong password is Redis refusing the credentials.
        """
        line = self.central(f"redis://:wrong-pass@127.0.0.1:{self.redis.port}/0")
        self.assertIn("--bus", line)
        self.assertIn("refused the credentials", line)
        self.assertIn("redis://:***@", line)
        self.assertNotIn("wrong-pass", line)

    def test_wrong_user(self):
        """
        An ACL user Redis does not know is refused the same way.
        """
        line = self.central(f"redis://mallory:s3cret-pass@127.0.0.1:{self.redis.port}/0")
        self.assertIn("refused the credentials", line)
        self.assertNotIn("s3cret-pass", line)

    def test_no_password(self):
        """
        No password where Redis wants one: the line says how to give it.
        """
        line = self.central(f"redis://127.0.0.1:{self.redis.port}/0")
        self.assertIn("--bus", line)
        self.assertIn("wants a password", line)


class StorePasswordMistakeTests(CommandLineMistakeMixin, SynchronousTestCase):
    """
    A password in a C{--store} URL stays out of the line a mistake is.
    """

    def central(self, url):
        return self.refused(
            "centralsystem", "--listen", "tcp:0:interface=127.0.0.1", "--store", url,
        )

    def test_unreachable(self):
        """
        A server that does not answer: the URL shown without its password,
        in the user information or as a parameter.
        """
        port = _closed_port()
        for url in (f"postgresql://openocpp:s3cret-pass@127.0.0.1:{port}/cs",
                    f"postgresql://openocpp@127.0.0.1:{port}/cs?password=s3cret-pass"):
            line = self.central(url)
            self.assertIn("--store", line)
            self.assertNotIn("s3cret-pass", line)
            self.assertIn("***", line)

    def test_not_a_postgresql_url(self):
        """
        Another scheme is refused, the password hidden too.
        """
        line = self.central("mysql://root:s3cret-pass@127.0.0.1/cs")
        self.assertIn("--store", line)
        self.assertNotIn("s3cret-pass", line)


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
