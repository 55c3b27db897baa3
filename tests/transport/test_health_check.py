"""
The load balancer's health check on the OCPP port (C{deploy/haproxy.cfg}:
C{GET /} without a WebSocket upgrade, expecting 426, every 2 seconds; 503
when the node is full): answered without a log line, while any other
request refused so is still logged.
"""

import socket

from twisted.internet import reactor, threads
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import deferLater
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.transport.server import is_health_check
from tests.centralsystem.fake_chargepoint import CentralSystemMixin


def _get(port, path):
    # One HTTP/1.1 request as HAProxy's check sends it; the status line and
    # whether the server closed the connection after the answer.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode("ascii"))
        data = b""
        while True:
            chunk = connection.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0]


class HealthCheckTests(CentralSystemMixin, TestCase):
    """
    C{GET /} on the central system's OCPP port.
    """

    config_overrides = {}

    @inlineCallbacks
    def setUp(self):
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)
        port = yield self.start_central_system()
        self.port = port.getHost().port

    def logged(self):
        """
        The lines at info and above since the start of the test.
        """
        return [formatEvent(event) for event in self.events if event.get("log_level", LogLevel.info) >= LogLevel.info]

    @inlineCallbacks
    def request(self, path):
        status = yield threads.deferToThread(_get, self.port, path)
        # The server's side of the closing, in the reactor's next turns.
        yield deferLater(reactor, 0.05, lambda: None)
        return status

    @inlineCallbacks
    def test_quiet(self):
        """
        Ten checks: each answered 426 and closed, and not one line logged.
        """
        before = len(self.logged())
        for _ in range(10):
            status = yield self.request("/")
            self.assertEqual(status, b"HTTP/1.1 426 HTTP Upgrade header missing")
        self.assertEqual(self.logged()[before:], [])

    @inlineCallbacks
    def test_other_path_logged(self):
        """
        A request for a charge point's path that is not an upgrade is
        refused with 426 and logged, as before.
        """
        before = len(self.logged())
        status = yield self.request("/ocpp/CP1")
        self.assertEqual(status, b"HTTP/1.1 426 HTTP Upgrade header missing")
        self.assertTrue([line for line in self.logged()[before:] if "HTTP Upgrade header missing" in line])


class FullNodeHealthCheckTests(HealthCheckTests):
    """
    The same checks on a full node (C{max_connections} reached): 503,
    still without a line, while a charge point refused is logged.
    """

    config_overrides = {"max_connections": 1}

    @inlineCallbacks
    def test_quiet(self):
        """
        With the one place taken, each check is answered 503 and logs
        nothing.
        """
        holder = socket.create_connection(("127.0.0.1", self.port))
        self.addCleanup(holder.close)
        before = len(self.logged())
        for _ in range(5):
            status = yield self.request("/")
            self.assertTrue(status.startswith(b"HTTP/1.1 503 "), status)
        self.assertEqual(self.logged()[before:], [])

    @inlineCallbacks
    def test_other_path_logged(self):
        """
        A charge point's request refused for the same reason is logged.
        """
        holder = socket.create_connection(("127.0.0.1", self.port))
        self.addCleanup(holder.close)
        before = len(self.logged())
        status = yield self.request("/ocpp/CP1")
        self.assertTrue(status.startswith(b"HTTP/1.1 503 "), status)
        self.assertTrue([line for line in self.logged()[before:] if "HTTP 503" in line], self.logged()[before:])


class HealthCheckRequestTests(SynchronousTestCase):
    """
    L{is_health_check}.
    """

    def test_forms(self):
        """
        C{GET /} without an upgrade is one; another path, method or an
        upgrade is not.
        """
        self.assertTrue(is_health_check(b"GET / HTTP/1.1\r\nHost: localhost"))
        self.assertTrue(is_health_check(b"GET / HTTP/1.0"))
        self.assertFalse(is_health_check(b"GET /ocpp/CP1 HTTP/1.1\r\nHost: x"))
        self.assertFalse(is_health_check(b"HEAD / HTTP/1.1\r\nHost: x"))
        self.assertFalse(is_health_check(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade"))
