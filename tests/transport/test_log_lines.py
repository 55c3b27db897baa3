"""
What the transport logs of a connection, for people: one line when it
opens (the peer as host:port, the security profile), one when it closes
(code, reason, how long it lasted), and no repr anywhere.
"""

import re

from twisted.internet.defer import inlineCallbacks
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from tests.centralsystem.fake_chargepoint import CentralSystemMixin, when_disconnected
from tests.transport.test_connections import ConnectionTestsMixin


class ConnectionLogLinesTests(CentralSystemMixin, TestCase):
    """
    The log lines of one charge point's connection to the central system.
    """

    def setUp(self):
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)
        return self.start_central_system()

    def lines(self):
        return [formatEvent(event) for event in self.events]

    @inlineCallbacks
    def test_open_and_closed(self):
        """
        The open line names the identity, the peer as host:port and the
        profile; the closed line the close code, the reason and the
        duration; no line holds a repr of an object or an address.
        """
        cp = yield self.connect("CP1")
        yield cp.call(core.HeartbeatRequest())
        disconnected = when_disconnected(self.central, "CP1")
        yield cp.close()
        yield disconnected
        lines = self.lines()
        opened = [line for line in lines if line.startswith("OCPP connection open: CP1 (127.0.0.1:")]
        self.assertEqual(len(opened), 2, lines)  # the central system's and the charge point's
        self.assertIn("security profile 0", opened[0])
        closed = [line for line in lines if line.startswith("OCPP connection closed: CP1 (127.0.0.1:")]
        self.assertTrue(closed, lines)
        self.assertRegex(closed[0], r" after \d+\.\d s: connection closed cleanly \(code 1000\)")
        for line in lines:
            for leak in ("object at 0x", "IPv4Address", "tcp4:"):
                self.assertNotIn(leak, line)
        (event,) = [e for e in self.events if formatEvent(e) == closed[0]]
        self.assertEqual((event["code"], event["peer"].split(":")[0]), (1000, "127.0.0.1"))

    def test_port_line_names_the_server(self):
        """
        Twisted's line for the listening port names the OCPP server, not
        the factory's class.
        """
        lines = self.lines()
        self.assertTrue([line for line in lines if re.fullmatch(r"OCPP server starting on \d+", line)], lines)
        self.assertFalse([line for line in lines if "OcppServerFactory" in line], lines)

    @inlineCallbacks
    def test_one_info_line_per_connection_event(self):
        """
        At info and above (the default C{--log-level}), the central system
        logs one line when a charge point connects and one when it
        disconnects: the transport's; its behaviour's lines saying the same
        are debug ones.
        """
        cp = yield self.connect("CP1")
        yield cp.call(core.HeartbeatRequest())
        disconnected = when_disconnected(self.central, "CP1")
        yield cp.close()
        yield disconnected
        about = [
            formatEvent(event) for event in self.events
            if event["log_level"] >= LogLevel.info
            and event.get("log_namespace", "").startswith(("openocpp.centralsystem", "openocpp.transport.server"))
            and "connect" in formatEvent(event).lower()
        ]
        self.assertEqual(len(about), 2, about)
        self.assertTrue(about[0].startswith("OCPP connection open: CP1 "), about)
        self.assertTrue(about[1].startswith("OCPP connection closed: CP1 "), about)


class RetryLogLineTests(ConnectionTestsMixin, TestCase):
    """
    A charge point's retry line says why it retries.
    """

    async def test_retry_says_why(self) -> None:
        """
        Refused by the server, the service's retry line gives the refusal
        (the HTTP status), and names the URL, not a repr.
        """
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        failure = await self.first_refusal()
        lines = [formatEvent(event) for event in events]
        (retry,) = [line for line in lines if line.startswith("Connecting CP001 again in")]
        self.assertIn(failure.getErrorMessage(), retry)
        self.assertIn("401", retry)
        for line in lines:
            self.assertNotIn("object at 0x", line)
            self.assertNotIn("<OCPP session endpoint", line)
