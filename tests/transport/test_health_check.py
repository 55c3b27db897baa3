"""
The load balancer's health check on the OCPP port (C{deploy/haproxy.cfg}:
C{GET /} without a WebSocket upgrade, expecting 426, every 2 seconds):
answered without a log line, while any other request that is not an
upgrade is still logged.
"""

import socket

from twisted.internet import reactor, threads
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import deferLater
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial.unittest import TestCase

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
